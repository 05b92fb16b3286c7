package service_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// Capture, Void and Refund of the switchable simulator fail as its Charge
// does: down before acting, lateError after acting (the answer lost).
func (p *switchableProcessor) Capture(ctx context.Context, req payments.CaptureRequest) (payments.Outcome, error) {
	if p.down.Load() {
		return payments.Outcome{}, errors.New("processor unavailable")
	}
	out, err := p.Simulator.Capture(ctx, req)
	if err == nil && p.lateError.Load() {
		return payments.Outcome{}, errors.New("connection reset reading the processor's answer")
	}
	return out, err
}

func (p *switchableProcessor) Refund(ctx context.Context, req payments.RefundRequest) (payments.Outcome, error) {
	if p.down.Load() {
		return payments.Outcome{}, errors.New("processor unavailable")
	}
	out, err := p.Simulator.Refund(ctx, req)
	if err == nil && p.lateError.Load() {
		return payments.Outcome{}, errors.New("connection reset reading the processor's answer")
	}
	return out, err
}

// charge makes an API charge of 10000 THB with a new token of number:
// captured, or only authorized.
func (e *faultEnv) charge(t *testing.T, number string, capture bool) *paylinks.Charge {
	t.Helper()
	tok := e.token(t, number)
	c, err := e.svc.CreateCharge(context.Background(), e.secret, service.ChargeParams{Amount: 10000, Currency: "THB",
		TokenID: tok.ID, TokenRef: "tok", Capture: capture})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *faultEnv) getCharge(t *testing.T, id paylinks.ID) *paylinks.Charge {
	t.Helper()
	c, err := e.svc.GetCharge(context.Background(), e.secret, id, id.String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventCount counts the account's test events with key.
func (e *faultEnv) eventCount(t *testing.T, key string) int {
	t.Helper()
	n := 0
	for off := 0; ; off += 100 {
		evs, total, err := e.svc.ListEvents(context.Background(), e.secret, store.EventFilter{Offset: off, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Key == key {
				n++
			}
		}
		if off+100 >= total {
			return n
		}
	}
}

// TestChargeStateMachine walks every transition of a charge and every
// refusal, on both stores: what each operation does from each state, the
// state it leaves, the code it refuses with, and the event it writes.
func TestChargeStateMachine(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		type result struct {
			status   paylinks.ChargeStatus
			captured int64
			refunded int64
			code     string // the refusal's code, "" when it succeeds
			event    string // the event a success writes
		}
		setups := map[string]func(e *faultEnv, t *testing.T) *paylinks.Charge{
			"authorized": func(e *faultEnv, t *testing.T) *paylinks.Charge { return e.charge(t, "4242424242424242", false) },
			"captured":   func(e *faultEnv, t *testing.T) *paylinks.Charge { return e.charge(t, "4242424242424242", true) },
			"failed":     func(e *faultEnv, t *testing.T) *paylinks.Charge { return e.charge(t, "4111111111140011", false) },
			"reversed": func(e *faultEnv, t *testing.T) *paylinks.Charge {
				c := e.charge(t, "4242424242424242", false)
				if _, err := e.svc.ReverseCharge(ctx, e.secret, c.ID, "c"); err != nil {
					t.Fatal(err)
				}
				return c
			},
			"expired": func(e *faultEnv, t *testing.T) *paylinks.Charge {
				c := e.charge(t, "4242424242424242", false)
				if _, err := e.svc.ExpireCharge(ctx, e.secret, c.ID, "c"); err != nil {
					t.Fatal(err)
				}
				return c
			},
			// Authorized 7 days ago and more: past expires_at, not swept yet.
			"lapsed": func(e *faultEnv, t *testing.T) *paylinks.Charge {
				c := e.charge(t, "4242424242424242", false)
				e.clock.Add(paylinks.AuthorizationTTL + time.Second)
				return c
			},
		}
		ops := map[string]func(e *faultEnv, c *paylinks.Charge) error{
			"capture": func(e *faultEnv, c *paylinks.Charge) error {
				_, err := e.svc.CaptureCharge(ctx, e.secret, c.ID, "c", 0)
				return err
			},
			"capture 4000": func(e *faultEnv, c *paylinks.Charge) error {
				_, err := e.svc.CaptureCharge(ctx, e.secret, c.ID, "c", 4000)
				return err
			},
			"capture 10001": func(e *faultEnv, c *paylinks.Charge) error {
				_, err := e.svc.CaptureCharge(ctx, e.secret, c.ID, "c", 10001)
				return err
			},
			"reverse": func(e *faultEnv, c *paylinks.Charge) error {
				_, err := e.svc.ReverseCharge(ctx, e.secret, c.ID, "c")
				return err
			},
			"expire": func(e *faultEnv, c *paylinks.Charge) error {
				_, err := e.svc.ExpireCharge(ctx, e.secret, c.ID, "c")
				return err
			},
			"refund 3000": func(e *faultEnv, c *paylinks.Charge) error {
				_, err := e.svc.CreateRefund(ctx, e.secret, c.ID, "c", service.RefundParams{Amount: 3000})
				return err
			},
			"refund 10001": func(e *faultEnv, c *paylinks.Charge) error {
				_, err := e.svc.CreateRefund(ctx, e.secret, c.ID, "c", service.RefundParams{Amount: 10001})
				return err
			},
		}
		ok, succ, rev, exp, pend, fail := "", paylinks.ChargeSuccessful, paylinks.ChargeReversed, paylinks.ChargeExpired, paylinks.ChargePending, paylinks.ChargeFailed
		tests := []struct {
			from, op string
			want     result
		}{
			{"authorized", "capture", result{succ, 10000, 0, ok, "charge.capture"}},
			{"authorized", "capture 4000", result{succ, 4000, 0, ok, "charge.capture"}},
			{"authorized", "capture 10001", result{pend, 0, 0, "invalid_amount", ""}},
			{"authorized", "reverse", result{rev, 0, 0, ok, "charge.reverse"}},
			{"authorized", "expire", result{exp, 0, 0, ok, "charge.expire"}},
			{"authorized", "refund 3000", result{pend, 0, 0, "invalid_charge", ""}},
			{"captured", "capture", result{succ, 10000, 0, "failed_capture", ""}},
			{"captured", "reverse", result{succ, 10000, 0, "failed_void", ""}},
			{"captured", "expire", result{succ, 10000, 0, "failed_expire", ""}},
			{"captured", "refund 3000", result{succ, 10000, 3000, ok, "refund.create"}},
			{"captured", "refund 10001", result{succ, 10000, 0, "invalid_amount", ""}},
			{"failed", "capture", result{fail, 0, 0, "failed_capture", ""}},
			{"failed", "reverse", result{fail, 0, 0, "failed_void", ""}},
			{"failed", "expire", result{fail, 0, 0, "failed_expire", ""}},
			{"failed", "refund 3000", result{fail, 0, 0, "invalid_charge", ""}},
			{"reversed", "capture", result{rev, 0, 0, "failed_capture", ""}},
			{"reversed", "reverse", result{rev, 0, 0, "failed_void", ""}},
			{"reversed", "expire", result{rev, 0, 0, "failed_expire", ""}},
			{"reversed", "refund 3000", result{rev, 0, 0, "invalid_charge", ""}},
			{"expired", "capture", result{exp, 0, 0, "expired_charge", ""}},
			{"expired", "reverse", result{exp, 0, 0, "expired_charge", ""}},
			{"expired", "expire", result{exp, 0, 0, "failed_expire", ""}},
			{"expired", "refund 3000", result{exp, 0, 0, "invalid_charge", ""}},
			{"lapsed", "capture", result{pend, 0, 0, "expired_charge", ""}},
			{"lapsed", "reverse", result{pend, 0, 0, "expired_charge", ""}},
			{"lapsed", "expire", result{exp, 0, 0, ok, "charge.expire"}},
		}
		e := newFaultEnv(t, backend)
		for _, tt := range tests {
			t.Run(tt.from+"/"+tt.op, func(t *testing.T) {
				c := setups[tt.from](e, t)
				events := 0
				if tt.want.event != "" {
					events = e.eventCount(t, tt.want.event)
				}
				err := ops[tt.op](e, c)
				if tt.want.code == "" && err != nil {
					t.Fatalf("%s of a %s charge: %v, want success", tt.op, tt.from, err)
				}
				if tt.want.code != "" {
					pe := paylinks.AsError(err)
					if pe == nil || pe.Code != tt.want.code || pe.Message == "" {
						t.Fatalf("%s of a %s charge: %v, want code %s", tt.op, tt.from, err, tt.want.code)
					}
				}
				got := e.getCharge(t, c.ID)
				if got.Status != tt.want.status || got.CapturedAmount != tt.want.captured || got.RefundedAmount != tt.want.refunded || got.PendingOp != "" {
					t.Errorf("after %s of a %s charge: status %s, captured %d, refunded %d, op %q; want %s, %d, %d",
						tt.op, tt.from, got.Status, got.CapturedAmount, got.RefundedAmount, got.PendingOp,
						tt.want.status, tt.want.captured, tt.want.refunded)
				}
				if tt.want.event != "" {
					if n := e.eventCount(t, tt.want.event); n != events+1 {
						t.Errorf("%s events: %d, want %d", tt.want.event, n, events+1)
					}
				}
			})
		}
	})
}

// TestConcurrentRefunds: 20 refunds of 3000 at once of a charge of 10000
// captured: exactly 3 succeed, the others are refused, and the charge's
// refunded amount is 9000, on both stores.
func TestConcurrentRefunds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		c := e.charge(t, "4242424242424242", true)
		var wg sync.WaitGroup
		var okN, refusedN atomic.Int32
		start := make(chan struct{})
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := e.svc.CreateRefund(context.Background(), e.secret, c.ID, "c", service.RefundParams{Amount: 3000})
				switch {
				case err == nil:
					okN.Add(1)
				case paylinks.AsError(err) != nil && paylinks.AsError(err).Code == "invalid_amount":
					refusedN.Add(1)
				default:
					t.Errorf("refund: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if okN.Load() != 3 || refusedN.Load() != 17 {
			t.Errorf("%d refunds succeeded and %d were refused; want 3 and 17", okN.Load(), refusedN.Load())
		}
		got := e.getCharge(t, c.ID)
		if got.RefundedAmount != 9000 || !got.Refundable() {
			t.Errorf("refunded_amount %d (refundable %v), want 9000 (true)", got.RefundedAmount, got.Refundable())
		}
		rs, total, err := e.svc.ListRefunds(context.Background(), e.secret, paylinks.RefundFilter{ChargeID: &c.ID, Limit: 100}, "c")
		if err != nil || total != 3 || len(rs) != 3 {
			t.Errorf("ListRefunds = %d refunds (total %d), %v; want 3", len(rs), total, err)
		}
		// The last 1000 is refundable, and then nothing more.
		if _, err := e.svc.CreateRefund(context.Background(), e.secret, c.ID, "c", service.RefundParams{Amount: 1000}); err != nil {
			t.Fatal(err)
		}
		if got := e.getCharge(t, c.ID); got.RefundedAmount != 10000 || got.Refundable() {
			t.Errorf("after the last refund: refunded %d, refundable %v", got.RefundedAmount, got.Refundable())
		}
	})
}

// TestRefundRefused: the simulator's card that refuses refunds. The refund
// is recorded failed with failed_refund, its amount refundable again, and
// no refund.create event is written.
func TestRefundRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		c := e.charge(t, payments.RefundFailsCard, true)
		r, err := e.svc.CreateRefund(context.Background(), e.secret, c.ID, "c", service.RefundParams{Amount: 5000})
		if pe := paylinks.AsError(err); pe == nil || pe.Kind != paylinks.KindPayment || pe.Code != payments.FailFailedRefund {
			t.Fatalf("refund: %v, want a payment error failed_refund", err)
		}
		if r == nil || r.Status != paylinks.RefundFailed {
			t.Fatalf("refund = %+v, want a failed refund", r)
		}
		if got := e.getCharge(t, c.ID); got.RefundedAmount != 0 || !got.Refundable() {
			t.Errorf("refunded_amount %d after a failed refund, want 0", got.RefundedAmount)
		}
		if n := e.eventCount(t, "refund.create"); n != 0 {
			t.Errorf("%d refund.create events for a failed refund", n)
		}
	})
}

// TestCaptureAnswerLostReconciled: the processor captured and its answer
// was lost, and it cannot be asked at once: the capture stays pending on
// the charge (no second capture may begin), and the reconciler records it
// once, with one charge.capture event. A capture the processor never
// received is cleared at once, and the charge can be captured again.
func TestCaptureAnswerLostReconciled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		c := e.charge(t, "4242424242424242", false)

		e.proc.down.Store(true)
		if _, err := e.svc.CaptureCharge(ctx, e.secret, c.ID, "c", 0); err == nil {
			t.Fatal("capture with the processor down succeeded")
		}
		e.proc.down.Store(false)
		if got := e.getCharge(t, c.ID); got.PendingOp != "" || !got.Capturable(e.svc.Now()) {
			t.Fatalf("after a capture that never reached the processor: op %q, capturable %v", got.PendingOp, got.Capturable(e.svc.Now()))
		}

		e.proc.lateError.Store(true)
		e.proc.lookupDown.Store(true)
		_, err := e.svc.CaptureCharge(ctx, e.secret, c.ID, "c", 6000)
		if !errors.Is(err, service.ErrOperationNotRecorded) {
			t.Fatalf("capture with its answer lost: %v, want ErrOperationNotRecorded", err)
		}
		e.proc.lateError.Store(false)
		e.proc.lookupDown.Store(false)
		if got := e.getCharge(t, c.ID); got.PendingOp != store.OpCapture {
			t.Fatalf("pending op %q, want capture", got.PendingOp)
		}
		if _, err := e.svc.ReverseCharge(ctx, e.secret, c.ID, "c"); paylinks.AsError(err) == nil || paylinks.AsError(err).Code != "operation_in_progress" {
			t.Errorf("reverse during a pending capture: %v, want operation_in_progress", err)
		}
		e.reconcile(t, "before the capture is old enough", 0)
		e.clock.Add(service.DefaultReconcileAfter + time.Second)
		e.reconcile(t, "after", 1)
		got := e.getCharge(t, c.ID)
		if got.Status != paylinks.ChargeSuccessful || got.CapturedAmount != 6000 || got.PendingOp != "" {
			t.Errorf("after reconcile: %s captured %d op %q; want successful 6000", got.Status, got.CapturedAmount, got.PendingOp)
		}
		if n := e.eventCount(t, "charge.capture"); n != 1 {
			t.Errorf("%d charge.capture events, want 1", n)
		}
		e.reconcile(t, "again", 0)
	})
}

// TestRefundAnswerLostReconciled: a refund whose answer was lost stays
// pending (its amount reserved) until the reconciler records it.
func TestRefundAnswerLostReconciled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		c := e.charge(t, "4242424242424242", true)
		e.proc.lateError.Store(true)
		e.proc.lookupDown.Store(true)
		if _, err := e.svc.CreateRefund(ctx, e.secret, c.ID, "c", service.RefundParams{Amount: 7000}); !errors.Is(err, service.ErrOperationNotRecorded) {
			t.Fatalf("refund with its answer lost: %v, want ErrOperationNotRecorded", err)
		}
		e.proc.lateError.Store(false)
		e.proc.lookupDown.Store(false)
		// The pending refund's amount is reserved: 4000 more is too much.
		if _, err := e.svc.CreateRefund(ctx, e.secret, c.ID, "c", service.RefundParams{Amount: 4000}); paylinks.AsError(err) == nil {
			t.Errorf("a refund beyond the reserved amount: %v, want refused", err)
		}
		e.clock.Add(service.DefaultReconcileAfter + time.Second)
		e.reconcile(t, "refund", 1)
		rs, _, err := e.svc.ListRefunds(ctx, e.secret, paylinks.RefundFilter{ChargeID: &c.ID, Limit: 10}, "c")
		if err != nil || len(rs) != 1 || rs[0].Status != paylinks.RefundClosed {
			t.Fatalf("refunds = %+v, %v; want one closed", rs, err)
		}
		if got := e.getCharge(t, c.ID); got.RefundedAmount != 7000 {
			t.Errorf("refunded %d, want 7000", got.RefundedAmount)
		}
		if n := e.eventCount(t, "refund.create"); n != 1 {
			t.Errorf("%d refund.create events, want 1", n)
		}
	})
}

// TestAuthorizationSweep: with an injected clock, an authorization is not
// expired before its expires_at and is at it (status expired, one
// charge.expire event); two sweepers (two services, as two replicas, on
// one database) running at once expire each authorization exactly once.
func TestAuthorizationSweep(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newFaultEnv(t, backend)
		ctx := context.Background()
		var auths []*paylinks.Charge
		for range 12 {
			auths = append(auths, e.charge(t, "4242424242424242", false))
		}
		captured := e.charge(t, "4242424242424242", false)
		if _, err := e.svc.CaptureCharge(ctx, e.secret, captured.ID, "c", 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(paylinks.AuthorizationTTL - time.Minute)
		if n, err := e.svc.SweepAuthorizations(ctx); n != 0 || err != nil {
			t.Fatalf("sweep before expires_at: %d, %v; want 0", n, err)
		}
		e.clock.Add(2 * time.Minute)
		other := service.New(e.st, service.Options{Now: e.clock.Now, TestProcessor: e.proc})
		var wg sync.WaitGroup
		var total atomic.Int32
		for _, svc := range []*service.Service{e.svc, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := svc.SweepAuthorizations(ctx)
				if err != nil {
					t.Error(err)
				}
				total.Add(int32(n))
			}()
		}
		wg.Wait()
		if total.Load() != 12 {
			t.Errorf("the two sweepers expired %d authorizations, want 12", total.Load())
		}
		if n := e.eventCount(t, "charge.expire"); n != 12 {
			t.Errorf("%d charge.expire events, want 12", n)
		}
		for _, a := range auths {
			if got := e.getCharge(t, a.ID); got.Status != paylinks.ChargeExpired || got.ExpiredAt == nil {
				t.Errorf("charge %s: %s, expired_at %v; want expired", a.ID, got.Status, got.ExpiredAt)
			}
		}
		if got := e.getCharge(t, captured.ID); got.Status != paylinks.ChargeSuccessful {
			t.Errorf("captured charge swept: %s", got.Status)
		}
		if n, err := e.svc.SweepAuthorizations(ctx); n != 0 || err != nil {
			t.Errorf("sweep again: %d, %v; want 0", n, err)
		}
	})
}
