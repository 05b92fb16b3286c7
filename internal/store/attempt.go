package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
)

// AttemptStatus is the state of a payment attempt.
type AttemptStatus string

// The states of a payment attempt. Only a pending attempt changes, once.
const (
	AttemptPending   AttemptStatus = "pending"   // written before the processor was asked
	AttemptSucceeded AttemptStatus = "succeeded" // its successful (or authorized) charge is recorded
	AttemptFailed    AttemptStatus = "failed"    // its declined charge is recorded
	AttemptVoided    AttemptStatus = "voided"    // no money moved: claims and token released
)

// AttemptKind says which flow made an attempt, and so how its charge is
// recorded.
type AttemptKind string

// The kinds of payment attempts.
const (
	AttemptLink    AttemptKind = "link"    // a link's hosted page (the charge makes its session)
	AttemptSession AttemptKind = "session" // a checkout session's hosted page
	AttemptCharge  AttemptKind = "charge"  // an API charge of a token
)

// ErrAttemptSettled is returned by a write that finalizes or voids an
// attempt that is no longer pending (the reconciler, or another process,
// settled it first): nothing is written.
var ErrAttemptSettled = errors.New("the payment attempt is no longer pending")

// ErrRedemptionRefused is BeginAttempt's error when one of the attempt's
// Redeems is inactive, used up or past its end: nothing is written.
var ErrRedemptionRefused = fmt.Errorf("%w: a coupon or promotion code may no longer be redeemed", paylinks.ErrConflict)

// PaymentAttempt is a payment written durably before the processor is asked
// to move money: what the processor is asked for, and all that recording
// the charge afterwards needs, without any card secret. Its ID is the
// processor's idempotency key and the id of the charge that records it.
type PaymentAttempt struct {
	ID        paylinks.ID
	AccountID paylinks.ID
	Livemode  bool
	Kind      AttemptKind
	LinkID    *paylinks.ID
	SessionID *paylinks.ID
	TokenID   *paylinks.ID
	// ClaimsLink is set when the attempt holds its single-use link's claim,
	// and ClaimsSession when it holds its session's; the claim id is the
	// attempt's ID. A claim held by a pending attempt never lapses.
	ClaimsLink    bool
	ClaimsSession bool
	Amount        int64
	Currency      string
	Description   string
	Capture       bool
	// ProcessorRef is the processor's reference to the card.
	ProcessorRef string
	Card         paylinks.Card
	CardID       paylinks.ID
	Email        string
	// IP is the payer's address; it becomes the charge's.
	IP       string
	Metadata map[string]string
	// Cart is what the payer buys when the attempt pays a link that sells
	// a cart; it becomes the session's Cart. nil otherwise.
	Cart *paylinks.SessionCart
	// Redeems are the catalog items (a coupon, a promotion code) the
	// attempt redeems: BeginAttempt redeems them, and a declined or voided
	// attempt gives them back, in the transaction that settles it.
	Redeems []paylinks.ID
	// IdempotencyKey is the Idempotency-Key of the API request that made
	// the attempt, "" when none; its record's ObjectID is the attempt's ID.
	IdempotencyKey string
	Status         AttemptStatus
	ChargeID       *paylinks.ID
	CreatedAt      time.Time
	// LeaseUntil is set while a reconciler works on the attempt.
	LeaseUntil *time.Time
}

// AttemptStore keeps payment attempts. Every process may run the
// reconciler; the database coordinates them by leases on attempt rows.
type AttemptStore interface {
	// BeginAttempt inserts the pending attempt a, in one transaction with
	// the write that reserves what it pays:
	//   - ClaimsSession: claims session a.SessionID for a.ID as ClaimSession
	//     does (until `until`);
	//   - ClaimsLink: claims single-use link a.LinkID for a.ID as ClaimLink
	//     does, except that a claim held by a pending attempt never lapses;
	//   - TokenID: marks the token used (as UseToken) and copies its card,
	//     card id and processor reference into a;
	//   - idem: records a.ID as the record's ObjectID (the charge will have
	//     that id), ErrKeyLost when the record lost its key;
	//   - Redeems: redeems each item once, as RedeemCatalogItems does (the
	//     database decides each limit with a conditional update);
	//     ErrRedemptionRefused when one may not be redeemed.
	// A refused claim or a used token is ErrConflict, a missing token or
	// session ErrNotFound; nothing is written then.
	BeginAttempt(ctx context.Context, a *PaymentAttempt, idem *paylinks.IdempotencyRecord, now, until time.Time) error
	// GetAttempt returns an attempt by id.
	GetAttempt(ctx context.Context, id paylinks.ID) (*PaymentAttempt, error)
	// VoidAttempt marks a pending attempt voided and, in the same
	// transaction, drops the link and session claims it holds, marks its
	// token unused and gives back its redemptions. ErrAttemptSettled when it is not pending (nothing
	// written), ErrNotFound when missing.
	VoidAttempt(ctx context.Context, id paylinks.ID) error
	// LeaseAttempts leases up to limit pending attempts created at or
	// before createdBefore whose lease is unset or ended at now (only the
	// attempt id when id is set), setting their LeaseUntil to until, and
	// returns them, oldest first. An attempt leased by one caller is not
	// returned to another until the lease ends.
	LeaseAttempts(ctx context.Context, id *paylinks.ID, createdBefore, now, until time.Time, limit int) ([]PaymentAttempt, error)
}
