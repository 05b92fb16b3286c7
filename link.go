package paylinks

import "time"

// Link is a payment link: one row, whichever dialect created it. Amount 0
// means the payer chooses the amount. A single-use link (Multiple false) is
// consumed by its first successful charge.
type Link struct {
	ID          ID
	AccountID   ID
	Livemode    bool
	Slug        string // the hosted page is {public-url}/l/{Slug}
	Title       string
	Description string // "" renders as null where a dialect allows it
	Amount      int64  // minor units; 0 = payer chooses
	Currency    string // uppercase ISO 4217
	Multiple    bool
	// PaymentLimit, when above 0, is the most successful payments a
	// multi-use link takes (Stripe's restrictions.completed_sessions.limit):
	// the link is Used when PaymentCount reaches it. A single-use link
	// (Multiple false) has the limit 1 whatever PaymentLimit says.
	PaymentLimit int
	// PaymentCount is the number of successful (or authorized) payments
	// that counted against the link's limit; the store keeps it.
	PaymentCount int
	Active       bool
	// ManualCapture makes the link's payments authorizations only: the
	// merchant captures (or reverses) each charge later. By default a
	// link's payments are captured at once.
	ManualCapture bool
	Used          bool
	SuccessURL    string
	CancelURL     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	UsedAt        *time.Time
	DeletedAt     *time.Time
	// ChargeCount is the number of charges made through the link,
	// successful or not. Stores compute it when they read a link; it is
	// ignored when a link is written.
	ChargeCount int
}

// Deleted reports whether the link has been deleted.
func (l *Link) Deleted() bool { return l.DeletedAt != nil }

// Payable reports why the link cannot take a new payment: "" when it can,
// else "deleted", "inactive" or "used".
func (l *Link) Payable() string {
	switch {
	case l.DeletedAt != nil:
		return "deleted"
	case !l.Active:
		return "inactive"
	case l.Limited() && l.Used:
		return "used"
	}
	return ""
}

// Limited reports whether the link takes a bounded number of payments (a
// single-use link, or one with a PaymentLimit): each payment of it claims
// the link in the store, so that no more than the limit succeed whatever
// the concurrency.
func (l *Link) Limited() bool { return !l.Multiple || l.PaymentLimit > 0 }

// CompletedLimit is the most successful payments the link takes, 0 when
// unbounded.
func (l *Link) CompletedLimit() int {
	if !l.Multiple {
		return 1
	}
	return l.PaymentLimit
}

// Order is the direction of a time-ordered list.
type Order int

// The list orders.
const (
	Chronological Order = iota
	ReverseChronological
)

// LinkFilter selects the links of one account and mode for a list. From and
// To bound created_at inclusively; zero values mean unbounded. Offset and
// Limit page the result; After (a link id), when set, starts the page after
// that link in the list's order (keyset paging) instead of Offset.
type LinkFilter struct {
	AccountID ID
	Livemode  bool
	From, To  time.Time
	Order     Order
	Offset    int
	Limit     int
	After     *ID
	// SkipTotal asks the store not to count the window (total -1), for
	// callers that show no total.
	SkipTotal bool
	// SkipChargeCount asks the store not to count each link's charges
	// (ChargeCount 0), for callers that show no count.
	SkipChargeCount bool
}
