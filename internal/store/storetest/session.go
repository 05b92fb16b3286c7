package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// session returns an unsaved open session of the account and mode, created
// at sec and expiring 30 minutes later, changed by edit when not nil.
func (f *fixture) session(t *testing.T, a *paylinks.Account, livemode bool, sec int, edit func(*paylinks.CheckoutSession)) *paylinks.CheckoutSession {
	t.Helper()
	s := &paylinks.CheckoutSession{
		ID:         f.id(t),
		AccountID:  a.ID,
		Livemode:   livemode,
		Status:     paylinks.SessionOpen,
		Amount:     9900,
		Currency:   "USD",
		SuccessURL: "https://example.com/ok",
		CreatedAt:  at(sec),
		ExpiresAt:  at(sec + 1800),
	}
	if edit != nil {
		edit(s)
	}
	return s
}

// newSession makes and saves a session with a session.create event.
func (f *fixture) newSession(t *testing.T, a *paylinks.Account, livemode bool, sec int, edit func(*paylinks.CheckoutSession)) *paylinks.CheckoutSession {
	t.Helper()
	s := f.session(t, a, livemode, sec, edit)
	ev := f.event(t, a.ID, livemode, "session.create", s.ID, sec)
	if err := f.s.CreateSession(t.Context(), s, ev, nil); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return s
}

func testSessions(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l := f.newLink(t, a, false, 0, nil)
	full := f.session(t, a, false, 1, func(s *paylinks.CheckoutSession) {
		s.LinkID = &l.ID
		s.CancelURL, s.Email = "https://example.com/cancel", "payer@example.com"
		s.Metadata = map[string]string{"order": "42", "note": "ünïcode ✓"}
	})
	ev := f.event(t, a.ID, false, "session.create", full.ID, 1)
	wantErr(t, "CreateSession", f.s.CreateSession(ctx, full, ev, nil), nil)
	wantErr(t, "CreateSession again", f.s.CreateSession(ctx, full, f.event(t, a.ID, false, "session.create", full.ID, 1), nil), paylinks.ErrConflict)
	bare := f.newSession(t, a, false, 2, func(s *paylinks.CheckoutSession) { s.SuccessURL = "" })

	for _, want := range []*paylinks.CheckoutSession{full, bare} {
		got, err := f.s.GetSession(ctx, a.ID, false, want.ID)
		wantErr(t, "GetSession", err, nil)
		check(t, "GetSession", got, want)
		got, err = f.s.SessionByID(ctx, want.ID)
		wantErr(t, "SessionByID", err, nil)
		check(t, "SessionByID", got, want)
	}
	gotEv, err := f.s.GetEvent(ctx, a.ID, false, ev.ID)
	wantErr(t, "GetEvent of session.create", err, nil)
	check(t, "GetEvent of session.create", gotEv, ev)

	for _, tt := range []struct {
		name     string
		account  paylinks.ID
		livemode bool
		id       paylinks.ID
	}{
		{"other account", b.ID, false, full.ID},
		{"other mode", a.ID, true, full.ID},
		{"no such id", a.ID, false, f.id(t)},
	} {
		_, err := f.s.GetSession(ctx, tt.account, tt.livemode, tt.id)
		wantErr(t, "GetSession("+tt.name+")", err, paylinks.ErrNotFound)
	}
	_, err = f.s.SessionByID(ctx, f.id(t))
	wantErr(t, "SessionByID(no such id)", err, paylinks.ErrNotFound)
}

func testListSessions(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	var all []paylinks.CheckoutSession
	for i := range 7 {
		all = append(all, *f.newSession(t, a, false, i/2, nil)) // pairs share a created_at
	}
	f.newSession(t, a, true, 3, nil)
	f.newSession(t, b, false, 3, nil)
	key := func(s paylinks.CheckoutSession) (time.Time, paylinks.ID) { return s.CreatedAt, s.ID }
	want, _ := page(all, func(paylinks.CheckoutSession) bool { return true }, key, time.Time{}, time.Time{}, paylinks.ReverseChronological, 0, 0)

	got, err := f.s.ListSessions(ctx, paylinks.SessionFilter{AccountID: a.ID})
	wantErr(t, "ListSessions", err, nil)
	check(t, "ListSessions", got, want)

	// Keyset pages of 3 walk the whole list once.
	var walked []paylinks.CheckoutSession
	var after *paylinks.ID
	for range 5 {
		p, err := f.s.ListSessions(ctx, paylinks.SessionFilter{AccountID: a.ID, Limit: 3, After: after})
		wantErr(t, "ListSessions page", err, nil)
		walked = append(walked, p...)
		if len(p) < 3 {
			break
		}
		after = &p[len(p)-1].ID
	}
	if g, w := ids(walked, func(s paylinks.CheckoutSession) paylinks.ID { return s.ID }), ids(want, func(s paylinks.CheckoutSession) paylinks.ID { return s.ID }); fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("keyset walk: got %v, want %v", g, w)
	}
	_, err = f.s.ListSessions(ctx, paylinks.SessionFilter{AccountID: b.ID, After: &all[0].ID})
	wantErr(t, "ListSessions after another account's session", err, paylinks.ErrNotFound)
}

func testClaimSession(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	c0, c1 := f.id(t), f.id(t)
	s := f.newSession(t, a, false, 0, nil) // expires at 1800
	steps := []struct {
		op         string
		claim      paylinks.ID
		now, until int
		want       error
	}{
		{"claim", c0, 0, 10, nil},
		{"claim", c1, 5, 15, paylinks.ErrConflict},
		{"claim", c0, 6, 20, nil}, // the holder extends
		{"release", c1, 0, 0, nil},
		{"claim", c1, 7, 20, paylinks.ErrConflict}, // a stranger's release changed nothing
		{"claim", c1, 20, 30, nil},                 // the first claim lapsed
		{"release", c1, 0, 0, nil},
		{"claim", c0, 21, 30, nil},
		{"claim", c0, 1800, 1810, paylinks.ErrConflict}, // expired, even for the holder
	}
	for i, st := range steps {
		op := fmt.Sprintf("step %d: %s", i, st.op)
		switch st.op {
		case "claim":
			wantErr(t, op, f.s.ClaimSession(ctx, s.ID, st.claim, at(st.now), at(st.until)), st.want)
		case "release":
			wantErr(t, op, f.s.ReleaseSessionClaim(ctx, s.ID, st.claim), st.want)
		}
	}
	wantErr(t, "ClaimSession(missing)", f.s.ClaimSession(ctx, f.id(t), c0, at(0), at(10)), paylinks.ErrNotFound)
	wantErr(t, "ReleaseSessionClaim(missing)", f.s.ReleaseSessionClaim(ctx, f.id(t), c0), paylinks.ErrNotFound)

	// Concurrent claims: exactly one wins.
	s2 := f.newSession(t, a, false, 0, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		claim := f.id(t)
		wg.Go(func() {
			if err := f.s.ClaimSession(ctx, s2.ID, claim, at(1), at(100)); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("concurrent ClaimSession: %d won, want 1", wins)
	}
}

func testPaySession(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, nil) // single-use
	s := f.newSession(t, a, false, 0, func(s *paylinks.CheckoutSession) { s.LinkID = &l.ID })
	claim := f.id(t)

	charge := func(sec int, paid bool) *paylinks.Charge {
		return f.charge(t, a, false, sec, func(c *paylinks.Charge) {
			c.LinkID, c.SessionID, c.Email = &l.ID, &s.ID, "payer@example.com"
			if !paid {
				c.Status, c.PaidAt, c.FailureCode = paylinks.ChargeFailed, nil, "insufficient_fund"
			}
		})
	}
	// Without the claim: nothing written.
	c := charge(1, true)
	w := store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c)}, SessionClaimID: &claim}
	wantErr(t, "PaySession without the claim", f.s.PaySession(ctx, w), paylinks.ErrConflict)
	wantCharge(t, f, "PaySession without the claim", w.ChargeWrite, false)

	// A decline drops the claim, keeps the session open.
	wantErr(t, "ClaimSession", f.s.ClaimSession(ctx, s.ID, claim, at(1), at(60)), nil)
	c = charge(2, false)
	w = store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c)}, SessionClaimID: &claim}
	wantErr(t, "PaySession(declined)", f.s.PaySession(ctx, w), nil)
	wantCharge(t, f, "PaySession(declined)", w.ChargeWrite, true)
	wantErr(t, "ClaimSession by another after a decline", f.s.ClaimSession(ctx, s.ID, f.id(t), at(3), at(4)), nil)

	// Success completes the session and, with a link claim, uses the link.
	claim = f.id(t)
	linkClaim := f.id(t)
	wantErr(t, "ClaimSession", f.s.ClaimSession(ctx, s.ID, claim, at(5), at(60)), nil)
	wantErr(t, "ClaimLink", f.s.ClaimLink(ctx, l.ID, linkClaim, at(5), at(60)), nil)
	c = charge(6, true)
	w = store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), ClaimID: &linkClaim},
		SessionClaimID: &claim}
	wantErr(t, "PaySession(paid)", f.s.PaySession(ctx, w), nil)
	wantCharge(t, f, "PaySession(paid)", w.ChargeWrite, true)
	got, err := f.s.GetSession(ctx, a.ID, false, s.ID)
	wantErr(t, "GetSession after payment", err, nil)
	want := *s
	want.Status, want.CompletedAt, want.ChargeID, want.Email = paylinks.SessionComplete, ptr(at(6)), &c.ID, "payer@example.com"
	check(t, "GetSession after payment", got, &want)
	gl, err := f.s.GetLink(ctx, a.ID, false, l.ID)
	wantErr(t, "GetLink after payment", err, nil)
	if !gl.Used {
		t.Errorf("link after its session's payment: used = false, want true")
	}
	// A complete session cannot be claimed or paid again.
	wantErr(t, "ClaimSession after completion", f.s.ClaimSession(ctx, s.ID, claim, at(7), at(60)), paylinks.ErrConflict)
	c = charge(8, true)
	w = store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c)}, SessionClaimID: &claim}
	wantErr(t, "PaySession again", f.s.PaySession(ctx, w), paylinks.ErrConflict)
	wantCharge(t, f, "PaySession again", w.ChargeWrite, false)

	// A new session is inserted with its charge; a refused link claim
	// writes neither.
	multi := f.newLink(t, a, false, 0, func(l *paylinks.Link) { l.Multiple = true })
	ns := f.session(t, a, false, 9, func(s *paylinks.CheckoutSession) {
		s.LinkID, s.Status, s.CompletedAt, s.Email = &multi.ID, paylinks.SessionComplete, ptr(at(9)), "payer@example.com"
	})
	c = f.charge(t, a, false, 9, func(c *paylinks.Charge) { c.LinkID, c.SessionID = &multi.ID, &ns.ID })
	ns.ChargeID = &c.ID
	w = store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c)}, NewSession: ns}
	wantErr(t, "PaySession(new session)", f.s.PaySession(ctx, w), nil)
	wantCharge(t, f, "PaySession(new session)", w.ChargeWrite, true)
	got, err = f.s.GetSession(ctx, a.ID, false, ns.ID)
	wantErr(t, "GetSession(new session)", err, nil)
	check(t, "GetSession(new session)", got, ns)

	ns2 := f.session(t, a, false, 10, func(s *paylinks.CheckoutSession) { s.LinkID = &l.ID })
	c = f.charge(t, a, false, 10, func(c *paylinks.Charge) { c.LinkID, c.SessionID = &l.ID, &ns2.ID })
	w = store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), ClaimID: ptr(f.id(t))}, NewSession: ns2}
	wantErr(t, "PaySession(new session, link claim not held)", f.s.PaySession(ctx, w), paylinks.ErrConflict)
	wantCharge(t, f, "PaySession(new session, link claim not held)", w.ChargeWrite, false)
	_, err = f.s.GetSession(ctx, a.ID, false, ns2.ID)
	wantErr(t, "GetSession(refused new session)", err, paylinks.ErrNotFound)
}
