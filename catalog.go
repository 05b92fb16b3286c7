package paylinks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CatalogKind names one kind of catalog object.
type CatalogKind string

// The catalog kinds.
const (
	CatalogProduct       CatalogKind = "product"
	CatalogPrice         CatalogKind = "price"
	CatalogCoupon        CatalogKind = "coupon"
	CatalogPromotionCode CatalogKind = "promotion_code"
	CatalogTaxRate       CatalogKind = "tax_rate"
	CatalogShippingRate  CatalogKind = "shipping_rate"
)

// CatalogObject is what every catalog object has: its id, owner, mode,
// whether it is active (an inactive object stays readable but cannot be
// put on a new link or redeemed), metadata and times.
type CatalogObject struct {
	ID        ID                `json:"id"`
	AccountID ID                `json:"account_id"`
	Livemode  bool              `json:"livemode"`
	Active    bool              `json:"active"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Catalogued is one of the catalog's object types: *Product, *Price,
// *Coupon, *PromotionCode, *TaxRate or *ShippingRate.
type Catalogued interface {
	// Kind is the object's kind.
	Kind() CatalogKind
	// Object returns the object's common fields, to read or set.
	Object() *CatalogObject
	// redemption is the object's redemption limit: its unique lookup key
	// ("" when none), the most redemptions (0 = unlimited) and the time
	// from which it can no longer be redeemed (nil = never).
	redemption() (key string, max int, until *time.Time)
	setTimesRedeemed(n int)
}

// Product is a thing sold: prices say for how much.
type Product struct {
	CatalogObject
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// PriceType says whether a price is paid once or on a schedule.
type PriceType string

// The price types.
const (
	PriceOneTime   PriceType = "one_time"
	PriceRecurring PriceType = "recurring"
)

// TaxBehavior says whether a price or shipping rate already includes tax.
type TaxBehavior string

// The tax behaviours. Unspecified is treated as exclusive by Totals.
const (
	TaxInclusive   TaxBehavior = "inclusive"
	TaxExclusive   TaxBehavior = "exclusive"
	TaxUnspecified TaxBehavior = "unspecified"
)

// Price is an amount a product sells for, once or every IntervalCount
// Intervals (day, week, month or year) when recurring.
type Price struct {
	CatalogObject
	ProductID     ID          `json:"product_id"`
	UnitAmount    int64       `json:"unit_amount"` // minor units of Currency
	Currency      string      `json:"currency"`    // uppercase ISO 4217
	Type          PriceType   `json:"type"`
	Interval      string      `json:"interval,omitempty"`
	IntervalCount int         `json:"interval_count,omitempty"`
	TaxBehavior   TaxBehavior `json:"tax_behavior"`
	Nickname      string      `json:"nickname,omitempty"`
}

// Coupon durations.
const (
	DurationOnce      = "once"
	DurationForever   = "forever"
	DurationRepeating = "repeating"
)

// Coupon is a discount: PercentOff of the lines, or AmountOff (minor units
// of Currency) off them; exactly one of the two is set. It can be redeemed
// at most MaxRedemptions times (0 = unlimited), not at or after RedeemBy.
type Coupon struct {
	CatalogObject
	Name             string     `json:"name,omitempty"`
	PercentOff       Percent    `json:"percent_off,omitempty"`
	AmountOff        int64      `json:"amount_off,omitempty"`
	Currency         string     `json:"currency,omitempty"`
	Duration         string     `json:"duration"`
	DurationInMonths int        `json:"duration_in_months,omitempty"`
	MaxRedemptions   int        `json:"max_redemptions,omitempty"`
	TimesRedeemed    int        `json:"times_redeemed"`
	RedeemBy         *time.Time `json:"redeem_by,omitempty"`
}

// PromotionCode is a code a payer types to apply a coupon. Codes are unique
// per account and mode, compared without regard to case (CodeKey). Using
// one redeems both it and its coupon.
type PromotionCode struct {
	CatalogObject
	Code           string     `json:"code"`
	CouponID       ID         `json:"coupon_id"`
	MaxRedemptions int        `json:"max_redemptions,omitempty"`
	TimesRedeemed  int        `json:"times_redeemed"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
}

// CodeKey is the form in which promotion codes are unique and looked up.
func CodeKey(code string) string { return strings.ToUpper(code) }

// TaxRate is a tax at Percentage, either included in the prices it applies
// to (Inclusive) or added to them, for a country (ISO 3166-1 alpha-2) and
// optionally a state.
type TaxRate struct {
	CatalogObject
	DisplayName string  `json:"display_name"`
	Description string  `json:"description,omitempty"`
	Percentage  Percent `json:"percentage"`
	Inclusive   bool    `json:"inclusive"`
	Country     string  `json:"country,omitempty"`
	State       string  `json:"state,omitempty"`
}

// DeliveryEstimate is how long shipping takes: between Minimum and Maximum
// (either may be absent) of a unit (hour, day, business_day, week, month).
type DeliveryEstimate struct {
	MinimumUnit  string `json:"minimum_unit,omitempty"`
	MinimumValue int    `json:"minimum_value,omitempty"`
	MaximumUnit  string `json:"maximum_unit,omitempty"`
	MaximumValue int    `json:"maximum_value,omitempty"`
}

// ShippingRate is a fixed shipping charge a payer may choose.
type ShippingRate struct {
	CatalogObject
	DisplayName      string            `json:"display_name"`
	Amount           int64             `json:"amount"`   // minor units of Currency
	Currency         string            `json:"currency"` // uppercase ISO 4217
	DeliveryEstimate *DeliveryEstimate `json:"delivery_estimate,omitempty"`
	TaxBehavior      TaxBehavior       `json:"tax_behavior"`
}

// Kind implements Catalogued.
func (*Product) Kind() CatalogKind { return CatalogProduct }

// Kind implements Catalogued.
func (*Price) Kind() CatalogKind { return CatalogPrice }

// Kind implements Catalogued.
func (*Coupon) Kind() CatalogKind { return CatalogCoupon }

// Kind implements Catalogued.
func (*PromotionCode) Kind() CatalogKind { return CatalogPromotionCode }

// Kind implements Catalogued.
func (*TaxRate) Kind() CatalogKind { return CatalogTaxRate }

// Kind implements Catalogued.
func (*ShippingRate) Kind() CatalogKind { return CatalogShippingRate }

// Object implements Catalogued.
func (o *CatalogObject) Object() *CatalogObject { return o }

func (*CatalogObject) redemption() (string, int, *time.Time) { return "", 0, nil }
func (*CatalogObject) setTimesRedeemed(int)                  {}

func (c *Coupon) redemption() (string, int, *time.Time) { return "", c.MaxRedemptions, c.RedeemBy }
func (c *Coupon) setTimesRedeemed(n int)                { c.TimesRedeemed = n }

func (p *PromotionCode) redemption() (string, int, *time.Time) {
	return CodeKey(p.Code), p.MaxRedemptions, p.ExpiresAt
}
func (p *PromotionCode) setTimesRedeemed(n int) { p.TimesRedeemed = n }

// CatalogItem is a catalog object as stores keep it: the columns a store
// queries or changes by itself, and the object's other fields as JSON. The
// columns are authoritative; Data's copies of them are ignored on reading.
type CatalogItem struct {
	Kind      CatalogKind
	ID        ID
	AccountID ID
	Livemode  bool
	Active    bool
	// Key is unique per account, mode and kind when not "" (a promotion
	// code's CodeKey).
	Key string
	// MaxRedemptions is the most times the object may be redeemed (0 =
	// unlimited); TimesRedeemed how many times it has been; RedeemUntil the
	// time from which it may not be (nil = no end).
	MaxRedemptions int
	TimesRedeemed  int
	RedeemUntil    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Data           []byte
}

// NewCatalogItem encodes obj for a store.
func NewCatalogItem(obj Catalogued) (*CatalogItem, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", obj.Kind(), err)
	}
	o := obj.Object()
	key, max, until := obj.redemption()
	return &CatalogItem{Kind: obj.Kind(), ID: o.ID, AccountID: o.AccountID, Livemode: o.Livemode, Active: o.Active,
		Key: key, MaxRedemptions: max, RedeemUntil: until, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Data: data}, nil
}

// DecodeCatalogItem decodes a stored item into obj, whose kind must be the
// item's.
func DecodeCatalogItem(it *CatalogItem, obj Catalogued) error {
	if it.Kind != obj.Kind() {
		return fmt.Errorf("decode %s: the item is a %s", obj.Kind(), it.Kind)
	}
	if err := json.Unmarshal(it.Data, obj); err != nil {
		return fmt.Errorf("decode %s: %w", obj.Kind(), err)
	}
	o := obj.Object()
	o.ID, o.AccountID, o.Livemode, o.Active = it.ID, it.AccountID, it.Livemode, it.Active
	o.CreatedAt, o.UpdatedAt = it.CreatedAt, it.UpdatedAt
	obj.setTimesRedeemed(it.TimesRedeemed)
	return nil
}

// Percent is a percentage in ten-thousandths of a percent: 8.875 % is
// 88750 and 100 % is OneHundredPercent. It is never a float, so a rate
// means exactly what was written.
type Percent int64

// OneHundredPercent is 100 %.
const OneHundredPercent Percent = 100_0000

// percentDigits is how many decimals a percentage may have.
const percentDigits = 4

// ParsePercent parses a plain decimal percentage ("8.875", "20", "0.5")
// exactly: at most 4 decimals, no sign or exponent, at most 100.
func ParsePercent(s string) (Percent, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 3 || (dot && frac == "") || len(frac) > percentDigits {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", percentDigits-len(frac)), 10, 64)
	if err != nil || Percent(n) > OneHundredPercent {
		return 0, false
	}
	return Percent(n), true
}

// String renders p as a plain decimal without trailing zeros: "8.875".
func (p Percent) String() string {
	s := strconv.FormatInt(int64(p)/1_0000, 10)
	if frac := int64(p) % 1_0000; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%04d", frac), "0")
	}
	return s
}
