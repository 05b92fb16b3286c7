package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// testFindLinks: the dashboard's list of links by state and title, newest
// first, by keyset, never another account's or mode's.
func testFindLinks(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	active := f.newLink(t, a, false, 1, func(l *paylinks.Link) { l.Title = "Pottery class" })
	inactive := f.newLink(t, a, false, 2, func(l *paylinks.Link) { l.Active = false; l.Title = "Old pottery" })
	used := f.newLink(t, a, false, 3, func(l *paylinks.Link) { l.Used, l.UsedAt = true, ptr(at(3)) })
	usedMulti := f.newLink(t, a, false, 4, func(l *paylinks.Link) { l.Multiple, l.Used, l.UsedAt = true, true, ptr(at(4)) })
	archived := f.newLink(t, a, false, 5, func(l *paylinks.Link) { l.Title = "Pottery archive" })
	if _, err := f.s.DeleteLink(ctx, a.ID, false, archived.ID, at(6), nil); err != nil {
		t.Fatalf("DeleteLink: %v", err)
	}
	cartLink := func(sec, expires int) *paylinks.Link {
		l := f.link(t, a, false, sec, nil)
		cart := &paylinks.LinkCart{ExpiresAt: ptr(at(expires))}
		if err := f.s.CreateCartLink(ctx, l, cart, nil, nil); err != nil {
			t.Fatalf("CreateCartLink: %v", err)
		}
		return l
	}
	expired := cartLink(7, 50)
	notYet := cartLink(8, 200)
	f.newLink(t, a, true, 9, nil)  // live mode
	f.newLink(t, b, false, 9, nil) // another account

	ids := func(ls ...*paylinks.Link) []paylinks.ID {
		var out []paylinks.ID
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	tests := []struct {
		status, title string
		want          []paylinks.ID
	}{
		{store.LinkStatusAll, "", ids(notYet, expired, usedMulti, used, inactive, active)},
		{store.LinkStatusActive, "", ids(notYet, usedMulti, active)},
		{store.LinkStatusInactive, "", ids(inactive)},
		{store.LinkStatusUsed, "", ids(usedMulti, used)},
		{store.LinkStatusExpired, "", ids(expired)},
		{store.LinkStatusArchived, "", ids(archived)},
		{store.LinkStatusAll, "POTTERY", ids(inactive, active)},
		{store.LinkStatusActive, "pottery", ids(active)},
		{store.LinkStatusArchived, "pottery", ids(archived)},
		{store.LinkStatusAll, "100%", nil}, // LIKE's wildcards are plain characters
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 2, 10} {
			name := fmt.Sprintf("FindLinks(%q, %q, limit %d)", tt.status, tt.title, limit)
			q := store.LinkQuery{AccountID: a.ID, Status: tt.status, Title: tt.title, Now: at(100), Limit: limit}
			var got []paylinks.ID
			for range 20 {
				p, err := f.s.FindLinks(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(p) > limit {
					t.Fatalf("%s: %d links, want at most %d", name, len(p), limit)
				}
				if len(p) == 0 {
					break
				}
				for _, l := range p {
					got = append(got, l.ID)
				}
				q.After = &p[len(p)-1].ID
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: pages joined: got %v, want %v", name, got, tt.want)
			}
		}
	}
	// A changed title is found by its new words, not its old ones.
	renamed := *used
	renamed.Title, renamed.UpdatedAt = "Ceramics workshop", at(20)
	if err := f.s.UpdateLink(ctx, &renamed, used.UpdatedAt, nil); err != nil {
		t.Fatalf("UpdateLink: %v", err)
	}
	for _, tt := range []struct {
		title string
		want  []paylinks.ID
	}{{"ceramics", ids(used)}, {"Link 3", nil}, {"mic", ids(used)}} {
		p, err := f.s.FindLinks(ctx, store.LinkQuery{AccountID: a.ID, Title: tt.title, Now: at(100), Limit: 10})
		if err != nil || !slices.Equal(ids(ptrs(p)...), tt.want) {
			t.Errorf("FindLinks(title %q) after the rename: %v, %v; want %v", tt.title, ids(ptrs(p)...), err, tt.want)
		}
	}

	// A page's links are whole.
	p, err := f.s.FindLinks(ctx, store.LinkQuery{AccountID: a.ID, Status: store.LinkStatusInactive, Now: at(100), Limit: 5})
	if err != nil || len(p) != 1 {
		t.Fatalf("FindLinks(inactive): %d, %v", len(p), err)
	}
	got := p[0]
	got.ChargeCount = 0
	check(t, "FindLinks(inactive)[0]", got, *inactive)
	// Judged at Now: later, the other cart has expired too.
	p, err = f.s.FindLinks(ctx, store.LinkQuery{AccountID: a.ID, Status: store.LinkStatusExpired, Now: at(200), Limit: 5})
	if err != nil || !slices.Equal(ids(ptrs(p)...), ids(notYet, expired)) {
		t.Errorf("FindLinks(expired at 200): %v, %v; want %v", ids(ptrs(p)...), err, ids(notYet, expired))
	}
	// A cursor of another account, or none at all, is not found; a
	// deleted link of the account is a cursor.
	other := f.newLink(t, b, false, 10, nil)
	for _, c := range []paylinks.ID{other.ID, f.id(t)} {
		_, err := f.s.FindLinks(ctx, store.LinkQuery{AccountID: a.ID, Now: at(100), Limit: 5, After: &c})
		wantErr(t, "FindLinks(after a link not the account's)", err, paylinks.ErrNotFound)
	}
	p, err = f.s.FindLinks(ctx, store.LinkQuery{AccountID: a.ID, Now: at(100), Limit: 5, After: &archived.ID})
	if err != nil || !slices.Equal(ids(ptrs(p)...), ids(usedMulti, used, inactive, active)) {
		t.Errorf("FindLinks(after the archived link): %v, %v", ids(ptrs(p)...), err)
	}
	if _, err := f.s.FindLinks(ctx, store.LinkQuery{AccountID: a.ID, Status: "bogus", Limit: 5}); err == nil {
		t.Error("FindLinks(status bogus): no error")
	}
}

func ptrs[T any](v []T) []*T {
	out := make([]*T, len(v))
	for i := range v {
		out[i] = &v[i]
	}
	return out
}

// testListChargesAfter: keyset pages of charges in both orders join into
// the whole list; the cursor must be a charge of the account and mode.
func testListChargesAfter(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	var all []paylinks.ID
	for i := range 7 {
		c := f.charge(t, a, false, i/2, nil) // pairs share a created_at: the id breaks the tie
		wantErr(t, "CreateCharge", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c}), nil)
		all = append(all, c.ID)
	}
	wantErr(t, "CreateCharge(live)", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: f.charge(t, a, true, 1, nil)}), nil)
	otherCharge := f.charge(t, b, false, 1, nil)
	wantErr(t, "CreateCharge(other account)", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: otherCharge}), nil)
	for _, order := range []paylinks.Order{paylinks.Chronological, paylinks.ReverseChronological} {
		whole, _, err := f.s.ListCharges(ctx, paylinks.ChargeFilter{AccountID: a.ID, Order: order})
		if err != nil || len(whole) != len(all) {
			t.Fatalf("ListCharges: %d, %v", len(whole), err)
		}
		cf := paylinks.ChargeFilter{AccountID: a.ID, Order: order, Limit: 3}
		var got []paylinks.Charge
		for range 10 {
			p, total, err := f.s.ListCharges(ctx, cf)
			if err != nil {
				t.Fatalf("ListCharges(after): %v", err)
			}
			if cf.After != nil && total != -1 {
				t.Errorf("ListCharges(after): total %d, want -1", total)
			}
			if len(p) == 0 {
				break
			}
			got = append(got, p...)
			cf.After = &p[len(p)-1].ID
		}
		if g, w := ids(got, chargeID), ids(whole, chargeID); !slices.Equal(g, w) {
			t.Errorf("ListCharges(%v) by After: got %v, want %v", order, g, w)
		}
	}
	_, _, err := f.s.ListCharges(ctx, paylinks.ChargeFilter{AccountID: a.ID, Limit: 3, After: &otherCharge.ID})
	wantErr(t, "ListCharges(after another account's charge)", err, paylinks.ErrNotFound)
	// SkipTotal: the page without its count.
	p, total, err := f.s.ListCharges(ctx, paylinks.ChargeFilter{AccountID: a.ID, Limit: 3, SkipTotal: true, Order: paylinks.ReverseChronological})
	if err != nil || total != -1 || len(p) != 3 {
		t.Errorf("ListCharges(SkipTotal): %d charges, total %d, %v; want 3, -1", len(p), total, err)
	}
	if _, total, _ := f.s.ListCharges(ctx, paylinks.ChargeFilter{AccountID: a.ID, Limit: 3}); total != len(all) {
		t.Errorf("ListCharges: total %d, want %d", total, len(all))
	}
}

// testChargeDays: the daily sums and the links that sell the most follow
// every charge write: a successful charge counts on its UTC day, a failed
// one never, an authorization when it is captured (by the captured
// amount).
func testChargeDays(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l1, l2 := f.newLink(t, a, false, 0, nil), f.newLink(t, a, false, 0, nil)
	charge := func(acc *paylinks.Account, live bool, sec int, link *paylinks.Link, amount int64, currency string, st paylinks.ChargeStatus) {
		t.Helper()
		c := f.charge(t, acc, live, sec, func(c *paylinks.Charge) {
			c.Amount, c.Currency, c.Status = amount, currency, st
			if link != nil {
				c.LinkID = &link.ID
			}
			if st == paylinks.ChargeSuccessful {
				c.AuthorizedAmount, c.CapturedAmount = amount, amount
			} else {
				c.PaidAt = nil
			}
		})
		wantErr(t, "CreateCharge", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c}), nil)
	}
	const day = 86400
	charge(a, false, 0, l1, 100, "THB", paylinks.ChargeSuccessful)
	charge(a, false, 10, l1, 200, "THB", paylinks.ChargeSuccessful)
	charge(a, false, 20, l2, 7, "USD", paylinks.ChargeSuccessful)
	charge(a, false, 30, l2, 999, "THB", paylinks.ChargeFailed)
	charge(a, false, day, l2, 50, "USD", paylinks.ChargeSuccessful)
	charge(a, false, day+1, l2, 60, "USD", paylinks.ChargeSuccessful)
	charge(a, false, 2*day, nil, 5, "THB", paylinks.ChargeSuccessful)
	charge(a, true, 0, l1, 1000, "THB", paylinks.ChargeSuccessful) // live mode
	charge(b, false, 0, nil, 1000, "THB", paylinks.ChargeSuccessful)
	// An authorization counts once captured, by what was captured.
	auth := f.authorization(t, a, 40, 10*day)
	op := f.id(t)
	wantErr(t, "BeginChargeOp", f.s.BeginChargeOp(ctx, a.ID, false, auth.ID, store.OpCapture, op, 5000, at(50)), nil)
	captured := *auth
	captured.Status, captured.CapturedAmount, captured.PaidAt = paylinks.ChargeSuccessful, 5000, ptr(at(50))
	wantErr(t, "FinishChargeOp", f.s.FinishChargeOp(ctx, &captured, op, nil), nil)

	d0 := time.Date(base.Year(), base.Month(), base.Day(), 0, 0, 0, 0, time.UTC)
	got, err := f.s.ChargeDays(ctx, a.ID, false, at(0), at(2*day))
	want := []store.ChargeDay{
		{Day: d0, Currency: "THB", Count: 3, Volume: 5300},
		{Day: d0, Currency: "USD", Count: 1, Volume: 7},
		{Day: d0.AddDate(0, 0, 1), Currency: "USD", Count: 2, Volume: 110},
		{Day: d0.AddDate(0, 0, 2), Currency: "THB", Count: 1, Volume: 5},
	}
	if err != nil {
		t.Fatalf("ChargeDays: %v", err)
	}
	check(t, "ChargeDays", got, want)
	got, err = f.s.ChargeDays(ctx, a.ID, false, at(day), at(day))
	if err != nil || len(got) != 1 || got[0].Count != 2 {
		t.Errorf("ChargeDays(one day): %+v, %v", got, err)
	}

	top, err := f.s.TopLinks(ctx, a.ID, false, at(0), 5)
	if err != nil {
		t.Fatalf("TopLinks: %v", err)
	}
	check(t, "TopLinks", top, []store.LinkSales{
		{LinkID: l2.ID, Currency: "USD", Count: 3, Volume: 117},
		{LinkID: l1.ID, Currency: "THB", Count: 2, Volume: 300},
	})
	top, err = f.s.TopLinks(ctx, a.ID, false, at(day), 1)
	if err != nil {
		t.Fatalf("TopLinks: %v", err)
	}
	check(t, "TopLinks(from day 1, n 1)", top, []store.LinkSales{{LinkID: l2.ID, Currency: "USD", Count: 2, Volume: 110}})
}

// testEventsByObject: ListEvents keeps the events of the objects named.
func testEventsByObject(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l1, l2, l3 := f.link(t, a, false, 1, nil), f.link(t, a, false, 2, nil), f.link(t, a, false, 3, nil)
	e1, e2 := f.createLink(t, l1), f.createLink(t, l2)
	f.createLink(t, l3)
	got, _, err := f.s.ListEvents(ctx, store.EventFilter{AccountID: a.ID, ObjectIDs: []paylinks.ID{l2.ID, l1.ID}, Order: paylinks.Chronological})
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	if g, w := ids(got, eventID), ids([]paylinks.Event{*e1, *e2}, eventID); !slices.Equal(g, w) {
		t.Errorf("ListEvents(objects l1, l2): got %v, want %v", g, w)
	}
}

// testSessionsOfLink: ListSessions with LinkID keeps that link's sessions,
// newest first, by keyset.
func testSessionsOfLink(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l1, l2 := f.newLink(t, a, false, 0, nil), f.newLink(t, a, false, 0, nil)
	var want []paylinks.ID
	for i := range 5 {
		s := f.newSession(t, a, false, i, func(s *paylinks.CheckoutSession) { s.LinkID = &l1.ID })
		want = append([]paylinks.ID{s.ID}, want...)
		f.newSession(t, a, false, i, func(s *paylinks.CheckoutSession) { s.LinkID = &l2.ID })
		f.newSession(t, a, false, i, nil)
	}
	var got []paylinks.ID
	sf := paylinks.SessionFilter{AccountID: a.ID, LinkID: &l1.ID, Limit: 2}
	for range 5 {
		p, err := f.s.ListSessions(ctx, sf)
		if err != nil {
			t.Fatalf("ListSessions(link): %v", err)
		}
		if len(p) == 0 {
			break
		}
		for _, s := range p {
			got = append(got, s.ID)
		}
		sf.After = &p[len(p)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListSessions(link l1) by pages: got %v, want %v", got, want)
	}
}
