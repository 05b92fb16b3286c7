package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/store"
)

// The state machine of a charge after it is made:
//
//	pending (authorized) ──capture──▶ successful ──refund…──▶ successful (refunded_amount grows)
//	        │──reverse──▶ reversed
//	        └──expire (merchant, or the sweep at expires_at)──▶ expired
//
// A capture or reverse moves money, so it is recorded on the charge before
// the processor is asked (store.BeginChargeOp, the operation's id being the
// processor's idempotency key) and finalized, with its event, in the
// transaction that writes its outcome; the reconciler settles one a crash
// left pending. Every transition's condition is decided by the database in
// the write itself, so two requests or replicas never both make one.

// ErrOperationNotRecorded is the error of a capture, reverse or refund whose
// outcome is not recorded yet although the processor may have acted: it
// stays pending and the reconciler settles it. Do not retry it as new.
var ErrOperationNotRecorded = &paylinks.Error{Kind: paylinks.KindInternal, Code: "operation_not_recorded",
	Message: "the operation could not be confirmed yet; it will be settled within a few minutes"}

// chargeState names what a charge is, for refusal messages.
func chargeState(c *paylinks.Charge, now time.Time) string {
	switch {
	case c.Status == paylinks.ChargeFailed:
		return "failed"
	case c.ReversedAt != nil || c.Status == paylinks.ChargeReversed:
		return "reversed"
	case c.ExpiredAt != nil || c.Status == paylinks.ChargeExpired:
		return "expired"
	case c.Status == paylinks.ChargeSuccessful:
		return "captured"
	case c.PendingOp != "":
		return "busy"
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return "expired"
	}
	return "authorized"
}

// refuseOp is the error of operation op ("capture", "reverse", "expire")
// on a charge whose state refuses it, or nil when the charge allows it.
func refuseOp(c *paylinks.Charge, display, op string, now time.Time) error {
	st := chargeState(c, now)
	if st == "authorized" {
		return nil
	}
	if st == "busy" {
		return &paylinks.Error{Kind: paylinks.KindConflict, Code: "operation_in_progress",
			Message: fmt.Sprintf("charge %s has a %s in progress; try again in a moment", display, c.PendingOp)}
	}
	code := map[string]string{"capture": "failed_capture", "reverse": "failed_void", "expire": "failed_expire"}[op]
	if st == "expired" && op != "expire" {
		code = "expired_charge"
	}
	why := map[string]string{
		"failed":   "it failed and was never authorized",
		"reversed": "it was reversed",
		"expired":  "its authorization has expired",
		"captured": "it has already been captured",
	}[st]
	if st == "captured" && op == "reverse" {
		why += "; refund it instead"
	}
	return &paylinks.Error{Kind: paylinks.KindConflict, Code: code,
		Message: fmt.Sprintf("charge %s cannot be %s: %s", display, pastTense(op), why)}
}

func pastTense(op string) string {
	if strings.HasSuffix(op, "e") {
		return op + "d"
	}
	return op + "ed"
}

// chargeForWrite returns a charge of the caller's account and mode for an
// operation that changes it.
func (s *Service) chargeForWrite(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Charge, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	c, err := s.store.GetCharge(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, chargeNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("charge %s: %w", display, err)
	}
	return c, nil
}

// CaptureCharge captures an authorized charge (made with capture false):
// all of it when amount is 0, else amount, at most the authorized amount.
// Errors: KindNotFound, KindInvalid (invalid_amount, param capture_amount),
// KindConflict with failed_capture or expired_charge when the charge is
// not an uncaptured, unexpired authorization, KindPayment when the
// processor refuses.
func (s *Service) CaptureCharge(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, amount int64) (*paylinks.Charge, error) {
	c, err := s.chargeForWrite(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	if err := refuseOp(c, display, "capture", s.Now()); err != nil {
		return nil, err
	}
	if amount == 0 {
		amount = c.AuthorizedAmount
	}
	if amount < 0 || amount > c.AuthorizedAmount {
		return nil, paylinks.Invalid("invalid_amount", "capture_amount",
			"capture_amount must be between 1 and the authorized amount, %d", c.AuthorizedAmount)
	}
	return s.runChargeOp(ctx, c, display, store.OpCapture, amount)
}

// ReverseCharge voids an authorized, uncaptured charge (status reversed).
// Errors as CaptureCharge, with failed_void.
func (s *Service) ReverseCharge(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Charge, error) {
	c, err := s.chargeForWrite(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	if err := refuseOp(c, display, "reverse", s.Now()); err != nil {
		return nil, err
	}
	return s.runChargeOp(ctx, c, display, store.OpReverse, 0)
}

// runChargeOp records op on c, asks the processor and records its outcome.
func (s *Service) runChargeOp(ctx context.Context, c *paylinks.Charge, display, op string, amount int64) (*paylinks.Charge, error) {
	now := s.Now()
	opID, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	// Recorded before the processor is asked: a capture or void is never
	// made that cannot be found again.
	if err := s.store.BeginChargeOp(ctx, c.AccountID, c.Livemode, c.ID, op, opID, amount, now); err != nil {
		if errors.Is(err, paylinks.ErrConflict) {
			return nil, s.explainRefusal(ctx, c, display, op)
		}
		return nil, fmt.Errorf("%s %s: %w", op, display, err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	proc := s.processor(c.Livemode)
	pctx, pcancel := context.WithTimeout(ctx, processorTimeout)
	var out payments.Outcome
	if op == store.OpCapture {
		out, err = proc.Capture(pctx, payments.CaptureRequest{ChargeKey: c.ID.String(), Amount: amount,
			Currency: c.Currency, IdempotencyKey: opID.String()})
	} else {
		out, err = proc.Void(pctx, payments.VoidRequest{ChargeKey: c.ID.String(), IdempotencyKey: opID.String()})
	}
	pcancel()
	if err != nil {
		lctx, lcancel := context.WithTimeout(ctx, processorTimeout)
		var found bool
		var lerr error
		out, found, lerr = proc.Lookup(lctx, opID.String())
		lcancel()
		switch {
		case lerr != nil:
			s.log.WarnContext(ctx, "charge: the processor failed and cannot say whether it acted; the reconciler will settle it",
				"op", op, "charge", c.ID, "err", err, "lookup_err", lerr)
			return nil, fmt.Errorf("%w (%s of charge %s: %v)", ErrOperationNotRecorded, op, display, err)
		case !found:
			if aerr := s.store.AbortChargeOp(ctx, c.ID, opID); aerr != nil && !errors.Is(aerr, store.ErrAttemptSettled) {
				s.log.ErrorContext(ctx, "charge: abort operation", "op", op, "charge", c.ID, "err", aerr)
			}
			return nil, fmt.Errorf("%s %s: %w", op, display, err)
		}
	}
	return s.finishChargeOp(ctx, c, op, opID, amount, out)
}

// explainRefusal re-reads a charge whose operation the store refused and
// says why.
func (s *Service) explainRefusal(ctx context.Context, c *paylinks.Charge, display, op string) error {
	if cur, err := s.store.GetCharge(ctx, c.AccountID, c.Livemode, c.ID); err == nil {
		if err := refuseOp(cur, display, op, s.Now()); err != nil {
			return err
		}
	}
	return &paylinks.Error{Kind: paylinks.KindConflict, Code: "operation_in_progress",
		Message: fmt.Sprintf("charge %s changed meanwhile; try again", display)}
}

// finishChargeOp records the processor's outcome of operation opID on c:
// the charge captured or reversed with its event, or, when the processor
// refused, the operation cleared and a KindPayment error.
func (s *Service) finishChargeOp(ctx context.Context, c *paylinks.Charge, op string, opID paylinks.ID, amount int64, out payments.Outcome) (*paylinks.Charge, error) {
	display := c.ID.String()
	if !out.Success {
		if err := s.store.AbortChargeOp(ctx, c.ID, opID); err != nil && !errors.Is(err, store.ErrAttemptSettled) {
			return nil, fmt.Errorf("%s %s: %w", op, display, err)
		}
		code := out.FailureCode
		if code == "" {
			code = "failed_" + op
		}
		return nil, &paylinks.Error{Kind: paylinks.KindPayment, Code: code, Message: out.FailureMessage}
	}
	now := s.Now()
	u := *c
	u.PendingOp = ""
	key := "charge.reverse"
	if op == store.OpCapture {
		tx, err := s.newID(now)
		if err != nil {
			return nil, err
		}
		u.Status, u.CapturedAmount, u.PaidAt, u.TransactionID = paylinks.ChargeSuccessful, amount, &now, &tx
		key = "charge.capture"
	} else {
		u.Status, u.ReversedAt = paylinks.ChargeReversed, &now
	}
	pr := paylinks.Principal{AccountID: c.AccountID, Livemode: c.Livemode}
	ev, err := s.newEvent(pr, key, "charge", u.ID, &u, now)
	if err != nil {
		return nil, err
	}
	err = s.store.FinishChargeOp(ctx, &u, opID, []paylinks.Event{*ev})
	if errors.Is(err, store.ErrAttemptSettled) {
		// Settled meanwhile by the reconciler, with the same answer.
		return s.store.GetCharge(ctx, c.AccountID, c.Livemode, c.ID)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "charge: the processor acted and its outcome is not recorded yet; the reconciler will record it",
			"op", op, "charge", c.ID, "err", err)
		return nil, fmt.Errorf("%w (%s of charge %s: %v)", ErrOperationNotRecorded, op, display, err)
	}
	return &u, nil
}

// ExpireCharge expires an authorized, uncaptured charge now (status
// expired, event charge.expire). Errors: KindNotFound, KindConflict
// (failed_expire) when it is not an uncaptured authorization.
func (s *Service) ExpireCharge(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Charge, error) {
	c, err := s.chargeForWrite(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	if chargeState(c, s.Now()) == "expired" && c.ExpiredAt == nil {
		// Past expires_at, not swept yet: expiring it is what the
		// merchant asks, so let it through.
	} else if err := refuseOp(c, display, "expire", s.Now()); err != nil {
		return nil, err
	}
	u, err := s.expire(ctx, c, false)
	if errors.Is(err, paylinks.ErrConflict) {
		return nil, s.explainRefusal(ctx, c, display, "expire")
	}
	return u, err
}

// expire writes c expired now with its event; with dueOnly, only if its
// expires_at has come. ErrConflict when it is no longer an uncaptured
// authorization (another request or sweeper changed it).
func (s *Service) expire(ctx context.Context, c *paylinks.Charge, dueOnly bool) (*paylinks.Charge, error) {
	now := s.Now()
	u := *c
	u.Status, u.ExpiredAt = paylinks.ChargeExpired, &now
	ev, err := s.newEvent(paylinks.Principal{AccountID: c.AccountID, Livemode: c.Livemode}, "charge.expire", "charge", u.ID, &u, now)
	if err != nil {
		return nil, err
	}
	if err := s.store.ExpireCharge(ctx, &u, dueOnly, []paylinks.Event{*ev}); err != nil {
		return nil, fmt.Errorf("expire charge %s: %w", c.ID, err)
	}
	return &u, nil
}

// ChargeUpdate is a change to a charge's free-form fields; nil leaves a
// field as it is.
type ChargeUpdate struct {
	Description *string
	Metadata    map[string]string // with SetMetadata: replaces the metadata
	SetMetadata bool
}

// UpdateCharge changes a charge's description and metadata (event
// charge.update). Errors: KindNotFound, KindInvalid naming the field.
func (s *Service) UpdateCharge(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, p ChargeUpdate) (*paylinks.Charge, error) {
	c, err := s.chargeForWrite(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	u := *c
	if p.Description != nil {
		d := strings.TrimSpace(*p.Description)
		if err := checkText(chargeDescText, d); err != nil {
			return nil, err
		}
		u.Description = d
	}
	if p.SetMetadata {
		if err := checkMetadata(p.Metadata); err != nil {
			return nil, err
		}
		u.Metadata = p.Metadata
	}
	now := s.Now()
	ev, err := s.newEvent(pr, "charge.update", "charge", u.ID, &u, now)
	if err != nil {
		return nil, err
	}
	err = s.store.UpdateChargeDetails(ctx, &u, ev)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, chargeNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("UpdateCharge: %w", err)
	}
	return &u, nil
}

// Authorization sweep timing.
const (
	// DefaultSweepEvery is how often RunAuthorizationSweep looks for
	// authorizations past their expiry.
	DefaultSweepEvery = time.Minute
	sweepBatch        = 100
)

// SweepAuthorizations expires every uncaptured authorization whose
// expires_at has come (event charge.expire) and returns how many it
// expired. Every process runs it; each expiry is a conditional write, so
// when several sweep at once each authorization is expired by one of them
// only (the others' writes find it expired and skip it).
func (s *Service) SweepAuthorizations(ctx context.Context) (int, error) {
	n := 0
	for {
		due, err := s.store.DueAuthorizations(ctx, s.Now(), sweepBatch)
		if err != nil {
			return n, fmt.Errorf("SweepAuthorizations: %w", err)
		}
		done := 0
		for i := range due {
			_, err := s.expire(ctx, &due[i], true)
			switch {
			case errors.Is(err, paylinks.ErrConflict):
				continue // expired, captured or reversed by someone else meanwhile
			case err != nil:
				return n, fmt.Errorf("SweepAuthorizations: %w", err)
			}
			n++
			done++
		}
		if len(due) < sweepBatch || done == 0 {
			return n, nil
		}
	}
}

// RunAuthorizationSweep runs SweepAuthorizations at once and then every
// `every` (DefaultSweepEvery when 0) until ctx ends.
func (s *Service) RunAuthorizationSweep(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultSweepEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.SweepAuthorizations(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "authorization sweep", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "authorization sweep: expired authorizations", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
