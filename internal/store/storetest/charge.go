package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// chargeEvents returns the events a CreateCharge of c writes.
func (f *fixture) chargeEvents(t *testing.T, c *paylinks.Charge) []paylinks.Event {
	t.Helper()
	sec := int(c.CreatedAt.Sub(base) / time.Second)
	e1 := f.event(t, c.AccountID, c.Livemode, "charge.create", c.ID, sec)
	e2 := f.event(t, c.AccountID, c.Livemode, "charge.complete", c.ID, sec)
	e1.ObjectType, e2.ObjectType = "charge", "charge"
	return []paylinks.Event{*e1, *e2}
}

// wantCharge checks that the charge and its events are stored as written,
// or (written false) that none of them is.
func wantCharge(t *testing.T, f *fixture, what string, w store.ChargeWrite, written bool) {
	t.Helper()
	ctx := t.Context()
	c := w.Charge
	got, err := f.s.GetCharge(ctx, c.AccountID, c.Livemode, c.ID)
	if !written {
		wantErr(t, "GetCharge of "+what, err, paylinks.ErrNotFound)
	} else {
		wantErr(t, "GetCharge of "+what, err, nil)
		check(t, "GetCharge of "+what, got, c)
	}
	for _, ev := range w.Events {
		got, err := f.s.GetEvent(ctx, ev.AccountID, ev.Livemode, ev.ID)
		if !written {
			wantErr(t, "GetEvent of "+what, err, paylinks.ErrNotFound)
			continue
		}
		wantErr(t, "GetEvent of "+what, err, nil)
		check(t, "GetEvent of "+what, got, &ev)
	}
}

func testCreateCharge(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l := f.newLink(t, a, false, 0, func(l *paylinks.Link) { l.Multiple = true })
	tests := []struct {
		name   string
		charge *paylinks.Charge
	}{
		{"everything set", f.charge(t, a, false, 1, func(c *paylinks.Charge) {
			c.LinkID, c.SessionID, c.TransactionID = &l.ID, ptr(f.id(t)), ptr(f.id(t))
			c.Description, c.Email = "Order 42", "payer@example.com"
			c.Metadata = map[string]string{"order": "42", "note": "ünïcode ✓", "empty": ""}
		})},
		{"failed, nothing optional", f.charge(t, a, false, 2, func(c *paylinks.Charge) {
			c.Status, c.Capture, c.PaidAt = paylinks.ChargeFailed, false, nil
			c.FailureCode, c.FailureMessage = "insufficient_fund", "insufficient funds in the account"
			c.Card = paylinks.Card{}
		})},
		{"pending, live", f.charge(t, a, true, 3, func(c *paylinks.Charge) {
			c.Status, c.PaidAt = paylinks.ChargePending, nil
			c.Card.SecurityCodeCheck = false
		})},
	}
	for _, tt := range tests {
		w := store.ChargeWrite{Charge: tt.charge, Events: f.chargeEvents(t, tt.charge)}
		wantErr(t, "CreateCharge("+tt.name+")", f.s.CreateCharge(ctx, w), nil)
		wantCharge(t, f, "CreateCharge("+tt.name+")", w, true)
	}

	c := tests[0].charge
	notFound := []struct {
		name     string
		account  paylinks.ID
		livemode bool
		id       paylinks.ID
	}{
		{"missing", a.ID, false, f.id(t)},
		{"other account", b.ID, false, c.ID},
		{"other mode", a.ID, true, c.ID},
	}
	for _, tt := range notFound {
		_, err := f.s.GetCharge(ctx, tt.account, tt.livemode, tt.id)
		wantErr(t, "GetCharge("+tt.name+")", err, paylinks.ErrNotFound)
	}

	dup := f.charge(t, a, false, 4, func(x *paylinks.Charge) { x.ID = c.ID })
	w := store.ChargeWrite{Charge: dup, Events: f.chargeEvents(t, dup)}
	wantErr(t, "CreateCharge(id taken)", f.s.CreateCharge(ctx, w), paylinks.ErrConflict)
	for _, ev := range w.Events {
		_, err := f.s.GetEvent(ctx, ev.AccountID, ev.Livemode, ev.ID)
		wantErr(t, "GetEvent of a refused CreateCharge", err, paylinks.ErrNotFound)
	}
	got, err := f.s.GetCharge(ctx, a.ID, false, c.ID)
	wantErr(t, "GetCharge after a refused CreateCharge", err, nil)
	check(t, "GetCharge after a refused CreateCharge", got, c)
}

func testCreateChargeClaim(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	type result struct {
		err     error
		written bool // the charge and its events
		used    bool // the link
	}
	tests := []struct {
		name string
		link func(*paylinks.Link)
		// setup claims the link; it returns the ClaimID of the charge.
		setup  func(t *testing.T, l *paylinks.Link) paylinks.ID
		status paylinks.ChargeStatus
		want   result
		// after, when set, checks the link's claim afterwards.
		after func(t *testing.T, l *paylinks.Link, claimID paylinks.ID)
	}{
		{
			name:   "successful with the held claim",
			setup:  f.claim(0, 10),
			status: paylinks.ChargeSuccessful,
			want:   result{nil, true, true},
			after: func(t *testing.T, l *paylinks.Link, _ paylinks.ID) {
				err := f.s.ClaimLink(ctx, l.ID, f.id(t), at(20), at(30))
				wantErr(t, "ClaimLink of a used link", err, paylinks.ErrConflict)
			},
		},
		{
			name: "stale claim, since taken by another attempt",
			setup: func(t *testing.T, l *paylinks.Link) paylinks.ID {
				stale := f.claim(0, 10)(t, l)
				f.claim(11, 20)(t, l)
				return stale
			},
			status: paylinks.ChargeSuccessful,
			want:   result{paylinks.ErrConflict, false, false},
		},
		{
			name:   "a claim the link never had",
			setup:  func(t *testing.T, l *paylinks.Link) paylinks.ID { return f.id(t) },
			status: paylinks.ChargeSuccessful,
			want:   result{paylinks.ErrConflict, false, false},
		},
		{
			name: "a claim released",
			setup: func(t *testing.T, l *paylinks.Link) paylinks.ID {
				id := f.claim(0, 10)(t, l)
				if err := f.s.ReleaseClaim(ctx, l.ID, id); err != nil {
					t.Fatalf("ReleaseClaim: %v", err)
				}
				return id
			},
			status: paylinks.ChargeSuccessful,
			want:   result{paylinks.ErrConflict, false, false},
		},
		{
			name:   "multi-use link, which ClaimLink does not claim",
			link:   func(l *paylinks.Link) { l.Multiple = true },
			setup:  f.claim(0, 10),
			status: paylinks.ChargeSuccessful,
			want:   result{paylinks.ErrConflict, false, false},
		},
		{
			name:   "failed charge",
			setup:  f.claim(0, 10),
			status: paylinks.ChargeFailed,
			want:   result{nil, true, false},
			after: func(t *testing.T, l *paylinks.Link, claimID paylinks.ID) {
				if err := f.s.ReleaseClaim(ctx, l.ID, claimID); err != nil {
					t.Fatalf("ReleaseClaim: %v", err)
				}
				err := f.s.ClaimLink(ctx, l.ID, f.id(t), at(1), at(10))
				wantErr(t, "ClaimLink after a failed charge and ReleaseClaim", err, nil)
			},
		},
	}
	for _, tt := range tests {
		l := f.newLink(t, a, false, 0, tt.link)
		claimID := tt.setup(t, l)
		c := f.charge(t, a, false, 5, func(c *paylinks.Charge) {
			c.LinkID, c.Status = &l.ID, tt.status
			if tt.status != paylinks.ChargeSuccessful {
				c.PaidAt, c.FailureCode = nil, "failed_processing"
			}
		})
		w := store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), ClaimID: &claimID}
		err := f.s.CreateCharge(ctx, w)
		wantErr(t, "CreateCharge("+tt.name+")", err, tt.want.err)
		wantCharge(t, f, "CreateCharge("+tt.name+")", w, tt.want.written)
		want := *l
		if tt.want.used {
			want.Used, want.UsedAt, want.PaymentCount = true, &c.CreatedAt, 1
		}
		if tt.want.written {
			want.ChargeCount = 1 // a failed charge counts too
		}
		got, err := f.s.GetLink(ctx, a.ID, false, l.ID)
		wantErr(t, "GetLink after CreateCharge("+tt.name+")", err, nil)
		check(t, "GetLink after CreateCharge("+tt.name+")", got, &want)
		if tt.after != nil {
			tt.after(t, l, claimID)
		}
	}

	t.Run("second charge on the same claim", func(t *testing.T) {
		l := f.newLink(t, a, false, 0, nil)
		claimID := f.claim(0, 10)(t, l)
		for i, want := range []error{nil, paylinks.ErrConflict} {
			c := f.charge(t, a, false, 5+i, func(c *paylinks.Charge) { c.LinkID = &l.ID })
			err := f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c, ClaimID: &claimID})
			wantErr(t, fmt.Sprintf("CreateCharge %d", i+1), err, want)
		}
	})
}

// testLimitedLinkClaims: a multi-use link with a PaymentLimit is claimed
// like a single-use link; each successful charge under the claim counts,
// and the one that reaches the limit uses the link; a failed one counts
// nothing.
func testLimitedLinkClaims(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, func(l *paylinks.Link) { l.Multiple, l.PaymentLimit = true, 3 })
	if got, err := f.s.GetLink(ctx, a.ID, false, l.ID); err != nil || got.PaymentLimit != 3 || got.PaymentCount != 0 {
		t.Fatalf("GetLink of a limited link: %+v, %v", got, err)
	}
	pay := func(i int, status paylinks.ChargeStatus) *paylinks.Charge {
		t.Helper()
		claimID := f.claim(10*i, 10*i+5)(t, l)
		c := f.charge(t, a, false, 10*i+1, func(c *paylinks.Charge) {
			c.LinkID, c.Status = &l.ID, status
			if status != paylinks.ChargeSuccessful {
				c.PaidAt, c.FailureCode = nil, "failed_processing"
			}
		})
		if err := f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c, ClaimID: &claimID}); err != nil {
			t.Fatalf("CreateCharge %d: %v", i, err)
		}
		if status != paylinks.ChargeSuccessful {
			if err := f.s.ReleaseClaim(ctx, l.ID, claimID); err != nil {
				t.Fatalf("ReleaseClaim: %v", err)
			}
		}
		return c
	}
	pay(1, paylinks.ChargeSuccessful)
	pay(2, paylinks.ChargeFailed)
	pay(3, paylinks.ChargeSuccessful)
	got, err := f.s.GetLink(ctx, a.ID, false, l.ID)
	if err != nil || got.PaymentCount != 2 || got.Used || got.UsedAt != nil || got.ChargeCount != 3 {
		t.Fatalf("after 2 of 3 payments and a failure: %+v, %v", got, err)
	}
	last := pay(4, paylinks.ChargeSuccessful)
	got, err = f.s.GetLink(ctx, a.ID, false, l.ID)
	if err != nil || got.PaymentCount != 3 || !got.Used || got.UsedAt == nil || !got.UsedAt.Equal(last.CreatedAt) {
		t.Fatalf("after 3 of 3 payments: %+v, %v", got, err)
	}
	wantErr(t, "ClaimLink of a link at its limit", f.s.ClaimLink(ctx, l.ID, f.id(t), at(100), at(110)), paylinks.ErrConflict)
	if got.Payable() != "used" {
		t.Errorf("Payable at the limit: got %q, want used", got.Payable())
	}
}

// claim returns a setup that claims the link with a new attempt from now to
// until and returns the attempt.
func (f *fixture) claim(now, until int) func(t *testing.T, l *paylinks.Link) paylinks.ID {
	return func(t *testing.T, l *paylinks.Link) paylinks.ID {
		t.Helper()
		id := f.id(t)
		if err := f.s.ClaimLink(t.Context(), l.ID, id, at(now), at(until)); err != nil {
			t.Fatalf("ClaimLink: %v", err)
		}
		return id
	}
}

func testCreateChargeToken(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	tests := []struct {
		name    string
		status  paylinks.ChargeStatus
		account *paylinks.Account // of the token; the charge is a's
		want    error
	}{
		{"successful", paylinks.ChargeSuccessful, a, nil},
		{"failed", paylinks.ChargeFailed, a, nil},
		{"token of another account", paylinks.ChargeSuccessful, b, paylinks.ErrNotFound},
	}
	for _, tt := range tests {
		tok := f.token(t, tt.account, false, 1)
		if err := f.s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		c := f.charge(t, a, false, 2, func(c *paylinks.Charge) { c.Status = tt.status })
		w := store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), TokenID: &tok.ID}
		err := f.s.CreateCharge(ctx, w)
		wantErr(t, "CreateCharge("+tt.name+")", err, tt.want)
		wantCharge(t, f, "CreateCharge("+tt.name+")", w, tt.want == nil)
		want := *tok
		if tt.want == nil {
			want.ChargeStatus = string(tt.status)
		}
		got, err := f.s.GetToken(ctx, tok.AccountID, false, tok.ID)
		wantErr(t, "GetToken after CreateCharge("+tt.name+")", err, nil)
		check(t, "GetToken after CreateCharge("+tt.name+")", got, &want)
	}
	c := f.charge(t, a, false, 3, nil)
	w := store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), TokenID: ptr(f.id(t))}
	wantErr(t, "CreateCharge(missing token)", f.s.CreateCharge(ctx, w), paylinks.ErrNotFound)
	wantCharge(t, f, "CreateCharge(missing token)", w, false)
}

func chargeKey(c *paylinks.Charge) (time.Time, paylinks.ID) { return c.CreatedAt, c.ID }
func chargeID(c paylinks.Charge) paylinks.ID                { return c.ID }

func testListCharges(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l1 := f.newLink(t, a, false, 0, func(l *paylinks.Link) { l.Multiple = true })
	l2 := f.newLink(t, a, false, 0, func(l *paylinks.Link) { l.Multiple = true })
	bl := f.newLink(t, b, false, 0, func(l *paylinks.Link) { l.Multiple = true })
	var all []*paylinks.Charge
	add := func(acct *paylinks.Account, live bool, link *paylinks.Link, sec int) {
		c := f.charge(t, acct, live, sec, func(c *paylinks.Charge) {
			if link != nil {
				c.LinkID = &link.ID
			}
		})
		if err := f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c}); err != nil {
			t.Fatalf("CreateCharge: %v", err)
		}
		all = append(all, c)
	}
	for i, sec := range []int{4, 1, 3, 3, 2, 5, 3, 6, 7, 3} {
		add(a, false, []*paylinks.Link{nil, l1, l2}[i%3], sec)
	}
	add(b, false, bl, 3)
	add(a, true, nil, 3)

	rev := paylinks.ReverseChronological
	tests := []struct {
		name string
		f    paylinks.ChargeFilter
	}{
		{"all", paylinks.ChargeFilter{AccountID: a.ID}},
		{"all, reverse", paylinks.ChargeFilter{AccountID: a.ID, Order: rev}},
		{"window", paylinks.ChargeFilter{AccountID: a.ID, From: at(3), To: at(5)}},
		{"window, reverse, paged", paylinks.ChargeFilter{AccountID: a.ID, From: at(2), To: at(6), Order: rev, Offset: 1, Limit: 3}},
		{"paged", paylinks.ChargeFilter{AccountID: a.ID, Offset: 3, Limit: 4}},
		{"offset past the end", paylinks.ChargeFilter{AccountID: a.ID, Offset: 30, Limit: 4}},
		{"of a link", paylinks.ChargeFilter{AccountID: a.ID, LinkID: &l1.ID}},
		{"of a link, reverse, window", paylinks.ChargeFilter{AccountID: a.ID, LinkID: &l2.ID, Order: rev, From: at(3)}},
		{"of a link, paged", paylinks.ChargeFilter{AccountID: a.ID, LinkID: &l1.ID, Limit: 2}},
		{"of another account's link", paylinks.ChargeFilter{AccountID: a.ID, LinkID: &bl.ID}},
		{"live", paylinks.ChargeFilter{AccountID: a.ID, Livemode: true}},
		{"other account", paylinks.ChargeFilter{AccountID: b.ID}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("ListCharges(%s)", tt.name)
		got, total, err := f.s.ListCharges(ctx, tt.f)
		wantErr(t, name, err, nil)
		p, wantTotal := page(all, func(c *paylinks.Charge) bool {
			return c.AccountID == tt.f.AccountID && c.Livemode == tt.f.Livemode &&
				(tt.f.LinkID == nil || c.LinkID != nil && *c.LinkID == *tt.f.LinkID)
		}, chargeKey, tt.f.From, tt.f.To, tt.f.Order, tt.f.Offset, tt.f.Limit)
		want := make([]paylinks.Charge, len(p))
		for i, c := range p {
			want[i] = *c
		}
		if total != wantTotal {
			t.Errorf("%s: got total %d, want %d", name, total, wantTotal)
		}
		if g, w := ids(got, chargeID), ids(want, chargeID); !slices.Equal(g, w) {
			t.Errorf("%s: got ids %v, want %v", name, g, w)
			continue
		}
		check(t, name, got, want)
	}
}
