package paylinks

import "time"

// SessionStatus is the state of a checkout session.
type SessionStatus string

// The session states. A session is stored open or complete; expired is
// derived from the clock (see StatusAt), so no sweeper has to run.
const (
	SessionOpen     SessionStatus = "open"
	SessionComplete SessionStatus = "complete"
	SessionExpired  SessionStatus = "expired"
)

// CheckoutSession is one payer's checkout: an amount fixed when it was made
// (from a link at that moment, or given ad hoc), paid at most once on the
// hosted page before it expires. A session made from a link stays payable
// when the link is later changed, deactivated or deleted.
type CheckoutSession struct {
	ID         ID
	AccountID  ID
	Livemode   bool
	LinkID     *ID           // nil for an ad-hoc session
	Status     SessionStatus // as stored: open or complete; see StatusAt
	Amount     int64         // minor units; 0 = the payer chooses (a link of amount 0)
	Currency   string        // uppercase ISO 4217
	SuccessURL string
	CancelURL  string
	Email      string // the payer's, once paid
	Metadata   map[string]string
	ChargeID   *ID // the successful charge, once paid
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// CompletedAt is when the session was paid.
	CompletedAt *time.Time
}

// StatusAt returns the session's status at now: an open session whose
// expiry has passed (ExpiresAt <= now) is expired.
func (s *CheckoutSession) StatusAt(now time.Time) SessionStatus {
	if s.Status == SessionOpen && !now.Before(s.ExpiresAt) {
		return SessionExpired
	}
	return s.Status
}

// SessionFilter selects a page of the checkout sessions of one account and
// mode, newest first: Limit sessions (0: no limit) after the session After
// (keyset paging) when it is set.
type SessionFilter struct {
	AccountID ID
	Livemode  bool
	Limit     int
	After     *ID
}
