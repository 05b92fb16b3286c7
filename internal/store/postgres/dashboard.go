package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// expiredCarts is the condition on links.id of the expired state: a cart
// whose expiry is at or before the time in placeholder now.
func expiredCarts(acc, mode, now string) string {
	return `SELECT link_id FROM link_carts WHERE account_id = ` + acc + ` AND livemode = ` + mode +
		` AND data ? 'expires_at' AND (data->>'expires_at')::timestamptz <= ` + now
}

// FindLinks returns a page of the links q selects, newest first, by
// keyset, from links_list_idx or the partial index of the state
// (migrations 00010 and 00024).
func (db *DB) FindLinks(ctx context.Context, q store.LinkQuery) (_ []paylinks.Link, err error) {
	defer wrap(&err, "FindLinks")
	if q.Limit <= 0 {
		return nil, fmt.Errorf("limit %d must be positive", q.Limit)
	}
	where, args := `account_id = $1 AND livemode = $2`, []any{q.AccountID, q.Livemode}
	switch q.Status {
	case store.LinkStatusAll:
		where += ` AND deleted_at IS NULL`
	case store.LinkStatusActive:
		where += ` AND deleted_at IS NULL AND active AND NOT (used AND NOT multiple) AND id NOT IN (` +
			expiredCarts("$1", "$2", arg(&args, ts(q.Now))) + `)`
	case store.LinkStatusInactive:
		where += ` AND NOT active AND deleted_at IS NULL`
	case store.LinkStatusUsed:
		where += ` AND used AND deleted_at IS NULL`
	case store.LinkStatusExpired:
		where += ` AND deleted_at IS NULL AND id IN (` + expiredCarts("$1", "$2", arg(&args, ts(q.Now))) + `)`
	case store.LinkStatusArchived:
		where += ` AND deleted_at IS NOT NULL`
	default:
		return nil, fmt.Errorf("no link status %q", q.Status)
	}
	if q.Title != "" {
		where += ` AND title ILIKE ` + arg(&args, likeArg(q.Title))
	}
	var lq listQuery
	if q.After != nil {
		lq.cursorSQL = `SELECT true FROM links WHERE id = $1 AND account_id = $2 AND livemode = $3`
		lq.cursorArgs = []any{*q.After, q.AccountID, q.Livemode}
		where += ` AND (created_at, id) < (SELECT created_at, id FROM links WHERE id = ` + arg(&args, *q.After) +
			` AND account_id = $1 AND livemode = $2)`
	}
	tail, args := page(args, paylinks.ReverseChronological, 0, q.Limit)
	lq.pageSQL, lq.pageArgs = `SELECT `+linkReadNoCharges+` FROM links WHERE `+where+tail, args
	var links []paylinks.Link
	if _, err := lq.run(ctx, db.pool, func(rows pgx.Rows) error {
		l, err := scanLink(rows)
		if err == nil {
			links = append(links, *l)
		}
		return err
	}); err != nil {
		return nil, err
	}
	return links, nil
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ChargeDays returns the daily sums of charge_days (migration 00024).
func (db *DB) ChargeDays(ctx context.Context, accountID paylinks.ID, livemode bool, from, to time.Time) (_ []store.ChargeDay, err error) {
	defer wrap(&err, "ChargeDays")
	rows, err := db.pool.Query(ctx, `SELECT day, currency, sum(n)::bigint, sum(volume)::bigint FROM charge_days
		WHERE account_id = $1 AND livemode = $2 AND day BETWEEN $3::date AND $4::date
		GROUP BY day, currency HAVING sum(n) <> 0 ORDER BY day, currency`,
		accountID, livemode, utcDay(from).Format(time.DateOnly), utcDay(to).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	return collectInto(rows, func(row rowScanner, d *store.ChargeDay) error {
		var day time.Time
		if err := row.Scan(&day, &d.Currency, &d.Count, &d.Volume); err != nil {
			return err
		}
		d.Day = utcDay(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC))
		return nil
	})
}

// TopLinks ranks the links by their sums in charge_days (migration 00024).
func (db *DB) TopLinks(ctx context.Context, accountID paylinks.ID, livemode bool, from time.Time, n int) (_ []store.LinkSales, err error) {
	defer wrap(&err, "TopLinks")
	rows, err := db.pool.Query(ctx, `WITH per_link AS (
			SELECT link_id, currency, sum(n)::bigint AS n, sum(volume)::bigint AS volume FROM charge_days
			WHERE account_id = $1 AND livemode = $2 AND day >= $3::date AND link_id <> '00000000-0000-0000-0000-000000000000'
			GROUP BY link_id, currency),
		ranked AS (
			SELECT link_id, sum(n) AS n, sum(volume) AS volume FROM per_link GROUP BY link_id HAVING sum(n) > 0
			ORDER BY n DESC, volume DESC, link_id LIMIT $4)
		SELECT p.link_id, p.currency, p.n, p.volume FROM per_link p JOIN ranked r ON r.link_id = p.link_id
		WHERE p.n > 0 ORDER BY r.n DESC, r.volume DESC, r.link_id, p.n DESC, p.currency`,
		accountID, livemode, utcDay(from).Format(time.DateOnly), n)
	if err != nil {
		return nil, err
	}
	return collectInto(rows, func(row rowScanner, s *store.LinkSales) error {
		return row.Scan(&s.LinkID, &s.Currency, &s.Count, &s.Volume)
	})
}
