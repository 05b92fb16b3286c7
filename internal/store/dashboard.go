package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// The states a dashboard list of links filters by (LinkQuery.Status).
const (
	LinkStatusAll      = ""         // every undeleted link
	LinkStatusActive   = "active"   // undeleted, active, not a used single-use link, not expired
	LinkStatusInactive = "inactive" // undeleted and deactivated
	LinkStatusUsed     = "used"     // undeleted single-use links that were paid
	LinkStatusExpired  = "expired"  // undeleted links whose cart's expiry is at or before Now
	LinkStatusArchived = "archived" // deleted links
)

// LinkQuery selects a page of the dashboard's list of links of one account
// and mode, newest first (created_at, id descending), by keyset: nothing is
// counted and no offset is skipped, so a page costs the same at any depth.
type LinkQuery struct {
	AccountID paylinks.ID
	Livemode  bool
	// Title, when set, keeps the links whose title contains it (case as
	// the database's LIKE compares: ASCII letters without case).
	Title  string
	Status string    // one of the LinkStatus values
	Now    time.Time // the instant "expired" is judged at
	// After is the link the page starts after; it must be a link of the
	// account and mode (deleted or not, matching or not), ErrNotFound
	// otherwise.
	After *paylinks.ID
	Limit int // > 0
}

// ChargeDay is the sum of one day's (UTC) successful charges of one
// currency: how many, and their captured amount in minor units.
type ChargeDay struct {
	Day      time.Time // 00:00 UTC of the day
	Currency string
	Count    int64
	Volume   int64
}

// LinkSales is what one link sold over a window: its successful charges
// and their captured amounts, per currency.
type LinkSales struct {
	LinkID   paylinks.ID
	Currency string
	Count    int64
	Volume   int64
}

// DashboardStore answers the dashboard's lists and summaries.
type DashboardStore interface {
	// FindLinks returns up to q.Limit links that q selects (see LinkQuery).
	FindLinks(ctx context.Context, q LinkQuery) ([]paylinks.Link, error)
	// ChargeDays returns the daily sums of the account's successful
	// charges in the mode for the UTC days from `from` to `to` (both
	// truncated to their day, inclusive), ordered by day then currency.
	// Days without one are absent. They are read from a daily aggregate
	// the charge writes keep, so the cost follows the days, not the
	// charges.
	ChargeDays(ctx context.Context, accountID paylinks.ID, livemode bool, from, to time.Time) ([]ChargeDay, error)
	// TopLinks returns the n links of the account and mode with the most
	// successful charges in the UTC days from `from` (truncated to its
	// day) on, with what they sold per currency, the most first (ties by
	// volume, then link id). Read from the daily aggregate.
	TopLinks(ctx context.Context, accountID paylinks.ID, livemode bool, from time.Time, n int) ([]LinkSales, error)
}
