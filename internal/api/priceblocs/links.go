package priceblocs

import (
	"bytes"
	"encoding/json"
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

	AdjustableQuantity *paylinks.AdjustableQuantity `json:"adjustable_quantity"`
	ShippingWorldwide  bool                         `json:"shipping_worldwide"`
	DynamicTaxRates    []string                     `json:"dynamic_tax_rates"`
	AutomaticTax       enabledView                  `json:"automatic_tax"`
	TaxIDCollection    taxIDCollectionView          `json:"tax_id_collection"`
	ConsentCollection  consentView                  `json:"consent_collection"`
	AfterExpiration    afterExpirationView          `json:"after_expiration"`
	CustomFields       []customFieldView            `json:"custom_fields"`
	PaymentIntentData  paymentIntentDataView        `json:"payment_intent_data"`
	TrialPeriodDays    *int64                       `json:"trial_period_days"`
	TrialEnd           *int64                       `json:"trial_end"`
}

type enabledView struct {
	Enabled bool `json:"enabled"`
}

// taxIDCollectionView: type is always "standard", the only kind served.
type taxIDCollectionView struct {
	Enabled bool   `json:"enabled"`
	Type    string `json:"type"`
}

type consentView struct {
	Promotions     string `json:"promotions"`       // auto | none
	TermsOfService string `json:"terms_of_service"` // required | none
}

type afterExpirationView struct {
	Recovery recoveryView `json:"recovery"`
}

type recoveryView struct {
	Enabled             bool `json:"enabled"`
	AllowPromotionCodes bool `json:"allow_promotion_codes"`
}

// customFieldView is Stripe's shape of a custom field.
type customFieldView struct {
	Key      string              `json:"key"`
	Label    customLabel         `json:"label"`
	Type     string              `json:"type"`
	Optional bool                `json:"optional"`
	Dropdown *customDropdownView `json:"dropdown"`
}

type customLabel struct {
	Type   string `json:"type"` // custom
	Custom string `json:"custom"`
}

type customDropdownView struct {
	Options []paylinks.CustomFieldOption `json:"options"`
}

type paymentIntentDataView struct {
	CaptureMethod string `json:"capture_method"` // automatic | manual
	// TransferData is always null: transfers are not served.
	TransferData *struct{} `json:"transfer_data"`
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

// linkRestrictions is Stripe's completed-sessions limit and count; a
// single-use link has the limit 1.
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
		TaxRates: []string{}, ShippingOptions: []shippingOption{}, LineItems: []lineItemView{}, Metadata: map[string]string{},
		DynamicTaxRates: []string{}, TaxIDCollection: taxIDCollectionView{Type: "standard"},
		ConsentCollection: consentView{Promotions: "none", TermsOfService: "none"}, CustomFields: []customFieldView{},
		PaymentIntentData: paymentIntentDataView{CaptureMethod: "automatic"}}
	if l.ManualCapture {
		v.PaymentIntentData.CaptureMethod = "manual"
	}
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
		for _, id := range c.DynamicTaxRateIDs {
			v.DynamicTaxRates = append(v.DynamicTaxRates, formatID(prefixTaxRate, id))
		}
		v.AutomaticTax.Enabled, v.TaxIDCollection.Enabled = c.AutomaticTax, c.TaxIDCollection
		if cc := c.ConsentCollection; cc != nil {
			if cc.Promotions != "" {
				v.ConsentCollection.Promotions = cc.Promotions
			}
			if cc.TermsOfService != "" {
				v.ConsentCollection.TermsOfService = cc.TermsOfService
			}
		}
		if r := c.Recovery; r != nil {
			v.AfterExpiration.Recovery = recoveryView{r.Enabled, r.AllowPromotionCodes}
		}
		for _, f := range c.CustomFields {
			fv := customFieldView{Key: f.Key, Label: customLabel{"custom", f.Label}, Type: f.Type, Optional: f.Optional}
			if f.Type == paylinks.CustomFieldDropdown {
				fv.Dropdown = &customDropdownView{f.Options}
			}
			v.CustomFields = append(v.CustomFields, fv)
		}
		// The top-level adjustable_quantity is the first line's, as a link
		// of one line item (the common case) is shown by PriceBlocs.
		if len(c.LineItems) > 0 {
			v.AdjustableQuantity = c.LineItems[0].Adjustable
		}
	}
	if n := l.CompletedLimit(); n > 0 {
		v.Restrictions = &linkRestrictions{}
		v.Restrictions.CompletedSessions.Limit = n
		v.Restrictions.CompletedSessions.Count = l.PaymentCount
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

	// Cart members that may change.
	CustomFields        *[]customFieldBody `json:"custom_fields"`
	TaxIDCollection     *enabledBody       `json:"tax_id_collection"`
	AutomaticTax        *enabledBody       `json:"automatic_tax"`
	AllowPromotionCodes *bool              `json:"allow_promotion_codes"`
	AfterExpiration     *recoveryBody      `json:"after_expiration"`
	Restrictions        *limitBody         `json:"restrictions"`

	LineItems         *any `json:"line_items"`
	PriceData         *any `json:"price_data"`
	Mode              *any `json:"mode"`
	Currency          *any `json:"currency"`
	Discounts         *any `json:"discounts"`
	ShippingOptions   *any `json:"shipping_options"`
	TaxRates          *any `json:"tax_rates"`
	DynamicTaxRates   *any `json:"dynamic_tax_rates"`
	ConsentCollection *any `json:"consent_collection"`
	ExpiresAt         *any `json:"expires_at"`
}

// cartUpdate translates the cart members of the body; nil when none is
// given.
func (b *linkUpdateBody) cartUpdate() (*service.CartUpdate, error) {
	c := &service.CartUpdate{AllowPromotionCodes: b.AllowPromotionCodes}
	var err error
	if b.CustomFields != nil {
		fields, err := customFields(*b.CustomFields)
		if err != nil {
			return nil, err
		}
		c.CustomFields = &fields
	}
	if c.TaxIDCollection, err = b.TaxIDCollection.enabled("tax_id_collection"); err != nil {
		return nil, err
	}
	if c.AutomaticTax, err = b.AutomaticTax.enabled("automatic_tax"); err != nil {
		return nil, err
	}
	if c.Recovery, err = b.AfterExpiration.recovery(); err != nil {
		return nil, err
	}
	if b.Restrictions != nil {
		n, err := b.Restrictions.limit()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, missing("restrictions.completed_sessions")
		}
		c.PaymentLimit = &n
	}
	if *c == (service.CartUpdate{}) {
		return nil, nil
	}
	return c, nil
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
		{"discounts", b.Discounts}, {"shipping_options", b.ShippingOptions}, {"tax_rates", b.TaxRates},
		{"dynamic_tax_rates", b.DynamicTaxRates}} {
		if f.v != nil {
			return paylinks.Invalid("parameter_not_updatable", f.name,
				"%s cannot be changed after the link is created (it changes the price or the mode); create a new link", f.name)
		}
	}
	// Stripe does not update consent collection either (it changes what
	// payers agreed to); expires_at is fixed at creation here.
	for _, f := range []struct {
		name string
		v    *any
	}{{"consent_collection", b.ConsentCollection}, {"expires_at", b.ExpiresAt}} {
		if f.v != nil {
			return paylinks.Invalid("parameter_not_updatable", f.name, "%s cannot be changed after the link is created; create a new link", f.name)
		}
	}
	cu, err := b.cartUpdate()
	if err != nil {
		return err
	}
	u := service.LinkUpdate{Title: b.Title, Description: b.Description, SuccessURL: b.SuccessURL, CancelURL: b.CancelURL, Cart: cu}
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

// linkCreateBody is what POST /v1/payment-links takes: the members of the
// link object, so that a link read back may be sent again as a create.
// The members the server assigns (id, object, url, brand_url, short_id,
// created, updated, amount_total, and restrictions.completed_sessions.count)
// are accepted and ignored; the members that must agree with the key or
// the catalog (livemode, currency, a line's product, currency and interval)
// are checked; members whose feature is not served (customer, transfers,
// trials, per-line tax rates, shipping_worldwide) are accepted only empty.
type linkCreateBody struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Status      *string `json:"status"`
	SuccessURL  *string `json:"success_url"`
	CancelURL   *string `json:"cancel_url"`
	Mode        *string `json:"mode"`
	LineItems   []struct {
		Price              *string          `json:"price"`
		Quantity           *int64           `json:"quantity"`
		AdjustableQuantity *adjustableBody  `json:"adjustable_quantity"`
		Product            *string          `json:"product"`
		Currency           *string          `json:"currency"`
		Interval           *string          `json:"interval"`
		TaxRates           []string         `json:"tax_rates"`
		DynamicTaxRates    []string         `json:"dynamic_tax_rates"`
		Extra              *json.RawMessage `json:"price_data"`
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
	TaxRates        []string          `json:"tax_rates"`
	DynamicTaxRates []string          `json:"dynamic_tax_rates"`
	CustomerEmail   *string           `json:"customer_email"`
	SubmitType      *string           `json:"submit_type"`
	ExpiresAt       *int64            `json:"expires_at"`
	Metadata        map[string]string `json:"metadata"`
	AutomaticTax    *enabledBody      `json:"automatic_tax"`
	TaxIDCollection *struct {
		Enabled *bool   `json:"enabled"`
		Type    *string `json:"type"`
	} `json:"tax_id_collection"`
	ConsentCollection *struct {
		Promotions     *string `json:"promotions"`
		TermsOfService *string `json:"terms_of_service"`
	} `json:"consent_collection"`
	AfterExpiration   *recoveryBody     `json:"after_expiration"`
	Restrictions      *limitBody        `json:"restrictions"`
	CustomFields      []customFieldBody `json:"custom_fields"`
	PaymentIntentData *struct {
		CaptureMethod *string          `json:"capture_method"`
		TransferData  *json.RawMessage `json:"transfer_data"`
	} `json:"payment_intent_data"`
	AdjustableQuantity *adjustableBody `json:"adjustable_quantity"`

	// Members checked against the key and the catalog.
	Livemode           *bool            `json:"livemode"`
	Currency           *string          `json:"currency"`
	PaymentMethodTypes []string         `json:"payment_method_types"`
	Customer           *json.RawMessage `json:"customer"`
	ShippingWorldwide  *bool            `json:"shipping_worldwide"`
	TrialPeriodDays    *json.RawMessage `json:"trial_period_days"`
	TrialEnd           *json.RawMessage `json:"trial_end"`

	// Members the server assigns: ignored.
	ID          *json.RawMessage `json:"id"`
	Object      *json.RawMessage `json:"object"`
	URL         *json.RawMessage `json:"url"`
	BrandURL    *json.RawMessage `json:"brand_url"`
	ShortID     *json.RawMessage `json:"short_id"`
	Created     *json.RawMessage `json:"created"`
	Updated     *json.RawMessage `json:"updated"`
	AmountTotal *json.RawMessage `json:"amount_total"`
}

// customFieldBody is a custom field in Stripe's shape.
type customFieldBody struct {
	Key   *string `json:"key"`
	Label *struct {
		Type   *string `json:"type"`
		Custom *string `json:"custom"`
	} `json:"label"`
	Type     *string `json:"type"`
	Optional *bool   `json:"optional"`
	Dropdown *struct {
		Options []struct {
			Label *string `json:"label"`
			Value *string `json:"value"`
		} `json:"options"`
	} `json:"dropdown"`
}

// customFields translates custom_fields.
func customFields(fields []customFieldBody) ([]paylinks.CustomField, error) {
	out := []paylinks.CustomField{}
	for i, f := range fields {
		param := fmt.Sprintf("custom_fields[%d]", i)
		cf := paylinks.CustomField{Key: str(f.Key), Type: str(f.Type)}
		if f.Optional != nil {
			cf.Optional = *f.Optional
		}
		if f.Label == nil {
			return nil, missing(param + ".label")
		}
		if f.Label.Type != nil && *f.Label.Type != "custom" {
			return nil, paylinks.Invalid("parameter_invalid", param+".label.type", "label.type must be custom")
		}
		if f.Label.Custom == nil {
			return nil, missing(param + ".label.custom")
		}
		cf.Label = *f.Label.Custom
		if f.Dropdown != nil {
			if f.Dropdown.Options == nil {
				return nil, missing(param + ".dropdown.options")
			}
			for j, o := range f.Dropdown.Options {
				op := fmt.Sprintf("%s.dropdown.options[%d]", param, j)
				if o.Value == nil {
					return nil, missing(op + ".value")
				}
				if o.Label == nil {
					return nil, missing(op + ".label")
				}
				cf.Options = append(cf.Options, paylinks.CustomFieldOption{Value: *o.Value, Label: *o.Label})
			}
		} else if cf.Type == paylinks.CustomFieldDropdown {
			return nil, missing(param + ".dropdown")
		}
		out = append(out, cf)
	}
	return out, nil
}

// recoveryBody is after_expiration.
type recoveryBody struct {
	Recovery *struct {
		Enabled             *bool `json:"enabled"`
		AllowPromotionCodes *bool `json:"allow_promotion_codes"`
	} `json:"recovery"`
}

// recovery translates after_expiration (nil when absent).
func (a *recoveryBody) recovery() (*paylinks.ExpirationRecovery, error) {
	if a == nil || a.Recovery == nil {
		return nil, nil
	}
	r := a.Recovery
	if r.Enabled == nil {
		return nil, missing("after_expiration.recovery.enabled")
	}
	out := &paylinks.ExpirationRecovery{Enabled: *r.Enabled}
	if r.AllowPromotionCodes != nil {
		out.AllowPromotionCodes = *r.AllowPromotionCodes
	}
	return out, nil
}

// limitBody is restrictions.
type limitBody struct {
	CompletedSessions *struct {
		Limit *int64 `json:"limit"`
		Count *int64 `json:"count"` // read-only, ignored
	} `json:"completed_sessions"`
}

// limit translates restrictions (0 when absent).
func (r *limitBody) limit() (int, error) {
	if r == nil || r.CompletedSessions == nil {
		return 0, nil
	}
	const param = "restrictions.completed_sessions.limit"
	l := r.CompletedSessions.Limit
	if l == nil {
		return 0, missing(param)
	}
	// 0 would be a link that can never be paid: Stripe refuses it, so do
	// we (leave restrictions out for no limit).
	if *l < 1 || *l > service.MaxPaymentLimit {
		return 0, paylinks.Invalid("parameter_invalid", param, "%s must be from 1 to %d", param, service.MaxPaymentLimit)
	}
	return int(*l), nil
}

// enabledBody is a member {enabled}.
type enabledBody struct {
	Enabled *bool `json:"enabled"`
}

func (e *enabledBody) enabled(param string) (*bool, error) {
	if e == nil {
		return nil, nil
	}
	if e.Enabled == nil {
		return nil, missing(param + ".enabled")
	}
	return e.Enabled, nil
}

type adjustableBody struct {
	Enabled *bool  `json:"enabled"`
	Minimum *int64 `json:"minimum"`
	Maximum *int64 `json:"maximum"`
}

// isNull reports whether a raw member is absent or JSON null.
func isNull(m *json.RawMessage) bool {
	return m == nil || string(bytes.TrimSpace(*m)) == "null"
}

// adjustable translates an adjustable_quantity member named param.
func (a *adjustableBody) adjustable(param string) (*paylinks.AdjustableQuantity, error) {
	if a == nil {
		return nil, nil
	}
	if a.Enabled == nil {
		return nil, missing(param + ".enabled")
	}
	out := &paylinks.AdjustableQuantity{Enabled: *a.Enabled}
	if a.Minimum != nil {
		out.Minimum = *a.Minimum
	}
	if a.Maximum != nil {
		if out.Maximum = *a.Maximum; out.Maximum < 1 {
			return nil, paylinks.Invalid("parameter_invalid", param+".maximum", "maximum must be at least 1")
		}
	}
	return out, nil
}

// notServed refuses a member whose feature paylinks does not serve yet.
func notServed(param, why string) error {
	return paylinks.Invalid("parameter_not_supported", param, "%s is not supported yet: %s", param, why)
}

// params translates the body into the service's parameters. It decides
// nothing about the link; it refuses only what cannot be translated.
func (b *linkCreateBody) params() (service.CartLinkParams, error) {
	p := service.CartLinkParams{Title: str(b.Title), Description: str(b.Description), SuccessURL: str(b.SuccessURL),
		CancelURL: str(b.CancelURL), Mode: str(b.Mode), BillingAddressCollection: str(b.BillingAddressCollection),
		CustomerEmail: str(b.CustomerEmail), SubmitType: str(b.SubmitType), ExpiresAt: unixTime(b.ExpiresAt), Metadata: b.Metadata,
		Livemode: b.Livemode}
	if b.Title != nil && *b.Title == "" {
		return p, paylinks.Invalid("parameter_invalid", "title", "title must not be empty (leave it out to use the first product's name)")
	}
	if b.Status != nil {
		switch *b.Status {
		case "active":
		case "inactive":
			p.Inactive = true
		default:
			return p, paylinks.Invalid("parameter_invalid", "status", "status must be active or inactive")
		}
	}
	if b.Currency != nil {
		p.Currency = strings.ToUpper(*b.Currency)
		if p.Currency == "" {
			return p, paylinks.Invalid("parameter_invalid", "currency", "currency must be a three-letter ISO code")
		}
	}
	for i, m := range b.PaymentMethodTypes {
		if m != "card" {
			return p, paylinks.Invalid("parameter_invalid", fmt.Sprintf("payment_method_types[%d]", i), "the only payment method type is card")
		}
	}
	switch {
	case !isNull(b.Customer):
		return p, notServed("customer", "links are not tied to customers; use customer_email")
	case b.ShippingWorldwide != nil && *b.ShippingWorldwide:
		return p, notServed("shipping_worldwide", "list the countries in shipping_address_collection.allowed_countries")
	case !isNull(b.TrialPeriodDays):
		return p, notServed("trial_period_days", "trials need subscriptions, which are not supported yet")
	case !isNull(b.TrialEnd):
		return p, notServed("trial_end", "trials need subscriptions, which are not supported yet")
	}
	if d := b.PaymentIntentData; d != nil {
		if d.CaptureMethod != nil {
			switch *d.CaptureMethod {
			case "automatic":
			case "manual":
				p.ManualCapture = true
			default:
				return p, paylinks.Invalid("parameter_invalid", "payment_intent_data.capture_method", "capture_method must be automatic or manual")
			}
		}
		if !isNull(d.TransferData) {
			return p, notServed("payment_intent_data.transfer_data", "payments are not transferred to other accounts")
		}
	}
	top, err := b.AdjustableQuantity.adjustable("adjustable_quantity")
	if err != nil {
		return p, err
	}
	if b.LineItems == nil {
		return p, missing("line_items")
	}
	for i, it := range b.LineItems {
		param := fmt.Sprintf("line_items[%d]", i)
		if it.Price == nil {
			return p, missing(param + ".price")
		}
		if it.Extra != nil {
			return p, paylinks.Invalid("parameter_unknown", param+".price_data", "unknown parameter %q", param+".price_data")
		}
		id, err := refID(prefixPrice, "price", param+".price", *it.Price)
		if err != nil {
			return p, err
		}
		ip := service.CartItemParams{PriceID: id, PriceRef: *it.Price}
		if it.Quantity != nil {
			if ip.Quantity = *it.Quantity; ip.Quantity < 1 {
				return p, paylinks.Invalid("parameter_invalid", param+".quantity", "quantity must be at least 1")
			}
		}
		if ip.Adjustable, err = it.AdjustableQuantity.adjustable(param + ".adjustable_quantity"); err != nil {
			return p, err
		}
		if ip.Adjustable == nil && top != nil {
			a := *top
			ip.Adjustable = &a
		}
		if it.Product != nil {
			pid, err := refID(prefixProduct, "product", param+".product", *it.Product)
			if err != nil {
				return p, err
			}
			ip.ProductID = &pid
		}
		if it.Currency != nil {
			ip.Currency = strings.ToUpper(*it.Currency)
		}
		if it.Interval != nil {
			return p, paylinks.Invalid("mode_not_supported", param+".interval",
				"%s.interval is for recurring prices, and subscriptions are not supported yet", param)
		}
		if len(it.TaxRates) > 0 {
			return p, notServed(param+".tax_rates", "a link's tax_rates apply to all its line items")
		}
		if len(it.DynamicTaxRates) > 0 {
			return p, notServed(param+".dynamic_tax_rates", "a link's dynamic_tax_rates apply to all its line items")
		}
		p.LineItems = append(p.LineItems, ip)
	}
	if len(b.Discounts) > 1 {
		return p, paylinks.Invalid("parameter_invalid", "discounts", "a link takes at most one discount")
	}
	if len(b.Discounts) == 1 {
		if b.Discounts[0].Coupon == nil {
			return p, missing("discounts[0].coupon")
		}
		id, err := refID(prefixCoupon, "coupon", "discounts[0].coupon", *b.Discounts[0].Coupon)
		if err != nil {
			return p, err
		}
		p.CouponID, p.CouponRef = &id, *b.Discounts[0].Coupon
	}
	if b.AllowPromotionCodes != nil {
		p.AllowPromotionCodes = *b.AllowPromotionCodes
	}
	if s := b.ShippingAddressCollection; s != nil {
		if len(s.AllowedCountries) == 0 {
			return p, missing("shipping_address_collection.allowed_countries")
		}
		p.ShippingCountries = s.AllowedCountries
	}
	for i, o := range b.ShippingOptions {
		param := fmt.Sprintf("shipping_options[%d].shipping_rate", i)
		if o.ShippingRate == nil {
			return p, missing(param)
		}
		id, err := refID(prefixShippingRate, "shipping rate", param, *o.ShippingRate)
		if err != nil {
			return p, err
		}
		p.ShippingRateIDs, p.ShippingRateRefs = append(p.ShippingRateIDs, id), append(p.ShippingRateRefs, *o.ShippingRate)
	}
	for i, raw := range b.TaxRates {
		id, err := refID(prefixTaxRate, "tax rate", fmt.Sprintf("tax_rates[%d]", i), raw)
		if err != nil {
			return p, err
		}
		p.TaxRateIDs, p.TaxRateRefs = append(p.TaxRateIDs, id), append(p.TaxRateRefs, raw)
	}
	for i, raw := range b.DynamicTaxRates {
		id, err := refID(prefixTaxRate, "tax rate", fmt.Sprintf("dynamic_tax_rates[%d]", i), raw)
		if err != nil {
			return p, err
		}
		p.DynamicTaxRateIDs, p.DynamicTaxRateRefs = append(p.DynamicTaxRateIDs, id), append(p.DynamicTaxRateRefs, raw)
	}
	if on, err := b.AutomaticTax.enabled("automatic_tax"); err != nil {
		return p, err
	} else if on != nil {
		p.AutomaticTax = *on
	}
	if t := b.TaxIDCollection; t != nil {
		if t.Enabled == nil {
			return p, missing("tax_id_collection.enabled")
		}
		if t.Type != nil && *t.Type != "standard" {
			return p, paylinks.Invalid("parameter_invalid", "tax_id_collection.type", "tax_id_collection.type must be standard")
		}
		p.TaxIDCollection = *t.Enabled
	}
	if c := b.ConsentCollection; c != nil {
		p.ConsentCollection = &paylinks.ConsentCollection{Promotions: str(c.Promotions), TermsOfService: str(c.TermsOfService)}
	}
	if p.Recovery, err = b.AfterExpiration.recovery(); err != nil {
		return p, err
	}
	if p.PaymentLimit, err = b.Restrictions.limit(); err != nil {
		return p, err
	}
	if p.CustomFields, err = customFields(b.CustomFields); err != nil {
		return p, err
	}
	return p, nil
}

// CreateLink serves POST /v1/payment-links: a link selling catalog prices.
func (h *Handler) CreateLink(w http.ResponseWriter, q *Request) error {
	var b linkCreateBody
	if err := decode(q.Request, &b); err != nil {
		return err
	}
	p, err := b.params()
	if err != nil {
		return err
	}
	l, cart, err := h.svc.CreateCartLink(q.Context(), q.pr, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l, cart))
	return nil
}
