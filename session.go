package paylinks

import (
	"strings"
	"time"
)

// SessionIDPrefix begins a checkout session's public id: "cs_" and 26
// characters of Crockford base32, as the JSON v1 API returns it and as the
// hosted page's URL (/c/{id}) and the success redirect's session_id carry
// it. The id is the page's capability: unguessable (74 random bits) and
// handed only to the merchant who made the session.
const SessionIDPrefix = "cs_"

// FormatSessionID renders a session's public id.
func FormatSessionID(id ID) string { return SessionIDPrefix + FormatBase32(id) }

// ParseSessionID parses a session's public id; ok is false for anything
// else.
func ParseSessionID(s string) (id ID, ok bool) {
	rest, ok := strings.CutPrefix(s, SessionIDPrefix)
	if !ok {
		return ID{}, false
	}
	return ParseBase32(rest)
}

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
	// Cart is what the payer bought, when the session was paid through a
	// link that sells a cart; nil otherwise.
	Cart *SessionCart `json:",omitempty"`
	// Crypto is the session's ETH quote and on-chain state; nil when the
	// session offers no ETH payment.
	Crypto *SessionCrypto
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
	// LinkID, when set, keeps the sessions made from that link.
	LinkID *ID
}
