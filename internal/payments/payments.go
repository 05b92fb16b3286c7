// Package payments charges cards. A Processor turns card details into a
// reference it can charge later and charges a reference for an amount; the
// test-mode Simulator implements Omise's test cards, and Unconfigured
// refuses every live payment when no processor is set up.
//
// The card number and security code reach a Processor and nothing else: no
// log, no database. Callers keep only what card.go derives from them (brand,
// first 6 / last 4, expiry, fingerprint).
package payments

import (
	"context"

	"github.com/paylinks/paylinks"
)

// CardDetails are the card fields a payer typed. Number holds digits only
// (see NormalizeNumber); SecurityCode may be empty when the caller did not
// collect it (Omise tokens make it optional).
type CardDetails struct {
	Number          string
	SecurityCode    string
	Name            string
	ExpirationMonth int
	ExpirationYear  int
}

// ChargeRequest asks a processor to charge a card reference.
type ChargeRequest struct {
	Ref         string // from Processor.Tokenize
	Amount      int64  // minor units
	Currency    string // uppercase ISO 4217
	Description string
	Capture     bool
	// IdempotencyKey identifies the payment attempt (its id): a charge
	// repeated with the same key returns the first outcome and moves no
	// money twice, and Lookup finds the outcome by it.
	IdempotencyKey string
}

// Outcome is what the processor decided. A declined charge is an Outcome
// with Success false and a failure code, not an error: errors are reserved
// for "the processor could not decide" (unavailable, timeouts).
type Outcome struct {
	Success bool
	// FailureCode is Omise's failure code ("insufficient_fund", …) when
	// Success is false; FailureMessage is safe to show to the payer.
	FailureCode    string
	FailureMessage string
	// SecurityCodeCheck reports whether the security code matched.
	SecurityCodeCheck bool
}

// Processor charges cards for one mode (test or live).
type Processor interface {
	// Tokenize returns an opaque reference to the card that Charge accepts
	// later. It never returns or keeps the card number in the reference in
	// a recoverable form that a store would hold as card data.
	Tokenize(ctx context.Context, card CardDetails) (ref string, err error)
	// Charge charges the card behind req.Ref. A decline is an Outcome with
	// Success false and a nil error.
	Charge(ctx context.Context, req ChargeRequest) (Outcome, error)
	// Lookup returns the outcome of the charge made with the idempotency
	// key, with found true; found is false when no charge was made with
	// it, and then the key is voided: a later Charge with it is refused
	// (ErrKeyVoided) and moves no money, so that an answer still in flight
	// cannot move money after the caller decided nothing happened. An
	// error means the processor could not say; the caller asks again later.
	Lookup(ctx context.Context, idempotencyKey string) (out Outcome, found bool, err error)
	// Capture captures req.Amount of the charge authorized (Charge with
	// Capture false) under req.ChargeKey. A refusal is an Outcome with
	// Success false. Lookup finds it by req.IdempotencyKey.
	Capture(ctx context.Context, req CaptureRequest) (Outcome, error)
	// Void releases the uncaptured authorization made under req.ChargeKey
	// (Omise's reverse). Lookup finds it by req.IdempotencyKey.
	Void(ctx context.Context, req VoidRequest) (Outcome, error)
	// Refund gives back req.Amount of the captured charge made under
	// req.ChargeKey. A refusal is an Outcome with Success false. Lookup
	// finds it by req.IdempotencyKey.
	Refund(ctx context.Context, req RefundRequest) (Outcome, error)
}

// CaptureRequest asks a processor to capture an authorized charge.
type CaptureRequest struct {
	ChargeKey string // the idempotency key the charge was authorized with
	Amount    int64  // at most the authorized amount
	Currency  string
	// IdempotencyKey is the id of the operation recorded before the call.
	IdempotencyKey string
}

// VoidRequest asks a processor to release an uncaptured authorization.
type VoidRequest struct {
	ChargeKey      string
	IdempotencyKey string
}

// RefundRequest asks a processor to refund part or all of a captured
// charge.
type RefundRequest struct {
	ChargeKey string
	Ref       string // the card reference the charge was made with
	Amount    int64
	Currency  string
	// IdempotencyKey is the refund's id, recorded before the call.
	IdempotencyKey string
}

// ErrKeyVoided is the error of a Charge whose idempotency key a Lookup
// found unused and voided.
var ErrKeyVoided = &paylinks.Error{Kind: paylinks.KindUnavailable, Code: "idempotency_key_voided",
	Message: "the processor refused the charge: its idempotency key was voided"}

// Unconfigured is the live-mode processor of a server with no payment
// processor set up: it refuses everything with a KindUnavailable error, so
// a live payment never silently succeeds.
type Unconfigured struct{}

var _ Processor = Unconfigured{}

// ErrNoProcessor is the error Unconfigured returns.
var ErrNoProcessor = &paylinks.Error{Kind: paylinks.KindUnavailable, Code: "processor_unavailable",
	Message: "live payments are not available: no payment processor is configured for this server"}

// Tokenize implements Processor; it always fails with ErrNoProcessor.
func (Unconfigured) Tokenize(context.Context, CardDetails) (string, error) { return "", ErrNoProcessor }

// Charge implements Processor; it always fails with ErrNoProcessor.
func (Unconfigured) Charge(context.Context, ChargeRequest) (Outcome, error) {
	return Outcome{}, ErrNoProcessor
}

// Lookup implements Processor: no charge was ever made without a processor.
func (Unconfigured) Lookup(context.Context, string) (Outcome, bool, error) {
	return Outcome{}, false, nil
}

// Capture implements Processor; it always fails with ErrNoProcessor.
func (Unconfigured) Capture(context.Context, CaptureRequest) (Outcome, error) {
	return Outcome{}, ErrNoProcessor
}

// Void implements Processor; it always fails with ErrNoProcessor.
func (Unconfigured) Void(context.Context, VoidRequest) (Outcome, error) {
	return Outcome{}, ErrNoProcessor
}

// Refund implements Processor; it always fails with ErrNoProcessor.
func (Unconfigured) Refund(context.Context, RefundRequest) (Outcome, error) {
	return Outcome{}, ErrNoProcessor
}

// Available reports whether p can take payments at all (false for
// Unconfigured and nil).
func Available(p Processor) bool {
	switch p.(type) {
	case nil, Unconfigured, *Unconfigured:
		return false
	}
	return true
}
