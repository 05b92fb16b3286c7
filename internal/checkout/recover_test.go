package checkout_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// TestCartRecovery drives after_expiration.recovery over HTTP: before
// expiry the recovery path sends the payer to the link's page; once the
// link has expired, its page (410) offers "Start a new checkout", a fresh
// checkout of the same cart at /l/{slug}/recover, with promotion codes as
// the recovery settings allow (the link itself allows none), priced by its
// quote endpoint and paid; the expired link's own page still refuses
// payment. A link without recovery keeps the plain expired page, and so
// does the first once the merchant turns recovery off.
func TestCartRecovery(t *testing.T) { forBackends(t, testCartRecovery) }

func testCartRecovery(t *testing.T, backend string) {
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, backend, roomy, service.Options{Now: clock})
	ctx := context.Background()
	pr := e.test
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mug, err := e.svc.CreateProduct(ctx, pr, service.ProductParams{Name: "Enamel mug"})
	must(err)
	price, err := e.svc.CreatePrice(ctx, pr, service.PriceParams{ProductID: mug.ID, UnitAmount: 1500, Currency: "USD", Type: paylinks.PriceOneTime})
	must(err)
	coupon, err := e.svc.CreateCoupon(ctx, pr, service.CouponParams{PercentOff: 10 * 10000, Duration: paylinks.DurationOnce})
	must(err)
	_, err = e.svc.CreatePromotionCode(ctx, pr, service.PromotionCodeParams{Code: "SAVE10", CouponID: coupon.ID})
	must(err)
	at := now.Add(time.Hour)
	mk := func(rec *paylinks.ExpirationRecovery) *paylinks.Link {
		t.Helper()
		l, _, err := e.svc.CreateCartLink(ctx, pr, service.CartLinkParams{Title: "Mugs", ExpiresAt: &at, Recovery: rec,
			LineItems: []service.CartItemParams{{PriceID: price.ID, Quantity: 2}}})
		must(err)
		return l
	}
	rec := mk(&paylinks.ExpirationRecovery{Enabled: true, AllowPromotionCodes: true})
	plain := mk(nil)
	c := browser(t)
	u, pu := e.url+"/l/"+rec.Slug, e.url+"/l/"+plain.Slug

	if p := get(t, c, u+"/recover"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/l/"+rec.Slug {
		t.Errorf("recover before expiry: %d %q, want 303 to the link's page", p.status, p.header.Get("Location"))
	}
	if p := get(t, c, u); p.status != http.StatusOK || strings.Contains(p.body, `name="promotion_code"`) {
		t.Errorf("page before expiry: %d (the link allows no promotion code)", p.status)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()

	p := get(t, c, pu)
	if p.status != http.StatusGone || !strings.Contains(p.body, "This link has expired") || strings.Contains(p.body, "/recover") {
		t.Errorf("expired page without recovery: %d %q", p.status, p.body)
	}
	if p := get(t, c, pu+"/recover"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/l/"+plain.Slug {
		t.Errorf("recover without recovery: %d %q", p.status, p.header.Get("Location"))
	}

	p = get(t, c, u)
	wantIn(t, "expired page with recovery", p, "This link has expired", `href="/l/`+rec.Slug+`/recover"`, "Start a new checkout")
	if p.status != http.StatusGone {
		t.Errorf("expired page with recovery: %d, want 410", p.status)
	}
	p = get(t, c, u+"/recover")
	if p.status != http.StatusOK {
		t.Fatalf("recover: %d %s", p.status, p.body)
	}
	wantIn(t, "recovery page", p, "Enamel mug", "$30.00", `action="/l/`+rec.Slug+`/recover"`, `data-quote="/l/`+rec.Slug+`/recover/quote"`,
		`name="promotion_code"`)

	form := payForm(csrfOf(t, p), "4242424242424242")
	form.Set("promotion_code", "SAVE10")
	q := post(t, c, u+"/recover/quote", form)
	var quote struct{ CSRF, Total, Discount string }
	if err := json.Unmarshal([]byte(q.body), &quote); q.status != http.StatusOK || err != nil || quote.Total != "$27.00" || quote.Discount != "$3.00" {
		t.Fatalf("recovery quote: %d %s", q.status, q.body)
	}
	// The expired link's own page takes no payment.
	if p := post(t, c, u, form); p.status != http.StatusGone {
		t.Errorf("pay the expired link's page: %d, want 410", p.status)
	}
	form.Set("csrf", quote.CSRF)
	form.Set("op", "pay")
	p = post(t, c, u+"/recover", form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/l/"+rec.Slug+"/complete") {
		t.Fatalf("pay the recovery: %d %q %s", p.status, p.header.Get("Location"), p.body)
	}
	cs, total, err := e.svc.ListCharges(ctx, pr, paylinks.ChargeFilter{LinkID: &rec.ID, Limit: 10})
	if err != nil || total != 1 || !cs[0].Paid() || cs[0].Amount != 2700 {
		t.Fatalf("charges: %+v, %v; want one of 2700", cs, err)
	}
	if r := get(t, c, e.url+p.header.Get("Location")); r.status != http.StatusOK {
		t.Errorf("receipt: %d", r.status)
	}

	// Recovery turned off: the plain expired page, and no fresh checkout.
	if _, err := e.svc.UpdateLink(ctx, pr, rec.ID, "x", service.LinkUpdate{Cart: &service.CartUpdate{Recovery: &paylinks.ExpirationRecovery{}}}); err != nil {
		t.Fatal(err)
	}
	if p := get(t, c, u); p.status != http.StatusGone || strings.Contains(p.body, "/recover") {
		t.Errorf("expired page after recovery was turned off: %d", p.status)
	}
	if p := post(t, c, u+"/recover", form); p.status != http.StatusSeeOther || p.header.Get("Location") != "/l/"+rec.Slug {
		t.Errorf("pay the recovery after it was turned off: %d %q", p.status, p.header.Get("Location"))
	}
	if _, total, _ := e.svc.ListCharges(ctx, pr, paylinks.ChargeFilter{LinkID: &rec.ID, Limit: 10}); total != 1 {
		t.Errorf("charges after recovery was turned off: %d, want 1", total)
	}
}
