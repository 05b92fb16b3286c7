package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/store"
)

// attemptTarget is what recording an attempt's charge needs besides the
// attempt: the link (of a link payment, or a session's link, or nil) and
// the session (of a session payment).
type attemptTarget struct {
	link *paylinks.Link
	sess *paylinks.CheckoutSession
}

// chargeAttempt asks the processor to charge what the pending attempt a
// (already written) describes, with a's id as the idempotency key, and
// records the outcome. A processor error is settled by settleUnanswered.
func (s *Service) chargeAttempt(ctx context.Context, a *store.PaymentAttempt, proc payments.Processor, t attemptTarget) (*paylinks.Charge, error) {
	pctx, cancel := context.WithTimeout(ctx, processorTimeout)
	out, err := proc.Charge(pctx, payments.ChargeRequest{Ref: a.ProcessorRef, Amount: a.Amount, Currency: a.Currency,
		Description: a.Description, Capture: a.Capture, IdempotencyKey: a.ID.String()})
	cancel()
	if err != nil {
		return s.settleUnanswered(ctx, a, proc, t, err)
	}
	return s.recordAttempt(ctx, a, out, t)
}

// settleUnanswered settles an attempt whose charge ended in a processor
// error (not a decline): the processor is asked whether the charge
// happened, which voids the key when it did not. A charge that happened is
// recorded and returned; one that did not voids the attempt (the token is
// unused again, the claims released) and the processor's error is
// returned. When the processor cannot say, the attempt stays pending for
// the reconciler.
func (s *Service) settleUnanswered(ctx context.Context, a *store.PaymentAttempt, proc payments.Processor, t attemptTarget, chargeErr error) (*paylinks.Charge, error) {
	lctx, cancel := context.WithTimeout(ctx, processorTimeout)
	out, found, err := proc.Lookup(lctx, a.ID.String())
	cancel()
	switch {
	case err != nil:
		s.log.WarnContext(ctx, "pay: the processor failed and cannot say whether it charged; the reconciler will settle the attempt",
			"attempt", a.ID, "charge_err", chargeErr, "err", err)
		return nil, fmt.Errorf("%w (attempt %s: %v; lookup: %v)", ErrPaymentNotRecorded, a.ID, chargeErr, err)
	case found:
		return s.recordAttempt(ctx, a, out, t)
	}
	if err := s.store.VoidAttempt(ctx, a.ID); err != nil {
		if errors.Is(err, store.ErrAttemptSettled) {
			return s.settledCharge(ctx, a)
		}
		s.log.ErrorContext(ctx, "pay: void attempt", "attempt", a.ID, "err", err)
	}
	return nil, fmt.Errorf("pay: %w", chargeErr)
}

// recordAttempt records the charge of attempt a with the processor's
// outcome, finalizing a in the same transaction. When a was settled
// meanwhile (by the reconciler), nothing is written and the charge that
// was recorded is returned. When the write fails, a stays pending and the
// reconciler records the charge later.
func (s *Service) recordAttempt(ctx context.Context, a *store.PaymentAttempt, out payments.Outcome, t attemptTarget) (*paylinks.Charge, error) {
	now := s.Now()
	c := &paylinks.Charge{ID: a.ID, AccountID: a.AccountID, Livemode: a.Livemode, LinkID: a.LinkID, SessionID: a.SessionID,
		Amount: a.Amount, Currency: a.Currency, Description: a.Description, Capture: a.Capture, Card: a.Card,
		CardID: a.CardID, Email: a.Email, IP: a.IP, Metadata: a.Metadata, CreatedAt: now}
	if a.Kind == store.AttemptCharge {
		c.Card.SecurityCodeCheck = a.Card.SecurityCodeCheck && out.SecurityCodeCheck
	} else {
		c.Card.SecurityCodeCheck = out.SecurityCodeCheck
	}
	if err := s.settle(c, out, now); err != nil {
		return nil, err
	}
	pr := paylinks.Principal{AccountID: a.AccountID, Livemode: a.Livemode}
	var claim *paylinks.ID
	if a.ClaimsLink {
		claim = &a.ID
	}
	var err error
	switch a.Kind {
	case store.AttemptCharge:
		ev, evErr := s.newEvent(pr, "charge.create", "charge", c.ID, c, now)
		if evErr != nil {
			return nil, evErr
		}
		w := storeChargeWrite(c, []paylinks.Event{*ev}, nil, a.TokenID)
		w.AttemptID = &a.ID
		err = s.store.CreateCharge(ctx, w)
	case store.AttemptLink:
		if t.link == nil {
			return nil, fmt.Errorf("attempt %s: no link", a.ID)
		}
		// The payment makes its checkout session as it is recorded:
		// complete when paid, else open (payable from its own page until
		// it expires).
		sess, sErr := s.linkSession(t.link, c, now)
		if sErr != nil {
			return nil, sErr
		}
		sess.Cart = a.Cart
		events, evErr := s.paymentEvents(pr, c, t.link, sess, now)
		if evErr != nil {
			return nil, evErr
		}
		if c.Accepted() {
			sess.Status, sess.CompletedAt, sess.ChargeID = paylinks.SessionComplete, &now, &c.ID
		}
		w := storeChargeWrite(c, events, claim, nil)
		w.AttemptID = &a.ID
		err = s.store.PaySession(ctx, store.SessionChargeWrite{ChargeWrite: w, NewSession: sess})
	case store.AttemptSession:
		if t.sess == nil {
			return nil, fmt.Errorf("attempt %s: no session", a.ID)
		}
		events, evErr := s.paymentEvents(pr, c, t.link, t.sess, now)
		if evErr != nil {
			return nil, evErr
		}
		w := storeChargeWrite(c, events, claim, nil)
		w.AttemptID = &a.ID
		err = s.store.PaySession(ctx, store.SessionChargeWrite{ChargeWrite: w, SessionClaimID: &a.ID})
	default:
		return nil, fmt.Errorf("attempt %s: unknown kind %q", a.ID, a.Kind)
	}
	if errors.Is(err, store.ErrAttemptSettled) {
		return s.settledCharge(ctx, a)
	}
	if err != nil {
		if c.Status != paylinks.ChargeFailed {
			// The processor took the payment; the attempt stays pending
			// and the reconciler records it. Loud, in case it cannot.
			s.log.ErrorContext(ctx, "pay: successful charge not recorded yet; the reconciler will record it",
				"attempt", a.ID, "amount", c.Amount, "currency", c.Currency, "last4", c.Card.LastDigits, "err", err)
			return nil, fmt.Errorf("%w (attempt %s: %v)", ErrPaymentNotRecorded, a.ID, err)
		}
		return nil, fmt.Errorf("record charge of attempt %s: %w", a.ID, err)
	}
	return c, nil
}

// ErrPaymentNotRecorded is the error of a payment whose outcome is not
// recorded yet although money may have moved: the processor took it and
// the charge could not be written, or the processor failed and could not
// say whether it charged. Its attempt stays pending and the reconciler
// settles it. The payer must not be told that nothing was charged, nor
// pay again.
var ErrPaymentNotRecorded = &paylinks.Error{Kind: paylinks.KindInternal, Code: "payment_not_recorded",
	Message: "the payment could not be confirmed yet; it will be settled within a few minutes, so do not pay again"}

// settledCharge is the charge of an attempt that was settled elsewhere:
// the one recorded, or an error when the attempt was voided (no money
// moved).
func (s *Service) settledCharge(ctx context.Context, a *store.PaymentAttempt) (*paylinks.Charge, error) {
	cur, err := s.store.GetAttempt(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("settled attempt %s: %w", a.ID, err)
	}
	if cur.ChargeID == nil {
		return nil, &paylinks.Error{Kind: paylinks.KindUnavailable, Code: "payment_cancelled",
			Message: "the payment could not be completed and nothing was charged; try again"}
	}
	c, err := s.store.GetCharge(ctx, cur.AccountID, cur.Livemode, *cur.ChargeID)
	if err != nil {
		return nil, fmt.Errorf("settled attempt %s: charge: %w", a.ID, err)
	}
	return c, nil
}

// settleAttempt settles a pending attempt the caller leased, by asking the
// processor: a charge it made is recorded (exactly once: the write is
// conditional on the attempt being pending) and returned; when it made
// none the attempt is voided (claims released, token unused) and the
// charge is nil. An error leaves the attempt pending.
func (s *Service) settleAttempt(ctx context.Context, a *store.PaymentAttempt) (*paylinks.Charge, error) {
	lctx, cancel := context.WithTimeout(ctx, processorTimeout)
	out, found, err := s.processor(a.Livemode).Lookup(lctx, a.ID.String())
	cancel()
	if err != nil {
		return nil, fmt.Errorf("settle attempt %s: lookup: %w", a.ID, err)
	}
	if !found {
		err := s.store.VoidAttempt(ctx, a.ID)
		if errors.Is(err, store.ErrAttemptSettled) {
			// Settled meanwhile by another settler, who got the same
			// answer: voided too, or recorded.
			cur, gerr := s.store.GetAttempt(ctx, a.ID)
			if gerr == nil && cur.Status == store.AttemptVoided {
				return nil, nil
			}
			return s.settledCharge(ctx, a)
		}
		if err != nil {
			return nil, fmt.Errorf("settle attempt %s: %w", a.ID, err)
		}
		return nil, nil
	}
	var t attemptTarget
	if a.SessionID != nil && a.Kind == store.AttemptSession {
		if t.sess, err = s.store.GetSession(ctx, a.AccountID, a.Livemode, *a.SessionID); err != nil {
			return nil, fmt.Errorf("settle attempt %s: session: %w", a.ID, err)
		}
	}
	if a.LinkID != nil && a.Kind != store.AttemptCharge {
		if t.link, err = s.store.GetLink(ctx, a.AccountID, a.Livemode, *a.LinkID); err != nil {
			return nil, fmt.Errorf("settle attempt %s: link: %w", a.ID, err)
		}
	}
	return s.recordAttempt(ctx, a, out, t)
}
