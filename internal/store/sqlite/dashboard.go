package sqlite

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// expiredCartsSQL selects the ids of the account's links in the mode whose
// cart expired at or before a time (seconds since the epoch, fractional):
// few rows, read from link_carts, so that the expired filter looks up its
// links by id instead of walking the list.
const expiredCartsSQL = `SELECT link_id FROM link_carts WHERE account_id = ? AND livemode = ?
	AND json_extract(CAST(data AS TEXT), '$.expires_at') IS NOT NULL
	AND unixepoch(json_extract(CAST(data AS TEXT), '$.expires_at'), 'subsec') <= ?`

// FindLinks returns a page of the links q selects, newest first, by
// keyset, from links_list or the partial index of the state (migrations
// 00012 and 00026).
func (db *DB) FindLinks(ctx context.Context, q store.LinkQuery) ([]paylinks.Link, error) {
	if q.Limit <= 0 {
		return nil, wrap("FindLinks", fmt.Errorf("limit %d must be positive", q.Limit))
	}
	acc := idArg(q.AccountID)
	where, args := `account_id = ? AND livemode = ?`, []any{acc, q.Livemode}
	now := float64(q.Now.UnixMicro()) / 1e6
	// Literal values: a partial index serves a query only when its WHERE
	// names the indexed condition itself.
	switch q.Status {
	case store.LinkStatusAll:
		where += ` AND deleted_at IS NULL`
	case store.LinkStatusActive:
		where += ` AND deleted_at IS NULL AND active = 1 AND NOT (used = 1 AND multiple = 0) AND id NOT IN (` + expiredCartsSQL + `)`
		args = append(args, acc, q.Livemode, now)
	case store.LinkStatusInactive:
		where += ` AND active = 0 AND deleted_at IS NULL`
	case store.LinkStatusUsed:
		where += ` AND used = 1 AND deleted_at IS NULL`
	case store.LinkStatusExpired:
		where += ` AND deleted_at IS NULL AND id IN (` + expiredCartsSQL + `)`
		args = append(args, acc, q.Livemode, now)
	case store.LinkStatusArchived:
		where += ` AND deleted_at IS NOT NULL`
	default:
		return nil, wrap("FindLinks", fmt.Errorf("no link status %q", q.Status))
	}
	switch {
	case q.Title == "":
	case utf8.RuneCountInString(q.Title) >= 3 && !strings.ContainsAny(q.Title, `%_\`):
		// From the trigram index (migration 00026), which checks the
		// pattern itself (ASCII case ignored, as LIKE does). It serves a
		// LIKE without ESCAPE only, hence none of LIKE's special
		// characters here.
		where += ` AND rowid IN (SELECT rowid FROM links_title WHERE title LIKE ?)`
		args = append(args, "%"+q.Title+"%")
	default:
		// Too short for trigrams, or with LIKE's wildcards: along the list.
		where += ` AND title LIKE ? ESCAPE '\'`
		args = append(args, likeArg(q.Title))
	}
	lq := listQuery{cols: linkReadNoCharges, table: "links", where: where, args: args,
		order: paylinks.ReverseChronological, limit: q.Limit, noCount: true}
	if q.After != nil {
		lq.after = &cursor{id: idArg(*q.After), accountID: acc, livemode: q.Livemode}
	}
	links, _, err := list(ctx, db, lq, newLinkScan().into)
	if err != nil {
		return nil, wrap("FindLinks", err)
	}
	return links, nil
}

const microsPerDay = int64(24 * time.Hour / time.Microsecond)

func dayNumber(t time.Time) int64 { return t.UTC().UnixMicro() / microsPerDay }

// ChargeDays returns the daily sums of charge_days (migration 00026).
func (db *DB) ChargeDays(ctx context.Context, accountID paylinks.ID, livemode bool, from, to time.Time) ([]store.ChargeDay, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT day, currency, sum(n), sum(volume) FROM charge_days
		WHERE account_id = ? AND livemode = ? AND day BETWEEN ? AND ?
		GROUP BY day, currency HAVING sum(n) <> 0 ORDER BY day, currency`,
		idArg(accountID), livemode, dayNumber(from), dayNumber(to))
	if err != nil {
		return nil, wrap("ChargeDays", err)
	}
	days, err := collect(rows, func(row scanner, d *store.ChargeDay) error {
		var day int64
		if err := row.Scan(&day, &d.Currency, &d.Count, &d.Volume); err != nil {
			return err
		}
		d.Day = fromMicro(day * microsPerDay)
		return nil
	})
	return days, wrap("ChargeDays", err)
}

// TopLinks ranks the links by their sums in charge_days (migration 00026).
func (db *DB) TopLinks(ctx context.Context, accountID paylinks.ID, livemode bool, from time.Time, n int) ([]store.LinkSales, error) {
	rows, err := db.read.QueryContext(ctx, `WITH per_link AS (
			SELECT link_id, currency, sum(n) AS n, sum(volume) AS volume FROM charge_days
			WHERE account_id = ? AND livemode = ? AND day >= ? AND link_id <> zeroblob(16)
			GROUP BY link_id, currency),
		ranked AS (
			SELECT link_id, sum(n) AS n, sum(volume) AS volume FROM per_link GROUP BY link_id HAVING sum(n) > 0
			ORDER BY n DESC, volume DESC, link_id LIMIT ?)
		SELECT p.link_id, p.currency, p.n, p.volume FROM per_link p JOIN ranked r ON r.link_id = p.link_id
		WHERE p.n > 0 ORDER BY r.n DESC, r.volume DESC, r.link_id, p.n DESC, p.currency`,
		idArg(accountID), livemode, dayNumber(from), n)
	if err != nil {
		return nil, wrap("TopLinks", err)
	}
	sales, err := collect(rows, func(row scanner, s *store.LinkSales) error {
		return row.Scan(&s.LinkID, &s.Currency, &s.Count, &s.Volume)
	})
	return sales, wrap("TopLinks", err)
}

// hexIDs renders ids as one JSON array of hex strings, for a statement
// that reads them with json_each (one statement for any number of ids).
func hexIDs(ids []paylinks.ID) string {
	b := make([]byte, 0, len(ids)*35+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = hex.AppendEncode(b, id[:])
		b = append(b, '"')
	}
	return string(append(b, ']'))
}
