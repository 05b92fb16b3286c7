package service_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// recordFailingStore is a store whose charge writes (CreateCharge,
// PaySession) fail while failing is set: the processor has answered and
// the payment cannot be recorded (the database is down, or the process dies
// here).
type recordFailingStore struct {
	store.Store
	failing atomic.Bool
}

var errRecordFailed = errors.New("the store failed after the processor answered")

func (s *recordFailingStore) CreateCharge(ctx context.Context, w store.ChargeWrite) error {
	if s.failing.Load() {
		return errRecordFailed
	}
	return s.Store.CreateCharge(ctx, w)
}

func (s *recordFailingStore) PaySession(ctx context.Context, w store.SessionChargeWrite) error {
	if s.failing.Load() {
		return errRecordFailed
	}
	return s.Store.PaySession(ctx, w)
}

// switchableProcessor is the simulator, on the store's ledger, with faults
// to switch on: down makes Charge fail before it charges (a processor
// that is unavailable), lateError makes it fail after it charged (an
// answer lost on the way back).
type switchableProcessor struct {
	*payments.Simulator
	down, lateError, lookupDown atomic.Bool
}

func (p *switchableProcessor) Lookup(ctx context.Context, key string) (payments.Outcome, bool, error) {
	if p.lookupDown.Load() {
		return payments.Outcome{}, false, errors.New("processor unavailable")
	}
	return p.Simulator.Lookup(ctx, key)
}

func (p *switchableProcessor) Charge(ctx context.Context, req payments.ChargeRequest) (payments.Outcome, error) {
	if p.down.Load() {
		return payments.Outcome{}, errors.New("processor unavailable")
	}
	out, err := p.Simulator.Charge(ctx, req)
	if err == nil && p.lateError.Load() {
		return payments.Outcome{}, errors.New("connection reset reading the processor's answer")
	}
	return out, err
}

// faultEnv is a service on a real store wrapped by recordFailingStore, with
// a settable clock and the simulator keeping its ledger in the store.
type faultEnv struct {
	*payEnv
	st     *recordFailingStore
	clock  *servertest.Clock
	proc   *switchableProcessor
	ledger payments.Ledger
}

func newFaultEnv(t *testing.T, backend string) *faultEnv {
	t.Helper()
	base := servertest.OpenStore(t, backend)
	led, ok := base.(payments.Ledger)
	if !ok {
		t.Fatalf("the %s store keeps no simulator ledger", backend)
	}
	st := &recordFailingStore{Store: base}
	clock := servertest.NewClock(time.Now())
	proc := &switchableProcessor{Simulator: &payments.Simulator{Ledger: led}}
	svc := service.New(st, service.Options{Now: clock.Now, TestProcessor: proc})
	ctx := context.Background()
	a, err := svc.EnsureAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	auth := func(live bool, kind paylinks.KeyKind) paylinks.Principal {
		t.Helper()
		pr, err := svc.Authenticate(ctx, servertest.MustKey(t, svc, a.ID, live, kind))
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	e := &payEnv{svc: svc, st: st, secret: auth(false, paylinks.KeySecret), public: auth(false, paylinks.KeyPublic),
		liveSecr: auth(true, paylinks.KeySecret)}
	return &faultEnv{payEnv: e, st: st, clock: clock, proc: proc, ledger: led}
}

// reconcile runs the reconciler and checks how many attempts it settled.
func (e *faultEnv) reconcile(t *testing.T, what string, want int) {
	t.Helper()
	n, err := e.svc.Reconcile(context.Background())
	if err != nil || n != want {
		t.Fatalf("%s: Reconcile = %d, %v; want %d settled", what, n, err, want)
	}
}

// charges returns the account's test charges (of link l when not nil).
func (e *faultEnv) charges(t *testing.T, l *paylinks.Link) []paylinks.Charge {
	t.Helper()
	f := paylinks.ChargeFilter{Limit: 100}
	if l != nil {
		f.LinkID = &l.ID
	}
	cs, _, err := e.svc.ListCharges(context.Background(), e.secret, f)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// wantLedger checks the simulator's ledger entry of a charge's key (the
// charge's id is its attempt's, the key): one charge, of the amount.
func (e *faultEnv) wantLedger(t *testing.T, c *paylinks.Charge, success bool) {
	t.Helper()
	got, err := e.ledger.LookupSimulatedCharge(context.Background(), c.ID.String(), time.Now())
	if err != nil || got.Voided || got.Amount != c.Amount || got.Outcome.Success != success {
		t.Errorf("ledger entry of %s = %+v, %v; want a charge of %d, success %v", c.ID, got, err, c.Amount, success)
	}
}

func (e *faultEnv) token(t *testing.T, number string) *paylinks.Token {
	t.Helper()
	tok, err := e.svc.CreateToken(context.Background(), e.public, goodCard(number))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *faultEnv) tokenUsed(t *testing.T, tok *paylinks.Token) *paylinks.Token {
	t.Helper()
	got, err := e.st.GetToken(context.Background(), e.secret.AccountID, false, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRecordFailsLinkReconciled: the processor charged for a single-use
// link and the store failed to record it. The charge is not recorded and
// the link stays claimed (no second payer gets through); the reconciler,
// once the attempt is past its timeout, records the charge exactly once,
// with its session complete and the link used.
func TestRecordFailsLinkReconciled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		pay := func(number string) (*paylinks.Charge, *paylinks.Link, error) {
			return e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard(number), Email: "a@example.com"})
		}
		e.st.failing.Store(true)
		if _, _, err := pay("4242424242424242"); !errors.Is(err, service.ErrPaymentNotRecorded) {
			t.Fatalf("PayLink with the store failing: err %v, want ErrPaymentNotRecorded (the payer must not pay again)", err)
		}
		e.st.failing.Store(false)
		if cs := e.charges(t, l); len(cs) != 0 {
			t.Fatalf("charges before the reconciler: %d, want 0", len(cs))
		}
		// The money moved: the link is held for the pending attempt, even
		// past the claim's lease.
		e.clock.Add(service.DefaultReconcileAfter - time.Second)
		if _, _, err := pay("4242424242424242"); paylinks.AsError(err) == nil || paylinks.AsError(err).Code != "payment_in_progress" {
			t.Fatalf("a second payer while the attempt is pending: %v, want payment_in_progress", err)
		}
		e.reconcile(t, "before the timeout", 0)

		e.clock.Add(2 * time.Second)
		e.reconcile(t, "past the timeout", 1)
		cs := e.charges(t, l)
		if len(cs) != 1 || cs[0].Status != paylinks.ChargeSuccessful || cs[0].Amount != 10000 || cs[0].SessionID == nil {
			t.Fatalf("charges after the reconciler: %+v, want one successful charge of 10000 with a session", cs)
		}
		got, err := e.svc.GetLink(ctx, e.secret, l.ID, "x")
		if err != nil || !got.Used {
			t.Errorf("link used = %v (%v), want used", got != nil && got.Used, err)
		}
		sess, err := e.svc.GetSession(ctx, e.secret, *cs[0].SessionID, "x")
		if err != nil || sess.Status != paylinks.SessionComplete || sess.ChargeID == nil || *sess.ChargeID != cs[0].ID {
			t.Errorf("the payment's session = %+v, %v; want complete with the charge", sess, err)
		}
		evs, _, err := e.svc.ListEvents(ctx, e.secret, store.EventFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]int{}
		for _, ev := range evs {
			keys[ev.Key]++
		}
		if keys["charge.create"] != 1 || keys["session.complete"] != 1 || keys["link.update"] != 1 {
			t.Errorf("events %v, want one charge.create, session.complete and link.update", keys)
		}
		e.wantLedger(t, &cs[0], true)

		e.clock.Add(time.Hour)
		e.reconcile(t, "again", 0)
		if cs := e.charges(t, l); len(cs) != 1 {
			t.Errorf("charges after a second reconcile: %d, want 1", len(cs))
		}
		if _, _, err := pay("4242424242424242"); paylinks.KindOf(err) != paylinks.KindGone {
			t.Errorf("paying the used link: %v, want gone", err)
		}
	})
}

// TestRecordFailsDeclineReconciled: a decline that could not be recorded is
// recorded by the reconciler as a failed charge, and the single-use link is
// payable again.
func TestRecordFailsDeclineReconciled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		e.st.failing.Store(true)
		if _, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4111111111140011"), Email: "a@example.com"}); err == nil {
			t.Fatal("PayLink with the store failing: nil error")
		}
		e.st.failing.Store(false)
		e.clock.Add(service.DefaultReconcileAfter + time.Second)
		e.reconcile(t, "past the timeout", 1)
		cs := e.charges(t, l)
		if len(cs) != 1 || cs[0].Status != paylinks.ChargeFailed || cs[0].FailureCode != payments.FailInsufficientFund {
			t.Fatalf("charges after the reconciler: %+v, want one failed charge", cs)
		}
		c, got, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if err != nil || !c.Paid() || !got.Used {
			t.Errorf("paying the link after the reconciled decline: %+v, %v; want paid", c, err)
		}
	})
}

// TestRecordFailsChargeReconciled: POST /charges whose record failed after
// the processor charged: the token stays spent, the reconciler records the
// charge once (successful or declined) with the token's charge status.
func TestRecordFailsChargeReconciled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range []struct {
			number string
			want   paylinks.ChargeStatus
		}{{"4242424242424242", paylinks.ChargeSuccessful}, {"4111111111140011", paylinks.ChargeFailed}} {
			e := newFaultEnv(t, backend)
			ctx := context.Background()
			tok := e.token(t, tt.number)
			e.st.failing.Store(true)
			_, err := e.svc.CreateCharge(ctx, e.secret, service.ChargeParams{Amount: 5000, Currency: "thb", TokenID: tok.ID,
				TokenRef: "tokn", Capture: true, Metadata: map[string]string{"order": "9"}})
			if err == nil {
				t.Fatalf("%s: CreateCharge with the store failing: nil error", tt.number)
			}
			e.st.failing.Store(false)
			if got := e.tokenUsed(t, tok); !got.Used {
				t.Errorf("%s: the token is unused while its charge may have been made", tt.number)
			}
			e.reconcile(t, "before the timeout", 0)
			e.clock.Add(service.DefaultReconcileAfter + time.Second)
			e.reconcile(t, "past the timeout", 1)
			cs := e.charges(t, nil)
			if len(cs) != 1 || cs[0].Status != tt.want || cs[0].Amount != 5000 || cs[0].Metadata["order"] != "9" ||
				cs[0].Card.LastDigits != tok.Card.LastDigits {
				t.Fatalf("%s: charges after the reconciler: %+v, want one %s charge of 5000", tt.number, cs, tt.want)
			}
			if got := e.tokenUsed(t, tok); !got.Used || got.ChargeStatus != string(tt.want) {
				t.Errorf("%s: token after the reconciler: used %v charge_status %q", tt.number, got.Used, got.ChargeStatus)
			}
			e.wantLedger(t, &cs[0], tt.want == paylinks.ChargeSuccessful)
			e.reconcile(t, "again", 0)
			if cs := e.charges(t, nil); len(cs) != 1 {
				t.Errorf("%s: charges after a second reconcile: %d", tt.number, len(cs))
			}
		}
	})
}

// TestRecordFailsSessionReconciled: a session of a single-use link paid and
// not recorded: the reconciler completes the session and uses the link.
func TestRecordFailsSessionReconciled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		l := e.link(t, e.secret, service.LinkParams{Amount: 7000})
		sess, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID, Metadata: map[string]string{"cart": "3"}})
		if err != nil {
			t.Fatal(err)
		}
		e.st.failing.Store(true)
		if _, _, err := e.svc.PaySession(ctx, service.PaySessionParams{SessionID: sess.ID, Card: goodCard("4242424242424242"), Email: "b@example.com"}); err == nil {
			t.Fatal("PaySession with the store failing: nil error")
		}
		e.st.failing.Store(false)
		e.clock.Add(service.DefaultReconcileAfter + time.Second)
		e.reconcile(t, "past the timeout", 1)
		got, err := e.svc.GetSession(ctx, e.secret, sess.ID, "x")
		if err != nil || got.Status != paylinks.SessionComplete || got.ChargeID == nil {
			t.Fatalf("session after the reconciler = %+v, %v; want complete", got, err)
		}
		c, err := e.svc.GetCharge(ctx, e.secret, *got.ChargeID, "x")
		if err != nil || !c.Paid() || c.Amount != 7000 || c.Metadata["cart"] != "3" || c.Email != "b@example.com" {
			t.Errorf("the session's charge = %+v, %v", c, err)
		}
		if l2, err := e.svc.GetLink(ctx, e.secret, l.ID, "x"); err != nil || !l2.Used {
			t.Errorf("link used = %v (%v), want used", l2 != nil && l2.Used, err)
		}
		e.reconcile(t, "again", 0)
		if cs := e.charges(t, l); len(cs) != 1 {
			t.Errorf("charges of the link: %d, want 1", len(cs))
		}
	})
}

// TestChargeIdempotencyAfterCrash: a POST /charges with an Idempotency-Key
// whose process died between the processor's charge and its record: the
// retry with the same key, once the key's lock ran out, answers with that
// charge (settled on the spot by asking the processor) and never charges
// again; the reconciler then has nothing to do.
func TestChargeIdempotencyAfterCrash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		tok := e.token(t, "4242424242424242")
		cp := service.ChargeParams{Amount: 5000, Currency: "thb", TokenID: tok.ID, TokenRef: "tokn", Capture: true}
		req, err := e.svc.BeginIdempotent(ctx, e.secret, "order-1", []byte("hash"))
		if err != nil {
			t.Fatal(err)
		}
		e.st.failing.Store(true)
		if _, err := e.svc.CreateCharge(service.WithIdempotent(ctx, req), e.secret, cp); err == nil {
			t.Fatal("CreateCharge with the store failing: nil error")
		}
		e.st.failing.Store(false)
		// The process died: no response stored. The retry, after the
		// key's lock ran out (and the attempt's timeout passed).
		e.clock.Add(10 * time.Minute)
		retry, err := e.svc.BeginIdempotent(ctx, e.secret, "order-1", []byte("hash"))
		if err != nil || retry.Replay != nil {
			t.Fatalf("retry: BeginIdempotent = %+v, %v", retry, err)
		}
		c, err := e.svc.CreateCharge(service.WithIdempotent(ctx, retry), e.secret, cp)
		if err != nil || !c.Paid() || c.Amount != 5000 {
			t.Fatalf("retry: CreateCharge = %+v, %v; want the successful charge", c, err)
		}
		cs := e.charges(t, nil)
		if len(cs) != 1 || cs[0].ID != c.ID {
			t.Fatalf("charges: %+v, want only %s", cs, c.ID)
		}
		e.wantLedger(t, c, true)
		e.reconcile(t, "after the retry settled it", 0)
	})
}

// TestProcessorErrorLeavesTokenAndLink: a processor error (not a decline)
// charges nothing: the token stays unused (the caller retries with it), the
// single-use link payable, and the processor refuses the voided key.
func TestProcessorErrorLeavesTokenAndLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		tok := e.token(t, "4242424242424242")
		l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		cp := service.ChargeParams{Amount: 5000, Currency: "thb", TokenID: tok.ID, TokenRef: "tokn", Capture: true}

		e.proc.down.Store(true)
		if _, err := e.svc.CreateCharge(ctx, e.secret, cp); err == nil {
			t.Fatal("CreateCharge with the processor down: nil error")
		}
		if got := e.tokenUsed(t, tok); got.Used {
			t.Error("the token is spent by a processor error")
		}
		if _, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"}); err == nil {
			t.Fatal("PayLink with the processor down: nil error")
		}
		e.proc.down.Store(false)

		c, err := e.svc.CreateCharge(ctx, e.secret, cp)
		if err != nil || !c.Paid() {
			t.Fatalf("CreateCharge with the token again: %+v, %v; want paid", c, err)
		}
		c, got, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if err != nil || !c.Paid() || !got.Used {
			t.Fatalf("PayLink after the processor error: %+v, %v; want paid", c, err)
		}
		e.clock.Add(time.Hour)
		e.reconcile(t, "nothing left pending", 0)
		if cs := e.charges(t, nil); len(cs) != 2 {
			t.Errorf("charges: %d, want 2", len(cs))
		}
	})
}

// TestProcessorErrorAfterCharging: the processor charged and its answer was
// lost (an error after the money moved): the payment asks the processor
// and records the charge, instead of leaving the money unrecorded.
func TestProcessorErrorAfterCharging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		e.proc.lateError.Store(true)
		c, got, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if err != nil || !c.Paid() || !got.Used {
			t.Fatalf("PayLink with the answer lost: %+v, %v; want the charge recorded and the link used", c, err)
		}
		e.wantLedger(t, c, true)
	})
}

// TestUnstorableChargeChargesNothing: a charge whose text the database
// refuses (PostgreSQL refuses a NUL byte) fails when its attempt is
// written, before the processor is asked: nothing is charged, the token
// stays unused, and the same token pays once the text is fixed. (SQLite
// stores the NUL; input checks in the service refuse it for both.)
func TestUnstorableChargeChargesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		tok := e.token(t, "4242424242424242")
		cp := service.ChargeParams{Amount: 5000, Currency: "thb", TokenID: tok.ID, TokenRef: "tokn", Capture: true,
			Description: "a\x00b"}
		c, err := e.svc.CreateCharge(ctx, e.secret, cp)
		if err == nil {
			if backend == "postgres" {
				t.Fatalf("CreateCharge with a NUL on PostgreSQL: %+v, nil error", c)
			}
			return // stored, and recorded: nothing to lose
		}
		if got := e.tokenUsed(t, tok); got.Used {
			t.Error("a charge that could not be written spent its token")
		}
		if cs := e.charges(t, nil); len(cs) != 0 {
			t.Errorf("charges: %d, want 0", len(cs))
		}
		cp.Description = "ab"
		if c, err := e.svc.CreateCharge(ctx, e.secret, cp); err != nil || !c.Paid() {
			t.Fatalf("CreateCharge with the text fixed: %+v, %v", c, err)
		}
		e.clock.Add(time.Hour)
		e.reconcile(t, "nothing pending", 0)
	})
}

// TestReconcilersOfTwoProcesses: two processes' reconcilers run at once on
// one database; each pending attempt is settled by one of them, once.
func TestReconcilersOfTwoProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		const n = 6
		links := make([]*paylinks.Link, n)
		e.st.failing.Store(true)
		for i := range links {
			links[i] = e.link(t, e.secret, service.LinkParams{Amount: int64(5000 * (i + 1))})
			if _, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: links[i].Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"}); err == nil {
				t.Fatal("PayLink with the store failing: nil error")
			}
		}
		e.st.failing.Store(false)
		e.clock.Add(service.DefaultReconcileAfter + time.Second)
		other := service.New(e.st.Store, service.Options{Now: e.clock.Now, TestProcessor: e.proc})
		counts := make(chan int, 2)
		for _, svc := range []*service.Service{e.svc, other} {
			go func() {
				n, err := svc.Reconcile(ctx)
				if err != nil {
					t.Errorf("Reconcile: %v", err)
				}
				counts <- n
			}()
		}
		if got := <-counts + <-counts; got != n {
			t.Errorf("attempts settled by the two reconcilers: %d, want %d", got, n)
		}
		for _, l := range links {
			if cs := e.charges(t, l); len(cs) != 1 || !cs[0].Paid() {
				t.Errorf("link %s: charges %+v, want one paid", l.Slug, cs)
			}
		}
	})
}

// TestChargeIdempotencyRetryWithReconciler: the retry of a crashed POST
// /charges and the reconciler settle its attempt at the same moment: the
// retry answers with the one charge, recorded once.
func TestChargeIdempotencyRetryWithReconciler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, number := range []string{"4242424242424242", "4111111111140011"} {
			e := newFaultEnv(t, backend)
			ctx := context.Background()
			tok := e.token(t, number)
			cp := service.ChargeParams{Amount: 5000, Currency: "thb", TokenID: tok.ID, TokenRef: "tokn", Capture: true}
			req, err := e.svc.BeginIdempotent(ctx, e.secret, "order-2", []byte("hash"))
			if err != nil {
				t.Fatal(err)
			}
			e.st.failing.Store(true)
			if _, err := e.svc.CreateCharge(service.WithIdempotent(ctx, req), e.secret, cp); err == nil {
				t.Fatal("CreateCharge with the store failing: nil error")
			}
			e.st.failing.Store(false)
			e.clock.Add(10 * time.Minute)
			retry, err := e.svc.BeginIdempotent(ctx, e.secret, "order-2", []byte("hash"))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { _, err := e.svc.Reconcile(ctx); done <- err }()
			c, err := e.svc.CreateCharge(service.WithIdempotent(ctx, retry), e.secret, cp)
			if rerr := <-done; rerr != nil {
				t.Errorf("Reconcile: %v", rerr)
			}
			if err != nil || c == nil || c.Amount != 5000 {
				t.Fatalf("%s: retry: CreateCharge = %+v, %v; want the charge", number, c, err)
			}
			if cs := e.charges(t, nil); len(cs) != 1 || cs[0].ID != c.ID {
				t.Errorf("%s: charges %+v, want only %s", number, cs, c.ID)
			}
		}
	})
}

// TestChargeIdempotencyAfterRecordError: POST /charges with an
// Idempotency-Key whose record failed after the processor charged (the
// process lives on and answers 500): the error is not stored for replay;
// the key stays locked (a retry meanwhile is told to wait) and, once the
// lock runs out, a retry answers with the charge, never charging twice.
func TestChargeIdempotencyAfterRecordError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		tok := e.token(t, "4242424242424242")
		cp := service.ChargeParams{Amount: 5000, Currency: "thb", TokenID: tok.ID, TokenRef: "tokn", Capture: true}
		req, err := e.svc.BeginIdempotent(ctx, e.secret, "order-3", []byte("hash"))
		if err != nil {
			t.Fatal(err)
		}
		e.st.failing.Store(true)
		if _, err := e.svc.CreateCharge(service.WithIdempotent(ctx, req), e.secret, cp); !errors.Is(err, service.ErrPaymentNotRecorded) {
			t.Fatalf("CreateCharge with the store failing: %v, want ErrPaymentNotRecorded", err)
		}
		e.st.failing.Store(false)
		// What the HTTP layer does with a 500: store it for replay.
		if err := e.svc.FinishIdempotent(ctx, req, 500, nil, []byte(`{"code":"internal_error"}`)); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.BeginIdempotent(ctx, e.secret, "order-3", []byte("hash"))
		wantKind(t, "a retry at once", err, paylinks.KindConflict, "idempotency_key_in_use", "Idempotency-Key")
		e.clock.Add(10 * time.Minute)
		retry, err := e.svc.BeginIdempotent(ctx, e.secret, "order-3", []byte("hash"))
		if err != nil || retry.Replay != nil {
			t.Fatalf("a retry after the lock: %+v, %v; want it run, not a replayed 500", retry, err)
		}
		c, err := e.svc.CreateCharge(service.WithIdempotent(ctx, retry), e.secret, cp)
		if err != nil || !c.Paid() {
			t.Fatalf("the retry: %+v, %v; want the charge", c, err)
		}
		if cs := e.charges(t, nil); len(cs) != 1 {
			t.Errorf("charges: %d, want 1", len(cs))
		}
	})
}

// TestProcessorCannotSay: the processor fails and cannot say whether it
// charged: the payment is not reported as "nothing charged" and stays
// pending (token spent, link held); the reconciler, once the processor
// answers, voids it (nothing was charged) and releases both.
func TestProcessorCannotSay(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		tok := e.token(t, "4242424242424242")
		l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		cp := service.ChargeParams{Amount: 5000, Currency: "thb", TokenID: tok.ID, TokenRef: "tokn", Capture: true}
		e.proc.down.Store(true)
		e.proc.lookupDown.Store(true)
		if _, err := e.svc.CreateCharge(ctx, e.secret, cp); !errors.Is(err, service.ErrPaymentNotRecorded) {
			t.Fatalf("CreateCharge: %v, want ErrPaymentNotRecorded", err)
		}
		if _, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"}); !errors.Is(err, service.ErrPaymentNotRecorded) {
			t.Fatalf("PayLink: %v, want ErrPaymentNotRecorded", err)
		}
		if got := e.tokenUsed(t, tok); !got.Used {
			t.Error("the token is unused while its charge may have been made")
		}
		e.proc.down.Store(false)
		e.proc.lookupDown.Store(false)
		e.clock.Add(service.DefaultReconcileAfter + time.Second)
		e.reconcile(t, "the processor answers again", 2)
		if got := e.tokenUsed(t, tok); got.Used {
			t.Error("the token is still used after its attempt was voided")
		}
		c, got, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if err != nil || !c.Paid() || !got.Used {
			t.Errorf("PayLink after the void: %+v, %v; want paid", c, err)
		}
		if cs := e.charges(t, nil); len(cs) != 1 {
			t.Errorf("charges: %d, want 1", len(cs))
		}
	})
}
