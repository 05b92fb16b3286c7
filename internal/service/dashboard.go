package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// LinkStatuses are the states the dashboard's list of links filters by, ""
// (every undeleted link) first.
var LinkStatuses = []string{store.LinkStatusAll, store.LinkStatusActive, store.LinkStatusInactive,
	store.LinkStatusUsed, store.LinkStatusExpired, store.LinkStatusArchived}

// LinkSearch selects a page of the dashboard's list of links.
type LinkSearch struct {
	Title  string // kept: titles that contain it (ASCII case ignored)
	Status string // one of LinkStatuses
	CursorPage
}

// FindLinks returns a page of the caller's links in a state and with a
// title, newest first, by keyset (no count, no offset: a deep page costs
// what the first does). Archived links are the deleted ones. Errors:
// KindInvalid with invalid_status (param status), bad_request (param
// title), invalid_page or invalid_cursor.
func (s *Service) FindLinks(ctx context.Context, pr paylinks.Principal, q LinkSearch) (*Page[paylinks.Link], error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	if !slices.Contains(LinkStatuses, q.Status) {
		return nil, paylinks.Invalid("invalid_status", "status", "status must be one of active, inactive, used, expired or archived")
	}
	title := strings.TrimSpace(q.Title)
	if len(title) > maxSearchQueryLen {
		return nil, paylinks.Invalid("bad_request", "title", "the title searched may have at most %d characters", maxSearchQueryLen)
	}
	if err := checkText(textField{code: "bad_request", param: "title", max: maxSearchQueryLen}, title); err != nil {
		return nil, err
	}
	links, err := s.store.FindLinks(ctx, store.LinkQuery{AccountID: pr.AccountID, Livemode: pr.Livemode, Title: title,
		Status: q.Status, Now: s.Now(), After: q.After, Limit: q.Limit + 1})
	if errors.Is(err, paylinks.ErrNotFound) && q.After != nil {
		return nil, badCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("FindLinks: %w", err)
	}
	return pageOf(links, q.Limit), nil
}

// ChargePage returns a page of the caller's charges, newest first, by
// keyset.
func (s *Service) ChargePage(ctx context.Context, pr paylinks.Principal, p CursorPage) (*Page[paylinks.Charge], error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	cs, _, err := s.store.ListCharges(ctx, paylinks.ChargeFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
		Order: paylinks.ReverseChronological, Limit: p.Limit + 1, After: p.After, SkipTotal: true})
	if errors.Is(err, paylinks.ErrNotFound) && p.After != nil {
		return nil, badCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("ChargePage: %w", err)
	}
	return pageOf(cs, p.Limit), nil
}

// NewCharges returns the caller's charges made after the charge `after`
// (nil: the newest), oldest first, at most limit (1 to MaxListLimit): what
// a page that shows charges adds when it updates itself.
func (s *Service) NewCharges(ctx context.Context, pr paylinks.Principal, after *paylinks.ID, limit int) ([]paylinks.Charge, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if err := (CursorPage{Limit: limit}).check(); err != nil {
		return nil, err
	}
	if after == nil {
		cs, _, err := s.store.ListCharges(ctx, paylinks.ChargeFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
			Order: paylinks.ReverseChronological, Limit: 1, SkipTotal: true})
		if err != nil {
			return nil, fmt.Errorf("NewCharges: %w", err)
		}
		return cs, nil
	}
	cs, _, err := s.store.ListCharges(ctx, paylinks.ChargeFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
		Order: paylinks.Chronological, Limit: limit, After: after})
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, badCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("NewCharges: %w", err)
	}
	return cs, nil
}

// MaxExportDays bounds the date range of a CSV export of charges.
const MaxExportDays = 366

// exportPage is how many charges an export reads at a time.
const exportPage = 500

// ExportCharges calls fn with each of the caller's charges created in
// [from, to), oldest first. It reads them a page at a time by keyset, so
// that an export of any size holds neither all its rows nor a database
// connection while fn writes them out. Errors: KindInvalid (param from or
// to) when the range is empty or longer than MaxExportDays; fn's error.
func (s *Service) ExportCharges(ctx context.Context, pr paylinks.Principal, from, to time.Time, fn func(*paylinks.Charge) error) error {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return err
	}
	if !from.Before(to) {
		return paylinks.Invalid("invalid_range", "to", "the end of the range must be after its start")
	}
	if to.Sub(from) > MaxExportDays*24*time.Hour {
		return paylinks.Invalid("invalid_range", "from", "a range may span at most %d days", MaxExportDays)
	}
	f := paylinks.ChargeFilter{AccountID: pr.AccountID, Livemode: pr.Livemode, From: from, To: to.Add(-time.Microsecond),
		Order: paylinks.Chronological, Limit: exportPage, SkipTotal: true}
	for {
		cs, _, err := s.store.ListCharges(ctx, f)
		if err != nil {
			return fmt.Errorf("ExportCharges: %w", err)
		}
		for i := range cs {
			if err := fn(&cs[i]); err != nil {
				return err
			}
		}
		if len(cs) < exportPage {
			return nil
		}
		f.After = &cs[len(cs)-1].ID
	}
}

// ChargeTimeline returns the events about a charge of the caller's and
// about its refunds, oldest first.
func (s *Service) ChargeTimeline(ctx context.Context, pr paylinks.Principal, c *paylinks.Charge, refunds []paylinks.Refund) ([]paylinks.Event, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if c.AccountID != pr.AccountID || c.Livemode != pr.Livemode {
		return nil, chargeNotFound(c.ID.String())
	}
	ids := []paylinks.ID{c.ID}
	for _, r := range refunds {
		ids = append(ids, r.ID)
	}
	evs, _, err := s.store.ListEvents(ctx, store.EventFilter{AccountID: pr.AccountID, Livemode: pr.Livemode, ObjectIDs: ids,
		Order: paylinks.Chronological, Limit: 200})
	if err != nil {
		return nil, fmt.Errorf("ChargeTimeline: %w", err)
	}
	return evs, nil
}

// CurrencySum is a count of successful charges and their captured volume
// in one currency.
type CurrencySum struct {
	Currency string
	Count    int64
	Volume   int64
}

// DaySums are one UTC day's sums, per currency (most volume first).
type DaySums struct {
	Day  time.Time
	Sums []CurrencySum
}

// TopLink is a link and what it sold, per currency.
type TopLink struct {
	Link   *paylinks.Link // nil when the link is no longer readable
	Count  int64
	Sums   []CurrencySum
	linkID paylinks.ID
}

// Summary is the dashboard's home: today's and the last days' successful
// charges per currency, each day's, and the links that sold the most.
type Summary struct {
	Today  []CurrencySum
	Period []CurrencySum
	Days   []DaySums // every day of the period, oldest first, today last
	Top    []TopLink
}

// SummaryDays is the period of the dashboard's home, today included.
const SummaryDays = 30

// Summary returns the caller's summary of the SummaryDays UTC days to
// today, read from the daily sums the stores keep (its cost follows the
// days and currencies, not the charges).
func (s *Service) Summary(ctx context.Context, pr paylinks.Principal, top int) (*Summary, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(SummaryDays - 1))
	days, err := s.store.ChargeDays(ctx, pr.AccountID, pr.Livemode, first, today)
	if err != nil {
		return nil, fmt.Errorf("Summary: %w", err)
	}
	sum := &Summary{}
	byDay := map[time.Time][]CurrencySum{}
	period := map[string]*CurrencySum{}
	for _, d := range days {
		cs := CurrencySum{Currency: d.Currency, Count: d.Count, Volume: d.Volume}
		byDay[d.Day] = append(byDay[d.Day], cs)
		if period[d.Currency] == nil {
			period[d.Currency] = &CurrencySum{Currency: d.Currency}
		}
		period[d.Currency].Count += d.Count
		period[d.Currency].Volume += d.Volume
	}
	for d := first; !d.After(today); d = d.AddDate(0, 0, 1) {
		sums := byDay[d]
		sortSums(sums)
		sum.Days = append(sum.Days, DaySums{Day: d, Sums: sums})
	}
	sum.Today = sum.Days[len(sum.Days)-1].Sums
	for _, p := range period {
		sum.Period = append(sum.Period, *p)
	}
	sortSums(sum.Period)
	if top > 0 {
		sales, err := s.store.TopLinks(ctx, pr.AccountID, pr.Livemode, first, top)
		if err != nil {
			return nil, fmt.Errorf("Summary: %w", err)
		}
		for _, ls := range sales {
			if n := len(sum.Top); n == 0 || sum.Top[n-1].linkID != ls.LinkID {
				sum.Top = append(sum.Top, TopLink{linkID: ls.LinkID})
			}
			t := &sum.Top[len(sum.Top)-1]
			t.Count += ls.Count
			t.Sums = append(t.Sums, CurrencySum{Currency: ls.Currency, Count: ls.Count, Volume: ls.Volume})
		}
		for i := range sum.Top {
			l, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, sum.Top[i].linkID)
			if err != nil && !errors.Is(err, paylinks.ErrNotFound) {
				return nil, fmt.Errorf("Summary: %w", err)
			}
			sum.Top[i].Link = l
		}
	}
	return sum, nil
}

// sortSums orders sums by volume, the largest first, then by currency.
func sortSums(sums []CurrencySum) {
	slices.SortFunc(sums, func(a, b CurrencySum) int {
		if a.Volume != b.Volume {
			if a.Volume > b.Volume {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Currency, b.Currency)
	})
}

// LinkOrArchived returns a link of the caller's account and mode, deleted
// (archived) ones included, for pages that show an archived link read-only.
func (s *Service) LinkOrArchived(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Link, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	l, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, linkNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("LinkOrArchived: %w", err)
	}
	return l, nil
}

// LinkSessions returns the latest checkout sessions made from a link of
// the caller's, newest first (at most limit), each with its status as of
// now.
func (s *Service) LinkSessions(ctx context.Context, pr paylinks.Principal, linkID paylinks.ID, limit int) ([]paylinks.CheckoutSession, error) {
	if err := require(pr, paylinks.ScopeSessionsRead); err != nil {
		return nil, err
	}
	if err := (CursorPage{Limit: limit}).check(); err != nil {
		return nil, err
	}
	sessions, err := s.store.ListSessions(ctx, paylinks.SessionFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
		LinkID: &linkID, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("LinkSessions: %w", err)
	}
	now := s.Now()
	for i := range sessions {
		sessions[i].Status = sessions[i].StatusAt(now)
	}
	return sessions, nil
}
