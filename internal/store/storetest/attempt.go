package storetest

import (
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/store"
)

// attempt returns an unsaved pending payment attempt of the account, of
// kind k, created at sec, changed by edit when not nil.
func (f *fixture) attempt(t *testing.T, a *paylinks.Account, k store.AttemptKind, sec int, edit func(*store.PaymentAttempt)) *store.PaymentAttempt {
	t.Helper()
	pa := &store.PaymentAttempt{
		ID: f.id(t), AccountID: a.ID, Kind: k, Amount: 12345, Currency: "THB", Description: "a payment",
		Capture: true, ProcessorRef: "sim:success", CardID: f.id(t),
		Card: paylinks.Card{Brand: "Visa", FirstDigits: "424242", LastDigits: "4242", ExpirationMonth: 12,
			ExpirationYear: 2030, Name: "A Payer", Fingerprint: "fp", SecurityCodeCheck: true},
		Email: "payer@example.com", IP: "203.0.113.7", Metadata: map[string]string{"order": "7"}, Status: store.AttemptPending,
		CreatedAt: at(sec),
	}
	if edit != nil {
		edit(pa)
	}
	return pa
}

// attemptCharge returns the unsaved charge that records attempt pa with
// status st.
func (f *fixture) attemptCharge(t *testing.T, a *paylinks.Account, pa *store.PaymentAttempt, st paylinks.ChargeStatus, sec int) *paylinks.Charge {
	return f.charge(t, a, false, sec, func(c *paylinks.Charge) {
		c.ID, c.LinkID, c.SessionID, c.Status = pa.ID, pa.LinkID, pa.SessionID, st
		if st != paylinks.ChargeSuccessful {
			c.PaidAt, c.FailureCode = nil, "insufficient_fund"
		}
	})
}

func (f *fixture) wantAttempt(t *testing.T, what string, pa *store.PaymentAttempt, st store.AttemptStatus, charge *paylinks.ID) {
	t.Helper()
	got, err := f.s.GetAttempt(t.Context(), pa.ID)
	wantErr(t, what+": GetAttempt", err, nil)
	if err != nil {
		return
	}
	want := *pa
	want.Status, want.ChargeID, want.LeaseUntil = st, charge, nil
	check(t, what+": GetAttempt", got, &want)
}

// testAttemptLink: an attempt claims a single-use link in its own write; the
// claim does not lapse while the attempt is pending; its charge finalizes
// it once, marking the link used; a second finalize writes nothing.
func testAttemptLink(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, nil)
	pa := f.attempt(t, a, store.AttemptLink, 1, func(pa *store.PaymentAttempt) { pa.LinkID, pa.ClaimsLink = &l.ID, true })
	wantErr(t, "BeginAttempt", f.s.BeginAttempt(ctx, pa, nil, at(1), at(10)), nil)
	f.wantAttempt(t, "after BeginAttempt", pa, store.AttemptPending, nil)

	other := f.attempt(t, a, store.AttemptLink, 2, func(o *store.PaymentAttempt) { o.LinkID, o.ClaimsLink = &l.ID, true })
	wantErr(t, "BeginAttempt on a claimed link", f.s.BeginAttempt(ctx, other, nil, at(2), at(20)), paylinks.ErrConflict)
	wantErr(t, "BeginAttempt on a link claimed by a pending attempt, past the claim's end",
		f.s.BeginAttempt(ctx, other, nil, at(100), at(200)), paylinks.ErrConflict)
	_, err := f.s.GetAttempt(ctx, other.ID)
	wantErr(t, "GetAttempt of a refused attempt", err, paylinks.ErrNotFound)
	wantErr(t, "ClaimLink (a pending attempt's claim, not lapsed)", f.s.ClaimLink(ctx, l.ID, f.id(t), at(3), at(20)), paylinks.ErrConflict)

	// The charge finalizes the attempt, with the link used.
	sess := f.session(t, a, false, 5, func(s *paylinks.CheckoutSession) { s.LinkID = &l.ID })
	c := f.attemptCharge(t, a, pa, paylinks.ChargeSuccessful, 5)
	c.SessionID = &sess.ID
	w := store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), ClaimID: &pa.ID,
		AttemptID: &pa.ID}, NewSession: sess}
	wantErr(t, "PaySession of the attempt", f.s.PaySession(ctx, w), nil)
	f.wantAttempt(t, "after its charge", pa, store.AttemptSucceeded, &c.ID)
	got, err := f.s.GetLink(ctx, a.ID, false, l.ID)
	wantErr(t, "GetLink", err, nil)
	if err == nil && !got.Used {
		t.Error("the link is not used after its attempt's successful charge")
	}

	// Recorded twice (the reconciler and a late process): the second write
	// is refused and writes nothing.
	again := f.attemptCharge(t, a, pa, paylinks.ChargeSuccessful, 6)
	again.ID = f.id(t)
	w2 := store.ChargeWrite{Charge: again, Events: f.chargeEvents(t, again), AttemptID: &pa.ID}
	wantErr(t, "CreateCharge of a settled attempt", f.s.CreateCharge(ctx, w2), store.ErrAttemptSettled)
	wantCharge(t, f, "CreateCharge of a settled attempt", w2, false)
	wantErr(t, "VoidAttempt of a settled attempt", f.s.VoidAttempt(ctx, pa.ID), store.ErrAttemptSettled)
	wantErr(t, "VoidAttempt of a missing attempt", f.s.VoidAttempt(ctx, f.id(t)), paylinks.ErrNotFound)

	// A voided attempt's claim is released: the link is payable.
	l2 := f.newLink(t, a, false, 0, nil)
	v := f.attempt(t, a, store.AttemptLink, 1, func(v *store.PaymentAttempt) { v.LinkID, v.ClaimsLink = &l2.ID, true })
	wantErr(t, "BeginAttempt", f.s.BeginAttempt(ctx, v, nil, at(1), at(10)), nil)
	wantErr(t, "VoidAttempt", f.s.VoidAttempt(ctx, v.ID), nil)
	f.wantAttempt(t, "after VoidAttempt", v, store.AttemptVoided, nil)
	next := f.attempt(t, a, store.AttemptLink, 2, func(n *store.PaymentAttempt) { n.LinkID, n.ClaimsLink = &l2.ID, true })
	wantErr(t, "BeginAttempt after a void", f.s.BeginAttempt(ctx, next, nil, at(2), at(10)), nil)

	// A declined charge releases the link's claim in its own write.
	c3 := f.attemptCharge(t, a, next, paylinks.ChargeFailed, 3)
	sess3 := f.session(t, a, false, 3, func(s *paylinks.CheckoutSession) { s.LinkID = &l2.ID })
	c3.SessionID = &sess3.ID
	w3 := store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c3, Events: f.chargeEvents(t, c3), ClaimID: &next.ID,
		AttemptID: &next.ID}, NewSession: sess3}
	wantErr(t, "PaySession (declined)", f.s.PaySession(ctx, w3), nil)
	f.wantAttempt(t, "after a declined charge", next, store.AttemptFailed, &c3.ID)
	last := f.attempt(t, a, store.AttemptLink, 4, func(n *store.PaymentAttempt) { n.LinkID, n.ClaimsLink = &l2.ID, true })
	wantErr(t, "BeginAttempt after a decline", f.s.BeginAttempt(ctx, last, nil, at(4), at(10)), nil)
}

// testAttemptSession: an attempt claims a session and its single-use link
// together; a decline releases both, a void releases both.
func testAttemptSession(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, nil)
	s := f.newSession(t, a, false, 0, func(s *paylinks.CheckoutSession) { s.LinkID = &l.ID })
	begin := func(sec int) *store.PaymentAttempt {
		t.Helper()
		pa := f.attempt(t, a, store.AttemptSession, sec, func(pa *store.PaymentAttempt) {
			pa.SessionID, pa.LinkID, pa.ClaimsSession, pa.ClaimsLink = &s.ID, &l.ID, true, true
		})
		wantErr(t, "BeginAttempt (session)", f.s.BeginAttempt(ctx, pa, nil, at(sec), at(sec+10)), nil)
		return pa
	}
	pa := begin(1)
	wantErr(t, "ClaimSession while an attempt holds it", f.s.ClaimSession(ctx, s.ID, f.id(t), at(5), at(6)), paylinks.ErrConflict)
	// A link claimed elsewhere refuses the whole attempt: no session claim is left behind.
	wantErr(t, "VoidAttempt", f.s.VoidAttempt(ctx, pa.ID), nil)
	wantErr(t, "ClaimSession after a void", f.s.ClaimSession(ctx, s.ID, f.id(t), at(2), at(3)), nil)
	wantErr(t, "ClaimLink after a void", f.s.ClaimLink(ctx, l.ID, f.id(t), at(2), at(9)), nil)
	blocked := f.attempt(t, a, store.AttemptSession, 2, func(pa *store.PaymentAttempt) {
		pa.SessionID, pa.LinkID, pa.ClaimsSession, pa.ClaimsLink = &s.ID, &l.ID, true, true
	})
	wantErr(t, "BeginAttempt with the link held by a claim", f.s.BeginAttempt(ctx, blocked, nil, at(3), at(13)), paylinks.ErrConflict)
	free := f.id(t)
	wantErr(t, "ClaimSession (the refused attempt left no claim)", f.s.ClaimSession(ctx, s.ID, free, at(3), at(4)), nil)

	pa = begin(10)
	c := f.attemptCharge(t, a, pa, paylinks.ChargeFailed, 11)
	w := store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), ClaimID: &pa.ID,
		AttemptID: &pa.ID}, SessionClaimID: &pa.ID}
	wantErr(t, "PaySession (declined)", f.s.PaySession(ctx, w), nil)
	f.wantAttempt(t, "after a decline", pa, store.AttemptFailed, &c.ID)
	pa = begin(12) // both claims were released
	c = f.attemptCharge(t, a, pa, paylinks.ChargeSuccessful, 13)
	w = store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), ClaimID: &pa.ID,
		AttemptID: &pa.ID}, SessionClaimID: &pa.ID}
	wantErr(t, "PaySession", f.s.PaySession(ctx, w), nil)
	f.wantAttempt(t, "after its charge", pa, store.AttemptSucceeded, &c.ID)
	got, err := f.s.GetSession(ctx, a.ID, false, s.ID)
	wantErr(t, "GetSession", err, nil)
	if err == nil && got.Status != paylinks.SessionComplete {
		t.Errorf("session status %s, want complete", got.Status)
	}
}

// testAttemptToken: an API charge's attempt spends the token and copies its
// card in its write; a void makes the token unused again.
func testAttemptToken(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	tok := f.token(t, a, false, 0)
	wantErr(t, "CreateToken", f.s.CreateToken(ctx, tok), nil)
	newAttempt := func(sec int, tokenID paylinks.ID) *store.PaymentAttempt {
		return f.attempt(t, a, store.AttemptCharge, sec, func(pa *store.PaymentAttempt) {
			pa.TokenID, pa.Card, pa.CardID, pa.ProcessorRef = &tokenID, paylinks.Card{}, paylinks.ID{}, ""
		})
	}
	pa := newAttempt(1, tok.ID)
	wantErr(t, "BeginAttempt (token)", f.s.BeginAttempt(ctx, pa, nil, at(1), at(1)), nil)
	if pa.Card != tok.Card || pa.CardID != tok.CardID || pa.ProcessorRef != tok.ProcessorRef {
		t.Errorf("BeginAttempt did not copy the token's card: got %+v %s %q", pa.Card, pa.CardID, pa.ProcessorRef)
	}
	f.wantAttempt(t, "after BeginAttempt", pa, store.AttemptPending, nil)
	got, _ := f.s.GetToken(ctx, a.ID, false, tok.ID)
	if got == nil || !got.Used {
		t.Error("the token is not used after BeginAttempt")
	}
	wantErr(t, "BeginAttempt with a used token", f.s.BeginAttempt(ctx, newAttempt(2, tok.ID), nil, at(2), at(2)), paylinks.ErrConflict)
	wantErr(t, "BeginAttempt with a missing token", f.s.BeginAttempt(ctx, newAttempt(2, f.id(t)), nil, at(2), at(2)), paylinks.ErrNotFound)
	otherAcct := f.attempt(t, b, store.AttemptCharge, 2, func(pa *store.PaymentAttempt) { pa.TokenID = &tok.ID })
	wantErr(t, "BeginAttempt with another account's token", f.s.BeginAttempt(ctx, otherAcct, nil, at(2), at(2)), paylinks.ErrNotFound)

	wantErr(t, "VoidAttempt", f.s.VoidAttempt(ctx, pa.ID), nil)
	f.wantAttempt(t, "after VoidAttempt", pa, store.AttemptVoided, nil)
	got, _ = f.s.GetToken(ctx, a.ID, false, tok.ID)
	if got == nil || got.Used {
		t.Error("the token is still used after its attempt was voided")
	}
	c := f.attemptCharge(t, a, pa, paylinks.ChargeSuccessful, 3)
	w := store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), TokenID: &tok.ID, AttemptID: &pa.ID}
	wantErr(t, "CreateCharge of a voided attempt", f.s.CreateCharge(ctx, w), store.ErrAttemptSettled)
	wantCharge(t, f, "CreateCharge of a voided attempt", w, false)

	pa = newAttempt(4, tok.ID)
	wantErr(t, "BeginAttempt with the token unused again", f.s.BeginAttempt(ctx, pa, nil, at(4), at(4)), nil)
	c = f.attemptCharge(t, a, pa, paylinks.ChargeFailed, 5)
	w = store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), TokenID: &tok.ID, AttemptID: &pa.ID}
	wantErr(t, "CreateCharge (declined)", f.s.CreateCharge(ctx, w), nil)
	f.wantAttempt(t, "after a declined charge", pa, store.AttemptFailed, &c.ID)
	got, _ = f.s.GetToken(ctx, a.ID, false, tok.ID)
	if got == nil || !got.Used || got.ChargeStatus != string(paylinks.ChargeFailed) {
		t.Errorf("token after a declined charge = %+v, want used, charge_status failed", got)
	}
}

// testAttemptIdempotency: an attempt with an Idempotency-Key record names
// itself on the record in its write; a record that lost its key refuses the
// attempt, and nothing is written.
func testAttemptIdempotency(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	tok := f.token(t, a, false, 0)
	wantErr(t, "CreateToken", f.s.CreateToken(ctx, tok), nil)
	rec := idemRecord(a, "charge-1", "hash", 0)
	if old, err := f.s.BeginIdempotency(ctx, rec, at(0)); err != nil || old != nil {
		t.Fatalf("BeginIdempotency = %v, %v", old, err)
	}
	pa := f.attempt(t, a, store.AttemptCharge, 1, func(pa *store.PaymentAttempt) { pa.TokenID, pa.IdempotencyKey = &tok.ID, "charge-1" })
	wantErr(t, "BeginAttempt with its record", f.s.BeginAttempt(ctx, pa, rec, at(1), at(1)), nil)
	// The request dies; its retry takes the key over and learns the attempt.
	retry := idemRecord(a, "charge-1", "hash", 100)
	if old, err := f.s.BeginIdempotency(ctx, retry, at(100)); err != nil || old != nil {
		t.Fatalf("BeginIdempotency (retry) = %v, %v", old, err)
	}
	if retry.ObjectID == nil || *retry.ObjectID != pa.ID {
		t.Errorf("the retry's record names %v, want the attempt %s", retry.ObjectID, pa.ID)
	}
	// The first request's record lost its key: its attempt is refused.
	tok2 := f.token(t, a, false, 0)
	wantErr(t, "CreateToken", f.s.CreateToken(ctx, tok2), nil)
	lost := f.attempt(t, a, store.AttemptCharge, 101, func(pa *store.PaymentAttempt) { pa.TokenID = &tok2.ID })
	wantErr(t, "BeginAttempt with a lost key", f.s.BeginAttempt(ctx, lost, rec, at(101), at(101)), store.ErrKeyLost)
	_, err := f.s.GetAttempt(ctx, lost.ID)
	wantErr(t, "GetAttempt of a refused attempt", err, paylinks.ErrNotFound)
	got, _ := f.s.GetToken(ctx, a.ID, false, tok2.ID)
	if got == nil || got.Used {
		t.Error("a refused attempt spent its token")
	}
}

// testLeaseAttempts: reconcilers lease pending attempts older than a time,
// one lease at a time, oldest first.
func testLeaseAttempts(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	var pas []*store.PaymentAttempt
	for _, sec := range []int{30, 10, 20, 40} {
		pa := f.attempt(t, a, store.AttemptLink, sec, nil)
		wantErr(t, "BeginAttempt", f.s.BeginAttempt(ctx, pa, nil, at(sec), at(sec)), nil)
		pas = append(pas, pa)
	}
	wantErr(t, "VoidAttempt", f.s.VoidAttempt(ctx, pas[2].ID), nil) // settled: never leased
	ids := func(as []store.PaymentAttempt) []paylinks.ID {
		out := make([]paylinks.ID, len(as))
		for i := range as {
			out[i] = as[i].ID
		}
		return out
	}
	got, err := f.s.LeaseAttempts(ctx, nil, at(35), at(100), at(160), 10)
	wantErr(t, "LeaseAttempts", err, nil)
	check(t, "LeaseAttempts (created by 35 s, oldest first)", ids(got), []paylinks.ID{pas[1].ID, pas[0].ID})
	if len(got) > 0 && (got[0].LeaseUntil == nil || !got[0].LeaseUntil.Equal(at(160))) {
		t.Errorf("LeaseUntil = %v, want %v", got[0].LeaseUntil, at(160))
	}
	got, err = f.s.LeaseAttempts(ctx, nil, at(35), at(120), at(180), 10)
	wantErr(t, "LeaseAttempts while leased", err, nil)
	check(t, "LeaseAttempts while leased", ids(got), []paylinks.ID{})
	got, err = f.s.LeaseAttempts(ctx, nil, at(100), at(160), at(220), 1)
	wantErr(t, "LeaseAttempts after the lease ended", err, nil)
	check(t, "LeaseAttempts after the lease ended (limit 1)", ids(got), []paylinks.ID{pas[1].ID})
	got, err = f.s.LeaseAttempts(ctx, &pas[3].ID, at(100), at(160), at(220), 1)
	wantErr(t, "LeaseAttempts of one attempt", err, nil)
	check(t, "LeaseAttempts of one attempt", ids(got), []paylinks.ID{pas[3].ID})
	got, err = f.s.LeaseAttempts(ctx, &pas[2].ID, at(100), at(1000), at(1100), 1)
	wantErr(t, "LeaseAttempts of a voided attempt", err, nil)
	check(t, "LeaseAttempts of a voided attempt", ids(got), []paylinks.ID{})
}

// testSimulatorLedger: the store keeps the simulator's ledger: one entry per
// key, the first kept; a lookup of an unknown key voids it.
func testSimulatorLedger(t *testing.T, f *fixture) {
	led, ok := f.s.(payments.Ledger)
	if !ok {
		t.Skip("the store keeps no simulator ledger")
	}
	ctx := t.Context()
	first := payments.LedgerEntry{Key: "k1", Outcome: payments.Outcome{Success: true, SecurityCodeCheck: true},
		Amount: 5000, Currency: "THB", At: at(1)}
	got, err := led.RecordSimulatedCharge(ctx, first)
	wantErr(t, "RecordSimulatedCharge", err, nil)
	check(t, "RecordSimulatedCharge", got, first)
	second := payments.LedgerEntry{Key: "k1", Outcome: payments.Outcome{FailureCode: "insufficient_fund"}, Amount: 1, At: at(2)}
	got, err = led.RecordSimulatedCharge(ctx, second)
	wantErr(t, "RecordSimulatedCharge again", err, nil)
	check(t, "RecordSimulatedCharge again (the first kept)", got, first)
	got, err = led.LookupSimulatedCharge(ctx, "k1", at(3))
	wantErr(t, "LookupSimulatedCharge", err, nil)
	check(t, "LookupSimulatedCharge", got, first)

	void := payments.LedgerEntry{Key: "k2", Voided: true, At: at(4)}
	got, err = led.LookupSimulatedCharge(ctx, "k2", at(4))
	wantErr(t, "LookupSimulatedCharge of an unknown key", err, nil)
	check(t, "LookupSimulatedCharge of an unknown key (voided)", got, void)
	got, err = led.RecordSimulatedCharge(ctx, payments.LedgerEntry{Key: "k2", Outcome: payments.Outcome{Success: true}, At: at(5)})
	wantErr(t, "RecordSimulatedCharge of a voided key", err, nil)
	check(t, "RecordSimulatedCharge of a voided key", got, void)
}
