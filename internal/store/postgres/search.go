package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// likeArg is a LIKE pattern matching s anywhere (escaped with \).
func likeArg(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// arg appends v to args and returns its placeholder.
func arg(args *[]any, v any) string {
	*args = append(*args, v)
	return fmt.Sprintf("$%d", len(*args))
}

func searchAmount(where string, args []any, bands []store.AmountBand) (string, []any) {
	if len(bands) == 0 {
		return where, args
	}
	var parts []string
	for _, b := range bands {
		// One amount is an equality: its range of links_search_amount_idx
		// is in created_at order, and needs no sort.
		var p string
		if b.Lo == b.Hi {
			p = `(amount = ` + arg(&args, b.Lo)
		} else {
			p = `(amount BETWEEN ` + arg(&args, b.Lo) + ` AND ` + arg(&args, b.Hi)
		}
		if len(b.Currencies) > 0 {
			p += ` AND currency = ANY(` + arg(&args, b.Currencies) + `)`
		}
		parts = append(parts, p+`)`)
	}
	return where + ` AND (` + strings.Join(parts, " OR ") + `)`, args
}

// SearchLinks returns a page of the links s selects, from the search
// indexes (migrations 00010 and 00013).
func (db *DB) SearchLinks(ctx context.Context, s store.Search) (_ []paylinks.Link, total int, err error) {
	defer wrap(&err, "SearchLinks")
	var links []paylinks.Link
	total, err = searchLinksQuery(s).run(ctx, db.pool, func(rows pgx.Rows) error {
		l, err := scanLink(rows)
		if err == nil {
			links = append(links, *l)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return links, total, nil
}

// searchLinksQuery is the page and count of a search of links.
func searchLinksQuery(s store.Search) listQuery {
	where, args := `account_id = $1 AND livemode = $2 AND deleted_at IS NULL`, []any{s.AccountID, s.Livemode}
	// Literal values: a partial index (used, multiple) serves a query
	// only when its WHERE implies the index's condition.
	if s.Used != nil {
		where += ` AND used = ` + fmt.Sprint(*s.Used)
	}
	if s.Multiple != nil {
		where += ` AND multiple = ` + fmt.Sprint(*s.Multiple)
	}
	where, args = searchAmount(where, args, s.Amount)
	if s.Query != "" {
		p := arg(&args, likeArg(s.Query))
		where += ` AND (title LIKE ` + p + ` OR description LIKE ` + p + `)`
	}
	where, args = window(where, args, s.From, s.To)
	tail, pageArgs := page(args[:len(args):len(args)], s.Order, s.Offset, s.Limit)
	return listQuery{pageSQL: `SELECT ` + linkRead + ` FROM links WHERE ` + where + tail, pageArgs: pageArgs,
		countSQL: `SELECT count(*) FROM links WHERE ` + where, countArgs: args}
}

// SearchCharges returns a page of the charges s selects, from the search
// indexes (migrations 00010 and 00013).
func (db *DB) SearchCharges(ctx context.Context, s store.Search) (_ []paylinks.Charge, total int, err error) {
	defer wrap(&err, "SearchCharges")
	where, args := `account_id = $1 AND livemode = $2`, []any{s.AccountID, s.Livemode}
	if len(s.Status) > 0 {
		st := make([]string, len(s.Status))
		for i := range s.Status {
			st[i] = string(s.Status[i])
		}
		where += ` AND status = ANY(` + arg(&args, st) + `)`
		if !slices.Contains(st, string(paylinks.ChargeSuccessful)) {
			where += ` AND status <> 'successful'` // the partial index's condition
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
		where += ` AND card_last4 = ` + arg(&args, s.CardLastDigits)
	}
	where, args = searchAmount(where, args, s.Amount)
	if s.Query != "" {
		q := ` AND (description LIKE ` + arg(&args, likeArg(s.Query))
		if s.QueryID != nil {
			q += ` OR id = ` + arg(&args, *s.QueryID)
		}
		if s.QueryLast4 != "" {
			q += ` OR card_last4 = ` + arg(&args, s.QueryLast4)
		}
		where += q + `)`
	}
	where, args = window(where, args, s.From, s.To)
	tail, pageArgs := page(args[:len(args):len(args)], s.Order, s.Offset, s.Limit)
	q := listQuery{pageSQL: `SELECT ` + chargeColumns + ` FROM charges WHERE ` + where + tail, pageArgs: pageArgs,
		countSQL: `SELECT count(*) FROM charges WHERE ` + where, countArgs: args}
	var out []paylinks.Charge
	total, err = q.run(ctx, db.pool, func(rows pgx.Rows) error {
		c, err := scanCharge(rows)
		if err == nil {
			out = append(out, *c)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
