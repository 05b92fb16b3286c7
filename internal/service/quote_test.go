package service_test

import (
	"context"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// TestPayLinkQuote pays links with the quote of a page shown before the
// merchant changed them: a changed price (amount, currency, or who chooses
// the amount) charges nothing and leaves a single-use link payable; a change
// that keeps the price (the title) pays what the page showed.
func TestPayLinkQuote(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		amount := func(n int64) *int64 { return &n }
		str := func(s string) *string { return &s }
		tests := []struct {
			name   string
			link   service.LinkParams
			update service.LinkUpdate
			payer  int64 // the payer's amount, for a page that asked for it
			refuse bool
		}{
			{"amount", service.LinkParams{Amount: 1000, Currency: "USD"}, service.LinkUpdate{Amount: amount(99900)}, 0, true},
			{"currency", service.LinkParams{Amount: 1000, Currency: "USD"}, service.LinkUpdate{Currency: str("JPY"), Amount: amount(1000)}, 0, true},
			{"to payer chooses", service.LinkParams{Amount: 1000, Currency: "USD"}, service.LinkUpdate{Amount: amount(0)}, 0, true},
			{"to fixed", service.LinkParams{Amount: 0, Currency: "USD"}, service.LinkUpdate{Amount: amount(99900)}, 1000, true},
			{"payer currency", service.LinkParams{Amount: 0, Currency: "USD"}, service.LinkUpdate{Currency: str("EUR"), Amount: amount(0)}, 1000, true},
			{"title only", service.LinkParams{Amount: 1000, Currency: "USD"}, service.LinkUpdate{Title: str("Iced mocha")}, 0, false},
			{"payer chooses, title only", service.LinkParams{Amount: 0, Currency: "USD"}, service.LinkUpdate{Title: str("Tip jar")}, 1500, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := e.link(t, e.secret, tt.link)
				shown := service.LinkQuote(l)
				now, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", tt.update)
				if err != nil {
					t.Fatal(err)
				}
				c, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Amount: tt.payer, Quote: &shown,
					Card: goodCard("4242424242424242"), Email: "a@example.com"})
				charges, total, lerr := e.svc.ListCharges(ctx, e.secret, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 10})
				if lerr != nil {
					t.Fatal(lerr)
				}
				if !tt.refuse {
					if err != nil || !c.Paid() {
						t.Fatalf("PayLink: %v, %+v; want paid", err, c)
					}
					want := shown.Amount
					if want == 0 {
						want = tt.payer
					}
					if c.Amount != want || c.Currency != shown.Currency || total != 1 {
						t.Errorf("charged %d %s (%d charges), want %d %s", c.Amount, c.Currency, total, want, shown.Currency)
					}
					return
				}
				if e := paylinks.AsError(err); e == nil || e.Kind != paylinks.KindConflict || e.Code != service.CodePriceChanged {
					t.Fatalf("PayLink with the old quote: %v, want a %s conflict", err, service.CodePriceChanged)
				}
				if c != nil || total != 0 {
					t.Errorf("refused payment made a charge: %+v, %d charges: %+v", c, total, charges)
				}
				// The single-use link was not claimed: the new price pays it.
				fresh := service.LinkQuote(now)
				payer := int64(0)
				if now.Amount == 0 {
					payer = paylinks.CurrencyLimits[now.Currency].Min
				}
				c, after, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Amount: payer, Quote: &fresh,
					Card: goodCard("4242424242424242"), Email: "a@example.com"})
				if err != nil || !c.Paid() || !after.Used {
					t.Fatalf("PayLink with the new quote: %v, %+v", err, c)
				}
				if c.Currency != now.Currency || (now.Amount != 0 && c.Amount != now.Amount) {
					t.Errorf("charged %d %s, want the new price %d %s", c.Amount, c.Currency, now.Amount, now.Currency)
				}
			})
		}
		// Without a quote (a payment made by no page) nothing is compared.
		l := e.link(t, e.secret, service.LinkParams{Amount: 1000, Currency: "USD", Multiple: true})
		if _, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Amount: amount(2000)}); err != nil {
			t.Fatal(err)
		}
		if c, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"}); err != nil || c.Amount != 2000 {
			t.Errorf("PayLink without a quote: %v, %+v", err, c)
		}
	})
}

// TestSessionPriceFixed makes a checkout session of a link, then changes the
// link's amount and currency: the session still charges the price it was
// made with, and its page's quote still matches it.
func TestSessionPriceFixed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		l := e.link(t, e.secret, service.LinkParams{Amount: 1000, Currency: "USD"})
		sess, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
		if err != nil {
			t.Fatal(err)
		}
		shown := service.SessionQuote(sess)
		amount, cur := int64(99900), "EUR"
		if _, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Amount: &amount, Currency: &cur}); err != nil {
			t.Fatal(err)
		}
		info, err := e.svc.SessionCheckout(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := service.SessionQuote(info.Session); got != shown {
			t.Errorf("the session's page quotes %+v after the link changed, want %+v", got, shown)
		}
		// A quote the page never showed is refused.
		other := service.Quote{Amount: 99900, Currency: "EUR"}
		if _, _, err := e.svc.PaySession(ctx, service.PaySessionParams{SessionID: sess.ID, Quote: &other,
			Card: goodCard("4242424242424242"), Email: "a@example.com"}); paylinks.AsError(err) == nil || paylinks.AsError(err).Code != service.CodePriceChanged {
			t.Errorf("PaySession with another price: %v, want %s", err, service.CodePriceChanged)
		}
		c, done, err := e.svc.PaySession(ctx, service.PaySessionParams{SessionID: sess.ID, Quote: &shown,
			Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if err != nil || !c.Paid() || done.Status != paylinks.SessionComplete {
			t.Fatalf("PaySession: %v, %+v", err, c)
		}
		if c.Amount != 1000 || c.Currency != "USD" {
			t.Errorf("session charged %d %s, want its price at creation, 1000 USD", c.Amount, c.Currency)
		}
	})
}
