package paylinks

import "time"

// ChargeStatus is the state of a charge.
type ChargeStatus string

// The charge states that paylinks produces.
const (
	ChargeSuccessful ChargeStatus = "successful"
	ChargeFailed     ChargeStatus = "failed"
	ChargePending    ChargeStatus = "pending"
	ChargeReversed   ChargeStatus = "reversed" // an authorization voided before capture
	ChargeExpired    ChargeStatus = "expired"  // an authorization that lapsed uncaptured
)

// AuthorizationTTL is how long an authorized, uncaptured charge can be
// captured: Omise holds an authorization for 7 days.
const AuthorizationTTL = 7 * 24 * time.Hour

// Card is what paylinks keeps of a payment card: never the full number or the
// security code. Fingerprint is an HMAC of the number with a server secret, so
// the same card is recognisable without being stored.
type Card struct {
	Brand             string
	FirstDigits       string // first 6
	LastDigits        string // last 4
	ExpirationMonth   int
	ExpirationYear    int
	Name              string
	Fingerprint       string
	SecurityCodeCheck bool
}

// Charge is one payment attempt, successful or not. LinkID is set when it was
// made through a link's checkout; SessionID when through a checkout session.
type Charge struct {
	ID             ID
	AccountID      ID
	Livemode       bool
	LinkID         *ID
	SessionID      *ID
	Amount         int64
	Currency       string
	Description    string
	Status         ChargeStatus
	Capture        bool
	FailureCode    string
	FailureMessage string
	Card           Card
	CardID         ID // the card object's id (Omise renders card_test_…)
	Email          string
	// IP is the payer's address as the server saw it (behind trusted
	// proxies, from X-Forwarded-For); "" when unknown, as for charges made
	// through the API.
	IP       string
	Metadata map[string]string
	// SourceType is "" for a card charge, "crypto" for a checkout
	// session's payment in ETH (Card is then empty).
	SourceType    string
	TransactionID *ID
	CreatedAt     time.Time
	PaidAt        *time.Time

	// AuthorizedAmount is what the processor authorized (the amount of a
	// successful or authorized charge, 0 for a failed one); CapturedAmount
	// what was captured of it (all of it at once when Capture, or by a
	// capture later); RefundedAmount the sum of the refunds that are not
	// failed, pending ones included, never above CapturedAmount.
	AuthorizedAmount int64
	CapturedAmount   int64
	RefundedAmount   int64
	// ExpiresAt is when an authorized, uncaptured charge lapses.
	ExpiresAt  *time.Time
	ReversedAt *time.Time
	ExpiredAt  *time.Time
	// PendingOp is the processor operation (capture or reverse) recorded
	// on the charge and not settled yet, "" when none: while it is set no
	// other operation may begin on the charge.
	PendingOp string
}

// Paid reports whether the charge succeeded.
func (c *Charge) Paid() bool { return c.Status == ChargeSuccessful }

// Accepted reports whether the payment went through: captured, or
// authorized for a later capture (a link with manual capture). A single-use
// link or a session is consumed by an accepted charge.
func (c *Charge) Accepted() bool {
	return c.Status == ChargeSuccessful || (c.Status == ChargePending && c.AuthorizedAmount > 0)
}

// Authorized reports whether the processor authorized the charge (captured
// since or not, reversed or expired since or not).
func (c *Charge) Authorized() bool { return c.AuthorizedAmount > 0 || c.Status == ChargeSuccessful }

// Capturable reports whether the charge is authorized and can be captured
// (or reversed, or expired) now: pending, not reversed or expired, within
// its authorization's lifetime and with no operation in flight.
func (c *Charge) Capturable(now time.Time) bool {
	return c.Status == ChargePending && c.AuthorizedAmount > 0 && c.CapturedAmount == 0 &&
		c.ReversedAt == nil && c.ExpiredAt == nil && c.PendingOp == "" &&
		(c.ExpiresAt == nil || now.Before(*c.ExpiresAt))
}

// Refundable reports whether part of the captured amount is not refunded.
func (c *Charge) Refundable() bool {
	return c.Status == ChargeSuccessful && c.RefundedAmount < c.CapturedAmount
}

// RefundStatus is the state of a refund.
type RefundStatus string

// The refund states.
const (
	RefundPending RefundStatus = "pending" // recorded, the processor not answered yet
	RefundClosed  RefundStatus = "closed"  // the processor refunded it
	RefundFailed  RefundStatus = "failed"  // the processor refused it; its amount is refundable again
)

// Refund is money given back of a captured charge, in one or several
// parts up to the charge's captured amount.
type Refund struct {
	ID             ID
	AccountID      ID
	Livemode       bool
	ChargeID       ID
	Amount         int64
	Currency       string
	Status         RefundStatus
	Voided         bool
	FailureCode    string
	FailureMessage string
	Metadata       map[string]string
	TransactionID  *ID
	CreatedAt      time.Time
}

// RefundFilter selects refunds of one account and mode, of one charge when
// ChargeID is set.
type RefundFilter struct {
	AccountID ID
	Livemode  bool
	ChargeID  *ID
	From, To  time.Time
	Order     Order
	Offset    int
	Limit     int
}

// Token is a single-use handle on a card, made with a public key and spent by
// a charge. ProcessorRef is what the processor needs to charge the card later
// (in test mode, the simulated outcome), never the card number.
type Token struct {
	ID           ID
	AccountID    ID
	Livemode     bool
	Card         Card
	CardID       ID
	ProcessorRef string
	Used         bool
	ChargeStatus string // "unknown" until a charge spends it
	CreatedAt    time.Time
}

// ChargeFilter selects charges of one account and mode, optionally of one link.
type ChargeFilter struct {
	AccountID ID
	Livemode  bool
	LinkID    *ID
	From, To  time.Time
	Order     Order
	Offset    int
	Limit     int
	// After, when set, pages by keyset: the charges after this one in
	// Order (Offset ignored, total -1, not counted). It must be a charge of
	// the account and mode (ErrNotFound otherwise).
	After *ID
	// SkipTotal asks the store not to count the window (total -1), for
	// callers that show no total.
	SkipTotal bool
}
