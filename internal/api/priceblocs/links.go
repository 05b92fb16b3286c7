package priceblocs

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// linkView is a payment link as PriceBlocs shows it. Links made by any
// dialect are shown; the cart members (line items, discounts, shipping,
// tax) are empty until links carry a cart. amount_total is a paylinks
// extension: the link's amount in minor units, null when the payer
// chooses it.
type linkView struct {
	ID                        string            `json:"id"`
	Object                    string            `json:"object"`
	ShortID                   string            `json:"short_id"`
	URL                       string            `json:"url"`
	BrandURL                  string            `json:"brand_url"`
	Livemode                  bool              `json:"livemode"`
	Title                     string            `json:"title"`
	Description               *string           `json:"description"`
	Status                    string            `json:"status"`
	SuccessURL                *string           `json:"success_url"`
	CancelURL                 *string           `json:"cancel_url"`
	Created                   int64             `json:"created"`
	Updated                   int64             `json:"updated"`
	PaymentMethodTypes        []string          `json:"payment_method_types"`
	Currency                  string            `json:"currency"`
	AmountTotal               *int64            `json:"amount_total"`
	CustomerEmail             *string           `json:"customer_email"`
	Customer                  *string           `json:"customer"`
	Discounts                 []any             `json:"discounts"`
	BillingAddressCollection  string            `json:"billing_address_collection"`
	ShippingAddressCollection *struct{}         `json:"shipping_address_collection"`
	Mode                      string            `json:"mode"`
	SubmitType                string            `json:"submit_type"`
	AllowPromotionCodes       bool              `json:"allow_promotion_codes"`
	TaxRates                  []string          `json:"tax_rates"`
	ShippingOptions           []any             `json:"shipping_options"`
	ExpiresAt                 *int64            `json:"expires_at"`
	LineItems                 []any             `json:"line_items"`
	Restrictions              *linkRestrictions `json:"restrictions"`
}

// linkRestrictions shows a single-use link as Stripe's completed-sessions
// limit of 1.
type linkRestrictions struct {
	CompletedSessions struct {
		Count int `json:"count"`
		Limit int `json:"limit"`
	} `json:"completed_sessions"`
}

func (h *Handler) renderLink(l *paylinks.Link) linkView {
	u := h.publicURL + "/l/" + l.Slug
	v := linkView{ID: l.ID.String(), Object: "payment_link", ShortID: l.Slug, URL: u, BrandURL: u, Livemode: l.Livemode,
		Title: l.Title, Description: nullable(l.Description), Status: linkStatus(l), SuccessURL: nullable(l.SuccessURL),
		CancelURL: nullable(l.CancelURL), Created: l.CreatedAt.Unix(), Updated: l.UpdatedAt.Unix(),
		PaymentMethodTypes: []string{"card"}, Currency: strings.ToLower(l.Currency), AmountTotal: positive(l.Amount),
		Discounts: []any{}, BillingAddressCollection: "auto", Mode: "payment", SubmitType: "pay",
		TaxRates: []string{}, ShippingOptions: []any{}, LineItems: []any{}}
	if !l.Multiple {
		v.Restrictions = &linkRestrictions{}
		v.Restrictions.CompletedSessions.Limit = 1
		if l.Used {
			v.Restrictions.CompletedSessions.Count = 1
		}
	}
	return v
}

// linkStatus is active, inactive (deactivated, or a used single-use link)
// or archived (deleted).
func linkStatus(l *paylinks.Link) string {
	switch l.Payable() {
	case "":
		return "active"
	case "deleted":
		return "archived"
	}
	return "inactive"
}

// linkID parses the UUID of the path.
func linkID(q *Request) (paylinks.ID, string, error) {
	raw := q.PathValue("id")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		if len(raw) > 64 {
			raw = raw[:64] + "…"
		}
		return id, raw, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "resource_missing", Param: "id",
			Message: "no such payment link: " + raw}
	}
	return id, raw, nil
}

// ListLinks serves GET /v1/payment-links: newest first, page-numbered.
func (h *Handler) ListLinks(w http.ResponseWriter, q *Request) error {
	return list(h, w, q, "/v1/payment-links", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.Link], error) {
		return h.svc.LinkNumberedPage(q.Context(), q.pr, pp)
	}, h.renderLink)
}

// GetLink serves GET /v1/payment-links/{id}.
func (h *Handler) GetLink(w http.ResponseWriter, q *Request) error {
	id, raw, err := linkID(q)
	if err != nil {
		return err
	}
	l, err := h.svc.GetLink(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l))
	return nil
}

// linkUpdateBody is what PUT may change. The members that change the
// price or the mode are named so that they are refused clearly.
type linkUpdateBody struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Status      *string `json:"status"`
	SuccessURL  *string `json:"success_url"`
	CancelURL   *string `json:"cancel_url"`

	LineItems       *any `json:"line_items"`
	PriceData       *any `json:"price_data"`
	Mode            *any `json:"mode"`
	Currency        *any `json:"currency"`
	Discounts       *any `json:"discounts"`
	ShippingOptions *any `json:"shipping_options"`
	TaxRates        *any `json:"tax_rates"`
}

// UpdateLink serves PUT /v1/payment-links/{id}: only the given members
// change. Members that change the total price or the mode are refused, as
// PriceBlocs refuses them; status archived is DELETE's.
func (h *Handler) UpdateLink(w http.ResponseWriter, q *Request) error {
	id, raw, err := linkID(q)
	if err != nil {
		return err
	}
	var b linkUpdateBody
	if err := decode(q.Request, &b); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    *any
	}{{"line_items", b.LineItems}, {"price_data", b.PriceData}, {"mode", b.Mode}, {"currency", b.Currency},
		{"discounts", b.Discounts}, {"shipping_options", b.ShippingOptions}, {"tax_rates", b.TaxRates}} {
		if f.v != nil {
			return paylinks.Invalid("parameter_not_updatable", f.name,
				"%s cannot be changed after the link is created (it changes the price or the mode); create a new link", f.name)
		}
	}
	u := service.LinkUpdate{Title: b.Title, Description: b.Description, SuccessURL: b.SuccessURL, CancelURL: b.CancelURL}
	if b.Status != nil {
		switch *b.Status {
		case "active", "inactive":
			u.Active = new(*b.Status == "active")
		case "archived":
			return paylinks.Invalid("parameter_invalid", "status", "archive a link with DELETE /v1/payment-links/{id}")
		default:
			return paylinks.Invalid("parameter_invalid", "status", "status must be active or inactive")
		}
	}
	l, err := h.svc.UpdateLink(q.Context(), q.pr, id, raw, u)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l))
	return nil
}

// DeleteLink serves DELETE /v1/payment-links/{id}: the link is archived,
// its hosted page stops at once, and it leaves the lists.
func (h *Handler) DeleteLink(w http.ResponseWriter, q *Request) error {
	id, raw, err := linkID(q)
	if err != nil {
		return err
	}
	l, err := h.svc.DeleteLink(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l))
	return nil
}
