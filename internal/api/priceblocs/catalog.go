package priceblocs

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// common are the members every catalog create and update may carry.
type common struct {
	Active   *bool             `json:"active"`
	Metadata map[string]string `json:"metadata"`
}

func (c common) params() service.CatalogCommon {
	return service.CatalogCommon{Active: c.Active, Metadata: c.Metadata}
}

// objectView are the members every rendered catalog object has.
type objectView struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Active   bool              `json:"active"`
	Livemode bool              `json:"livemode"`
	Metadata map[string]string `json:"metadata"`
	Created  int64             `json:"created"`
	Updated  int64             `json:"updated"`
}

func renderObject(prefix, object string, o *paylinks.CatalogObject) objectView {
	return objectView{ID: formatID(prefix, o.ID), Object: object, Active: o.Active, Livemode: o.Livemode,
		Metadata: metadataView(o.Metadata), Created: o.CreatedAt.Unix(), Updated: o.UpdatedAt.Unix()}
}

// get serves a retrieve endpoint.
func get[T, V any](w http.ResponseWriter, q *Request, prefix, what string,
	fetch func(context.Context, paylinks.Principal, paylinks.ID, string) (*T, error), render func(*T) V) error {
	id, raw, err := pathID(q, prefix, what)
	if err != nil {
		return err
	}
	obj, err := fetch(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, render(obj))
	return nil
}

// write decodes a create or update body into B, calls do and renders
// what it returns with status.
func write[B, T, V any](w http.ResponseWriter, q *Request, status int, do func(*B) (*T, error), render func(*T) V) error {
	var b B
	if err := decode(q.Request, &b); err != nil {
		return err
	}
	obj, err := do(&b)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, status, render(obj))
	return nil
}

// update is write for an update of the object the path names.
func update[B, T, V any](w http.ResponseWriter, q *Request, prefix, what string,
	do func(id paylinks.ID, raw string, b *B) (*T, error), render func(*T) V) error {
	id, raw, err := pathID(q, prefix, what)
	if err != nil {
		return err
	}
	return write(w, q, http.StatusOK, func(b *B) (*T, error) { return do(id, raw, b) }, render)
}

// ---- products

type productView struct {
	objectView
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

func renderProduct(p *paylinks.Product) productView {
	return productView{renderObject(prefixProduct, "product", &p.CatalogObject), p.Name, nullable(p.Description)}
}

type productBody struct {
	common
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// CreateProduct serves POST /v1/products.
func (h *Handler) CreateProduct(w http.ResponseWriter, q *Request) error {
	return write(w, q, http.StatusOK, func(b *productBody) (*paylinks.Product, error) {
		if b.Name == nil {
			return nil, missing("name")
		}
		return h.svc.CreateProduct(q.Context(), q.pr, service.ProductParams{CatalogCommon: b.params(), Name: *b.Name, Description: str(b.Description)})
	}, renderProduct)
}

// GetProduct serves GET /v1/products/{id}.
func (h *Handler) GetProduct(w http.ResponseWriter, q *Request) error {
	return get(w, q, prefixProduct, "product", h.svc.GetProduct, renderProduct)
}

// ListProducts serves GET /v1/products.
func (h *Handler) ListProducts(w http.ResponseWriter, q *Request) error {
	return list(h, w, q, "/v1/products", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.Product], error) {
		return h.svc.ListProducts(q.Context(), q.pr, pp)
	}, renderProduct)
}

// UpdateProduct serves POST and PUT /v1/products/{id}.
func (h *Handler) UpdateProduct(w http.ResponseWriter, q *Request) error {
	return update(w, q, prefixProduct, "product", func(id paylinks.ID, raw string, b *productBody) (*paylinks.Product, error) {
		return h.svc.UpdateProduct(q.Context(), q.pr, id, raw, service.ProductUpdate{CatalogCommon: b.params(), Name: b.Name, Description: b.Description})
	}, renderProduct)
}

// ---- prices

type recurringView struct {
	Interval      string `json:"interval"`
	IntervalCount int    `json:"interval_count"`
}

type priceView struct {
	objectView
	Product     string         `json:"product"`
	UnitAmount  int64          `json:"unit_amount"`
	Currency    string         `json:"currency"`
	Type        string         `json:"type"`
	Recurring   *recurringView `json:"recurring"`
	TaxBehavior string         `json:"tax_behavior"`
	Nickname    *string        `json:"nickname"`
}

func renderPrice(p *paylinks.Price) priceView {
	v := priceView{objectView: renderObject(prefixPrice, "price", &p.CatalogObject), Product: formatID(prefixProduct, p.ProductID),
		UnitAmount: p.UnitAmount, Currency: strings.ToLower(p.Currency), Type: string(p.Type),
		TaxBehavior: string(p.TaxBehavior), Nickname: nullable(p.Nickname)}
	if p.Type == paylinks.PriceRecurring {
		v.Recurring = &recurringView{p.Interval, p.IntervalCount}
	}
	return v
}

type priceBody struct {
	common
	Product    *string `json:"product"`
	UnitAmount *number `json:"unit_amount"`
	Currency   *string `json:"currency"`
	Type       *string `json:"type"`
	Recurring  *struct {
		Interval      *string `json:"interval"`
		IntervalCount *int    `json:"interval_count"`
	} `json:"recurring"`
	TaxBehavior *string `json:"tax_behavior"`
	Nickname    *string `json:"nickname"`
}

// CreatePrice serves POST /v1/prices. A recurring member makes a recurring
// price (type may then be left out).
func (h *Handler) CreatePrice(w http.ResponseWriter, q *Request) error {
	return write(w, q, http.StatusOK, func(b *priceBody) (*paylinks.Price, error) {
		p := service.PriceParams{CatalogCommon: b.params(), Currency: str(b.Currency), Type: paylinks.PriceType(str(b.Type)),
			TaxBehavior: paylinks.TaxBehavior(str(b.TaxBehavior)), Nickname: str(b.Nickname)}
		if b.Product == nil {
			return nil, missing("product")
		}
		var err error
		if p.ProductID, err = refID(prefixProduct, "product", "product", *b.Product); err != nil {
			return nil, err
		}
		p.ProductRef = *b.Product
		if b.UnitAmount == nil {
			return nil, missing("unit_amount")
		}
		if p.UnitAmount, err = minorUnits("unit_amount", b.UnitAmount); err != nil {
			return nil, err
		}
		if b.Currency == nil {
			return nil, missing("currency")
		}
		if r := b.Recurring; r != nil {
			if r.Interval == nil {
				return nil, missing("recurring.interval")
			}
			if b.Type == nil {
				p.Type = paylinks.PriceRecurring
			}
			p.Interval = *r.Interval
			if r.IntervalCount != nil {
				p.IntervalCount = *r.IntervalCount
				if p.IntervalCount < 1 {
					return nil, paylinks.Invalid("parameter_invalid", "recurring.interval_count", "recurring.interval_count must be at least 1")
				}
			}
		} else if p.Type == paylinks.PriceRecurring {
			return nil, missing("recurring")
		}
		return h.svc.CreatePrice(q.Context(), q.pr, p)
	}, renderPrice)
}

// GetPrice serves GET /v1/prices/{id}.
func (h *Handler) GetPrice(w http.ResponseWriter, q *Request) error {
	return get(w, q, prefixPrice, "price", h.svc.GetPrice, renderPrice)
}

// ListPrices serves GET /v1/prices.
func (h *Handler) ListPrices(w http.ResponseWriter, q *Request) error {
	return list(h, w, q, "/v1/prices", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.Price], error) {
		return h.svc.ListPrices(q.Context(), q.pr, pp)
	}, renderPrice)
}

type priceUpdateBody struct {
	common
	Nickname    *string `json:"nickname"`
	TaxBehavior *string `json:"tax_behavior"`
}

// UpdatePrice serves POST and PUT /v1/prices/{id}: active, nickname,
// metadata, and tax_behavior while it is unspecified.
func (h *Handler) UpdatePrice(w http.ResponseWriter, q *Request) error {
	return update(w, q, prefixPrice, "price", func(id paylinks.ID, raw string, b *priceUpdateBody) (*paylinks.Price, error) {
		u := service.PriceUpdate{CatalogCommon: b.params(), Nickname: b.Nickname}
		if b.TaxBehavior != nil {
			u.TaxBehavior = (*paylinks.TaxBehavior)(b.TaxBehavior)
		}
		return h.svc.UpdatePrice(q.Context(), q.pr, id, raw, u)
	}, renderPrice)
}

// ---- coupons

type couponView struct {
	objectView
	Name             *string      `json:"name"`
	PercentOff       *json.Number `json:"percent_off"`
	AmountOff        *int64       `json:"amount_off"`
	Currency         *string      `json:"currency"`
	Duration         string       `json:"duration"`
	DurationInMonths *int         `json:"duration_in_months"`
	MaxRedemptions   *int         `json:"max_redemptions"`
	TimesRedeemed    int          `json:"times_redeemed"`
	RedeemBy         *int64       `json:"redeem_by"`
}

func positive[N int | int64](n N) *N {
	if n <= 0 {
		return nil
	}
	return &n
}

func renderCoupon(c *paylinks.Coupon) couponView {
	v := couponView{objectView: renderObject(prefixCoupon, "coupon", &c.CatalogObject), Name: nullable(c.Name),
		AmountOff: positive(c.AmountOff), Currency: nullable(strings.ToLower(c.Currency)), Duration: c.Duration,
		DurationInMonths: positive(c.DurationInMonths), MaxRedemptions: positive(c.MaxRedemptions),
		TimesRedeemed: c.TimesRedeemed, RedeemBy: unixPtr(c.RedeemBy)}
	if c.PercentOff > 0 {
		n := json.Number(c.PercentOff.String())
		v.PercentOff = &n
	}
	return v
}

type couponBody struct {
	common
	Name             *string `json:"name"`
	PercentOff       *number `json:"percent_off"`
	AmountOff        *number `json:"amount_off"`
	Currency         *string `json:"currency"`
	Duration         *string `json:"duration"`
	DurationInMonths *int    `json:"duration_in_months"`
	MaxRedemptions   *int    `json:"max_redemptions"`
	RedeemBy         *int64  `json:"redeem_by"`
}

// CreateCoupon serves POST /v1/coupons.
func (h *Handler) CreateCoupon(w http.ResponseWriter, q *Request) error {
	return write(w, q, http.StatusOK, func(b *couponBody) (*paylinks.Coupon, error) {
		p := service.CouponParams{CatalogCommon: b.params(), Name: str(b.Name), Currency: str(b.Currency), Duration: str(b.Duration),
			RedeemBy: unixTime(b.RedeemBy)}
		// The service reads 0 in these four as "not given", so an explicit
		// 0 must be told apart here, where presence is still known. Each is
		// refused, as Stripe (whose coupons PriceBlocs fronts) refuses it:
		//   - percent_off 0 takes nothing off: Stripe requires more than 0
		//     (and at most 100);
		//   - amount_off 0 likewise: Stripe requires a positive integer;
		//   - duration_in_months 0 is a repeating coupon that never
		//     applies: Stripe requires a positive integer;
		//   - max_redemptions 0 would be a coupon that can never be
		//     redeemed: Stripe requires a positive integer, and no limit is
		//     said by leaving the member out.
		var err error
		if b.PercentOff != nil {
			if p.PercentOff, err = percent("percent_off", b.PercentOff); err != nil {
				return nil, err
			}
			if p.PercentOff == 0 {
				return nil, paylinks.Invalid("parameter_invalid", "percent_off", "percent_off must be more than 0 and at most 100")
			}
		}
		if b.AmountOff != nil {
			if p.AmountOff, err = minorUnits("amount_off", b.AmountOff); err != nil {
				return nil, err
			}
			if p.AmountOff == 0 {
				return nil, paylinks.Invalid("invalid_amount", "amount_off", "amount_off must be a positive whole number of the currency's smallest unit")
			}
		}
		if b.DurationInMonths != nil {
			if p.DurationInMonths = *b.DurationInMonths; p.DurationInMonths < 1 {
				return nil, paylinks.Invalid("parameter_invalid", "duration_in_months", "duration_in_months must be a whole number from 1 (for a repeating coupon)")
			}
		}
		if b.MaxRedemptions != nil {
			if p.MaxRedemptions = *b.MaxRedemptions; p.MaxRedemptions < 1 {
				return nil, paylinks.Invalid("parameter_invalid", "max_redemptions", "max_redemptions must be at least 1 (leave it out for no limit)")
			}
		}
		return h.svc.CreateCoupon(q.Context(), q.pr, p)
	}, renderCoupon)
}

// GetCoupon serves GET /v1/coupons/{id}.
func (h *Handler) GetCoupon(w http.ResponseWriter, q *Request) error {
	return get(w, q, prefixCoupon, "coupon", h.svc.GetCoupon, renderCoupon)
}

// ListCoupons serves GET /v1/coupons.
func (h *Handler) ListCoupons(w http.ResponseWriter, q *Request) error {
	return list(h, w, q, "/v1/coupons", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.Coupon], error) {
		return h.svc.ListCoupons(q.Context(), q.pr, pp)
	}, renderCoupon)
}

type couponUpdateBody struct {
	common
	Name *string `json:"name"`
}

// UpdateCoupon serves POST and PUT /v1/coupons/{id}: name, active and
// metadata.
func (h *Handler) UpdateCoupon(w http.ResponseWriter, q *Request) error {
	return update(w, q, prefixCoupon, "coupon", func(id paylinks.ID, raw string, b *couponUpdateBody) (*paylinks.Coupon, error) {
		return h.svc.UpdateCoupon(q.Context(), q.pr, id, raw, service.CouponUpdate{CatalogCommon: b.params(), Name: b.Name})
	}, renderCoupon)
}

// ---- promotion codes

type promotionCodeView struct {
	objectView
	Code           string `json:"code"`
	Coupon         string `json:"coupon"`
	MaxRedemptions *int   `json:"max_redemptions"`
	TimesRedeemed  int    `json:"times_redeemed"`
	ExpiresAt      *int64 `json:"expires_at"`
}

func renderPromotionCode(p *paylinks.PromotionCode) promotionCodeView {
	return promotionCodeView{renderObject(prefixPromotionCode, "promotion_code", &p.CatalogObject), p.Code,
		formatID(prefixCoupon, p.CouponID), positive(p.MaxRedemptions), p.TimesRedeemed, unixPtr(p.ExpiresAt)}
}

type promotionCodeBody struct {
	common
	Code           *string `json:"code"`
	Coupon         *string `json:"coupon"`
	MaxRedemptions *int    `json:"max_redemptions"`
	ExpiresAt      *int64  `json:"expires_at"`
}

// CreatePromotionCode serves POST /v1/promotion-codes. Without code, one
// is made up.
func (h *Handler) CreatePromotionCode(w http.ResponseWriter, q *Request) error {
	return write(w, q, http.StatusOK, func(b *promotionCodeBody) (*paylinks.PromotionCode, error) {
		if b.Coupon == nil {
			return nil, missing("coupon")
		}
		id, err := refID(prefixCoupon, "coupon", "coupon", *b.Coupon)
		if err != nil {
			return nil, err
		}
		p := service.PromotionCodeParams{CatalogCommon: b.params(), CouponID: id, CouponRef: *b.Coupon, ExpiresAt: unixTime(b.ExpiresAt)}
		if b.Code != nil {
			if *b.Code == "" {
				return nil, paylinks.Invalid("parameter_invalid", "code", "code must not be empty (leave it out to have one made up)")
			}
			p.Code = *b.Code
		}
		// As for a coupon (CreateCoupon): an explicit 0 would be a code
		// that can never be redeemed; Stripe requires a positive integer.
		if b.MaxRedemptions != nil {
			if p.MaxRedemptions = *b.MaxRedemptions; p.MaxRedemptions < 1 {
				return nil, paylinks.Invalid("parameter_invalid", "max_redemptions", "max_redemptions must be at least 1 (leave it out for no limit)")
			}
		}
		return h.svc.CreatePromotionCode(q.Context(), q.pr, p)
	}, renderPromotionCode)
}

// GetPromotionCode serves GET /v1/promotion-codes/{id}.
func (h *Handler) GetPromotionCode(w http.ResponseWriter, q *Request) error {
	return get(w, q, prefixPromotionCode, "promotion code", h.svc.GetPromotionCode, renderPromotionCode)
}

// ListPromotionCodes serves GET /v1/promotion-codes.
func (h *Handler) ListPromotionCodes(w http.ResponseWriter, q *Request) error {
	return list(h, w, q, "/v1/promotion-codes", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.PromotionCode], error) {
		return h.svc.ListPromotionCodes(q.Context(), q.pr, pp)
	}, renderPromotionCode)
}

// UpdatePromotionCode serves POST and PUT /v1/promotion-codes/{id}: active
// and metadata.
func (h *Handler) UpdatePromotionCode(w http.ResponseWriter, q *Request) error {
	return update(w, q, prefixPromotionCode, "promotion code", func(id paylinks.ID, raw string, b *common) (*paylinks.PromotionCode, error) {
		return h.svc.UpdatePromotionCode(q.Context(), q.pr, id, raw, service.PromotionCodeUpdate{CatalogCommon: b.params()})
	}, renderPromotionCode)
}

// ---- tax rates

type taxRateView struct {
	objectView
	DisplayName string      `json:"display_name"`
	Description *string     `json:"description"`
	Percentage  json.Number `json:"percentage"`
	Inclusive   bool        `json:"inclusive"`
	Country     *string     `json:"country"`
	State       *string     `json:"state"`
}

func renderTaxRate(t *paylinks.TaxRate) taxRateView {
	return taxRateView{renderObject(prefixTaxRate, "tax_rate", &t.CatalogObject), t.DisplayName, nullable(t.Description),
		json.Number(t.Percentage.String()), t.Inclusive, nullable(t.Country), nullable(t.State)}
}

type taxRateBody struct {
	common
	DisplayName *string `json:"display_name"`
	Description *string `json:"description"`
	Percentage  *number `json:"percentage"`
	Inclusive   *bool   `json:"inclusive"`
	Country     *string `json:"country"`
	State       *string `json:"state"`
}

// CreateTaxRate serves POST /v1/tax-rates.
func (h *Handler) CreateTaxRate(w http.ResponseWriter, q *Request) error {
	return write(w, q, http.StatusOK, func(b *taxRateBody) (*paylinks.TaxRate, error) {
		switch {
		case b.DisplayName == nil:
			return nil, missing("display_name")
		case b.Percentage == nil:
			return nil, missing("percentage")
		case b.Inclusive == nil:
			return nil, missing("inclusive")
		}
		pct, err := percent("percentage", b.Percentage)
		if err != nil {
			return nil, err
		}
		return h.svc.CreateTaxRate(q.Context(), q.pr, service.TaxRateParams{CatalogCommon: b.params(), DisplayName: *b.DisplayName,
			Description: str(b.Description), Percentage: pct, Inclusive: *b.Inclusive, Country: str(b.Country), State: str(b.State)})
	}, renderTaxRate)
}

// GetTaxRate serves GET /v1/tax-rates/{id}.
func (h *Handler) GetTaxRate(w http.ResponseWriter, q *Request) error {
	return get(w, q, prefixTaxRate, "tax rate", h.svc.GetTaxRate, renderTaxRate)
}

// ListTaxRates serves GET /v1/tax-rates.
func (h *Handler) ListTaxRates(w http.ResponseWriter, q *Request) error {
	return list(h, w, q, "/v1/tax-rates", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.TaxRate], error) {
		return h.svc.ListTaxRates(q.Context(), q.pr, pp)
	}, renderTaxRate)
}

type taxRateUpdateBody struct {
	common
	DisplayName *string `json:"display_name"`
	Description *string `json:"description"`
	Country     *string `json:"country"`
	State       *string `json:"state"`
}

// UpdateTaxRate serves POST and PUT /v1/tax-rates/{id}: the names, place,
// active and metadata (never the percentage or inclusiveness).
func (h *Handler) UpdateTaxRate(w http.ResponseWriter, q *Request) error {
	return update(w, q, prefixTaxRate, "tax rate", func(id paylinks.ID, raw string, b *taxRateUpdateBody) (*paylinks.TaxRate, error) {
		return h.svc.UpdateTaxRate(q.Context(), q.pr, id, raw, service.TaxRateUpdate{CatalogCommon: b.params(),
			DisplayName: b.DisplayName, Description: b.Description, Country: b.Country, State: b.State})
	}, renderTaxRate)
}

// ---- shipping rates

type estimateBound struct {
	Unit  string `json:"unit"`
	Value int    `json:"value"`
}

type deliveryEstimateView struct {
	Minimum *estimateBound `json:"minimum"`
	Maximum *estimateBound `json:"maximum"`
}

type fixedAmount struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type shippingRateView struct {
	objectView
	DisplayName      string                `json:"display_name"`
	Type             string                `json:"type"`
	FixedAmount      fixedAmount           `json:"fixed_amount"`
	DeliveryEstimate *deliveryEstimateView `json:"delivery_estimate"`
	TaxBehavior      string                `json:"tax_behavior"`
}

func renderShippingRate(r *paylinks.ShippingRate) shippingRateView {
	v := shippingRateView{objectView: renderObject(prefixShippingRate, "shipping_rate", &r.CatalogObject), DisplayName: r.DisplayName,
		Type: "fixed_amount", FixedAmount: fixedAmount{r.Amount, strings.ToLower(r.Currency)}, TaxBehavior: string(r.TaxBehavior)}
	if d := r.DeliveryEstimate; d != nil {
		v.DeliveryEstimate = &deliveryEstimateView{}
		if d.MinimumUnit != "" {
			v.DeliveryEstimate.Minimum = &estimateBound{d.MinimumUnit, d.MinimumValue}
		}
		if d.MaximumUnit != "" {
			v.DeliveryEstimate.Maximum = &estimateBound{d.MaximumUnit, d.MaximumValue}
		}
	}
	return v
}

type estimateBoundBody struct {
	Unit  *string `json:"unit"`
	Value *int    `json:"value"`
}

type shippingRateBody struct {
	common
	DisplayName *string `json:"display_name"`
	Type        *string `json:"type"`
	FixedAmount *struct {
		Amount   *number `json:"amount"`
		Currency *string `json:"currency"`
	} `json:"fixed_amount"`
	DeliveryEstimate *struct {
		Minimum *estimateBoundBody `json:"minimum"`
		Maximum *estimateBoundBody `json:"maximum"`
	} `json:"delivery_estimate"`
	TaxBehavior *string `json:"tax_behavior"`
}

// CreateShippingRate serves POST /v1/shipping-rates (fixed amounts only).
func (h *Handler) CreateShippingRate(w http.ResponseWriter, q *Request) error {
	return write(w, q, http.StatusOK, func(b *shippingRateBody) (*paylinks.ShippingRate, error) {
		if b.DisplayName == nil {
			return nil, missing("display_name")
		}
		if b.Type != nil && *b.Type != "fixed_amount" {
			return nil, paylinks.Invalid("parameter_invalid", "type", "type must be fixed_amount")
		}
		if b.FixedAmount == nil {
			return nil, missing("fixed_amount")
		}
		if b.FixedAmount.Amount == nil {
			return nil, missing("fixed_amount.amount")
		}
		if b.FixedAmount.Currency == nil {
			return nil, missing("fixed_amount.currency")
		}
		amount, err := minorUnits("fixed_amount.amount", b.FixedAmount.Amount)
		if err != nil {
			return nil, err
		}
		p := service.ShippingRateParams{CatalogCommon: b.params(), DisplayName: *b.DisplayName, Amount: amount,
			Currency: *b.FixedAmount.Currency, TaxBehavior: paylinks.TaxBehavior(str(b.TaxBehavior))}
		if d := b.DeliveryEstimate; d != nil {
			p.DeliveryEstimate = &paylinks.DeliveryEstimate{}
			for _, bound := range []struct {
				name  string
				b     *estimateBoundBody
				unit  *string
				value *int
			}{{"minimum", d.Minimum, &p.DeliveryEstimate.MinimumUnit, &p.DeliveryEstimate.MinimumValue},
				{"maximum", d.Maximum, &p.DeliveryEstimate.MaximumUnit, &p.DeliveryEstimate.MaximumValue}} {
				if bound.b == nil {
					continue
				}
				if bound.b.Unit == nil {
					return nil, missing("delivery_estimate." + bound.name + ".unit")
				}
				if bound.b.Value == nil {
					return nil, missing("delivery_estimate." + bound.name + ".value")
				}
				*bound.unit, *bound.value = *bound.b.Unit, *bound.b.Value
			}
		}
		return h.svc.CreateShippingRate(q.Context(), q.pr, p)
	}, renderShippingRate)
}

// GetShippingRate serves GET /v1/shipping-rates/{id}.
func (h *Handler) GetShippingRate(w http.ResponseWriter, q *Request) error {
	return get(w, q, prefixShippingRate, "shipping rate", h.svc.GetShippingRate, renderShippingRate)
}

// ListShippingRates serves GET /v1/shipping-rates.
func (h *Handler) ListShippingRates(w http.ResponseWriter, q *Request) error {
	return list(h, w, q, "/v1/shipping-rates", func(q *Request, pp service.PageParams) (*service.NumberedPage[paylinks.ShippingRate], error) {
		return h.svc.ListShippingRates(q.Context(), q.pr, pp)
	}, renderShippingRate)
}

type shippingRateUpdateBody struct {
	common
	TaxBehavior *string `json:"tax_behavior"`
}

// UpdateShippingRate serves POST and PUT /v1/shipping-rates/{id}: active,
// metadata, and tax_behavior while it is unspecified.
func (h *Handler) UpdateShippingRate(w http.ResponseWriter, q *Request) error {
	return update(w, q, prefixShippingRate, "shipping rate", func(id paylinks.ID, raw string, b *shippingRateUpdateBody) (*paylinks.ShippingRate, error) {
		u := service.ShippingRateUpdate{CatalogCommon: b.params()}
		if b.TaxBehavior != nil {
			u.TaxBehavior = (*paylinks.TaxBehavior)(b.TaxBehavior)
		}
		return h.svc.UpdateShippingRate(q.Context(), q.pr, id, raw, u)
	}, renderShippingRate)
}
