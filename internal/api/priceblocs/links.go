package priceblocs

import (
	"fmt"
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
	ID                        string             `json:"id"`
	Object                    string             `json:"object"`
	ShortID                   string             `json:"short_id"`
	URL                       string             `json:"url"`
	BrandURL                  string             `json:"brand_url"`
	Livemode                  bool               `json:"livemode"`
	Title                     string             `json:"title"`
	Description               *string            `json:"description"`
	Status                    string             `json:"status"`
	SuccessURL                *string            `json:"success_url"`
	CancelURL                 *string            `json:"cancel_url"`
	Created                   int64              `json:"created"`
	Updated                   int64              `json:"updated"`
	PaymentMethodTypes        []string           `json:"payment_method_types"`
	Currency                  string             `json:"currency"`
	AmountTotal               *int64             `json:"amount_total"`
	CustomerEmail             *string            `json:"customer_email"`
	Customer                  *string            `json:"customer"`
	Discounts                 []discountView     `json:"discounts"`
	BillingAddressCollection  string             `json:"billing_address_collection"`
	ShippingAddressCollection *shippingAddresses `json:"shipping_address_collection"`
	Mode                      string             `json:"mode"`
	SubmitType                string             `json:"submit_type"`
	AllowPromotionCodes       bool               `json:"allow_promotion_codes"`
	TaxRates                  []string           `json:"tax_rates"`
	ShippingOptions           []shippingOption   `json:"shipping_options"`
	ExpiresAt                 *int64             `json:"expires_at"`
	LineItems                 []lineItemView     `json:"line_items"`
	Metadata                  map[string]string  `json:"metadata"`
	Restrictions              *linkRestrictions  `json:"restrictions"`
}

type discountView struct {
	Coupon string `json:"coupon"`
}

type shippingAddresses struct {
	AllowedCountries []string `json:"allowed_countries"`
}

type shippingOption struct {
	ShippingRate string `json:"shipping_rate"`
}

type lineItemView struct {
	Price              string                       `json:"price"`
	Product            string                       `json:"product"`
	Currency           string                       `json:"currency"`
	Interval           *string                      `json:"interval"`
	Quantity           int64                        `json:"quantity"`
	AdjustableQuantity *paylinks.AdjustableQuantity `json:"adjustable_quantity"`
	TaxRates           []string                     `json:"tax_rates"`
	DynamicTaxRates    []string                     `json:"dynamic_tax_rates"`
}

// linkRestrictions shows a single-use link as Stripe's completed-sessions
// limit of 1.
type linkRestrictions struct {
	CompletedSessions struct {
		Count int `json:"count"`
		Limit int `json:"limit"`
	} `json:"completed_sessions"`
}

func (h *Handler) renderLink(l *paylinks.Link, cart *paylinks.LinkCart) linkView {
	u := h.publicURL + "/l/" + l.Slug
	v := linkView{ID: l.ID.String(), Object: "payment_link", ShortID: l.Slug, URL: u, BrandURL: u, Livemode: l.Livemode,
		Title: l.Title, Description: nullable(l.Description), Status: linkStatus(l), SuccessURL: nullable(l.SuccessURL),
		CancelURL: nullable(l.CancelURL), Created: l.CreatedAt.Unix(), Updated: l.UpdatedAt.Unix(),
		PaymentMethodTypes: []string{"card"}, Currency: strings.ToLower(l.Currency), AmountTotal: positive(l.Amount),
		Discounts: []discountView{}, BillingAddressCollection: "auto", Mode: "payment", SubmitType: "pay",
		TaxRates: []string{}, ShippingOptions: []shippingOption{}, LineItems: []lineItemView{}, Metadata: map[string]string{}}
	if c := cart; c != nil {
		for _, it := range c.LineItems {
			v.LineItems = append(v.LineItems, lineItemView{Price: formatID(prefixPrice, it.PriceID), Product: formatID(prefixProduct, it.ProductID),
				Currency: v.Currency, Quantity: it.Quantity, AdjustableQuantity: it.Adjustable})
		}
		if c.CouponID != nil {
			v.Discounts = append(v.Discounts, discountView{formatID(prefixCoupon, *c.CouponID)})
		}
		for _, id := range c.TaxRateIDs {
			v.TaxRates = append(v.TaxRates, formatID(prefixTaxRate, id))
		}
		for _, id := range c.ShippingRateIDs {
			v.ShippingOptions = append(v.ShippingOptions, shippingOption{formatID(prefixShippingRate, id)})
		}
		if c.ShippingCountries != nil {
			v.ShippingAddressCollection = &shippingAddresses{c.ShippingCountries}
		}
		v.BillingAddressCollection, v.SubmitType, v.AllowPromotionCodes = c.BillingAddressCollection, c.SubmitType, c.AllowPromotionCodes
		v.CustomerEmail, v.ExpiresAt, v.Metadata = nullable(c.CustomerEmail), unixPtr(c.ExpiresAt), metadataView(c.Metadata)
	}
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
	var carts map[paylinks.ID]*paylinks.LinkCart
	return list(h, w, q, "/v1/payment-links", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.Link], error) {
		p, err := h.svc.LinkNumberedPage(q.Context(), q.pr, pp)
		if err != nil {
			return nil, err
		}
		ids := make([]paylinks.ID, len(p.Items))
		for i := range p.Items {
			ids[i] = p.Items[i].ID
		}
		carts, err = h.svc.LinkCarts(q.Context(), q.pr, ids)
		return p, err
	}, func(l *paylinks.Link) linkView { return h.renderLink(l, carts[l.ID]) })
}

// writeLink renders a link with its cart.
func (h *Handler) writeLink(w http.ResponseWriter, q *Request, l *paylinks.Link) error {
	carts, err := h.svc.LinkCarts(q.Context(), q.pr, []paylinks.ID{l.ID})
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l, carts[l.ID]))
	return nil
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
	return h.writeLink(w, q, l)
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
	return h.writeLink(w, q, l)
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
	return h.writeLink(w, q, l)
}

// linkCreateBody is what POST /v1/payment-links takes.
type linkCreateBody struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Status      *string `json:"status"`
	SuccessURL  *string `json:"success_url"`
	CancelURL   *string `json:"cancel_url"`
	Mode        *string `json:"mode"`
	LineItems   []struct {
		Price              *string `json:"price"`
		Quantity           *int64  `json:"quantity"`
		AdjustableQuantity *struct {
			Enabled *bool  `json:"enabled"`
			Minimum *int64 `json:"minimum"`
			Maximum *int64 `json:"maximum"`
		} `json:"adjustable_quantity"`
	} `json:"line_items"`
	Discounts []struct {
		Coupon *string `json:"coupon"`
	} `json:"discounts"`
	AllowPromotionCodes       *bool   `json:"allow_promotion_codes"`
	BillingAddressCollection  *string `json:"billing_address_collection"`
	ShippingAddressCollection *struct {
		AllowedCountries []string `json:"allowed_countries"`
	} `json:"shipping_address_collection"`
	ShippingOptions []struct {
		ShippingRate *string `json:"shipping_rate"`
	} `json:"shipping_options"`
	TaxRates      []string          `json:"tax_rates"`
	CustomerEmail *string           `json:"customer_email"`
	SubmitType    *string           `json:"submit_type"`
	ExpiresAt     *int64            `json:"expires_at"`
	Metadata      map[string]string `json:"metadata"`
}

// CreateLink serves POST /v1/payment-links: a link selling catalog prices.
func (h *Handler) CreateLink(w http.ResponseWriter, q *Request) error {
	var b linkCreateBody
	if err := decode(q.Request, &b); err != nil {
		return err
	}
	p := service.CartLinkParams{Title: str(b.Title), Description: str(b.Description), SuccessURL: str(b.SuccessURL),
		CancelURL: str(b.CancelURL), Mode: str(b.Mode), BillingAddressCollection: str(b.BillingAddressCollection),
		CustomerEmail: str(b.CustomerEmail), SubmitType: str(b.SubmitType), ExpiresAt: unixTime(b.ExpiresAt), Metadata: b.Metadata}
	if b.Title != nil && *b.Title == "" {
		return paylinks.Invalid("parameter_invalid", "title", "title must not be empty (leave it out to use the first product's name)")
	}
	if b.Status != nil {
		switch *b.Status {
		case "active":
		case "inactive":
			p.Inactive = true
		default:
			return paylinks.Invalid("parameter_invalid", "status", "status must be active or inactive")
		}
	}
	if b.LineItems == nil {
		return missing("line_items")
	}
	for i, it := range b.LineItems {
		param := fmt.Sprintf("line_items[%d]", i)
		if it.Price == nil {
			return missing(param + ".price")
		}
		id, err := refID(prefixPrice, "price", param+".price", *it.Price)
		if err != nil {
			return err
		}
		ip := service.CartItemParams{PriceID: id, PriceRef: *it.Price}
		if it.Quantity != nil {
			if ip.Quantity = *it.Quantity; ip.Quantity < 1 {
				return paylinks.Invalid("parameter_invalid", param+".quantity", "quantity must be at least 1")
			}
		}
		if a := it.AdjustableQuantity; a != nil {
			if a.Enabled == nil {
				return missing(param + ".adjustable_quantity.enabled")
			}
			ip.Adjustable = &paylinks.AdjustableQuantity{Enabled: *a.Enabled}
			if a.Minimum != nil {
				ip.Adjustable.Minimum = *a.Minimum
			}
			if a.Maximum != nil {
				if ip.Adjustable.Maximum = *a.Maximum; ip.Adjustable.Maximum < 1 {
					return paylinks.Invalid("parameter_invalid", param+".adjustable_quantity.maximum", "maximum must be at least 1")
				}
			}
		}
		p.LineItems = append(p.LineItems, ip)
	}
	if len(b.Discounts) > 1 {
		return paylinks.Invalid("parameter_invalid", "discounts", "a link takes at most one discount")
	}
	if len(b.Discounts) == 1 {
		if b.Discounts[0].Coupon == nil {
			return missing("discounts[0].coupon")
		}
		id, err := refID(prefixCoupon, "coupon", "discounts[0].coupon", *b.Discounts[0].Coupon)
		if err != nil {
			return err
		}
		p.CouponID, p.CouponRef = &id, *b.Discounts[0].Coupon
	}
	if b.AllowPromotionCodes != nil {
		p.AllowPromotionCodes = *b.AllowPromotionCodes
	}
	if s := b.ShippingAddressCollection; s != nil {
		if len(s.AllowedCountries) == 0 {
			return missing("shipping_address_collection.allowed_countries")
		}
		p.ShippingCountries = s.AllowedCountries
	}
	for i, o := range b.ShippingOptions {
		param := fmt.Sprintf("shipping_options[%d].shipping_rate", i)
		if o.ShippingRate == nil {
			return missing(param)
		}
		id, err := refID(prefixShippingRate, "shipping rate", param, *o.ShippingRate)
		if err != nil {
			return err
		}
		p.ShippingRateIDs, p.ShippingRateRefs = append(p.ShippingRateIDs, id), append(p.ShippingRateRefs, *o.ShippingRate)
	}
	for i, raw := range b.TaxRates {
		id, err := refID(prefixTaxRate, "tax rate", fmt.Sprintf("tax_rates[%d]", i), raw)
		if err != nil {
			return err
		}
		p.TaxRateIDs, p.TaxRateRefs = append(p.TaxRateIDs, id), append(p.TaxRateRefs, raw)
	}
	l, cart, err := h.svc.CreateCartLink(q.Context(), q.pr, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l, cart))
	return nil
}
