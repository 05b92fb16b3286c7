package paylinks

import "time"

// AdjustableQuantity lets the payer change a line's quantity, from
// Minimum to Maximum.
type AdjustableQuantity struct {
	Enabled bool  `json:"enabled"`
	Minimum int64 `json:"minimum"`
	Maximum int64 `json:"maximum"`
}

// CartItem is one line of a link's cart: a catalog price (and its product,
// which a price never changes) and a default quantity.
type CartItem struct {
	PriceID    ID                  `json:"price_id"`
	ProductID  ID                  `json:"product_id"`
	Quantity   int64               `json:"quantity"`
	Adjustable *AdjustableQuantity `json:"adjustable_quantity,omitempty"`
}

// LinkCart is what a link sells when it sells a cart rather than one
// amount: line items of catalog prices in one currency, and how the page
// prices and collects them. The link's Amount is the cart's total at the
// default quantities, before shipping and promotion codes, so every dialect
// shows a price.
type LinkCart struct {
	LineItems                []CartItem        `json:"line_items"`
	CouponID                 *ID               `json:"coupon_id,omitempty"`
	AllowPromotionCodes      bool              `json:"allow_promotion_codes,omitempty"`
	TaxRateIDs               []ID              `json:"tax_rate_ids,omitempty"`
	ShippingRateIDs          []ID              `json:"shipping_rate_ids,omitempty"`
	BillingAddressCollection string            `json:"billing_address_collection"` // auto | required
	ShippingCountries        []string          `json:"shipping_countries,omitempty"`
	CustomerEmail            string            `json:"customer_email,omitempty"`
	SubmitType               string            `json:"submit_type"` // auto | pay | book | donate
	ExpiresAt                *time.Time        `json:"expires_at,omitempty"`
	Metadata                 map[string]string `json:"metadata,omitempty"`
	// DynamicTaxRateIDs are tax rates the page picks among by the payer's
	// shipping (else billing) country and state.
	DynamicTaxRateIDs []ID `json:"dynamic_tax_rate_ids,omitempty"`
	// AutomaticTax picks among all the account's active tax rates by the
	// payer's country and state. It is not a tax engine.
	AutomaticTax bool `json:"automatic_tax,omitempty"`
	// TaxIDCollection shows a tax ID field on the page.
	TaxIDCollection   bool               `json:"tax_id_collection,omitempty"`
	ConsentCollection *ConsentCollection `json:"consent_collection,omitempty"`
	CustomFields      []CustomField      `json:"custom_fields,omitempty"`
	// Recovery is after_expiration.recovery; nil when not enabled.
	Recovery *ExpirationRecovery `json:"recovery,omitempty"`
}

// CustomField is a field the payer fills in on a cart link's hosted page
// (at most MaxCustomFields per link). Key names it in the session's
// answers; Label is what the page shows.
type CustomField struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Type     string `json:"type"` // text | numeric | dropdown
	Optional bool   `json:"optional,omitempty"`
	// Options are a dropdown's choices, in the order shown.
	Options []CustomFieldOption `json:"options,omitempty"`
}

// The custom field types.
const (
	CustomFieldText     = "text"
	CustomFieldNumeric  = "numeric"
	CustomFieldDropdown = "dropdown"
)

// MaxCustomFields is the most custom fields a link has.
const MaxCustomFields = 3

// CustomFieldOption is one choice of a dropdown custom field: Value is
// what the session records, Label what the page shows.
type CustomFieldOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// ConsentCollection says which consents the hosted page asks for.
// Promotions "auto" offers a promotional-emails checkbox; TermsOfService
// "required" shows a terms checkbox that must be ticked to pay. "none" (or
// "") asks for nothing.
type ConsentCollection struct {
	Promotions     string `json:"promotions,omitempty"`       // auto | none
	TermsOfService string `json:"terms_of_service,omitempty"` // required | none
}

// ExpirationRecovery is Stripe's after_expiration.recovery: when enabled,
// a payer whose checkout session expired is offered a fresh one (with
// promotion codes allowed when AllowPromotionCodes).
type ExpirationRecovery struct {
	Enabled             bool `json:"enabled"`
	AllowPromotionCodes bool `json:"allow_promotion_codes,omitempty"`
}
