package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// TestSummary: the home's sums count successful charges on their UTC day
// within the last 30 days (today included), per currency, of the caller's
// mode only (live sees none of the test ones); declines never; the links
// that sold the most first.
func TestSummary(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		clk.t = time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC)
		e := newPayEnv(t, backend, service.Options{Now: clk.now})
		tea := e.link(t, e.secret, service.LinkParams{Title: "Tea", Amount: 10000, Multiple: true})
		cake := e.link(t, e.secret, service.LinkParams{Title: "Cake", Amount: 2500, Currency: "USD", Multiple: true})
		pay := func(l *paylinks.Link, card string) {
			t.Helper()
			if _, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard(card), Email: "p@example.com"}); err != nil && paylinks.KindOf(err) != paylinks.KindPayment {
				t.Fatal(err)
			}
		}
		clk.add(-40 * 24 * time.Hour) // 21 April: outside the 30 days
		pay(tea, "4242424242424242")
		clk.add(11 * 24 * time.Hour) // 2 May: the period's first day
		pay(tea, "4242424242424242")
		pay(cake, "4242424242424242")
		clk.add(29 * 24 * time.Hour) // 31 May 23:00: today
		pay(tea, "4242424242424242")
		pay(tea, "4242424242424242")
		pay(tea, "4111111111140011") // declined

		sum, err := e.svc.Summary(ctx, e.secret, 5)
		if err != nil {
			t.Fatal(err)
		}
		wantSums := func(what string, got []service.CurrencySum, want ...service.CurrencySum) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %+v, want %+v", what, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: %+v, want %+v", what, got, want)
				}
			}
		}
		wantSums("today", sum.Today, service.CurrencySum{Currency: "THB", Count: 2, Volume: 20000})
		wantSums("30 days", sum.Period, service.CurrencySum{Currency: "THB", Count: 3, Volume: 30000}, service.CurrencySum{Currency: "USD", Count: 1, Volume: 2500})
		if len(sum.Days) != service.SummaryDays || !sum.Days[0].Day.Equal(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)) ||
			!sum.Days[29].Day.Equal(time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("days: %d from %v", len(sum.Days), sum.Days[0].Day)
		}
		wantSums("2 May", sum.Days[0].Sums, service.CurrencySum{Currency: "THB", Count: 1, Volume: 10000}, service.CurrencySum{Currency: "USD", Count: 1, Volume: 2500})
		if len(sum.Top) != 2 || sum.Top[0].Link.ID != tea.ID || sum.Top[0].Count != 3 || sum.Top[1].Link.ID != cake.ID {
			t.Errorf("top links: %+v", sum.Top)
		}
		liveSum, err := e.svc.Summary(ctx, e.liveSecr, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(liveSum.Today) != 0 || len(liveSum.Period) != 0 || len(liveSum.Top) != 0 {
			t.Errorf("live mode sums test payments: %+v", liveSum)
		}
		if _, err := e.svc.Summary(ctx, e.public, 5); paylinks.KindOf(err) != paylinks.KindForbidden {
			t.Errorf("Summary with a public key: %v, want forbidden", err)
		}
	})
}

// TestDashboardLists: the checks of FindLinks, NewCharges and
// ExportCharges.
func TestDashboardLists(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		e := newPayEnv(t, backend, service.Options{Now: clk.now})
		_, err := e.svc.FindLinks(ctx, e.secret, service.LinkSearch{Status: "sold", CursorPage: service.CursorPage{Limit: 10}})
		wantKind(t, "FindLinks(status sold)", err, paylinks.KindInvalid, "invalid_status", "status")
		other := paylinks.ID{1}
		_, err = e.svc.FindLinks(ctx, e.secret, service.LinkSearch{CursorPage: service.CursorPage{Limit: 10, After: &other}})
		wantKind(t, "FindLinks(after no link)", err, paylinks.KindInvalid, "invalid_cursor", "after")
		_, err = e.svc.FindLinks(ctx, e.secret, service.LinkSearch{CursorPage: service.CursorPage{Limit: 0}})
		wantKind(t, "FindLinks(limit 0)", err, paylinks.KindInvalid, "invalid_page", "limit")

		l := e.link(t, e.secret, service.LinkParams{Amount: 10000, Multiple: true})
		var made []paylinks.ID
		for range 3 {
			clk.add(time.Second)
			c, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "p@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, c.ID)
		}
		newest, err := e.svc.NewCharges(ctx, e.secret, nil, 10)
		if err != nil || len(newest) != 1 || newest[0].ID != made[2] {
			t.Errorf("NewCharges(nil): %v, %v; want the newest", newest, err)
		}
		after, err := e.svc.NewCharges(ctx, e.secret, &made[0], 10)
		if err != nil || len(after) != 2 || after[0].ID != made[1] || after[1].ID != made[2] {
			t.Errorf("NewCharges(after the first): %v, %v; want the two after it, oldest first", after, err)
		}
		if cs, err := e.svc.NewCharges(ctx, e.liveSecr, nil, 10); err != nil || len(cs) != 0 {
			t.Errorf("NewCharges(live): %d, %v; want none", len(cs), err)
		}

		now := clk.now()
		err = e.svc.ExportCharges(ctx, e.secret, now, now, func(*paylinks.Charge) error { return nil })
		wantKind(t, "ExportCharges(empty range)", err, paylinks.KindInvalid, "invalid_range", "to")
		err = e.svc.ExportCharges(ctx, e.secret, now.AddDate(-2, 0, 0), now, func(*paylinks.Charge) error { return nil })
		wantKind(t, "ExportCharges(two years)", err, paylinks.KindInvalid, "invalid_range", "from")
		var got []paylinks.ID
		if err := e.svc.ExportCharges(ctx, e.secret, now.Add(-time.Hour), now.Add(time.Second), func(c *paylinks.Charge) error {
			got = append(got, c.ID)
			return nil
		}); err != nil || len(got) != 3 || got[0] != made[0] || got[2] != made[2] {
			t.Errorf("ExportCharges: %v, %v; want the three, oldest first", got, err)
		}
	})
}
