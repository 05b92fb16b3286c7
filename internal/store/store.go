// Package store defines the one storage interface of paylinks. Every method
// is covered by the conformance suite in storetest, which runs against
// SQLite always and against PostgreSQL when PAYLINKS_TEST_POSTGRES is set.
//
// Rules every implementation keeps:
//   - Methods take ctx and wrap errors with the operation's name and %w.
//   - "No such row" is paylinks.ErrNotFound (wrapped), never nil, nil.
//   - A refused uniqueness or state condition is paylinks.ErrConflict (wrapped).
//   - A write and the events passed with it commit in one transaction; when
//     a method returns nil the write is durable (fsync'd on SQLite).
//   - Objects are scoped: a method that takes accountID and livemode never
//     returns or changes a row of another account or mode (ErrNotFound).
//   - Times are stored with microsecond precision, in UTC.
//
// Money moves only with a record: every payment first writes a pending
// PaymentAttempt (BeginAttempt, in the transaction that claims the link or
// session or spends the token), the processor is called with the attempt's
// id as its idempotency key, and the charge is written with ChargeWrite.
// AttemptID, which finalizes the attempt in the same transaction, once.
// Attempts a crash left pending are leased (LeaseAttempts) and settled by
// the service's reconciler: recorded, or voided (VoidAttempt releases the
// claims and the token).
package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// Store is the storage of paylinks.
type Store interface {
	SessionStore
	IdempotencyStore
	SecretStore
	AttemptStore
	WebhookStore
	ChargeLifecycleStore
	SearchStore
	CatalogStore
	UserStore
	SettingsStore
	SecondFactorStore
	CryptoStore
	DashboardStore
	ChainStore
	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error

	// CreateAccount inserts an account.
	CreateAccount(ctx context.Context, a *paylinks.Account) error
	// GetAccount returns an account by id.
	GetAccount(ctx context.Context, id paylinks.ID) (*paylinks.Account, error)
	// AccountByName returns the account with that name (names are unique).
	AccountByName(ctx context.Context, name string) (*paylinks.Account, error)
	// CountAccounts returns how many accounts exist (0 on a new database).
	CountAccounts(ctx context.Context) (int, error)

	// CreateKey inserts an API key (its hash and prefix; never the key).
	CreateKey(ctx context.Context, k *paylinks.APIKey) error
	// KeyByHash returns the key whose SHA-256 hash is hash, revoked or not.
	KeyByHash(ctx context.Context, hash []byte) (*paylinks.APIKey, error)
	// ListKeys returns every key of every account, oldest first.
	ListKeys(ctx context.Context) ([]paylinks.APIKey, error)
	// RevokeKey sets revoked_at on the one unrevoked key whose prefix is
	// prefix. ErrNotFound when none matches, ErrConflict when several do.
	RevokeKey(ctx context.Context, prefix string, at time.Time) (*paylinks.APIKey, error)

	// CreateLink inserts a link and its event. ErrConflict when the slug is
	// taken (by any link, deleted or not). With idem (the record
	// BeginIdempotency stored for the request), it also records l.ID as the
	// record's ObjectID in the same transaction; ErrKeyLost, and nothing
	// written, when that record no longer holds its key.
	CreateLink(ctx context.Context, l *paylinks.Link, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) error
	// GetLink returns a link of the account and mode, deleted ones included
	// (DeletedAt set).
	GetLink(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Link, error)
	// LinkBySlug returns the link with that slug, deleted ones included,
	// for the hosted pages, which do not show its charges: its ChargeCount
	// is not read (0), sparing every page view and payment an index search.
	LinkBySlug(ctx context.Context, slug string) (*paylinks.Link, error)
	// ListLinks returns a page of the account's undeleted links in the mode
	// and the window [From, To], ordered by (created_at, id) in f.Order, and
	// the number of links in the whole window. Limit 0 means no limit. With
	// f.After set it pages by keyset and the total is -1 (not counted);
	// After must be a link of the account and mode (ErrNotFound otherwise),
	// a deleted one included, so that paging skips nothing.
	ListLinks(ctx context.Context, f paylinks.LinkFilter) ([]paylinks.Link, int, error)
	// UpdateLink writes the mutable fields of an undeleted link (title,
	// description, amount, currency, multiple, active, success_url,
	// cancel_url, updated_at) and its event; slug, created_at and used are
	// never changed by it. prev is the updated_at the caller read: when the
	// stored one differs, someone else changed the link meanwhile and
	// nothing is written (ErrConflict), so no update is ever lost.
	// ErrNotFound when the link is missing or deleted.
	UpdateLink(ctx context.Context, l *paylinks.Link, prev time.Time, ev *paylinks.Event) error
	// DeleteLink marks an undeleted link deleted at the given time, writes
	// its event and returns the deleted link. ErrNotFound when it is missing
	// or already deleted.
	DeleteLink(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID, at time.Time, ev *paylinks.Event) (*paylinks.Link, error)

	// ClaimLink reserves a single-use link for one payment attempt until
	// `until`, so that at most one attempt reaches the processor at a time.
	// ErrConflict when the link is used, deleted, or claimed by another
	// attempt whose claim has not expired at now (a claim whose until equals
	// now has expired). The attempt that holds the claim may claim again to
	// extend it. A multi-use link is never claimed (nil, no write), but a
	// deleted one is ErrConflict. Payments claim through BeginAttempt, whose
	// claim (the attempt's id) also lasts while the attempt is pending.
	ClaimLink(ctx context.Context, linkID, claimID paylinks.ID, now, until time.Time) error
	// ReleaseClaim drops the claim claimID on the link, if it still holds it.
	// ErrNotFound when the link does not exist.
	ReleaseClaim(ctx context.Context, linkID, claimID paylinks.ID) error

	// CreateCharge inserts a charge and its events in one transaction. When
	// w.ClaimID is set and the charge is successful, the same transaction
	// counts it on the link (payment_count), marks the link used (used,
	// used_at = charge time) when that reaches its limit (a single-use
	// link's is 1, else PaymentLimit) and drops the claim; ErrConflict, with nothing written, if the link does not hold
	// that claim. A link deleted while its claim was held is still marked
	// used: the money has moved. A charge that is not successful drops the
	// claim w.ClaimID if the link still holds it. When w.TokenID is set, the
	// token's charge_status is set to the charge's status (ErrNotFound,
	// nothing written, when the token is not the account's). When
	// w.AttemptID is set, the same transaction finalizes that payment
	// attempt (see ChargeWrite.AttemptID).
	CreateCharge(ctx context.Context, w ChargeWrite) error
	// GetCharge returns a charge of the account and mode.
	GetCharge(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Charge, error)
	// ListCharges returns a page of charges and the number in the window.
	ListCharges(ctx context.Context, f paylinks.ChargeFilter) ([]paylinks.Charge, int, error)
	// LinkCharges returns, in one round trip, the first `per` charges of each
	// of the links (oldest first) and each link's number of charges, for the
	// account and mode. A link with no charge is absent from both maps.
	LinkCharges(ctx context.Context, accountID paylinks.ID, livemode bool, linkIDs []paylinks.ID, per int) (map[paylinks.ID][]paylinks.Charge, map[paylinks.ID]int, error)

	// CreateToken inserts a token.
	CreateToken(ctx context.Context, t *paylinks.Token) error
	// GetToken returns a token of the account and mode.
	GetToken(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Token, error)
	// UseToken marks an unused token used and returns it. ErrConflict when
	// it is already used, ErrNotFound when missing. Charges spend tokens
	// through BeginAttempt, and VoidAttempt makes one unused again.
	UseToken(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Token, error)

	// GetEvent returns an event of the account and mode.
	GetEvent(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Event, error)
	// ListEvents returns a page of the account's events in the mode, and the
	// number in the window.
	ListEvents(ctx context.Context, f EventFilter) ([]paylinks.Event, int, error)
}

// ChargeWrite is one CreateCharge call: the charge, the events it emits, and
// optionally the single-use claim it consumes and the token it spent.
type ChargeWrite struct {
	Charge  *paylinks.Charge
	Events  []paylinks.Event
	ClaimID *paylinks.ID
	TokenID *paylinks.ID
	// Idem, for CreateCharge, is the record of the Idempotency-Key request
	// making the charge: the charge's id is recorded on it in the same
	// transaction (see CreateLink). Unlike a link, the charge is written
	// even when the record no longer holds its key: the money has moved.
	Idem *paylinks.IdempotencyRecord
	// AttemptID is the payment attempt the charge records: the write
	// marks it succeeded (a successful or authorized charge) or failed,
	// with the charge's id, only if it is still pending (a failed one gives
	// back the attempt's redemptions); otherwise
	// (another process or the reconciler settled it) nothing is written
	// and the error is ErrAttemptSettled, so a charge is never recorded
	// twice.
	AttemptID *paylinks.ID
}

// EventFilter selects events of one account and mode.
type EventFilter struct {
	AccountID paylinks.ID
	Livemode  bool
	// ObjectIDs, when set, keeps the events about these objects only.
	ObjectIDs []paylinks.ID
	From, To  time.Time
	Order     paylinks.Order
	Offset    int
	Limit     int
}
