package service_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/service"
)

// cartCatalog creates a product, a one-time price of unit THB minor units
// and a tax rate for TH with the caller's key.
func cartCatalog(t *testing.T, e *payEnv, unit int64) (price *paylinks.Price, rate *paylinks.TaxRate) {
	t.Helper()
	ctx := context.Background()
	prod, err := e.svc.CreateProduct(ctx, e.secret, service.ProductParams{Name: "Latte"})
	if err != nil {
		t.Fatal(err)
	}
	price, err = e.svc.CreatePrice(ctx, e.secret, service.PriceParams{ProductID: prod.ID, UnitAmount: unit, Currency: "thb"})
	if err != nil {
		t.Fatal(err)
	}
	rate, err = e.svc.CreateTaxRate(ctx, e.secret, service.TaxRateParams{DisplayName: "VAT", Percentage: 70000, Country: "TH"})
	if err != nil {
		t.Fatal(err)
	}
	return price, rate
}

// TestCartLinkFields: the link fields of issue #15 beyond the cart's prices
// are kept on the link's cart as given, and bad ones are refused naming
// the field.
func TestCartLinkFields(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		price, rate := cartCatalog(t, e, 5000)
		fields := []paylinks.CustomField{
			{Key: "size", Label: "Size", Type: "dropdown", Optional: true,
				Options: []paylinks.CustomFieldOption{{Value: "s", Label: "Small"}, {Value: "l", Label: "Large"}}},
			{Key: "qty_note", Label: "Note", Type: "text"},
			{Key: "age", Label: "Age", Type: "numeric"},
		}
		base := func() service.CartLinkParams {
			return service.CartLinkParams{LineItems: []service.CartItemParams{{PriceID: price.ID, PriceRef: "p"}}}
		}
		p := base()
		p.CustomFields = fields
		p.ConsentCollection = &paylinks.ConsentCollection{Promotions: "auto", TermsOfService: "required"}
		p.TaxIDCollection, p.AutomaticTax = true, true
		p.DynamicTaxRateIDs, p.DynamicTaxRateRefs = []paylinks.ID{rate.ID}, []string{"r"}
		p.Recovery = &paylinks.ExpirationRecovery{Enabled: true, AllowPromotionCodes: true}
		p.PaymentLimit = 3
		l, cart, err := e.svc.CreateCartLink(ctx, e.secret, p)
		if err != nil {
			t.Fatalf("CreateCartLink: %v", err)
		}
		if !l.Multiple || l.PaymentLimit != 3 || !l.Limited() || l.CompletedLimit() != 3 {
			t.Errorf("link limit: multiple %v limit %d", l.Multiple, l.PaymentLimit)
		}
		want := &paylinks.LinkCart{LineItems: []paylinks.CartItem{{PriceID: price.ID, ProductID: price.ProductID, Quantity: 1}},
			BillingAddressCollection: "auto", SubmitType: "auto", CustomFields: fields,
			ConsentCollection: &paylinks.ConsentCollection{Promotions: "auto", TermsOfService: "required"},
			TaxIDCollection:   true, AutomaticTax: true, DynamicTaxRateIDs: []paylinks.ID{rate.ID},
			Recovery: &paylinks.ExpirationRecovery{Enabled: true, AllowPromotionCodes: true}}
		if !reflect.DeepEqual(cart, want) {
			t.Errorf("cart:\n got %+v\nwant %+v", cart, want)
		}
		carts, err := e.svc.LinkCarts(ctx, e.secret, []paylinks.ID{l.ID})
		if err != nil || !reflect.DeepEqual(carts[l.ID], want) {
			t.Errorf("LinkCarts: got %+v, %v; want %+v", carts[l.ID], err, want)
		}
		got, err := e.svc.GetLink(ctx, e.secret, l.ID, "x")
		if err != nil || got.PaymentLimit != 3 || got.PaymentCount != 0 {
			t.Errorf("GetLink: %+v, %v", got, err)
		}

		// Limit 1 is a single-use link; "none" consents are no consents.
		p = base()
		p.PaymentLimit = 1
		p.ConsentCollection = &paylinks.ConsentCollection{Promotions: "none", TermsOfService: "none"}
		l, cart, err = e.svc.CreateCartLink(ctx, e.secret, p)
		if err != nil || l.Multiple || l.PaymentLimit != 0 || cart.ConsentCollection != nil {
			t.Errorf("limit 1: multiple %v limit %d consent %+v, %v", l.Multiple, l.PaymentLimit, cart.ConsentCollection, err)
		}

		noCountry, err := e.svc.CreateTaxRate(ctx, e.secret, service.TaxRateParams{DisplayName: "Flat", Percentage: 10000})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name        string
			edit        func(*service.CartLinkParams)
			code, param string
		}{
			{"4 custom fields", func(p *service.CartLinkParams) { p.CustomFields = append(fields, fields[1]) }, "parameter_invalid", "custom_fields"},
			{"duplicate key", func(p *service.CartLinkParams) { p.CustomFields = []paylinks.CustomField{fields[1], fields[1]} }, "parameter_invalid", "custom_fields[1].key"},
			{"key with a space", func(p *service.CartLinkParams) {
				p.CustomFields = []paylinks.CustomField{{Key: "a b", Label: "L", Type: "text"}}
			}, "parameter_invalid", "custom_fields[0].key"},
			{"no label", func(p *service.CartLinkParams) {
				p.CustomFields = []paylinks.CustomField{{Key: "a", Type: "text"}}
			}, "parameter_missing", "custom_fields[0].label"},
			{"bad type", func(p *service.CartLinkParams) {
				p.CustomFields = []paylinks.CustomField{{Key: "a", Label: "A", Type: "date"}}
			}, "parameter_invalid", "custom_fields[0].type"},
			{"dropdown without options", func(p *service.CartLinkParams) {
				p.CustomFields = []paylinks.CustomField{{Key: "a", Label: "A", Type: "dropdown"}}
			}, "parameter_invalid", "custom_fields[0].dropdown.options"},
			{"text with options", func(p *service.CartLinkParams) {
				p.CustomFields = []paylinks.CustomField{{Key: "a", Label: "A", Type: "text", Options: fields[0].Options}}
			}, "parameter_invalid", "custom_fields[0].dropdown"},
			{"option without label", func(p *service.CartLinkParams) {
				p.CustomFields = []paylinks.CustomField{{Key: "a", Label: "A", Type: "dropdown", Options: []paylinks.CustomFieldOption{{Value: "x"}}}}
			}, "parameter_missing", "custom_fields[0].dropdown.options[0].label"},
			{"promotions", func(p *service.CartLinkParams) {
				p.ConsentCollection = &paylinks.ConsentCollection{Promotions: "yes"}
			}, "parameter_invalid", "consent_collection.promotions"},
			{"terms", func(p *service.CartLinkParams) {
				p.ConsentCollection = &paylinks.ConsentCollection{TermsOfService: "auto"}
			}, "parameter_invalid", "consent_collection.terms_of_service"},
			{"recovery promotion codes without recovery", func(p *service.CartLinkParams) {
				p.Recovery = &paylinks.ExpirationRecovery{AllowPromotionCodes: true}
			}, "parameter_invalid", "after_expiration.recovery.allow_promotion_codes"},
			{"negative limit", func(p *service.CartLinkParams) { p.PaymentLimit = -1 }, "parameter_invalid", "restrictions.completed_sessions.limit"},
			{"dynamic rate without a country", func(p *service.CartLinkParams) {
				p.DynamicTaxRateIDs, p.DynamicTaxRateRefs = []paylinks.ID{noCountry.ID}, []string{"r"}
			}, "parameter_invalid", "dynamic_tax_rates[0]"},
			{"subscription", func(p *service.CartLinkParams) { p.Mode = "subscription" }, "mode_not_supported", "mode"},
			{"setup", func(p *service.CartLinkParams) { p.Mode = "setup" }, "mode_not_supported", "mode"},
		} {
			p := base()
			tt.edit(&p)
			_, _, err := e.svc.CreateCartLink(ctx, e.secret, p)
			wantInvalid(t, tt.name, err, tt.code, tt.param)
		}
	})
}

// TestPayLimitedLinkConcurrent: a link with a completed-payments limit of 3
// under 30 concurrent payers (each trying again while another payment of
// the link is in progress, as a payer's page does) takes exactly 3
// payments; the other payers are told the link is used, and the link
// counts 3 and is used.
func TestPayLimitedLinkConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{TestProcessor: &payments.Simulator{Delay: 2 * time.Millisecond}})
		ctx := context.Background()
		price, _ := cartCatalog(t, e, 5000)
		l, cart, err := e.svc.CreateCartLink(ctx, e.secret, service.CartLinkParams{PaymentLimit: 3,
			LineItems: []service.CartItemParams{{PriceID: price.ID, PriceRef: "p", Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		const n, limit = 30, 3
		var wg sync.WaitGroup
		var mu sync.Mutex
		paid, refused := 0, map[string]int{}
		start := make(chan struct{})
		deadline := time.Now().Add(time.Minute)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					c, _, err := e.svc.PayCart(ctx, l, cart, service.CartPayParams{Card: goodCard("4242424242424242"), Email: "a@example.com"})
					if e := paylinks.AsError(err); e != nil && e.Code == "payment_in_progress" && time.Now().Before(deadline) {
						time.Sleep(time.Millisecond)
						continue
					}
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil && c.Paid():
						paid++
					case err != nil:
						refused[paylinks.AsError(err).Code]++
					default:
						t.Errorf("charge %s status %s", c.ID, c.Status)
					}
					return
				}
			}()
		}
		close(start)
		wg.Wait()
		if paid != limit {
			t.Errorf("successful payments = %d, want %d", paid, limit)
		}
		if refused["link_used"] != n-limit {
			t.Errorf("refusals = %v, want %d link_used", refused, n-limit)
		}
		got, err := e.svc.GetLink(ctx, e.secret, l.ID, "x")
		if err != nil || !got.Used || got.PaymentCount != limit || got.Payable() != "used" {
			t.Errorf("link after: %+v, %v; want used with %d payments", got, err, limit)
		}
		cs, total, _ := e.svc.ListCharges(ctx, e.secret, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 100})
		if total != limit || len(cs) != limit {
			t.Fatalf("link charges: total %d, want %d", total, limit)
		}
		for _, c := range cs {
			if !c.Paid() || c.Amount != 10000 {
				t.Errorf("charge %s: status %s amount %d, want paid 10000", c.ID, c.Status, c.Amount)
			}
		}
	})
}

// TestCartLinkExpiry: a link with expires_at takes payments until then and
// none from then on (link_expired), for the hosted page, the pay path and
// new checkout sessions alike.
func TestCartLinkExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		e := newPayEnv(t, backend, service.Options{Now: clk.now})
		price, _ := cartCatalog(t, e, 5000)
		at := clk.now().Add(time.Hour)
		l, cart, err := e.svc.CreateCartLink(ctx, e.secret, service.CartLinkParams{ExpiresAt: &at,
			Recovery:  &paylinks.ExpirationRecovery{Enabled: true},
			LineItems: []service.CartItemParams{{PriceID: price.ID, PriceRef: "p"}}})
		if err != nil {
			t.Fatal(err)
		}
		if l.ExpiresAt == nil || !l.ExpiresAt.Equal(at) || !cart.ExpiresAt.Equal(at) {
			t.Fatalf("expires_at: link %v cart %v, want %v", l.ExpiresAt, cart.ExpiresAt, at)
		}
		if got, err := e.svc.GetLink(ctx, e.secret, l.ID, "x"); err != nil || got.ExpiresAt == nil || !got.ExpiresAt.Equal(at) {
			t.Fatalf("GetLink: %+v, %v", got, err)
		}
		pay := func() error {
			l, err := e.svc.LinkBySlug(ctx, l.Slug)
			if err != nil {
				return err
			}
			_, _, err = e.svc.PayCart(ctx, l, cart, service.CartPayParams{Card: goodCard("4242424242424242"), Email: "a@example.com"})
			return err
		}
		if info, err := e.svc.Checkout(ctx, l.Slug); err != nil || info.Unpayable != "" {
			t.Fatalf("Checkout before expiry: %+v, %v", info, err)
		}
		if err := pay(); err != nil {
			t.Fatalf("pay before expiry: %v", err)
		}
		clk.add(time.Hour)
		if info, err := e.svc.Checkout(ctx, l.Slug); err != nil || info.Unpayable != "expired" {
			t.Errorf("Checkout at expiry: %+v, %v; want expired", info, err)
		}
		wantKind(t, "pay at expiry", pay(), paylinks.KindGone, "link_expired", "")
		_, err = e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
		wantKind(t, "session of an expired link", err, paylinks.KindConflict, "link_expired", "link_id")
	})
}

// TestCartLinkRecovery: once a cart link has expired, PayCart with Recover
// (the fresh checkout of its expired page) takes the payment while the
// cart's after_expiration.recovery is enabled, with promotion codes as the
// recovery settings allow; without recovery it is refused as expired.
func TestCartLinkRecovery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		e := newPayEnv(t, backend, service.Options{Now: clk.now})
		price, _ := cartCatalog(t, e, 5000)
		at := clk.now().Add(time.Hour)
		mk := func(rec *paylinks.ExpirationRecovery) (*paylinks.Link, *paylinks.LinkCart) {
			t.Helper()
			l, cart, err := e.svc.CreateCartLink(ctx, e.secret, service.CartLinkParams{ExpiresAt: &at, Recovery: rec,
				LineItems: []service.CartItemParams{{PriceID: price.ID, PriceRef: "p", Quantity: 3}}})
			if err != nil {
				t.Fatal(err)
			}
			return l, cart
		}
		recovered, rcart := mk(&paylinks.ExpirationRecovery{Enabled: true, AllowPromotionCodes: true})
		plain, pcart := mk(nil)
		if got := service.RecoveryCart(rcart); got == nil || !got.AllowPromotionCodes || got == rcart || rcart.AllowPromotionCodes {
			t.Errorf("RecoveryCart: %+v; want a copy allowing promotion codes", got)
		}
		if got := service.RecoveryCart(pcart); got != nil {
			t.Errorf("RecoveryCart without recovery: %+v, want nil", got)
		}
		clk.add(time.Hour)
		pay := func(l *paylinks.Link, cart *paylinks.LinkCart, recover bool) (*paylinks.Charge, error) {
			c, _, err := e.svc.PayCart(ctx, l, cart, service.CartPayParams{Card: goodCard("4242424242424242"), Email: "a@example.com", Recover: recover})
			return c, err
		}
		_, err := pay(recovered, rcart, false)
		wantKind(t, "expired, not recovering", err, paylinks.KindGone, "link_expired", "")
		_, err = pay(plain, pcart, true)
		wantKind(t, "expired without recovery", err, paylinks.KindGone, "link_expired", "")
		c, err := pay(recovered, rcart, true)
		if err != nil || !c.Paid() || c.Amount != 15000 {
			t.Fatalf("recovered payment: %+v, %v; want paid 15000", c, err)
		}
		// The merchant turns recovery off: the fresh checkout is refused.
		if _, err := e.svc.UpdateLink(ctx, e.secret, recovered.ID, "x", service.LinkUpdate{Cart: &service.CartUpdate{Recovery: &paylinks.ExpirationRecovery{}}}); err != nil {
			t.Fatal(err)
		}
		info, err := e.svc.Checkout(ctx, recovered.Slug)
		if err != nil || info.Unpayable != "expired" {
			t.Fatalf("Checkout: %+v, %v", info, err)
		}
		_, err = pay(info.Link, info.Cart, true)
		wantKind(t, "recovery turned off", err, paylinks.KindGone, "link_expired", "")
	})
}

// TestCartLinkOnlyPaidAsCart: a link that sells a cart is not charged its
// default total by PayLink, nor by a checkout session (whose page does not
// price a cart): both are refused naming the link.
func TestCartLinkOnlyPaidAsCart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e := newPayEnv(t, backend, service.Options{})
		price, _ := cartCatalog(t, e, 5000)
		l, _, err := e.svc.CreateCartLink(ctx, e.secret, service.CartLinkParams{
			LineItems: []service.CartItemParams{{PriceID: price.ID, PriceRef: "p", Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		wantInvalid(t, "PayLink of a cart link", err, service.CodeLinkSellsCart, "slug")
		_, err = e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID, PublicURL: "https://pay.example"})
		wantInvalid(t, "session of a cart link", err, service.CodeLinkSellsCart, "link_id")
		if e := paylinks.AsError(err); e == nil || !strings.Contains(e.Message, "https://pay.example/l/"+l.Slug) {
			t.Errorf("message %v, want the link page's URL", err)
		}
		cs, total, _ := e.svc.ListCharges(ctx, e.secret, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 10})
		if total != 0 || len(cs) != 0 {
			t.Errorf("charges: %d, want none", total)
		}
	})
}
