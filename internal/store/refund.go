package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// The processor operations recorded on a charge (Charge.PendingOp).
const (
	OpCapture = "capture"
	OpReverse = "reverse"
)

// ChargeOp is a capture or reverse recorded on a charge before the
// processor was asked: OpID is the processor's idempotency key, Amount what
// a capture takes.
type ChargeOp struct {
	Charge paylinks.Charge
	Op     string
	OpID   paylinks.ID
	Amount int64
	At     time.Time
}

// ChargeLifecycleStore keeps what happens to a charge after it is made:
// captures and reverses (recorded on the charge before the processor is
// asked, finalized or aborted after), expiry, updates and refunds. Every
// state condition is decided by the database in the write itself, so two
// processes (or replicas) never both change a charge from one state.
type ChargeLifecycleStore interface {
	// BeginChargeOp records op (OpCapture or OpReverse, id opID, amount) on
	// a charge of the account and mode that is capturable at now: pending,
	// authorized, uncaptured, neither reversed nor expired, before its
	// expires_at, with no operation pending. ErrConflict when it is not
	// (nothing written), ErrNotFound when there is no such charge.
	BeginChargeOp(ctx context.Context, accountID paylinks.ID, livemode bool, chargeID paylinks.ID, op string, opID paylinks.ID, amount int64, now time.Time) error
	// FinishChargeOp writes the outcome of the pending operation opID on
	// charge c (c's status, captured_amount, paid_at, reversed_at and
	// transaction_id as given) and its events, and clears the operation,
	// in one transaction. ErrAttemptSettled when the charge no longer has
	// opID pending (settled elsewhere): nothing is written.
	FinishChargeOp(ctx context.Context, c *paylinks.Charge, opID paylinks.ID, events []paylinks.Event) error
	// AbortChargeOp clears the pending operation opID, which moved no
	// money. ErrAttemptSettled when the charge no longer has it pending.
	AbortChargeOp(ctx context.Context, chargeID, opID paylinks.ID) error
	// LeaseChargeOps leases up to limit operations pending since at or
	// before `before` whose lease is unset or ended at now, until `until`,
	// and returns them.
	LeaseChargeOps(ctx context.Context, before, now, until time.Time, limit int) ([]ChargeOp, error)
	// ExpireCharge marks charge c expired (status expired, expired_at =
	// *c.ExpiredAt) with its events when it is still an uncaptured
	// authorization with no operation pending (and, with dueOnly, when its
	// expires_at is at or before *c.ExpiredAt). ErrConflict when not:
	// nothing written, so each authorization expires once.
	ExpireCharge(ctx context.Context, c *paylinks.Charge, dueOnly bool, events []paylinks.Event) error
	// DueAuthorizations returns up to limit uncaptured authorizations, of
	// any account, whose expires_at is at or before now, oldest expiry
	// first, read from an index of pending charges.
	DueAuthorizations(ctx context.Context, now time.Time, limit int) ([]paylinks.Charge, error)
	// UpdateChargeDetails writes c's description and metadata and its
	// event. ErrNotFound when the account and mode have no such charge.
	UpdateChargeDetails(ctx context.Context, c *paylinks.Charge, ev *paylinks.Event) error

	// BeginRefund inserts the pending refund r and adds its amount to its
	// charge's refunded_amount, in one transaction, only when the charge
	// is successful and the sum stays within its captured_amount: a
	// conditional UPDATE that the database serializes, so concurrent
	// refunds never exceed the captured amount. ErrConflict when refused
	// (nothing written), ErrNotFound when there is no such charge. With
	// idem (the record of the Idempotency-Key request making the refund),
	// the same transaction records r.ID as the record's ObjectID;
	// ErrKeyLost, and nothing written, when the record lost its key.
	BeginRefund(ctx context.Context, r *paylinks.Refund, idem *paylinks.IdempotencyRecord) error
	// FinishRefund writes the outcome of the pending refund r (r.Status
	// closed or failed, failure fields, transaction id) and its events; a
	// failed refund gives its amount back to the charge's refundable
	// amount. ErrAttemptSettled when r is no longer pending.
	FinishRefund(ctx context.Context, r *paylinks.Refund, events []paylinks.Event) error
	// GetRefund returns a refund of the account and mode.
	GetRefund(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Refund, error)
	// ListRefunds returns a page of refunds (of one charge when f.ChargeID
	// is set) and the number in the window.
	ListRefunds(ctx context.Context, f paylinks.RefundFilter) ([]paylinks.Refund, int, error)
	// LeaseRefunds leases up to limit refunds pending since at or before
	// `before` whose lease is unset or ended at now, until `until`.
	LeaseRefunds(ctx context.Context, before, now, until time.Time, limit int) ([]paylinks.Refund, error)
}
