package checkout_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// cartFixture is a link that sells a 2-item cart: a mug (1 by default,
// adjustable 1 to 5) and two tees (fixed), in USD, with VAT 7 % (exclusive)
// on the lines and on shipping, two shipping options, promotion codes
// allowed (SAVE10: 10 % off), shipping to the US and Thailand.
type cartFixture struct {
	link               *paylinks.Link
	standard, express  *paylinks.ShippingRate
	promo              *paylinks.PromotionCode
	mugPrice, teePrice *paylinks.Price
}

func newCartLink(tb testing.TB, e *env, promoLimit int, successURL string) *cartFixture {
	tb.Helper()
	ctx := context.Background()
	pr := e.test
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	f := &cartFixture{}
	mug, err := e.svc.CreateProduct(ctx, pr, service.ProductParams{Name: "Enamel mug"})
	must(err)
	tee, err := e.svc.CreateProduct(ctx, pr, service.ProductParams{Name: "Logo tee"})
	must(err)
	f.mugPrice, err = e.svc.CreatePrice(ctx, pr, service.PriceParams{ProductID: mug.ID, UnitAmount: 1500, Currency: "USD",
		Type: paylinks.PriceOneTime, TaxBehavior: paylinks.TaxExclusive})
	must(err)
	f.teePrice, err = e.svc.CreatePrice(ctx, pr, service.PriceParams{ProductID: tee.ID, UnitAmount: 2000, Currency: "USD",
		Type: paylinks.PriceOneTime, TaxBehavior: paylinks.TaxExclusive})
	must(err)
	vat, err := e.svc.CreateTaxRate(ctx, pr, service.TaxRateParams{DisplayName: "VAT", Percentage: 7 * 10000})
	must(err)
	f.standard, err = e.svc.CreateShippingRate(ctx, pr, service.ShippingRateParams{DisplayName: "Standard", Amount: 500,
		Currency: "USD", TaxBehavior: paylinks.TaxExclusive,
		DeliveryEstimate: &paylinks.DeliveryEstimate{MinimumUnit: "business_day", MinimumValue: 3, MaximumUnit: "business_day", MaximumValue: 5}})
	must(err)
	f.express, err = e.svc.CreateShippingRate(ctx, pr, service.ShippingRateParams{DisplayName: "Express", Amount: 1500,
		Currency: "USD", TaxBehavior: paylinks.TaxExclusive})
	must(err)
	coupon, err := e.svc.CreateCoupon(ctx, pr, service.CouponParams{PercentOff: 10 * 10000, Duration: paylinks.DurationOnce})
	must(err)
	f.promo, err = e.svc.CreatePromotionCode(ctx, pr, service.PromotionCodeParams{Code: "SAVE10", CouponID: coupon.ID,
		MaxRedemptions: promoLimit})
	must(err)
	f.link, _, err = e.svc.CreateCartLink(ctx, pr, service.CartLinkParams{Title: "Merch bundle", SuccessURL: successURL,
		LineItems: []service.CartItemParams{
			{PriceID: f.mugPrice.ID, Quantity: 1, Adjustable: &paylinks.AdjustableQuantity{Enabled: true, Minimum: 1, Maximum: 5}},
			{PriceID: f.teePrice.ID, Quantity: 2},
		},
		AllowPromotionCodes: true, TaxRateIDs: []paylinks.ID{vat.ID}, TaxRateRefs: []string{"vat"},
		ShippingRateIDs: []paylinks.ID{f.standard.ID, f.express.ID}, ShippingRateRefs: []string{"standard", "express"},
		ShippingCountries: []string{"US", "TH"}})
	must(err)
	return f
}

// cartPay is a filled cart form: the card, and a shipping address.
func cartPay(csrf string) url.Values {
	v := payForm(csrf, "4242424242424242")
	v.Set("op", "pay")
	v.Set("shipping_name", "Somchai Jaidee")
	v.Set("shipping_line1", "99 Sukhumvit Rd")
	v.Set("shipping_city", "Bangkok")
	v.Set("shipping_postal_code", "10110")
	v.Set("shipping_country", "TH")
	return v
}

func wantIn(tb testing.TB, what string, p page, subs ...string) {
	tb.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			tb.Errorf("%s (status %d): the page lacks %q", what, p.status, s)
		}
	}
}

// TestCartPageNoJS drives a cart link's page as a browser without
// JavaScript: + on the mug, a promotion code and the express option by
// "Update", then the payment, which lands on the success URL; the session
// records what the page showed.
func TestCartPageNoJS(t *testing.T) { forBackends(t, testCartPageNoJS) }

func testCartPageNoJS(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	f := newCartLink(t, e, 0, "https://shop.example.com/thanks")
	c := browser(t)
	u := e.url + "/l/" + f.link.Slug
	p := get(t, c, u+"?client_reference_id=order-42&prefilled_email=pat%40example.com")
	if p.status != http.StatusOK {
		t.Fatalf("GET: %d", p.status)
	}
	// 1 mug + 2 tees = $55.00; VAT 7 % of it $3.85; standard shipping
	// $5.00 + $0.35 VAT: $64.20.
	wantIn(t, "GET", p, "Enamel mug", "Logo tee", "$55.00", "VAT 7%", "$4.20", "$64.20", "Standard", "Express",
		`value="pat@example.com"`, `name="client_reference_id" value="order-42"`, `<option value="TH"`, "Pay $64.20")
	if strings.Contains(p.body, `<option value="DE"`) {
		t.Error("the shipping country list offers a country the link does not ship to")
	}

	// + on the mug: the form posts with step=0:1.
	form := url.Values{"csrf": {csrfOf(t, p)}, "quantity[0]": {"1"}, "step": {"0:1"}, "client_reference_id": {"order-42"}}
	p = post(t, c, u, form)
	if p.status != http.StatusOK {
		t.Fatalf("+: %d %s", p.status, p.body)
	}
	wantIn(t, "after +", p, `name="quantity[0]" value="2"`, "$70.00")

	// A code that does not exist says so and charges nothing.
	bad := cartPay(csrfOf(t, p))
	bad.Set("quantity[0]", "2")
	bad.Set("promotion_code", "NOPE")
	p = post(t, c, u, bad)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("pay with a bad code: %d", p.status)
	}
	wantIn(t, "bad code", p, "This promotion code is not valid.")

	// SAVE10 and express, by Update.
	form = url.Values{"csrf": {csrfOf(t, p)}, "quantity[0]": {"2"}, "promotion_code": {"save10"},
		"shipping_rate": {f.express.ID.String()}, "op": {"update"}, "client_reference_id": {"order-42"}}
	p = post(t, c, u, form)
	if p.status != http.StatusOK {
		t.Fatalf("update: %d", p.status)
	}
	// $70.00 − $7.00 = $63.00; VAT $4.41; express $15.00 + $1.05: $83.46.
	wantIn(t, "after update", p, "Applied: SAVE10 (10% off)", "−$7.00", "$15.00", "$5.46", "$83.46", "Pay $83.46")

	// Paying with the quantity changed since the page was priced: 409, the
	// new total shown, nothing charged.
	stale := cartPay(csrfOf(t, p))
	stale.Set("quantity[0]", "3")
	stale.Set("promotion_code", "SAVE10")
	stale.Set("shipping_rate", f.express.ID.String())
	stale.Set("client_reference_id", "order-42")
	p = post(t, c, u, stale)
	if p.status != http.StatusConflict {
		t.Fatalf("pay a changed total: %d", p.status)
	}
	wantIn(t, "changed total", p, "The total has changed", "from $83.46 to $97.91")

	// Back to 2 mugs (the page's − posts step=0:-1), then pay.
	form = url.Values{"csrf": {csrfOf(t, p)}, "quantity[0]": {"3"}, "promotion_code": {"SAVE10"}, "step": {"0:-1"},
		"shipping_rate": {f.express.ID.String()}, "client_reference_id": {"order-42"}}
	p = post(t, c, u, form)
	wantIn(t, "after −", p, "$83.46")
	pay := cartPay(csrfOf(t, p))
	pay.Set("quantity[0]", "2")
	pay.Set("promotion_code", "SAVE10")
	pay.Set("shipping_rate", f.express.ID.String())
	pay.Set("client_reference_id", "order-42")
	p = post(t, c, u, pay)
	if p.status != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", p.status, p.body)
	}
	loc, err := url.Parse(p.header.Get("Location"))
	if err != nil || loc.Host != "shop.example.com" {
		t.Fatalf("pay redirected to %q", p.header.Get("Location"))
	}
	sid, ok := paylinks.ParseSessionID(loc.Query().Get("session_id"))
	if !ok {
		t.Fatalf("no session id in %q", loc)
	}
	s, err := e.svc.GetSession(context.Background(), e.test, sid, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Amount != 8346 || s.Cart == nil {
		t.Fatalf("session: amount %d, cart %+v", s.Amount, s.Cart)
	}
	want := paylinks.CartBreakdown{Subtotal: 7000, Discount: 700, Shipping: 1500, Tax: 546, Total: 8346}
	if s.Cart.Breakdown != want {
		t.Errorf("breakdown: got %+v, want %+v", s.Cart.Breakdown, want)
	}
	if len(s.Cart.Lines) != 2 || s.Cart.Lines[0].Quantity != 2 || s.Cart.Lines[0].ProductName != "Enamel mug" ||
		s.Cart.Lines[1].Quantity != 2 || s.Cart.Lines[1].Amount != 4000 {
		t.Errorf("lines: %+v", s.Cart.Lines)
	}
	if s.Cart.PromotionCode != "SAVE10" || s.Cart.ShippingName != "Express" || s.Cart.ClientReferenceID != "order-42" ||
		s.Cart.ShippingAddress == nil || s.Cart.ShippingAddress.City != "Bangkok" || s.Cart.ShippingAddress.Country != "TH" {
		t.Errorf("session cart: %+v", s.Cart)
	}
	promo, err := e.svc.GetPromotionCode(context.Background(), e.test, f.promo.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if promo.TimesRedeemed != 1 {
		t.Errorf("SAVE10 redeemed %d times, want 1 (the bad and the refused payments redeem nothing)", promo.TimesRedeemed)
	}
}

// TestCartQuote: the quote endpoint prices the posted form as JSON with a
// token that pays the new total; without a good token it is refused.
func TestCartQuote(t *testing.T) {
	e := newEnv(t, "sqlite", roomy, service.Options{})
	f := newCartLink(t, e, 0, "")
	c := browser(t)
	u := e.url + "/l/" + f.link.Slug
	p := get(t, c, u)
	form := url.Values{"csrf": {csrfOf(t, p)}, "quantity[0]": {"4"}, "promotion_code": {"SAVE10"}}
	q := post(t, c, u+"/quote", form)
	if q.status != http.StatusOK || !strings.HasPrefix(q.header.Get("Content-Type"), "application/json") {
		t.Fatalf("quote: %d %s", q.status, q.body)
	}
	var got struct {
		CSRF, Total, Discount string
		Lines                 []struct{ Quantity int64 }
		Errors                map[string]string
	}
	if err := json.Unmarshal([]byte(q.body), &got); err != nil {
		t.Fatal(err)
	}
	// 4 × $15 + $40 = $100 − $10 = $90 + VAT $6.30 + standard $5.35.
	if got.Total != "$101.65" || got.Discount != "$10.00" || len(got.Lines) != 2 || got.Lines[0].Quantity != 4 || len(got.Errors) != 0 {
		t.Errorf("quote: %+v", got)
	}
	pay := cartPay(got.CSRF)
	pay.Set("quantity[0]", "4")
	pay.Set("promotion_code", "SAVE10")
	if p := post(t, c, u, pay); p.status != http.StatusSeeOther {
		t.Errorf("pay with the quote's token: %d", p.status)
	}
	form.Set("csrf", "101.USD.1.forged")
	if q := post(t, c, u+"/quote", form); q.status != http.StatusForbidden {
		t.Errorf("quote with a forged token: %d", q.status)
	}
	form.Set("promotion_code", "NOPE")
	form.Set("csrf", got.CSRF)
	q = post(t, c, u+"/quote", form)
	if !strings.Contains(q.body, "This promotion code is not valid.") {
		t.Errorf("quote with a bad code: %s", q.body)
	}
}

// TestCartPromoLimitConcurrent: 30 payers pay at once with a promotion
// code of max_redemptions 5: exactly 5 payments are made with it, and the
// others are refused with nothing charged.
func TestCartPromoLimitConcurrent(t *testing.T) { forBackends(t, testCartPromoLimitConcurrent) }

func testCartPromoLimitConcurrent(t *testing.T, backend string) {
	const payers, limit = 30, 5
	e := newEnv(t, backend, roomy, service.Options{})
	f := newCartLink(t, e, limit, "")
	ctx := context.Background()
	info, err := e.svc.Checkout(ctx, f.link.Slug)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, payers)
	charged := make([]bool, payers)
	start := make(chan struct{})
	for i := range payers {
		wg.Go(func() {
			<-start
			c, _, err := e.svc.PayCart(ctx, info.Link, info.Cart, service.CartPayParams{
				Choice: service.CartChoice{PromotionCode: "SAVE10", ShippingAddress: &paylinks.Address{Name: "P", Line1: "1 Rd",
					City: "Bangkok", Country: "TH"}},
				Card:  service.CardInput{Number: "4242424242424242", ExpirationMonth: 12, ExpirationYear: 2040, SecurityCode: "123", Name: "P"},
				Email: "p@example.com"})
			results[i] = err
			charged[i] = err == nil && c.Accepted()
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range results {
		switch {
		case charged[i]:
			won++
		case paylinks.KindOf(err) != paylinks.KindInvalid:
			t.Errorf("payer %d: %v, want a refusal of the code", i, err)
		}
	}
	if won != limit {
		t.Errorf("%d payments with the code, want %d", won, limit)
	}
	promo, err := e.svc.GetPromotionCode(ctx, e.test, f.promo.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if promo.TimesRedeemed != limit {
		t.Errorf("times redeemed %d, want %d", promo.TimesRedeemed, limit)
	}
}

// TestCartExtras: a link with required terms, custom fields, a tax ID
// field, a pinned email, a required billing address and dynamic tax rates:
// the page asks for each, the tax follows the country typed, payment is
// refused (nothing charged) until the terms are agreed, and the session
// records the answers.
func TestCartExtras(t *testing.T) {
	e := newEnv(t, "sqlite", roomy, service.Options{})
	ctx := context.Background()
	pr := e.test
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	prod, err := e.svc.CreateProduct(ctx, pr, service.ProductParams{Name: "Workshop seat"})
	must(err)
	price, err := e.svc.CreatePrice(ctx, pr, service.PriceParams{ProductID: prod.ID, UnitAmount: 10000, Currency: "EUR",
		Type: paylinks.PriceOneTime, TaxBehavior: paylinks.TaxExclusive})
	must(err)
	de, err := e.svc.CreateTaxRate(ctx, pr, service.TaxRateParams{DisplayName: "MwSt", Percentage: 19 * 10000, Country: "DE"})
	must(err)
	fr, err := e.svc.CreateTaxRate(ctx, pr, service.TaxRateParams{DisplayName: "TVA", Percentage: 20 * 10000, Country: "FR"})
	must(err)
	l, _, err := e.svc.CreateCartLink(ctx, pr, service.CartLinkParams{
		LineItems:                []service.CartItemParams{{PriceID: price.ID, Quantity: 1}},
		BillingAddressCollection: "required", CustomerEmail: "buyer@example.com", SubmitType: "book",
		DynamicTaxRateIDs: []paylinks.ID{de.ID, fr.ID}, DynamicTaxRateRefs: []string{"de", "fr"},
		TaxIDCollection:   true,
		ConsentCollection: &paylinks.ConsentCollection{TermsOfService: "required", Promotions: "auto"},
		CustomFields: []paylinks.CustomField{{Key: "company", Label: "Company", Type: paylinks.CustomFieldText},
			{Key: "size", Label: "T-shirt size", Type: paylinks.CustomFieldDropdown, Optional: true,
				Options: []paylinks.CustomFieldOption{{Value: "m", Label: "Medium"}, {Value: "l", Label: "Large"}}}},
	})
	must(err)
	c := browser(t)
	u := e.url + "/l/" + l.Slug
	p := get(t, c, u)
	wantIn(t, "GET", p, "Workshop seat", "€100.00", `value="buyer@example.com" readonly`, `name="tax_id"`, `name="consent_terms"`,
		`name="consent_promotions"`, `name="custom_company"`, `<option value="m">Medium</option>`, `name="billing_country"`, "Book €100.00")

	form := func(csrf, country string, terms bool) url.Values {
		v := payForm(csrf, "4242424242424242")
		v.Del("email")
		v.Set("billing_name", "Anna Schmidt")
		v.Set("billing_line1", "Hauptstr. 1")
		v.Set("billing_city", "Berlin")
		v.Set("billing_country", country)
		v.Set("tax_id", "DE123456789")
		v.Set("custom_company", "Acme GmbH")
		v.Set("custom_size", "l")
		if terms {
			v.Set("consent_terms", "1")
		}
		return v
	}
	up := form(csrfOf(t, p), "DE", false)
	up.Set("op", "update")
	p = post(t, c, u, up)
	wantIn(t, "billing in Germany", p, "MwSt 19%", "€19.00", "€119.00")

	p = post(t, c, u, form(csrfOf(t, p), "DE", false))
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("pay without the terms: %d", p.status)
	}
	wantIn(t, "without the terms", p, "Agree to the terms of service to continue.")

	p = post(t, c, u, form(csrfOf(t, p), "FR", true))
	if p.status != http.StatusConflict {
		t.Fatalf("pay in France with the German total: %d", p.status)
	}
	wantIn(t, "France", p, "from €119.00 to €120.00", "TVA 20%")
	p = post(t, c, u, form(csrfOf(t, p), "FR", true))
	if p.status != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", p.status, p.body)
	}
	list, err := e.svc.SessionPage(ctx, pr, service.CursorPage{Limit: 5})
	must(err)
	if len(list.Items) != 1 {
		t.Fatalf("%d sessions", len(list.Items))
	}
	s := list.Items[0]
	sc := s.Cart
	if s.Amount != 12000 || s.Email != "buyer@example.com" || sc == nil || sc.Breakdown.Tax != 2000 ||
		len(sc.TaxIDs) != 1 || sc.TaxIDs[0].Value != "DE123456789" ||
		sc.Consent == nil || !sc.Consent.TermsOfService || sc.Consent.Promotions ||
		len(sc.CustomFields) != 2 || sc.CustomFields[0].Value != "Acme GmbH" || sc.CustomFields[1].Value != "l" ||
		sc.BillingAddress == nil || sc.BillingAddress.Country != "FR" {
		t.Errorf("session %+v, cart %+v", s, sc)
	}
}
