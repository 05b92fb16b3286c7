package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Search scopes.
const (
	SearchLinks   = "link"
	SearchCharges = "charge"
)

// Search paging.
const (
	DefaultSearchPerPage = 30
	MaxSearchPerPage     = 100
	maxSearchQueryLen    = 255
)

// SearchParams is one search of links or charges. Filters are Omise's
// filters[name] values: for links used, multiple, amount, created; for
// charges status, captured, refunded, amount, card_last_digits, created.
// Amounts are in the currency's main unit ("100", "10.50", or a range
// "100..200"); created is a date, a time, or a range of them ("a..b").
type SearchParams struct {
	Scope   string
	Query   string
	QueryID *paylinks.ID // the query parsed as an object id by the dialect, when it is one
	Filters map[string]string
	Order   paylinks.Order
	Page    int // from 1; 0 means 1
	PerPage int // 0 means DefaultSearchPerPage
}

// SearchResult is a page of a search: Links or Charges, by scope.
type SearchResult struct {
	Links      []paylinks.Link
	Charges    []paylinks.Charge
	Total      int
	Page       int
	PerPage    int
	TotalPages int
}

// Search finds the caller's links or charges (see store.Search for what
// each filter reads). Errors: KindInvalid with invalid_scope,
// invalid_filters (param filters[name]) or invalid_page.
func (s *Service) Search(ctx context.Context, pr paylinks.Principal, p SearchParams) (*SearchResult, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if p.Scope != SearchLinks && p.Scope != SearchCharges {
		return nil, paylinks.Invalid("invalid_scope", "scope", "scope must be link or charge")
	}
	if p.Page == 0 {
		p.Page = 1
	}
	if p.PerPage == 0 {
		p.PerPage = DefaultSearchPerPage
	}
	if p.Page < 1 || p.Page > 1<<20 {
		return nil, paylinks.Invalid("invalid_page", "page", "page must be a whole number from 1")
	}
	if p.PerPage < 1 || p.PerPage > MaxSearchPerPage {
		return nil, paylinks.Invalid("invalid_page", "per_page", "per_page must be between 1 and %d", MaxSearchPerPage)
	}
	q := strings.TrimSpace(p.Query)
	if len(q) > maxSearchQueryLen {
		return nil, paylinks.Invalid("bad_request", "query", "query may have at most %d characters", maxSearchQueryLen)
	}
	if err := checkText(searchQueryText, q); err != nil {
		return nil, err
	}
	st := store.Search{AccountID: pr.AccountID, Livemode: pr.Livemode, Query: q, Order: p.Order,
		Offset: (p.Page - 1) * p.PerPage, Limit: p.PerPage}
	if p.Scope == SearchCharges {
		st.QueryID = p.QueryID
		if len(q) == 4 && strings.Trim(q, "0123456789") == "" {
			st.QueryLast4 = q
		}
	}
	allowed := []string{"used", "multiple", "amount", "created"}
	if p.Scope == SearchCharges {
		allowed = []string{"status", "captured", "refunded", "amount", "card_last_digits", "created"}
	}
	names := make([]string, 0, len(p.Filters))
	for k := range p.Filters {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := strings.TrimSpace(p.Filters[name])
		param := "filters[" + name + "]"
		if !slices.Contains(allowed, name) {
			return nil, paylinks.Invalid("invalid_filters", param, "%s is not a filter of a %s search; use %s",
				name, p.Scope, strings.Join(allowed, ", "))
		}
		var err error
		switch name {
		case "used":
			st.Used, err = filterBool(param, v)
		case "multiple":
			st.Multiple, err = filterBool(param, v)
		case "refunded":
			st.Refunded, err = filterBool(param, v)
		case "captured":
			var b *bool
			if b, err = filterBool(param, v); err == nil {
				st.Status = []paylinks.ChargeStatus{paylinks.ChargeSuccessful}
				if !*b {
					st.Status = []paylinks.ChargeStatus{paylinks.ChargePending, paylinks.ChargeFailed, paylinks.ChargeReversed, paylinks.ChargeExpired}
				}
			}
		case "status":
			switch cs := paylinks.ChargeStatus(v); cs {
			case paylinks.ChargeSuccessful, paylinks.ChargeFailed, paylinks.ChargePending, paylinks.ChargeReversed, paylinks.ChargeExpired:
				if st.Status != nil && !slices.Contains(st.Status, cs) {
					st.Status = []paylinks.ChargeStatus{"none"} // captured and status disagree: nothing
				} else {
					st.Status = []paylinks.ChargeStatus{cs}
				}
			default:
				err = paylinks.Invalid("invalid_filters", param, "status must be successful, failed, pending, reversed or expired")
			}
		case "card_last_digits":
			if len(v) != 4 || strings.Trim(v, "0123456789") != "" {
				err = paylinks.Invalid("invalid_filters", param, "card_last_digits must be 4 digits")
			}
			st.CardLastDigits = v
		case "amount":
			st.Amount, err = filterAmount(param, v)
		case "created":
			st.From, st.To, err = filterCreated(param, v)
		}
		if err != nil {
			return nil, err
		}
	}
	res := &SearchResult{Page: p.Page, PerPage: p.PerPage}
	var err error
	if p.Scope == SearchLinks {
		res.Links, res.Total, err = s.store.SearchLinks(ctx, st)
	} else {
		res.Charges, res.Total, err = s.store.SearchCharges(ctx, st)
	}
	if err != nil {
		return nil, fmt.Errorf("Search: %w", err)
	}
	res.TotalPages = (res.Total + p.PerPage - 1) / p.PerPage
	return res, nil
}

var searchQueryText = textField{code: "bad_request", param: "query", max: maxSearchQueryLen}

// filterBool reads a boolean filter, in Omise's natural forms too.
func filterBool(param, v string) (*bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "1", "y", "t":
		b := true
		return &b, nil
	case "false", "no", "0", "n", "f":
		b := false
		return &b, nil
	}
	return nil, paylinks.Invalid("invalid_filters", param, "%s must be true or false", param)
}

// filterAmount reads an amount or a range "lo..hi" in the main unit as one
// band of minor units per currency exponent.
func filterAmount(param, v string) ([]store.AmountBand, error) {
	lo, hi, isRange := strings.Cut(v, "..")
	if !isRange {
		hi = lo
	}
	byDigits := map[int][]string{}
	for code := range paylinks.CurrencyLimits {
		d := paylinks.CurrencyDigits(code)
		byDigits[d] = append(byDigits[d], code)
	}
	var bands []store.AmountBand
	digits := make([]int, 0, len(byDigits))
	for d := range byDigits {
		digits = append(digits, d)
	}
	slices.Sort(digits)
	for _, d := range digits {
		codes := byDigits[d]
		slices.Sort(codes)
		l, okL := paylinks.ParseDecimal(strings.TrimSpace(lo), codes[0])
		h, okH := paylinks.ParseDecimal(strings.TrimSpace(hi), codes[0])
		if !okL || !okH {
			continue // not an amount of these currencies (too many decimals)
		}
		if h < l {
			return nil, paylinks.Invalid("invalid_filters", param, "%s: the range ends before it starts", param)
		}
		bands = append(bands, store.AmountBand{Currencies: codes, Lo: l, Hi: h})
	}
	if len(bands) == 0 {
		return nil, paylinks.Invalid("invalid_filters", param, "%s must be an amount in the main unit (100, 10.50) or a range of two (100..200)", param)
	}
	return bands, nil
}

// filterCreated reads a date, a time or a range of them as a created_at
// window (a date is the whole UTC day).
func filterCreated(param, v string) (from, to time.Time, err error) {
	lo, hi, isRange := strings.Cut(v, "..")
	parse := func(s string, end bool) (time.Time, bool) {
		s = strings.TrimSpace(s)
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC(), true
		}
		if t, err := time.Parse("2006-01-02", s); err == nil {
			if end {
				return t.Add(24*time.Hour - time.Microsecond), true
			}
			return t, true
		}
		return time.Time{}, false
	}
	var ok1, ok2 bool
	from, ok1 = parse(lo, false)
	if isRange {
		to, ok2 = parse(hi, true)
	} else {
		to, ok2 = parse(lo, true)
	}
	if !ok1 || !ok2 || to.Before(from) {
		return time.Time{}, time.Time{}, paylinks.Invalid("invalid_filters", param,
			"%s must be a date (2026-01-31), a time (RFC 3339) or a range of them (a..b)", param)
	}
	return from, to, nil
}
