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

// Address is a postal address a payer typed on a hosted page. Country is
// an ISO 3166-1 alpha-2 code.
type Address struct {
	Name       string `json:"name,omitempty"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	State      string `json:"state,omitempty"`
	Country    string `json:"country"`
}

// SessionLine is one line a payer bought: the price, its product's name as
// the page showed it, the quantity, and its amounts in minor units.
type SessionLine struct {
	PriceID     ID     `json:"price_id"`
	ProductID   ID     `json:"product_id"`
	ProductName string `json:"product_name"`
	UnitAmount  int64  `json:"unit_amount"`
	Quantity    int64  `json:"quantity"`
	Amount      int64  `json:"amount"`   // unit_amount × quantity
	Discount    int64  `json:"discount"` // its share of the discount
	Tax         int64  `json:"tax"`      // exclusive tax added
	Total       int64  `json:"total"`    // amount − discount + tax
}

// CartBreakdown is a cart's totals in minor units: Total = Subtotal −
// Discount + Shipping + Tax; InclusiveTax is included in the amounts and
// adds nothing.
type CartBreakdown struct {
	Subtotal     int64 `json:"subtotal"`
	Discount     int64 `json:"discount"`
	Shipping     int64 `json:"shipping"`
	Tax          int64 `json:"tax"`
	InclusiveTax int64 `json:"inclusive_tax"`
	Total        int64 `json:"total"`
}

// TaxID is a tax identifier a payer gave (type e.g. "eu_vat").
type TaxID struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// CustomFieldValue is a payer's answer to one of a link's custom fields.
type CustomFieldValue struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	Type  string `json:"type"` // text | numeric | dropdown
	Value string `json:"value"`
}

// Consent is what a payer agreed to on the page.
type Consent struct {
	Promotions     bool `json:"promotions,omitempty"`
	TermsOfService bool `json:"terms_of_service,omitempty"`
}

// SessionCart is what a payer bought through a link that sells a cart, as
// the payment records it on its checkout session: the lines, the totals,
// the discount and shipping chosen, the addresses and the payer's answers.
type SessionCart struct {
	Lines             []SessionLine      `json:"lines"`
	Breakdown         CartBreakdown      `json:"breakdown"`
	CouponID          *ID                `json:"coupon_id,omitempty"`
	PromotionCodeID   *ID                `json:"promotion_code_id,omitempty"`
	PromotionCode     string             `json:"promotion_code,omitempty"`
	ShippingRateID    *ID                `json:"shipping_rate_id,omitempty"`
	ShippingName      string             `json:"shipping_name,omitempty"`
	ShippingAddress   *Address           `json:"shipping_address,omitempty"`
	BillingAddress    *Address           `json:"billing_address,omitempty"`
	TaxIDs            []TaxID            `json:"tax_ids,omitempty"`
	Consent           *Consent           `json:"consent,omitempty"`
	CustomFields      []CustomFieldValue `json:"custom_fields,omitempty"`
	ClientReferenceID string             `json:"client_reference_id,omitempty"`
}
