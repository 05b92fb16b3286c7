package payments

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The failure codes the simulator produces, from Omise's test cards.
const (
	FailInsufficientFund     = "insufficient_fund"
	FailStolenOrLostCard     = "stolen_or_lost_card"
	FailFailedProcessing     = "failed_processing"
	FailPaymentRejected      = "payment_rejected"
	FailInvalidSecurityCode  = "invalid_security_code"
	FailFailedFraudCheck     = "failed_fraud_check"
	FailInvalidAccountNumber = "invalid_account_number"
	// FailFailedRefund is the refund failure of the card whose charges
	// succeed and whose refunds the simulator refuses.
	FailFailedRefund = "failed_refund"
	// FailFailedCapture refuses a capture of an authorization the ledger
	// does not hold, or above its amount.
	FailFailedCapture = "failed_capture"
)

// outcomeRefundFails is the simulated outcome of the card whose charges
// succeed and whose refunds fail.
const outcomeRefundFails = "successful_refund_fails"

// RefundFailsCard is the test card whose charges succeed and whose refunds
// the simulator refuses (failed_refund): not one of Omise's, paylinks' own.
const RefundFailsCard = "4111111111100015"

// outcomeNotTestCard is the simulated outcome of a number that is not a
// test card: test mode never charges a real card.
const outcomeNotTestCard = "not_a_test_card"

const outcomeSuccess = "successful"

// testCards maps Omise's test card numbers (reference §6) to their outcome:
// "successful" or a failure code.
var testCards = map[string]string{
	// Successful, one or two per brand.
	"4242424242424242":    outcomeSuccess,
	"4111111111111111":    outcomeSuccess,
	"5555555555554444":    outcomeSuccess,
	"5454545454545454":    outcomeSuccess,
	"3530111333300000":    outcomeSuccess,
	"3566111111111113":    outcomeSuccess,
	"378282246310005":     outcomeSuccess,
	"6447032400000000001": outcomeSuccess,
	"36021042000004":      outcomeSuccess,
	"6250947000000006":    outcomeSuccess,

	"4111111111140011": FailInsufficientFund,
	"5555551111110011": FailInsufficientFund,
	"3530111111190011": FailInsufficientFund,
	"6250947000000014": FailInsufficientFund,

	"4111111111130012": FailStolenOrLostCard,
	"5555551111100012": FailStolenOrLostCard,
	"3530111111180012": FailStolenOrLostCard,
	"6250947000000022": FailStolenOrLostCard,

	"4111111111120013":    FailFailedProcessing,
	"5555551111190013":    FailFailedProcessing,
	"3530111111170013":    FailFailedProcessing,
	"377138160000009":     FailFailedProcessing,
	"6447032400001111005": FailFailedProcessing,
	"36021042111108":      FailFailedProcessing,
	"6250947000000030":    FailFailedProcessing,

	"4111111111110014": FailPaymentRejected,
	"5555551111180014": FailPaymentRejected,
	"3530111111160014": FailPaymentRejected,

	"4111111111160001": FailInvalidSecurityCode,
	"5555551111130001": FailInvalidSecurityCode,
	"3530111111110001": FailInvalidSecurityCode,

	// 3-D Secure enrolment and validation failures end as payment_rejected.
	"4111111111150002": FailPaymentRejected,
	"5555551111120002": FailPaymentRejected,
	"3530111111100002": FailPaymentRejected,
	"4111111111140003": FailPaymentRejected,
	"5555551111110003": FailPaymentRejected,
	"3530111111190003": FailPaymentRejected,

	"4111111111190016": FailFailedFraudCheck,
	"5555551111160016": FailFailedFraudCheck,
	"3530111111140016": FailFailedFraudCheck,

	RefundFailsCard: outcomeRefundFails,

	"4111111111180017": FailInvalidAccountNumber,
	"5555551111150017": FailInvalidAccountNumber,
	"3530111111130017": FailInvalidAccountNumber,
}

// failureMessages are the payer-safe messages of each failure code.
var failureMessages = map[string]string{
	FailInsufficientFund:     "Insufficient funds: the card was declined because its account has not enough funds or has reached its limit.",
	FailStolenOrLostCard:     "The card was declined: it has been reported lost or stolen.",
	FailFailedProcessing:     "The payment could not be processed. Try again or use another card.",
	FailPaymentRejected:      "The card issuer rejected the payment. Use another card or contact your bank.",
	FailInvalidSecurityCode:  "The security code is not correct.",
	FailFailedFraudCheck:     "The payment was declined by the fraud check.",
	FailInvalidAccountNumber: "The card number is not valid for this account.",
	outcomeNotTestCard:       "This is test mode: no real card is charged. Use a test card such as 4242 4242 4242 4242.",
	FailFailedRefund:         "The refund was refused by the processor (test card 4111 1111 1110 0015 refuses every refund).",
	FailFailedCapture:        "The capture was refused: the authorization is not held or is smaller than the capture.",
}

// TestCardOutcome returns what the simulator does with a card number:
// "successful", a failure code, or ok false when it is not a test card.
func TestCardOutcome(digits string) (outcome string, ok bool) {
	outcome, ok = testCards[digits]
	return outcome, ok
}

// IsTestCard reports whether digits is one of Omise's test card numbers.
func IsTestCard(digits string) bool {
	_, ok := testCards[digits]
	return ok
}

// simRefPrefix starts every reference the simulator makes. The reference
// holds the simulated outcome only, never the number.
const simRefPrefix = "testcard:"

// Simulator is the test-mode processor: Omise's test cards succeed or fail
// with their documented failure codes, 4242 4242 4242 4242 succeeds, and
// any other number is declined with a message saying to use a test card.
// Any expiry date and security code are accepted, as Omise's test mode does.
//
// A charge with an idempotency key is written to the simulator's ledger
// before Charge returns, as an external processor records it: the same key
// charged again returns the first outcome, and Lookup finds it after the
// caller crashed.
type Simulator struct {
	// Delay, when set, makes every Charge take that long (or until ctx
	// ends) after the charge is in the ledger: the money has moved and the
	// answer is in flight, like a network round-trip to a real processor.
	Delay time.Duration
	// Ledger keeps the charges; nil keeps them in memory, in this
	// Simulator only (tests).
	Ledger Ledger

	mem MemoryLedger
}

var _ Processor = (*Simulator)(nil)

func (s *Simulator) ledger() Ledger {
	if s.Ledger != nil {
		return s.Ledger
	}
	return &s.mem
}

// Tokenize implements Processor: the reference is the simulated outcome.
func (s *Simulator) Tokenize(ctx context.Context, card CardDetails) (string, error) {
	outcome, ok := testCards[card.Number]
	if !ok {
		outcome = outcomeNotTestCard
	}
	return simRefPrefix + outcome, nil
}

// Charge implements Processor. With req.IdempotencyKey it records the
// charge in the ledger first (a key the ledger has already answers with its
// entry: the first outcome, or ErrKeyVoided), then waits Delay.
func (s *Simulator) Charge(ctx context.Context, req ChargeRequest) (Outcome, error) {
	outcome, ok := strings.CutPrefix(req.Ref, simRefPrefix)
	if !ok {
		return Outcome{}, fmt.Errorf("simulator: charge: reference %q was not made by the simulator", truncateRef(req.Ref))
	}
	out, err := simulate(outcome)
	if err != nil {
		return Outcome{}, err
	}
	if req.IdempotencyKey != "" {
		e, err := s.ledger().RecordSimulatedCharge(ctx, LedgerEntry{Key: req.IdempotencyKey, Outcome: out,
			Amount: req.Amount, Currency: req.Currency, At: time.Now().UTC()})
		if err != nil {
			return Outcome{}, fmt.Errorf("simulator: charge: ledger: %w", err)
		}
		if e.Voided {
			return Outcome{}, ErrKeyVoided
		}
		out = e.Outcome
	}
	if s.Delay > 0 {
		t := time.NewTimer(s.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return Outcome{}, fmt.Errorf("simulator: charge: %w", ctx.Err())
		}
	}
	return out, nil
}

// Lookup implements Processor: the ledger's entry of the key, which a key
// without one gets as a void.
func (s *Simulator) Lookup(ctx context.Context, key string) (Outcome, bool, error) {
	e, err := s.ledger().LookupSimulatedCharge(ctx, key, time.Now().UTC())
	if err != nil {
		return Outcome{}, false, fmt.Errorf("simulator: lookup: %w", err)
	}
	if e.Voided {
		return Outcome{}, false, nil
	}
	return e.Outcome, true, nil
}

// simulate is the outcome of a reference's simulated outcome name.
func simulate(outcome string) (Outcome, error) {
	if outcome == outcomeSuccess || outcome == outcomeRefundFails {
		return Outcome{Success: true, SecurityCodeCheck: true}, nil
	}
	msg, known := failureMessages[outcome]
	if !known {
		return Outcome{}, fmt.Errorf("simulator: charge: unknown outcome %q", truncateRef(outcome))
	}
	code := outcome
	if outcome == outcomeNotTestCard {
		code = FailPaymentRejected
	}
	return Outcome{FailureCode: code, FailureMessage: msg, SecurityCodeCheck: outcome != FailInvalidSecurityCode}, nil
}

func truncateRef(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// record writes the outcome of an operation under its idempotency key
// (the first outcome of a key wins, as for charges) and returns the one
// the key has.
func (s *Simulator) record(ctx context.Context, op, key string, out Outcome, amount int64, currency string) (Outcome, error) {
	if key == "" {
		return Outcome{}, fmt.Errorf("simulator: %s: no idempotency key", op)
	}
	e, err := s.ledger().RecordSimulatedCharge(ctx, LedgerEntry{Key: key, Outcome: out, Amount: amount,
		Currency: currency, At: time.Now().UTC()})
	if err != nil {
		return Outcome{}, fmt.Errorf("simulator: %s: ledger: %w", op, err)
	}
	if e.Voided {
		return Outcome{}, ErrKeyVoided
	}
	return e.Outcome, nil
}

// authorization is the ledger's entry of the charge made under key, ok
// false when the ledger holds no successful charge of it.
func (s *Simulator) authorization(ctx context.Context, key string) (LedgerEntry, bool, error) {
	e, err := s.ledger().LookupSimulatedCharge(ctx, key, time.Now().UTC())
	if err != nil {
		return LedgerEntry{}, false, err
	}
	return e, !e.Voided && e.Outcome.Success, nil
}

func refused(code string) Outcome {
	return Outcome{FailureCode: code, FailureMessage: failureMessages[code]}
}

// Capture implements Processor: it captures up to the amount the ledger
// holds for the charge's key, recording the capture under its own key.
func (s *Simulator) Capture(ctx context.Context, req CaptureRequest) (Outcome, error) {
	auth, ok, err := s.authorization(ctx, req.ChargeKey)
	if err != nil {
		return Outcome{}, fmt.Errorf("simulator: capture: %w", err)
	}
	out := Outcome{Success: true, SecurityCodeCheck: true}
	if !ok || req.Amount <= 0 || req.Amount > auth.Amount {
		out = refused(FailFailedCapture)
	}
	return s.record(ctx, "capture", req.IdempotencyKey, out, req.Amount, req.Currency)
}

// Void implements Processor: the authorization is released (the simulator
// holds no funds, so it records the void and succeeds).
func (s *Simulator) Void(ctx context.Context, req VoidRequest) (Outcome, error) {
	return s.record(ctx, "void", req.IdempotencyKey, Outcome{Success: true, SecurityCodeCheck: true}, 0, "")
}

// Refund implements Processor: it refunds a charge the ledger holds, except
// that a charge of RefundFailsCard is refused with failed_refund.
func (s *Simulator) Refund(ctx context.Context, req RefundRequest) (Outcome, error) {
	out := Outcome{Success: true, SecurityCodeCheck: true}
	if outcome, _ := strings.CutPrefix(req.Ref, simRefPrefix); outcome == outcomeRefundFails {
		out = refused(FailFailedRefund)
	} else if _, ok, err := s.authorization(ctx, req.ChargeKey); err != nil {
		return Outcome{}, fmt.Errorf("simulator: refund: %w", err)
	} else if !ok {
		out = refused(FailFailedRefund)
	}
	return s.record(ctx, "refund", req.IdempotencyKey, out, req.Amount, req.Currency)
}
