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
}
