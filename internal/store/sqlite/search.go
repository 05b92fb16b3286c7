package sqlite

import (
	"context"
	"slices"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// likeArg is a LIKE pattern matching s anywhere (escaped with \).
func likeArg(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// searchAmount adds the filter both scopes share: amount bands.
func searchAmount(where string, args []any, bands []store.AmountBand) (string, []any) {
	if len(bands) == 0 {
		return where, args
	}
	var parts []string
	for _, b := range bands {
		// One amount is an equality: its range of links_search_amount is
		// in created_at order, and needs no sort.
		p := `(amount = ?`
		if b.Lo == b.Hi {
			args = append(args, b.Lo)
		} else {
			p = `(amount BETWEEN ? AND ?`
			args = append(args, b.Lo, b.Hi)
		}
		if len(b.Currencies) > 0 {
			p += ` AND currency IN (?` + strings.Repeat(", ?", len(b.Currencies)-1) + `)`
			for _, c := range b.Currencies {
				args = append(args, c)
			}
		}
		parts = append(parts, p+`)`)
	}
	where += ` AND (` + strings.Join(parts, " OR ") + `)`
	if len(bands) > 1 && !slices.ContainsFunc(bands, func(b store.AmountBand) bool { return b.Lo != b.Hi }) {
		// Amounts of several bands (one per currency exponent, as the
		// service reads filters[amount]): the same condition as an IN,
		// which SQLite seeks in links_search_amount, one amount after
		// another, where the OR would have it read the whole list.
		where += ` AND amount IN (?` + strings.Repeat(", ?", len(bands)-1) + `)`
		for _, b := range bands {
			args = append(args, b.Lo)
		}
	}
	return where, args
}

// SearchLinks returns a page of the links s selects, from the search
// indexes (migrations 00012 and 00015).
func (db *DB) SearchLinks(ctx context.Context, s store.Search) ([]paylinks.Link, int, error) {
	where, args := `account_id = ? AND livemode = ? AND deleted_at IS NULL`, []any{idArg(s.AccountID), s.Livemode}
	// Literal values: a partial index (used = 1, multiple = 1) serves a
	// query only when its WHERE names the indexed value itself.
	if s.Used != nil {
		where += ` AND used = ` + sqlBool(*s.Used)
	}
	if s.Multiple != nil {
		where += ` AND multiple = ` + sqlBool(*s.Multiple)
	}
	where, args = searchAmount(where, args, s.Amount)
	if strings.Contains(where, ` AND amount IN (`) {
		// Several amounts: their matches come from several ranges of
		// links_search_amount, sorted. With livemode a plain condition
		// (+), links_list no longer gives the created_at order, so SQLite
		// does not read the whole list in order instead, for the few
		// matches.
		where = strings.Replace(where, `livemode = ?`, `+livemode = ?`, 1)
	}
	if s.Query != "" {
		where += ` AND (title LIKE ? ESCAPE '\' OR description LIKE ? ESCAPE '\')`
		args = append(args, likeArg(s.Query), likeArg(s.Query))
	}
	from, to := bounds(s.From, s.To)
	q := listQuery{cols: linkRead, table: "links", where: where, args: args, from: from, to: to,
		order: s.Order, offset: s.Offset, limit: s.Limit}
	if len(s.Amount) == 0 && s.Query == "" && from == nil && to == nil && (s.Used != nil || s.Multiple != nil) {
		q.totalSQL = `SELECT ` + flagsTotal(s.Used, s.Multiple) + ` FROM link_counts WHERE account_id = ? AND livemode = ?`
		q.totalArgs = []any{idArg(s.AccountID), s.Livemode}
	}
	links, total, err := list(ctx, db, q, newLinkScan().into)
	if err != nil {
		return nil, 0, wrap("SearchLinks", err)
	}
	return links, total, nil
}

// SearchCharges returns a page of the charges s selects, from the search
// indexes (migrations 00012 and 00015).
func (db *DB) SearchCharges(ctx context.Context, s store.Search) ([]paylinks.Charge, int, error) {
	where, args := `account_id = ? AND livemode = ?`, []any{idArg(s.AccountID), s.Livemode}
	if len(s.Status) > 0 {
		where += ` AND status IN (?` + strings.Repeat(", ?", len(s.Status)-1) + `)`
		successful := false
		for _, st := range s.Status {
			args = append(args, string(st))
			successful = successful || st == paylinks.ChargeSuccessful
		}
		if !successful {
			// Names the partial index's condition, so that it serves.
			where += ` AND status <> 'successful'`
		}
	}
	if s.Refunded != nil {
		if *s.Refunded {
			where += ` AND refunded_amount > 0`
		} else {
			where += ` AND refunded_amount = 0`
		}
	}
	if s.CardLastDigits != "" {
		where += ` AND card_last4 = ?`
		args = append(args, s.CardLastDigits)
	}
	where, args = searchAmount(where, args, s.Amount)
	if s.Query != "" {
		q := ` AND (description LIKE ? ESCAPE '\'`
		args = append(args, likeArg(s.Query))
		if s.QueryID != nil {
			q += ` OR id = ?`
			args = append(args, idArg(*s.QueryID))
		}
		if s.QueryLast4 != "" {
			q += ` OR card_last4 = ?`
			args = append(args, s.QueryLast4)
		}
		where += q + `)`
	}
	from, to := bounds(s.From, s.To)
	q := listQuery{cols: chargeCols, table: "charges", where: where, args: args, from: from, to: to,
		order: s.Order, offset: s.Offset, limit: s.Limit}
	if total := chargesTotal(s); total != "" {
		q.totalSQL = `SELECT ` + total + ` FROM charge_counts WHERE account_id = ? AND livemode = ?`
		q.totalArgs = []any{idArg(s.AccountID), s.Livemode}
	}
	cs, total, err := list(ctx, db, q, scanChargeInto)
	if err != nil {
		return nil, 0, wrap("SearchCharges", err)
	}
	return cs, total, nil
}

// flagsTotal is the expression of link_counts (migration 00015) that is
// the number of undeleted links with the used and multiple values given
// (nil: either): the total of a search by those alone, read from one row
// instead of counted, as the one value of each is most of the links.
func flagsTotal(used, multiple *bool) string {
	switch {
	case multiple == nil && *used:
		return `used`
	case multiple == nil:
		return `n - used`
	case used == nil && *multiple:
		return `multiple`
	case used == nil:
		return `n - multiple`
	case *used && *multiple:
		return `used_multiple`
	case *used:
		return `used - used_multiple`
	case *multiple:
		return `multiple - used_multiple`
	default:
		return `n - used - multiple + used_multiple`
	}
}

// chargesTotal is the expression of charge_counts (migration 00015) that
// is the total of a search of charges by status successful alone, or by
// refunded alone: most of the charges, kept instead of counted. "" for
// any other search, counted from its index.
func chargesTotal(s store.Search) string {
	if len(s.Amount) > 0 || s.Query != "" || !s.From.IsZero() || !s.To.IsZero() || s.CardLastDigits != "" {
		return ""
	}
	successful := len(s.Status) == 1 && s.Status[0] == paylinks.ChargeSuccessful
	switch {
	case successful && s.Refunded == nil:
		return `successful`
	case len(s.Status) == 0 && s.Refunded != nil && *s.Refunded:
		return `refunded`
	case len(s.Status) == 0 && s.Refunded != nil:
		return `n - refunded`
	}
	return ""
}

func sqlBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
