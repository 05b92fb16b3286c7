package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// AmountBand matches amounts in [Lo, Hi] (minor units) of the currencies
// listed: a search's amount, given in the main unit, is a band per
// currency exponent.
type AmountBand struct {
	Currencies []string
	Lo, Hi     int64
}

// Search is what a search of links or charges of one account and mode
// selects. Each filter set narrows it. used=true, multiple=true, a link
// amount, a charge status other than successful, refunded=true and card
// last digits are read from indexes of the rows that match; the other
// filters and the query are checked along the account's list index (by
// created_at), so a page of common matches is found at once. The total of
// a common value counts every match, except where SQLite keeps it
// (link_counts, charge_counts: used and multiple alone, status successful
// or refunded alone); a charge amount has no index.
type Search struct {
	AccountID paylinks.ID
	Livemode  bool
	// Query matches links whose title or description contains it, or
	// charges whose description contains it; QueryID and QueryLast4 match
	// a charge by id or card last digits.
	Query      string
	QueryID    *paylinks.ID
	QueryLast4 string
	// Links.
	Used, Multiple *bool
	// Charges.
	Status         []paylinks.ChargeStatus
	Captured       *bool
	Refunded       *bool
	CardLastDigits string
	// Both.
	Amount   []AmountBand
	From, To time.Time // created_at, inclusive; zero: unbounded
	Order    paylinks.Order
	Offset   int
	Limit    int
}

// SearchStore answers GET /search.
type SearchStore interface {
	// SearchLinks returns a page of the undeleted links s selects and
	// their number.
	SearchLinks(ctx context.Context, s Search) ([]paylinks.Link, int, error)
	// SearchCharges returns a page of the charges s selects and their
	// number.
	SearchCharges(ctx context.Context, s Search) ([]paylinks.Charge, int, error)
}
