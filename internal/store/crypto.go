package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// CryptoStore keeps accounts' crypto checkout settings, allocates deposit
// address indexes, and keeps checkout sessions' on-chain state. A session's
// crypto row is inserted by CreateSession when the session's Crypto is set.
type CryptoStore interface {
	// PutCryptoConfig inserts or replaces the account's settings for the
	// mode. The deposit index counter is kept: an index is never handed
	// out twice, whatever the settings become.
	PutCryptoConfig(ctx context.Context, c *paylinks.CryptoConfig) error
	// GetCryptoConfig returns the account's settings for the mode;
	// ErrNotFound when it has none.
	GetCryptoConfig(ctx context.Context, accountID paylinks.ID, livemode bool) (*paylinks.CryptoConfig, error)
	// AllocateDepositIndex hands out the account's next deposit address
	// index for the mode, in a transaction of its own (like a database
	// sequence: an index whose session is never written is skipped, never
	// reused). Unique across processes sharing the database. ErrNotFound
	// when the account has no settings for the mode.
	AllocateDepositIndex(ctx context.Context, accountID paylinks.ID, livemode bool) (uint32, error)
	// SessionCrypto returns the crypto state of a session; ErrNotFound
	// when the session has none.
	SessionCrypto(ctx context.Context, sessionID paylinks.ID) (*paylinks.SessionCrypto, error)
	// WatchedAddresses returns which of addrs (lower-case hex) are the
	// deposit addresses on chainID of sessions still watched at now
	// (WatchUntil after now), lower-case.
	WatchedAddresses(ctx context.Context, chainID uint64, addrs []string, now time.Time) ([]string, error)
	// SessionsByAddress returns the sessions, with their Crypto, whose
	// deposit address on chainID is addr (any case).
	SessionsByAddress(ctx context.Context, chainID uint64, addr string) ([]paylinks.CheckoutSession, error)
	// ExpiredCryptoSessions returns up to limit sessions, with their
	// Crypto, whose crypto status is still pending and whose quote expired
	// at or before now, oldest expiry first.
	ExpiredCryptoSessions(ctx context.Context, now time.Time, limit int) ([]paylinks.CheckoutSession, error)
	// UpdateSessionCrypto writes a session's new crypto state and its
	// events in one transaction. See CryptoWrite.
	UpdateSessionCrypto(ctx context.Context, w CryptoWrite) error
}

// CryptoWrite is one UpdateSessionCrypto call.
type CryptoWrite struct {
	// SessionID's crypto row becomes State when its stored version is
	// still State.Version (then Version+1); otherwise nothing is written
	// and the error is ErrConflict.
	SessionID paylinks.ID
	State     *paylinks.SessionCrypto
	Events    []paylinks.Event
	// Charge, when set, is the payment the state accepts: it is inserted
	// (with Events), the session, if still open and not held by a card
	// payment's live claim, is completed by it (status complete,
	// completed_at and charge_id), and a single-use link of the charge
	// that no card payment holds a live claim on is marked used, all in
	// the same transaction. (A card payment in flight keeps its claim: it
	// must still be able to record what it charged.)
	Charge *paylinks.Charge
	// Now decides whether a link's claim is live.
	Now time.Time
}
