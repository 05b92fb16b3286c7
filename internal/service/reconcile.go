package service

import (
	"context"
	"time"
)

// Reconciler timing defaults. An attempt is reconciled only once it is
// older than ReconcileAfter, far past the processor call's own timeout (and
// the whole payment's), so that an attempt still in flight in a live process
// is never touched.
const (
	DefaultReconcileAfter = 2 * time.Minute
	DefaultReconcileEvery = 30 * time.Second
	// reconcileLease is how long one reconciler holds an attempt; another
	// process may take it after that.
	reconcileLease = processorTimeout + 30*time.Second
	reconcileBatch = 100
)

// Reconcile settles the payment attempts left pending for longer than the
// service's ReconcileAfter (a process died, or its store write failed,
// between the processor call and the charge's record): each is leased in
// the database (so that reconcilers of several processes never work on one
// at once) and the processor is asked about it. A charge it made is
// recorded exactly once, as the payment itself would have recorded it (a
// single-use link becomes used, a session complete, the events written,
// the Idempotency-Key record already names the charge); a decline is
// recorded as a failed charge; a charge it never made voids the attempt,
// releasing the claims and the token. It returns how many attempts it
// settled; an attempt it could not settle stays pending for the next run
// and is reported in err (the last such error).
func (s *Service) Reconcile(ctx context.Context) (settled int, err error) {
	for {
		now := s.Now()
		as, lerr := s.store.LeaseAttempts(ctx, nil, now.Add(-s.reconcileAfter), now, now.Add(reconcileLease), reconcileBatch)
		if lerr != nil {
			return settled, lerr
		}
		for i := range as {
			a := &as[i]
			c, serr := s.settleAttempt(ctx, a)
			if serr != nil {
				s.log.ErrorContext(ctx, "reconcile: payment attempt not settled; retried later", "attempt", a.ID, "err", serr)
				err = serr
				continue
			}
			settled++
			if c != nil {
				s.log.InfoContext(ctx, "reconcile: recorded the charge of a payment attempt", "attempt", a.ID,
					"charge_status", c.Status, "amount", c.Amount, "currency", c.Currency)
			} else {
				s.log.InfoContext(ctx, "reconcile: voided a payment attempt the processor never charged", "attempt", a.ID)
			}
		}
		if len(as) < reconcileBatch {
			n, lerr := s.reconcileLifecycle(ctx)
			settled += n
			if lerr != nil {
				s.log.ErrorContext(ctx, "reconcile: capture, reverse or refund not settled; retried later", "err", lerr)
				err = lerr
			}
			return settled, err
		}
	}
}

// RunReconciler runs Reconcile at once and then every ReconcileEvery until
// ctx ends. Every process runs it; the database coordinates them.
func (s *Service) RunReconciler(ctx context.Context) {
	t := time.NewTicker(s.reconcileEvery)
	defer t.Stop()
	for {
		if _, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "reconcile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
