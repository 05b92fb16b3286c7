package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
)

// Field limits of catalog objects.
const (
	MaxProductNameLen  = 255
	MaxDisplayNameLen  = 100
	MaxCouponNameLen   = 40
	MaxNicknameLen     = 255
	MaxPromoCodeLen    = 64
	MaxStateLen        = 30
	MaxRedemptionLimit = 1_000_000_000
)

var (
	productNameText = textField{code: "bad_request", param: "name", max: MaxProductNameLen}
	couponNameText  = textField{code: "bad_request", param: "name", max: MaxCouponNameLen}
	catalogDescText = textField{code: "bad_request", param: "description", max: MaxDescriptionLen, lines: true}
	nicknameText    = textField{code: "bad_request", param: "nickname", max: MaxNicknameLen}
	displayNameText = textField{code: "bad_request", param: "display_name", label: "display_name", max: MaxDisplayNameLen}
	stateText       = textField{code: "bad_request", param: "state", max: MaxStateLen}
)

// requiredText trims s and checks it as f, refusing it empty.
func requiredText(f textField, s *string) error {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		return paylinks.Invalid(f.code, f.param, "%s is required", f.param)
	}
	if err := checkText(f, *s); err != nil {
		return err
	}
	return nil
}

// optionalText trims s and checks it as f.
func optionalText(f textField, s *string) error {
	*s = strings.TrimSpace(*s)
	if err := checkText(f, *s); err != nil {
		return err
	}
	return nil
}

// catalogCurrency normalises a currency code named by param.
func catalogCurrency(param, code string) (string, error) {
	if code == "" {
		return "", paylinks.Invalid("invalid_currency", param, "%s is required", param)
	}
	cur, ok := paylinks.NormalizeCurrency(code)
	if !ok {
		return "", paylinks.Invalid("invalid_currency", param, "currency %q is not supported", code)
	}
	return cur, nil
}

// catalogAmount checks a unit amount or fixed amount (minor units): from 0
// to the currency's largest charge.
func catalogAmount(param string, amount int64, cur string) error {
	if amount < 0 {
		return paylinks.Invalid("invalid_amount", param, "%s must not be negative", param)
	}
	if max := paylinks.CurrencyLimits[cur].Max; amount > max {
		return paylinks.Invalid("invalid_amount", param, "%s must be at most %s %s", param, paylinks.FormatDecimal(max, cur), cur)
	}
	return nil
}

func checkTaxBehavior(param string, tb *paylinks.TaxBehavior) error {
	switch *tb {
	case "":
		*tb = paylinks.TaxUnspecified
	case paylinks.TaxInclusive, paylinks.TaxExclusive, paylinks.TaxUnspecified:
	default:
		return paylinks.Invalid("parameter_invalid", param, "%s must be inclusive, exclusive or unspecified", param)
	}
	return nil
}

// checkRedemptions checks a redemption limit and end time at now.
func checkRedemptions(maxParam string, max int, untilParam string, until *time.Time, now time.Time) error {
	if max < 0 || max > MaxRedemptionLimit {
		return paylinks.Invalid("parameter_invalid", maxParam, "%s must be a positive whole number", maxParam)
	}
	if until != nil && !until.After(now) {
		return paylinks.Invalid("parameter_invalid", untilParam, "%s must be in the future", untilParam)
	}
	return nil
}

// ---- products

// ProductParams describe a product to create.
type ProductParams struct {
	CatalogCommon
	Name        string
	Description string
}

// ProductUpdate changes the given (non-nil) fields of a product.
type ProductUpdate struct {
	CatalogCommon
	Name, Description *string
}

// CreateProduct creates a product of the caller's account and mode.
func (s *Service) CreateProduct(ctx context.Context, pr paylinks.Principal, p ProductParams) (*paylinks.Product, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	obj := &paylinks.Product{Name: p.Name, Description: p.Description}
	if err := checkProduct(obj); err != nil {
		return nil, err
	}
	if err := p.apply(&obj.CatalogObject, true); err != nil {
		return nil, err
	}
	return obj, createCatalog(ctx, s, pr, obj)
}

func checkProduct(p *paylinks.Product) error {
	if err := requiredText(productNameText, &p.Name); err != nil {
		return err
	}
	return optionalText(catalogDescText, &p.Description)
}

// GetProduct returns a product of the caller's; display is the id as written.
func (s *Service) GetProduct(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Product, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	return getCatalog[paylinks.Product](ctx, s, pr, id, "id", display)
}

// ListProducts returns a page of the caller's products, newest first.
func (s *Service) ListProducts(ctx context.Context, pr paylinks.Principal, pp PageParams) (*NumberedPage[paylinks.Product], error) {
	return listCatalog[paylinks.Product](ctx, s, pr, pp)
}

// UpdateProduct changes a product's name, description, active flag or
// metadata.
func (s *Service) UpdateProduct(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u ProductUpdate) (*paylinks.Product, error) {
	return updateCatalog(ctx, s, pr, id, display, func(p *paylinks.Product) error {
		if u.Name != nil {
			p.Name = *u.Name
		}
		if u.Description != nil {
			p.Description = *u.Description
		}
		if err := checkProduct(p); err != nil {
			return err
		}
		return u.apply(&p.CatalogObject, false)
	})
}

// ---- prices

// PriceParams describe a price to create. Type "" is one_time; TaxBehavior
// "" is unspecified.
type PriceParams struct {
	CatalogCommon
	ProductID     paylinks.ID
	ProductRef    string // the product id as the caller wrote it, for messages
	UnitAmount    int64
	Currency      string
	Type          paylinks.PriceType
	Interval      string
	IntervalCount int
	TaxBehavior   paylinks.TaxBehavior
	Nickname      string
}

// PriceUpdate changes the given fields of a price. Its amount, currency,
// product and schedule never change (make a new price); its tax behaviour
// may be set once while it is unspecified.
type PriceUpdate struct {
	CatalogCommon
	Nickname    *string
	TaxBehavior *paylinks.TaxBehavior
}

// maxIntervals is the longest schedule of a recurring price: one year.
var maxIntervals = map[string]int{"day": 365, "week": 52, "month": 12, "year": 1}

// CreatePrice creates a price of one of the caller's products.
func (s *Service) CreatePrice(ctx context.Context, pr paylinks.Principal, p PriceParams) (*paylinks.Price, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	obj := &paylinks.Price{ProductID: p.ProductID, UnitAmount: p.UnitAmount, Type: p.Type, Interval: p.Interval,
		IntervalCount: p.IntervalCount, TaxBehavior: p.TaxBehavior, Nickname: p.Nickname}
	var err error
	if obj.Currency, err = catalogCurrency("currency", p.Currency); err != nil {
		return nil, err
	}
	if err := catalogAmount("unit_amount", p.UnitAmount, obj.Currency); err != nil {
		return nil, err
	}
	switch obj.Type {
	case "", paylinks.PriceOneTime:
		obj.Type = paylinks.PriceOneTime
		if obj.Interval != "" || obj.IntervalCount != 0 {
			return nil, paylinks.Invalid("parameter_invalid", "recurring", "a one_time price has no interval")
		}
	case paylinks.PriceRecurring:
		max, ok := maxIntervals[obj.Interval]
		if !ok {
			return nil, paylinks.Invalid("parameter_invalid", "recurring.interval", "recurring.interval must be day, week, month or year")
		}
		if obj.IntervalCount == 0 {
			obj.IntervalCount = 1
		}
		if obj.IntervalCount < 1 || obj.IntervalCount > max {
			return nil, paylinks.Invalid("parameter_invalid", "recurring.interval_count",
				"recurring.interval_count must be between 1 and %d for %s (at most one year)", max, obj.Interval)
		}
	default:
		return nil, paylinks.Invalid("parameter_invalid", "type", "type must be one_time or recurring")
	}
	if err := checkTaxBehavior("tax_behavior", &obj.TaxBehavior); err != nil {
		return nil, err
	}
	if err := optionalText(nicknameText, &obj.Nickname); err != nil {
		return nil, err
	}
	if err := p.apply(&obj.CatalogObject, true); err != nil {
		return nil, err
	}
	if _, err := getCatalog[paylinks.Product](ctx, s, pr, p.ProductID, "product", p.ProductRef); err != nil {
		return nil, err
	}
	return obj, createCatalog(ctx, s, pr, obj)
}

// GetPrice returns a price of the caller's.
func (s *Service) GetPrice(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Price, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	return getCatalog[paylinks.Price](ctx, s, pr, id, "id", display)
}

// ListPrices returns a page of the caller's prices, newest first.
func (s *Service) ListPrices(ctx context.Context, pr paylinks.Principal, pp PageParams) (*NumberedPage[paylinks.Price], error) {
	return listCatalog[paylinks.Price](ctx, s, pr, pp)
}

// UpdatePrice changes a price's nickname, active flag, metadata, or its
// tax behaviour while that is unspecified.
func (s *Service) UpdatePrice(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u PriceUpdate) (*paylinks.Price, error) {
	return updateCatalog(ctx, s, pr, id, display, func(p *paylinks.Price) error {
		if u.Nickname != nil {
			p.Nickname = *u.Nickname
			if err := optionalText(nicknameText, &p.Nickname); err != nil {
				return err
			}
		}
		if u.TaxBehavior != nil && *u.TaxBehavior != p.TaxBehavior {
			tb := *u.TaxBehavior
			if err := checkTaxBehavior("tax_behavior", &tb); err != nil {
				return err
			}
			if p.TaxBehavior != paylinks.TaxUnspecified {
				return paylinks.Invalid("parameter_invalid", "tax_behavior", "tax_behavior can be changed only while it is unspecified")
			}
			p.TaxBehavior = tb
		}
		return u.apply(&p.CatalogObject, false)
	})
}

// ---- coupons

// CouponParams describe a coupon to create: PercentOff, or AmountOff with
// Currency. Duration "" is once.
type CouponParams struct {
	CatalogCommon
	Name             string
	PercentOff       paylinks.Percent
	AmountOff        int64
	Currency         string
	Duration         string
	DurationInMonths int
	MaxRedemptions   int
	RedeemBy         *time.Time
}

// CouponUpdate changes the given fields of a coupon; its discount and
// limits never change.
type CouponUpdate struct {
	CatalogCommon
	Name *string
}

// CreateCoupon creates a coupon of the caller's account and mode.
func (s *Service) CreateCoupon(ctx context.Context, pr paylinks.Principal, p CouponParams) (*paylinks.Coupon, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	obj := &paylinks.Coupon{Name: p.Name, PercentOff: p.PercentOff, AmountOff: p.AmountOff, Duration: p.Duration,
		DurationInMonths: p.DurationInMonths, MaxRedemptions: p.MaxRedemptions, RedeemBy: p.RedeemBy}
	switch {
	case p.PercentOff != 0 && (p.AmountOff != 0 || p.Currency != ""):
		return nil, paylinks.Invalid("parameter_invalid", "percent_off", "give percent_off or amount_off with currency, not both")
	case p.PercentOff < 0 || p.PercentOff > paylinks.OneHundredPercent:
		return nil, paylinks.Invalid("parameter_invalid", "percent_off", "percent_off must be more than 0 and at most 100")
	case p.PercentOff == 0 && p.AmountOff == 0:
		return nil, paylinks.Invalid("parameter_missing", "percent_off", "percent_off or amount_off is required")
	case p.AmountOff != 0:
		var err error
		if obj.Currency, err = catalogCurrency("currency", p.Currency); err != nil {
			return nil, err
		}
		if p.AmountOff < 0 {
			return nil, paylinks.Invalid("invalid_amount", "amount_off", "amount_off must be positive")
		}
		if err := catalogAmount("amount_off", p.AmountOff, obj.Currency); err != nil {
			return nil, err
		}
	}
	switch obj.Duration {
	case "":
		obj.Duration = paylinks.DurationOnce
		fallthrough
	case paylinks.DurationOnce, paylinks.DurationForever:
		if obj.DurationInMonths != 0 {
			return nil, paylinks.Invalid("parameter_invalid", "duration_in_months", "duration_in_months is for a repeating coupon only")
		}
	case paylinks.DurationRepeating:
		if obj.DurationInMonths < 1 || obj.DurationInMonths > 120 {
			return nil, paylinks.Invalid("parameter_invalid", "duration_in_months", "a repeating coupon needs duration_in_months between 1 and 120")
		}
	default:
		return nil, paylinks.Invalid("parameter_invalid", "duration", "duration must be once, forever or repeating")
	}
	if err := checkRedemptions("max_redemptions", obj.MaxRedemptions, "redeem_by", obj.RedeemBy, s.Now()); err != nil {
		return nil, err
	}
	if err := optionalText(couponNameText, &obj.Name); err != nil {
		return nil, err
	}
	if err := p.apply(&obj.CatalogObject, true); err != nil {
		return nil, err
	}
	return obj, createCatalog(ctx, s, pr, obj)
}

// GetCoupon returns a coupon of the caller's.
func (s *Service) GetCoupon(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Coupon, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	return getCatalog[paylinks.Coupon](ctx, s, pr, id, "id", display)
}

// ListCoupons returns a page of the caller's coupons, newest first.
func (s *Service) ListCoupons(ctx context.Context, pr paylinks.Principal, pp PageParams) (*NumberedPage[paylinks.Coupon], error) {
	return listCatalog[paylinks.Coupon](ctx, s, pr, pp)
}

// UpdateCoupon changes a coupon's name, active flag or metadata.
func (s *Service) UpdateCoupon(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u CouponUpdate) (*paylinks.Coupon, error) {
	return updateCatalog(ctx, s, pr, id, display, func(c *paylinks.Coupon) error {
		if u.Name != nil {
			c.Name = *u.Name
			if err := optionalText(couponNameText, &c.Name); err != nil {
				return err
			}
		}
		return u.apply(&c.CatalogObject, false)
	})
}

// ---- promotion codes

// PromotionCodeParams describe a promotion code to create. Code "" makes
// one up (8 letters and digits).
type PromotionCodeParams struct {
	CatalogCommon
	Code           string
	CouponID       paylinks.ID
	CouponRef      string // the coupon id as the caller wrote it
	MaxRedemptions int
	ExpiresAt      *time.Time
}

// PromotionCodeUpdate changes a promotion code's active flag or metadata.
type PromotionCodeUpdate struct {
	CatalogCommon
}

// codeAlphabet is the alphabet of made-up codes: no 0/O or 1/I.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func checkPromoCode(code string) error {
	if code == "" || len(code) > MaxPromoCodeLen {
		return paylinks.Invalid("parameter_invalid", "code", "code must be 1 to %d characters", MaxPromoCodeLen)
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return paylinks.Invalid("parameter_invalid", "code", "code may hold only letters A-Z, digits, '-' and '_'")
		}
	}
	return nil
}

// CreatePromotionCode creates a code for one of the caller's coupons. Codes
// are unique per account and mode without regard to case: a taken one is
// a conflict naming code.
func (s *Service) CreatePromotionCode(ctx context.Context, pr paylinks.Principal, p PromotionCodeParams) (*paylinks.PromotionCode, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	obj := &paylinks.PromotionCode{Code: p.Code, CouponID: p.CouponID, MaxRedemptions: p.MaxRedemptions, ExpiresAt: p.ExpiresAt}
	made := obj.Code == ""
	var err error
	if made {
		if obj.Code, err = s.promoCode(); err != nil {
			return nil, err
		}
	} else if err := checkPromoCode(obj.Code); err != nil {
		return nil, err
	}
	if err := checkRedemptions("max_redemptions", obj.MaxRedemptions, "expires_at", obj.ExpiresAt, s.Now()); err != nil {
		return nil, err
	}
	if err := p.apply(&obj.CatalogObject, true); err != nil {
		return nil, err
	}
	if _, err := getCatalog[paylinks.Coupon](ctx, s, pr, p.CouponID, "coupon", p.CouponRef); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err := createCatalog(ctx, s, pr, obj)
		if !errors.Is(err, paylinks.ErrConflict) {
			return obj, err
		}
		if !made || attempt == 4 {
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "promotion_code_taken", Param: "code",
				Message: fmt.Sprintf("the promotion code %q is already taken", obj.Code)}
		}
		if obj.Code, err = s.promoCode(); err != nil {
			return nil, err
		}
	}
}

func (s *Service) promoCode() (string, error) {
	b := make([]byte, 8)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("promotion code: %w", err)
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b), nil
}

// GetPromotionCode returns a promotion code of the caller's.
func (s *Service) GetPromotionCode(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.PromotionCode, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	return getCatalog[paylinks.PromotionCode](ctx, s, pr, id, "id", display)
}

// ListPromotionCodes returns a page of the caller's promotion codes.
func (s *Service) ListPromotionCodes(ctx context.Context, pr paylinks.Principal, pp PageParams) (*NumberedPage[paylinks.PromotionCode], error) {
	return listCatalog[paylinks.PromotionCode](ctx, s, pr, pp)
}

// UpdatePromotionCode changes a promotion code's active flag or metadata.
func (s *Service) UpdatePromotionCode(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u PromotionCodeUpdate) (*paylinks.PromotionCode, error) {
	return updateCatalog(ctx, s, pr, id, display, func(p *paylinks.PromotionCode) error {
		return u.apply(&p.CatalogObject, false)
	})
}

// RedeemPromotionCode redeems a promotion code a payer typed (any case)
// and its coupon, both or neither, and returns them. A code that does not
// exist, is inactive, expired or used up is an invalid "code" error; so is
// one whose coupon can no longer be redeemed. The limits are decided by the
// database, so they hold under any concurrency and across replicas.
func (s *Service) RedeemPromotionCode(ctx context.Context, pr paylinks.Principal, code string) (*paylinks.PromotionCode, *paylinks.Coupon, error) {
	refused := paylinks.Invalid("promotion_code_invalid", "code", "this promotion code is not valid")
	if checkPromoCode(code) != nil {
		return nil, nil, refused
	}
	it, err := s.store.CatalogItemByKey(ctx, pr.AccountID, pr.Livemode, paylinks.CatalogPromotionCode, paylinks.CodeKey(code))
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil, refused
	}
	if err != nil {
		return nil, nil, fmt.Errorf("RedeemPromotionCode: %w", err)
	}
	pc := new(paylinks.PromotionCode)
	if err := paylinks.DecodeCatalogItem(it, pc); err != nil {
		return nil, nil, err
	}
	items, err := s.store.RedeemCatalogItems(ctx, pr.AccountID, pr.Livemode, []paylinks.ID{pc.ID, pc.CouponID}, s.Now())
	if errors.Is(err, paylinks.ErrConflict) || errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil, refused
	}
	if err != nil {
		return nil, nil, fmt.Errorf("RedeemPromotionCode: %w", err)
	}
	c := new(paylinks.Coupon)
	if err := paylinks.DecodeCatalogItem(&items[0], pc); err != nil {
		return nil, nil, err
	}
	if err := paylinks.DecodeCatalogItem(&items[1], c); err != nil {
		return nil, nil, err
	}
	return pc, c, nil
}

// RedeemCoupon redeems a coupon of the caller's once (a link's own
// discount). One that is inactive, past its redeem_by or used up is an
// invalid "discounts" error.
func (s *Service) RedeemCoupon(ctx context.Context, pr paylinks.Principal, id paylinks.ID) (*paylinks.Coupon, error) {
	items, err := s.store.RedeemCatalogItems(ctx, pr.AccountID, pr.Livemode, []paylinks.ID{id}, s.Now())
	if errors.Is(err, paylinks.ErrConflict) || errors.Is(err, paylinks.ErrNotFound) {
		return nil, paylinks.Invalid("coupon_invalid", "discounts", "this coupon can no longer be redeemed")
	}
	if err != nil {
		return nil, fmt.Errorf("RedeemCoupon: %w", err)
	}
	c := new(paylinks.Coupon)
	if err := paylinks.DecodeCatalogItem(&items[0], c); err != nil {
		return nil, err
	}
	return c, nil
}

// ---- tax rates

// TaxRateParams describe a tax rate to create.
type TaxRateParams struct {
	CatalogCommon
	DisplayName string
	Description string
	Percentage  paylinks.Percent
	Inclusive   bool
	Country     string // ISO 3166-1 alpha-2, any case; "" for none
	State       string
}

// TaxRateUpdate changes the given fields of a tax rate; its percentage and
// inclusiveness never change (make a new rate).
type TaxRateUpdate struct {
	CatalogCommon
	DisplayName, Description, Country, State *string
}

func checkTaxRate(t *paylinks.TaxRate) error {
	if err := requiredText(displayNameText, &t.DisplayName); err != nil {
		return err
	}
	if err := optionalText(catalogDescText, &t.Description); err != nil {
		return err
	}
	if t.Country != "" {
		c := strings.ToUpper(t.Country)
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return paylinks.Invalid("parameter_invalid", "country", "country must be a two-letter ISO 3166-1 code")
		}
		t.Country = c
	}
	if err := optionalText(stateText, &t.State); err != nil {
		return err
	}
	if t.State != "" && t.Country == "" {
		return paylinks.Invalid("parameter_invalid", "state", "a state needs a country")
	}
	return nil
}

// CreateTaxRate creates a tax rate of the caller's account and mode.
func (s *Service) CreateTaxRate(ctx context.Context, pr paylinks.Principal, p TaxRateParams) (*paylinks.TaxRate, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	obj := &paylinks.TaxRate{DisplayName: p.DisplayName, Description: p.Description, Percentage: p.Percentage,
		Inclusive: p.Inclusive, Country: p.Country, State: p.State}
	if obj.Percentage < 0 || obj.Percentage > paylinks.OneHundredPercent {
		return nil, paylinks.Invalid("parameter_invalid", "percentage", "percentage must be between 0 and 100")
	}
	if err := checkTaxRate(obj); err != nil {
		return nil, err
	}
	if err := p.apply(&obj.CatalogObject, true); err != nil {
		return nil, err
	}
	return obj, createCatalog(ctx, s, pr, obj)
}

// GetTaxRate returns a tax rate of the caller's.
func (s *Service) GetTaxRate(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.TaxRate, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	return getCatalog[paylinks.TaxRate](ctx, s, pr, id, "id", display)
}

// ListTaxRates returns a page of the caller's tax rates, newest first.
func (s *Service) ListTaxRates(ctx context.Context, pr paylinks.Principal, pp PageParams) (*NumberedPage[paylinks.TaxRate], error) {
	return listCatalog[paylinks.TaxRate](ctx, s, pr, pp)
}

// UpdateTaxRate changes a tax rate's names, place, active flag or metadata.
func (s *Service) UpdateTaxRate(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u TaxRateUpdate) (*paylinks.TaxRate, error) {
	return updateCatalog(ctx, s, pr, id, display, func(t *paylinks.TaxRate) error {
		for _, f := range []struct{ src, dst *string }{{u.DisplayName, &t.DisplayName}, {u.Description, &t.Description},
			{u.Country, &t.Country}, {u.State, &t.State}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		if err := checkTaxRate(t); err != nil {
			return err
		}
		return u.apply(&t.CatalogObject, false)
	})
}

// ---- shipping rates

// ShippingRateParams describe a shipping rate to create.
type ShippingRateParams struct {
	CatalogCommon
	DisplayName      string
	Amount           int64
	Currency         string
	DeliveryEstimate *paylinks.DeliveryEstimate
	TaxBehavior      paylinks.TaxBehavior
}

// ShippingRateUpdate changes the given fields of a shipping rate; its name,
// amount and estimate never change (make a new rate).
type ShippingRateUpdate struct {
	CatalogCommon
	TaxBehavior *paylinks.TaxBehavior
}

var deliveryUnits = map[string]bool{"hour": true, "day": true, "business_day": true, "week": true, "month": true}

func checkDeliveryEstimate(d *paylinks.DeliveryEstimate) error {
	if d == nil {
		return nil
	}
	for _, b := range []struct {
		name  string
		unit  string
		value int
	}{{"minimum", d.MinimumUnit, d.MinimumValue}, {"maximum", d.MaximumUnit, d.MaximumValue}} {
		if b.unit == "" && b.value == 0 {
			continue
		}
		if !deliveryUnits[b.unit] {
			return paylinks.Invalid("parameter_invalid", "delivery_estimate."+b.name+".unit",
				"delivery_estimate.%s.unit must be hour, day, business_day, week or month", b.name)
		}
		if b.value < 1 || b.value > 1000 {
			return paylinks.Invalid("parameter_invalid", "delivery_estimate."+b.name+".value",
				"delivery_estimate.%s.value must be between 1 and 1000", b.name)
		}
	}
	if d.MinimumUnit != "" && d.MinimumUnit == d.MaximumUnit && d.MinimumValue > d.MaximumValue {
		return paylinks.Invalid("parameter_invalid", "delivery_estimate.minimum.value", "the minimum delivery estimate is above the maximum")
	}
	return nil
}

// CreateShippingRate creates a fixed-amount shipping rate.
func (s *Service) CreateShippingRate(ctx context.Context, pr paylinks.Principal, p ShippingRateParams) (*paylinks.ShippingRate, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	obj := &paylinks.ShippingRate{DisplayName: p.DisplayName, Amount: p.Amount, DeliveryEstimate: p.DeliveryEstimate,
		TaxBehavior: p.TaxBehavior}
	if err := requiredText(displayNameText, &obj.DisplayName); err != nil {
		return nil, err
	}
	var err error
	if obj.Currency, err = catalogCurrency("fixed_amount.currency", p.Currency); err != nil {
		return nil, err
	}
	if err := catalogAmount("fixed_amount.amount", obj.Amount, obj.Currency); err != nil {
		return nil, err
	}
	if err := checkDeliveryEstimate(obj.DeliveryEstimate); err != nil {
		return nil, err
	}
	if err := checkTaxBehavior("tax_behavior", &obj.TaxBehavior); err != nil {
		return nil, err
	}
	if err := p.apply(&obj.CatalogObject, true); err != nil {
		return nil, err
	}
	return obj, createCatalog(ctx, s, pr, obj)
}

// GetShippingRate returns a shipping rate of the caller's.
func (s *Service) GetShippingRate(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.ShippingRate, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	return getCatalog[paylinks.ShippingRate](ctx, s, pr, id, "id", display)
}

// ListShippingRates returns a page of the caller's shipping rates.
func (s *Service) ListShippingRates(ctx context.Context, pr paylinks.Principal, pp PageParams) (*NumberedPage[paylinks.ShippingRate], error) {
	return listCatalog[paylinks.ShippingRate](ctx, s, pr, pp)
}

// UpdateShippingRate changes a shipping rate's active flag, metadata, or
// its tax behaviour while that is unspecified.
func (s *Service) UpdateShippingRate(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u ShippingRateUpdate) (*paylinks.ShippingRate, error) {
	return updateCatalog(ctx, s, pr, id, display, func(r *paylinks.ShippingRate) error {
		if u.TaxBehavior != nil && *u.TaxBehavior != r.TaxBehavior {
			tb := *u.TaxBehavior
			if err := checkTaxBehavior("tax_behavior", &tb); err != nil {
				return err
			}
			if r.TaxBehavior != paylinks.TaxUnspecified {
				return paylinks.Invalid("parameter_invalid", "tax_behavior", "tax_behavior can be changed only while it is unspecified")
			}
			r.TaxBehavior = tb
		}
		return u.apply(&r.CatalogObject, false)
	})
}
