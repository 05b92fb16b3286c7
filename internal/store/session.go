package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// SessionStore keeps checkout sessions.
type SessionStore interface {
	// CreateSession inserts a session and its event. ErrConflict when the
	// id is taken. idem, when set, is recorded as in Store.CreateLink
	// (ErrKeyLost, and nothing written, when it lost its key).
	CreateSession(ctx context.Context, s *paylinks.CheckoutSession, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) error
	// GetSession returns a session of the account and mode.
	GetSession(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.CheckoutSession, error)
	// SessionByID returns a session of any account (for its hosted page).
	SessionByID(ctx context.Context, id paylinks.ID) (*paylinks.CheckoutSession, error)
	// ListSessions returns a page of the account's sessions in the mode,
	// newest first by (created_at, id). With f.After set, the page starts
	// after that session; ErrNotFound when it is not the account's in the
	// mode.
	ListSessions(ctx context.Context, f paylinks.SessionFilter) ([]paylinks.CheckoutSession, error)
	// ClaimSession reserves an open session for one payment attempt until
	// `until`, so that at most one attempt reaches the processor at a time.
	// ErrConflict when the session is complete, has expired at now
	// (expires_at <= now), or is claimed by another attempt whose claim has
	// not expired at now; the attempt holding the claim may claim again.
	// ErrNotFound when it does not exist.
	ClaimSession(ctx context.Context, id, claimID paylinks.ID, now, until time.Time) error
	// ReleaseSessionClaim drops the claim claimID on the session, if it
	// still holds it. ErrNotFound when the session does not exist.
	ReleaseSessionClaim(ctx context.Context, id, claimID paylinks.ID) error
	// PaySession records one payment attempt of a session in one
	// transaction: what CreateCharge does for w.ChargeWrite, plus the
	// session. With w.NewSession set, the session is inserted as given
	// (a payment from a link's page, which makes its session as it pays).
	// Otherwise w.SessionClaimID must be held on the charge's session
	// (Charge.SessionID): a successful charge completes it (status
	// complete, completed_at = the charge's CreatedAt, charge_id, email) and
	// drops the claim, or, when the claim is not held or the session is not
	// open, nothing is written and the error is ErrConflict; a failed charge
	// just drops the claim.
	PaySession(ctx context.Context, w SessionChargeWrite) error
}

// SessionChargeWrite is one PaySession call.
type SessionChargeWrite struct {
	ChargeWrite
	NewSession     *paylinks.CheckoutSession
	SessionClaimID *paylinks.ID
}
