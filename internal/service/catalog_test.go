package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// wantInvalid checks that err is a KindInvalid error with code and param.
func wantInvalid(t *testing.T, what string, err error, code, param string) {
	t.Helper()
	e := paylinks.AsError(err)
	if e == nil || e.Kind != paylinks.KindInvalid || e.Code != code || e.Param != param {
		t.Errorf("%s: got %v, want invalid %s naming %q", what, err, code, param)
	}
}

func TestCatalogCreateAndRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		prod, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "  Latte ", Description: "hot",
			CatalogCommon: service.CatalogCommon{Metadata: map[string]string{"sku": "L-1"}}})
		if err != nil {
			t.Fatal(err)
		}
		if prod.Name != "Latte" || !prod.Active || prod.Metadata["sku"] != "L-1" {
			t.Errorf("product: %+v", prod)
		}
		got, err := e.svc.GetProduct(ctx, e.secret, prod.ID, "x")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != prod.Name || got.Description != "hot" || !got.CreatedAt.Equal(prod.CreatedAt) || got.Metadata["sku"] != "L-1" {
			t.Errorf("GetProduct: got %+v, want %+v", got, prod)
		}
		price, err := e.svc.CreatePrice(ctx, e.secret, service.PriceParams{ProductID: prod.ID, UnitAmount: 1000, Currency: "jpy",
			Type: paylinks.PriceRecurring, Interval: "month", IntervalCount: 3, TaxBehavior: paylinks.TaxExclusive})
		if err != nil {
			t.Fatal(err)
		}
		gp, err := e.svc.GetPrice(ctx, e.secret, price.ID, "x")
		if err != nil {
			t.Fatal(err)
		}
		if gp.Currency != "JPY" || gp.UnitAmount != 1000 || gp.ProductID != prod.ID || gp.Interval != "month" || gp.IntervalCount != 3 || gp.TaxBehavior != paylinks.TaxExclusive {
			t.Errorf("price: %+v", gp)
		}
		rate, err := e.svc.CreateTaxRate(ctx, e.secret, service.TaxRateParams{DisplayName: "VAT", Percentage: 70000, Country: "th"})
		if err != nil {
			t.Fatal(err)
		}
		if gr, err := e.svc.GetTaxRate(ctx, e.secret, rate.ID, "x"); err != nil || gr.Percentage.String() != "7" || gr.Country != "TH" || gr.Inclusive {
			t.Errorf("tax rate: %+v, %v", gr, err)
		}
		ship, err := e.svc.CreateShippingRate(ctx, e.secret, service.ShippingRateParams{DisplayName: "Courier", Amount: 5000, Currency: "THB",
			DeliveryEstimate: &paylinks.DeliveryEstimate{MinimumUnit: "business_day", MinimumValue: 1, MaximumUnit: "business_day", MaximumValue: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if gs, err := e.svc.GetShippingRate(ctx, e.secret, ship.ID, "x"); err != nil || gs.Amount != 5000 || gs.DeliveryEstimate.MaximumValue != 3 || gs.TaxBehavior != paylinks.TaxUnspecified {
			t.Errorf("shipping rate: %+v, %v", gs, err)
		}
		coupon, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: 125000, Duration: "repeating", DurationInMonths: 3, MaxRedemptions: 10})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := e.svc.CreatePromotionCode(ctx, e.secret, service.PromotionCodeParams{Code: "Summer-25", CouponID: coupon.ID})
		if err != nil {
			t.Fatal(err)
		}
		if gc, err := e.svc.GetPromotionCode(ctx, e.secret, pc.ID, "x"); err != nil || gc.Code != "Summer-25" || gc.CouponID != coupon.ID {
			t.Errorf("promotion code: %+v, %v", gc, err)
		}
		// Codes are unique without regard to case.
		_, err = e.svc.CreatePromotionCode(ctx, e.secret, service.PromotionCodeParams{Code: "SUMMER-25", CouponID: coupon.ID})
		if pe := paylinks.AsError(err); pe == nil || pe.Kind != paylinks.KindConflict || pe.Param != "code" {
			t.Errorf("a taken code: got %v, want a conflict naming code", err)
		}
		made, err := e.svc.CreatePromotionCode(ctx, e.secret, service.PromotionCodeParams{CouponID: coupon.ID})
		if err != nil || len(made.Code) != 8 {
			t.Errorf("a made-up code: %+v, %v", made, err)
		}

		// The other mode and a key without the scope see nothing.
		if _, err := e.svc.GetProduct(ctx, e.liveSecr, prod.ID, "x"); paylinks.KindOf(err) != paylinks.KindNotFound {
			t.Errorf("live key reads a test product: %v", err)
		}
		ro := paylinks.Principal{AccountID: e.secret.AccountID, Kind: paylinks.KeyRestricted, Scopes: []paylinks.Scope{paylinks.ScopeLinksRead}}
		if _, err := e.svc.GetProduct(ctx, ro, prod.ID, "x"); err != nil {
			t.Errorf("links:read key: %v", err)
		}
		if _, err := e.svc.CreateProduct(ctx, ro, service.ProductParams{Name: "x"}); paylinks.KindOf(err) != paylinks.KindForbidden {
			t.Errorf("links:read key creates a product: %v", err)
		}
		if _, err := e.svc.GetProduct(ctx, e.public, prod.ID, "x"); paylinks.KindOf(err) != paylinks.KindForbidden {
			t.Errorf("public key reads a product: %v", err)
		}
	})
}

func TestCatalogValidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		prod, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "Latte"})
		if err != nil {
			t.Fatal(err)
		}
		coupon, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{AmountOff: 100, Currency: "USD"})
		if err != nil {
			t.Fatal(err)
		}
		past := time.Now().Add(-time.Hour)
		missing := paylinks.ID{1}
		price := func(p service.PriceParams) error {
			if p.ProductID == (paylinks.ID{}) {
				p.ProductID = prod.ID
			}
			if p.Currency == "" {
				p.Currency = "USD"
			}
			_, err := e.svc.CreatePrice(ctx, e.secret, p)
			return err
		}
		for _, tt := range []struct {
			name        string
			err         error
			code, param string
		}{
			{"product without name", func() error {
				_, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "  "})
				return err
			}(), "bad_request", "name"},
			{"product name with NUL", func() error {
				_, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "a\x00b"})
				return err
			}(), "bad_request", "name"},
			{"product bad metadata", func() error {
				_, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "a", CatalogCommon: service.CatalogCommon{Metadata: map[string]string{"": "v"}}})
				return err
			}(), "bad_request", "metadata"},
			{"price of a missing product", price(service.PriceParams{ProductID: missing, ProductRef: "prod_x"}), "resource_missing", "product"},
			{"price negative", price(service.PriceParams{UnitAmount: -1}), "invalid_amount", "unit_amount"},
			{"price too large", price(service.PriceParams{UnitAmount: 1 << 60}), "invalid_amount", "unit_amount"},
			{"price bad currency", price(service.PriceParams{Currency: "XYZ"}), "invalid_currency", "currency"},
			{"price bad type", price(service.PriceParams{Type: "weekly"}), "parameter_invalid", "type"},
			{"one_time with interval", price(service.PriceParams{Interval: "month"}), "parameter_invalid", "recurring"},
			{"recurring bad interval", price(service.PriceParams{Type: paylinks.PriceRecurring, Interval: "fortnight"}), "parameter_invalid", "recurring.interval"},
			{"recurring over a year", price(service.PriceParams{Type: paylinks.PriceRecurring, Interval: "month", IntervalCount: 13}), "parameter_invalid", "recurring.interval_count"},
			{"price bad tax behaviour", price(service.PriceParams{TaxBehavior: "sometimes"}), "parameter_invalid", "tax_behavior"},
			{"coupon with neither", func() error { _, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{}); return err }(), "parameter_missing", "percent_off"},
			{"coupon with both", func() error {
				_, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: 10, AmountOff: 5, Currency: "USD"})
				return err
			}(), "parameter_invalid", "percent_off"},
			{"coupon over 100 %", func() error {
				_, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: paylinks.OneHundredPercent + 1})
				return err
			}(), "parameter_invalid", "percent_off"},
			{"amount_off without currency", func() error {
				_, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{AmountOff: 5})
				return err
			}(), "invalid_currency", "currency"},
			{"repeating without months", func() error {
				_, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: 10, Duration: "repeating"})
				return err
			}(), "parameter_invalid", "duration_in_months"},
			{"coupon bad duration", func() error {
				_, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: 10, Duration: "always"})
				return err
			}(), "parameter_invalid", "duration"},
			{"coupon redeem_by past", func() error {
				_, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: 10, RedeemBy: &past})
				return err
			}(), "parameter_invalid", "redeem_by"},
			{"coupon negative limit", func() error {
				_, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: 10, MaxRedemptions: -1})
				return err
			}(), "parameter_invalid", "max_redemptions"},
			{"code with a space", func() error {
				_, err := e.svc.CreatePromotionCode(ctx, e.secret, service.PromotionCodeParams{Code: "a b", CouponID: coupon.ID})
				return err
			}(), "parameter_invalid", "code"},
			{"code of a missing coupon", func() error {
				_, err := e.svc.CreatePromotionCode(ctx, e.secret, service.PromotionCodeParams{Code: "AB", CouponID: missing, CouponRef: "x"})
				return err
			}(), "resource_missing", "coupon"},
			{"code expired", func() error {
				_, err := e.svc.CreatePromotionCode(ctx, e.secret, service.PromotionCodeParams{Code: "AB", CouponID: coupon.ID, ExpiresAt: &past})
				return err
			}(), "parameter_invalid", "expires_at"},
			{"tax rate without name", func() error {
				_, err := e.svc.CreateTaxRate(ctx, e.secret, service.TaxRateParams{Percentage: 10})
				return err
			}(), "bad_request", "display_name"},
			{"tax rate over 100 %", func() error {
				_, err := e.svc.CreateTaxRate(ctx, e.secret, service.TaxRateParams{DisplayName: "x", Percentage: paylinks.OneHundredPercent + 1})
				return err
			}(), "parameter_invalid", "percentage"},
			{"tax rate bad country", func() error {
				_, err := e.svc.CreateTaxRate(ctx, e.secret, service.TaxRateParams{DisplayName: "x", Country: "THA"})
				return err
			}(), "parameter_invalid", "country"},
			{"tax rate state without country", func() error {
				_, err := e.svc.CreateTaxRate(ctx, e.secret, service.TaxRateParams{DisplayName: "x", State: "CA"})
				return err
			}(), "parameter_invalid", "state"},
			{"shipping without currency", func() error {
				_, err := e.svc.CreateShippingRate(ctx, e.secret, service.ShippingRateParams{DisplayName: "x", Amount: 5})
				return err
			}(), "invalid_currency", "fixed_amount.currency"},
			{"shipping bad unit", func() error {
				_, err := e.svc.CreateShippingRate(ctx, e.secret, service.ShippingRateParams{DisplayName: "x", Currency: "USD",
					DeliveryEstimate: &paylinks.DeliveryEstimate{MinimumUnit: "year", MinimumValue: 1}})
				return err
			}(), "parameter_invalid", "delivery_estimate.minimum.unit"},
			{"shipping min above max", func() error {
				_, err := e.svc.CreateShippingRate(ctx, e.secret, service.ShippingRateParams{DisplayName: "x", Currency: "USD",
					DeliveryEstimate: &paylinks.DeliveryEstimate{MinimumUnit: "day", MinimumValue: 5, MaximumUnit: "day", MaximumValue: 2}})
				return err
			}(), "parameter_invalid", "delivery_estimate.minimum.value"},
			{"page size", func() error {
				_, err := e.svc.ListProducts(ctx, e.secret, service.PageParams{Size: 101})
				return err
			}(), "parameter_invalid", "page_size"},
			{"page", func() error { _, err := e.svc.ListProducts(ctx, e.secret, service.PageParams{Page: -1}); return err }(), "parameter_invalid", "page"},
		} {
			wantInvalid(t, tt.name, tt.err, tt.code, tt.param)
		}
		// Nothing refused was written.
		if p, err := e.svc.ListProducts(ctx, e.secret, service.PageParams{}); err != nil || p.Total != 1 {
			t.Errorf("products after refusals: %+v, %v", p, err)
		}
		if p, err := e.svc.ListPrices(ctx, e.secret, service.PageParams{}); err != nil || p.Total != 0 {
			t.Errorf("prices after refusals: %+v, %v", p, err)
		}
	})
}

func TestCatalogPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		var names []string // newest first
		for i := range 45 {
			active := i%9 != 0
			p, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: fmt.Sprint("product ", i),
				CatalogCommon: service.CatalogCommon{Active: &active}})
			if err != nil {
				t.Fatal(err)
			}
			names = append([]string{p.Name}, names...)
		}
		for _, tt := range []struct {
			pp              service.PageParams
			first           string
			n, total, pages int
			hasMore         bool
		}{
			{service.PageParams{}, names[0], 20, 45, 3, true},
			{service.PageParams{Page: 3}, names[40], 5, 45, 3, false},
			{service.PageParams{Page: 4}, "", 0, 45, 3, false},
			{service.PageParams{Page: 2, Size: 7}, names[7], 7, 45, 7, true},
			{service.PageParams{Active: &[]bool{false}[0]}, "product 36", 5, 5, 1, false},
		} {
			p, err := e.svc.ListProducts(ctx, e.secret, tt.pp)
			if err != nil {
				t.Fatal(err)
			}
			first := ""
			if len(p.Items) > 0 {
				first = p.Items[0].Name
			}
			if first != tt.first || len(p.Items) != tt.n || p.Total != tt.total || p.Pages() != tt.pages || p.HasMore() != tt.hasMore {
				t.Errorf("%+v: first %q, %d items, total %d, %d pages, more %v; want %q, %d, %d, %d, %v", tt.pp, first, len(p.Items),
					p.Total, p.Pages(), p.HasMore(), tt.first, tt.n, tt.total, tt.pages, tt.hasMore)
			}
		}
		if p, err := e.svc.ListProducts(ctx, e.liveSecr, service.PageParams{}); err != nil || p.Total != 0 || p.Pages() != 1 {
			t.Errorf("live products: %+v, %v", p, err)
		}
	})
}

func TestCatalogUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		prod, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "Latte", Description: "hot"})
		if err != nil {
			t.Fatal(err)
		}
		name, off := "Iced latte", false
		up, err := e.svc.UpdateProduct(ctx, e.secret, prod.ID, "x", service.ProductUpdate{Name: &name, CatalogCommon: service.CatalogCommon{Active: &off}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.svc.GetProduct(ctx, e.secret, prod.ID, "x")
		if got.Name != name || got.Description != "hot" || got.Active || !got.UpdatedAt.After(prod.UpdatedAt) || !got.UpdatedAt.Equal(up.UpdatedAt) {
			t.Errorf("updated product: %+v", got)
		}
		empty := ""
		_, err = e.svc.UpdateProduct(ctx, e.secret, prod.ID, "x", service.ProductUpdate{Name: &empty})
		wantInvalid(t, "empty name", err, "bad_request", "name")
		if _, err := e.svc.UpdateProduct(ctx, e.secret, paylinks.ID{9}, "prod_nope", service.ProductUpdate{Name: &name}); paylinks.KindOf(err) != paylinks.KindNotFound {
			t.Errorf("update of a missing product: %v", err)
		}

		price, err := e.svc.CreatePrice(ctx, e.secret, service.PriceParams{ProductID: prod.ID, UnitAmount: 100, Currency: "USD"})
		if err != nil {
			t.Fatal(err)
		}
		incl, excl := paylinks.TaxInclusive, paylinks.TaxExclusive
		if p, err := e.svc.UpdatePrice(ctx, e.secret, price.ID, "x", service.PriceUpdate{TaxBehavior: &incl}); err != nil || p.TaxBehavior != incl {
			t.Fatalf("set tax behaviour: %+v, %v", p, err)
		}
		_, err = e.svc.UpdatePrice(ctx, e.secret, price.ID, "x", service.PriceUpdate{TaxBehavior: &excl})
		wantInvalid(t, "second tax behaviour", err, "parameter_invalid", "tax_behavior")
	})
}

// TestRedeemPromotionCodeConcurrent: 30 payers type the code of a coupon
// that may be redeemed 5 times: exactly 5 succeed, and the code and the
// coupon both count 5 (all or none).
func TestRedeemPromotionCodeConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		coupon, err := e.svc.CreateCoupon(ctx, e.secret, service.CouponParams{PercentOff: 100000, MaxRedemptions: 5})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := e.svc.CreatePromotionCode(ctx, e.secret, service.PromotionCodeParams{Code: "TEN", CouponID: coupon.ID, MaxRedemptions: 20})
		if err != nil {
			t.Fatal(err)
		}
		const payers = 30
		errs := make([]error, payers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range payers {
			wg.Go(func() {
				<-start
				_, _, errs[i] = e.svc.RedeemPromotionCode(ctx, e.secret, "ten")
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				wantInvalid(t, "refused redemption", err, "promotion_code_invalid", "code")
			}
		}
		if won != 5 {
			t.Errorf("%d redemptions succeeded, want 5", won)
		}
		gc, _ := e.svc.GetCoupon(ctx, e.secret, coupon.ID, "x")
		gp, _ := e.svc.GetPromotionCode(ctx, e.secret, pc.ID, "x")
		if gc.TimesRedeemed != 5 || gp.TimesRedeemed != 5 {
			t.Errorf("times redeemed: coupon %d, code %d; want 5 and 5", gc.TimesRedeemed, gp.TimesRedeemed)
		}
		// An unknown, a malformed and an inactive code are refused alike.
		off := false
		if _, err := e.svc.UpdatePromotionCode(ctx, e.secret, pc.ID, "x", service.PromotionCodeUpdate{CatalogCommon: service.CatalogCommon{Active: &off}}); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"NOPE", "bad code", "TEN"} {
			_, _, err := e.svc.RedeemPromotionCode(ctx, e.secret, code)
			wantInvalid(t, code, err, "promotion_code_invalid", "code")
		}
		_, err = e.svc.RedeemCoupon(ctx, e.secret, coupon.ID)
		wantInvalid(t, "a used-up coupon", err, "coupon_invalid", "discounts")
	})
}

// TestCatalogUpdateConcurrent: concurrent updates of different fields of
// one product all survive.
func TestCatalogUpdateConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		for round := range 5 {
			p, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "Latte"})
			if err != nil {
				t.Fatal(err)
			}
			name, desc, off := fmt.Sprint("name ", round), fmt.Sprint("description ", round), false
			meta := map[string]string{"round": fmt.Sprint(round)}
			updates := []service.ProductUpdate{{Name: &name}, {Description: &desc}, {CatalogCommon: service.CatalogCommon{Active: &off}},
				{CatalogCommon: service.CatalogCommon{Metadata: meta}}}
			var wg sync.WaitGroup
			errs := make([]error, len(updates))
			for i, u := range updates {
				wg.Go(func() { _, errs[i] = e.svc.UpdateProduct(ctx, e.secret, p.ID, "x", u) })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			got, err := e.svc.GetProduct(ctx, e.secret, p.ID, "x")
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != name || got.Description != desc || got.Active || got.Metadata["round"] != meta["round"] {
				t.Fatalf("round %d: an update was lost: %+v", round, got)
			}
		}
	})
}
