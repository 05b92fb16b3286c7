package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/store"
)

func refundNotFound(display string) error {
	return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id",
		Message: fmt.Sprintf("refund %s was not found", display)}
}

// RefundParams describe a refund of a captured charge.
type RefundParams struct {
	Amount   int64 // minor units, > 0, at most what is left to refund
	Metadata map[string]string
	// Void asks for the refund as a void of the charge's capture; paylinks
	// records it on the refund (voided) and refunds it the same way.
	Void bool
}

// CreateRefund refunds part or all of a captured charge. Refunds of a
// charge never exceed its captured amount, however many are made at once:
// each reserves its amount on the charge in the database's conditional
// write that records it, pending, before the processor is asked (the
// refund's id is the processor's idempotency key). A refund the processor
// refuses is recorded failed (its amount refundable again) and returned
// with a KindPayment error (failed_refund). Errors: KindNotFound,
// KindInvalid (invalid_amount, metadata), KindConflict (invalid_charge)
// when the charge is not captured or the amount exceeds what is left.
func (s *Service) CreateRefund(ctx context.Context, pr paylinks.Principal, chargeID paylinks.ID, display string, p RefundParams) (*paylinks.Refund, error) {
	c, err := s.chargeForWrite(ctx, pr, chargeID, display)
	if err != nil {
		return nil, err
	}
	if p.Amount <= 0 {
		return nil, paylinks.Invalid("invalid_amount", "amount", "amount is required: a whole number of the smallest currency unit, more than 0")
	}
	if err := checkMetadata(p.Metadata); err != nil {
		return nil, err
	}
	idem, made := idempotentRecord(ctx, pr)
	if made != nil {
		// The same Idempotency-Key request began a refund and died
		// before answering: answer with that refund, never a second one.
		return s.madeRefund(ctx, pr, *made)
	}
	if err := refuseRefund(c, display, p.Amount); err != nil {
		return nil, err
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	r := &paylinks.Refund{ID: id, AccountID: c.AccountID, Livemode: c.Livemode, ChargeID: c.ID, Amount: p.Amount,
		Currency: c.Currency, Status: paylinks.RefundPending, Voided: p.Void, Metadata: p.Metadata, CreatedAt: now}
	if err := s.store.BeginRefund(ctx, r, idem); err != nil {
		if errors.Is(err, store.ErrKeyLost) {
			return nil, idempotencyKeyInUse()
		}
		if errors.Is(err, paylinks.ErrConflict) {
			if cur, gerr := s.store.GetCharge(ctx, c.AccountID, c.Livemode, c.ID); gerr == nil {
				if rerr := refuseRefund(cur, display, p.Amount); rerr != nil {
					return nil, rerr
				}
			}
			return nil, refundTooLarge(display, p.Amount, c)
		}
		return nil, fmt.Errorf("CreateRefund: %w", err)
	}
	if idem != nil {
		setUnsettled(ctx, true) // until the refund is settled: see CreateCharge
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	var ref string
	if a, err := s.store.GetAttempt(ctx, c.ID); err == nil {
		ref = a.ProcessorRef
	}
	proc := s.processor(c.Livemode)
	pctx, pcancel := context.WithTimeout(ctx, processorTimeout)
	out, err := proc.Refund(pctx, payments.RefundRequest{ChargeKey: c.ID.String(), Ref: ref, Amount: r.Amount,
		Currency: r.Currency, IdempotencyKey: r.ID.String()})
	pcancel()
	if err != nil {
		lctx, lcancel := context.WithTimeout(ctx, processorTimeout)
		var found bool
		var lerr error
		out, found, lerr = proc.Lookup(lctx, r.ID.String())
		lcancel()
		switch {
		case lerr != nil:
			s.log.WarnContext(ctx, "refund: the processor failed and cannot say whether it refunded; the reconciler will settle it",
				"refund", r.ID, "err", err, "lookup_err", lerr)
			return nil, fmt.Errorf("%w (refund %s: %v)", ErrOperationNotRecorded, r.ID, err)
		case !found:
			// Nothing was refunded (and the key is voided): the
			// refund fails and its amount is refundable again.
			out = payments.Outcome{FailureCode: "failed_refund", FailureMessage: "the processor could not be reached; nothing was refunded"}
		}
	}
	return s.finishRefundSettling(ctx, r, out)
}

// finishRefundSettling is finishRefund, marking the Idempotency-Key
// request settled unless the refund's outcome could not be recorded.
func (s *Service) finishRefundSettling(ctx context.Context, r *paylinks.Refund, out payments.Outcome) (*paylinks.Refund, error) {
	u, err := s.finishRefund(ctx, r, out)
	if !errors.Is(err, ErrOperationNotRecorded) {
		setUnsettled(ctx, false)
	}
	return u, err
}

// madeRefund is the refund an Idempotency-Key request that died began:
// as recorded, or, while still pending, settled now by asking the
// processor (the reconciler may do the same at once: one of them records
// it, the other reads it).
func (s *Service) madeRefund(ctx context.Context, pr paylinks.Principal, id paylinks.ID) (*paylinks.Refund, error) {
	r, err := s.store.GetRefund(ctx, pr.AccountID, pr.Livemode, id)
	if err != nil {
		return nil, fmt.Errorf("CreateRefund: the refund this request began before: %w", err)
	}
	if r.Status != paylinks.RefundPending {
		if r.Status == paylinks.RefundFailed {
			return r, &paylinks.Error{Kind: paylinks.KindPayment, Code: r.FailureCode, Message: r.FailureMessage}
		}
		return r, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	out, found, err := s.processor(r.Livemode).Lookup(ctx, r.ID.String())
	if err != nil {
		return nil, fmt.Errorf("%w (refund %s: %v)", ErrOperationNotRecorded, r.ID, err)
	}
	if !found {
		out = payments.Outcome{FailureCode: "failed_refund", FailureMessage: "the refund never reached the processor; nothing was refunded"}
	}
	return s.finishRefund(ctx, r, out)
}

// refuseRefund is the error of refunding amount of c, or nil.
func refuseRefund(c *paylinks.Charge, display string, amount int64) error {
	if c.Status != paylinks.ChargeSuccessful {
		what := "it is not captured"
		switch c.Status {
		case paylinks.ChargeFailed:
			what = "it failed"
		case paylinks.ChargeReversed:
			what = "it was reversed"
		case paylinks.ChargeExpired:
			what = "its authorization expired"
		}
		return &paylinks.Error{Kind: paylinks.KindConflict, Code: "invalid_charge",
			Message: fmt.Sprintf("charge %s cannot be refunded: %s", display, what)}
	}
	if amount > c.CapturedAmount-c.RefundedAmount {
		return refundTooLarge(display, amount, c)
	}
	return nil
}

func refundTooLarge(display string, amount int64, c *paylinks.Charge) error {
	return &paylinks.Error{Kind: paylinks.KindInvalid, Code: "invalid_amount", Param: "amount",
		Message: fmt.Sprintf("a refund of %d is more than is left to refund of charge %s (%d of %d captured)",
			amount, display, max(c.CapturedAmount-c.RefundedAmount, 0), c.CapturedAmount)}
}

// finishRefund records the processor's outcome of the pending refund r,
// with event refund.create when it succeeded. A refusal is recorded
// failed and returned as a KindPayment error.
func (s *Service) finishRefund(ctx context.Context, r *paylinks.Refund, out payments.Outcome) (*paylinks.Refund, error) {
	now := s.Now()
	u := *r
	var events []paylinks.Event
	if out.Success {
		tx, err := s.newID(now)
		if err != nil {
			return nil, err
		}
		u.Status, u.TransactionID = paylinks.RefundClosed, &tx
		ev, err := s.newEvent(paylinks.Principal{AccountID: r.AccountID, Livemode: r.Livemode}, "refund.create", "refund", u.ID, &u, now)
		if err != nil {
			return nil, err
		}
		events = append(events, *ev)
	} else {
		u.Status, u.FailureCode, u.FailureMessage = paylinks.RefundFailed, out.FailureCode, out.FailureMessage
		if u.FailureCode == "" {
			u.FailureCode = "failed_refund"
		}
	}
	err := s.store.FinishRefund(ctx, &u, events)
	if errors.Is(err, store.ErrAttemptSettled) {
		cur, gerr := s.store.GetRefund(ctx, r.AccountID, r.Livemode, r.ID)
		if gerr != nil {
			return nil, fmt.Errorf("refund %s: %w", r.ID, gerr)
		}
		u = *cur
	} else if err != nil {
		s.log.ErrorContext(ctx, "refund: the processor answered and the refund is not recorded yet; the reconciler will record it",
			"refund", r.ID, "err", err)
		return nil, fmt.Errorf("%w (refund %s: %v)", ErrOperationNotRecorded, r.ID, err)
	}
	if u.Status == paylinks.RefundFailed {
		msg := u.FailureMessage
		if msg == "" {
			msg = "the refund failed"
		}
		return &u, &paylinks.Error{Kind: paylinks.KindPayment, Code: u.FailureCode, Message: msg}
	}
	return &u, nil
}

// GetRefund returns a refund of the caller's account and mode; with
// chargeID set, only a refund of that charge.
func (s *Service) GetRefund(ctx context.Context, pr paylinks.Principal, chargeID *paylinks.ID, id paylinks.ID, display string) (*paylinks.Refund, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	r, err := s.store.GetRefund(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && chargeID != nil && r.ChargeID != *chargeID) {
		return nil, refundNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("GetRefund: %w", err)
	}
	return r, nil
}

// ListRefunds returns a page of the caller's refunds (of one charge when
// f.ChargeID is set: the charge must be the caller's) and the number in
// the window.
func (s *Service) ListRefunds(ctx context.Context, pr paylinks.Principal, f paylinks.RefundFilter, chargeDisplay string) ([]paylinks.Refund, int, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, 0, err
	}
	if err := checkPage(f.Offset, f.Limit, f.From, f.To); err != nil {
		return nil, 0, err
	}
	if f.ChargeID != nil {
		if _, err := s.GetCharge(ctx, pr, *f.ChargeID, chargeDisplay); err != nil {
			return nil, 0, err
		}
	}
	f.AccountID, f.Livemode = pr.AccountID, pr.Livemode
	rs, total, err := s.store.ListRefunds(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("ListRefunds: %w", err)
	}
	return rs, total, nil
}

// reconcileLifecycle settles the captures, reverses and refunds a crash
// (or a store failure) left pending for longer than ReconcileAfter, each
// leased in the database, by asking the processor with its idempotency
// key: what the processor did is recorded once; what it never did (the
// lookup voids the key) is aborted, a refund recorded failed.
func (s *Service) reconcileLifecycle(ctx context.Context) (settled int, err error) {
	now := s.Now()
	ops, lerr := s.store.LeaseChargeOps(ctx, now.Add(-s.reconcileAfter), now, now.Add(reconcileLease), reconcileBatch)
	if lerr != nil {
		return 0, lerr
	}
	for _, op := range ops {
		c := op.Charge
		out, found, lerr := s.processor(c.Livemode).Lookup(ctx, op.OpID.String())
		switch {
		case lerr != nil:
			err = lerr
			continue
		case !found:
			if aerr := s.store.AbortChargeOp(ctx, c.ID, op.OpID); aerr != nil && !errors.Is(aerr, store.ErrAttemptSettled) {
				err = aerr
				continue
			}
		default:
			if _, ferr := s.finishChargeOp(ctx, &c, op.Op, op.OpID, op.Amount, out); ferr != nil && paylinks.KindOf(ferr) != paylinks.KindPayment {
				err = ferr
				continue
			}
		}
		settled++
	}
	rs, lerr := s.store.LeaseRefunds(ctx, now.Add(-s.reconcileAfter), now, now.Add(reconcileLease), reconcileBatch)
	if lerr != nil {
		return settled, lerr
	}
	for i := range rs {
		r := &rs[i]
		out, found, lerr := s.processor(r.Livemode).Lookup(ctx, r.ID.String())
		if lerr != nil {
			err = lerr
			continue
		}
		if !found {
			out = payments.Outcome{FailureCode: "failed_refund", FailureMessage: "the processor never received the refund; nothing was refunded"}
		}
		if _, ferr := s.finishRefund(ctx, r, out); ferr != nil && paylinks.KindOf(ferr) != paylinks.KindPayment {
			err = ferr
			continue
		}
		settled++
	}
	return settled, err
}
