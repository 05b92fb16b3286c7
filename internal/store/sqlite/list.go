package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/paylinks/paylinks"
)

// listQuery is one page of a time-ordered list: rows of table matching where,
// ordered by (created_at, id) in order.
type listQuery struct {
	cols, table   string
	where         string // without the created_at window, which list adds
	args          []any
	from, to      *int64 // inclusive created_at window, microseconds; nil: unbounded
	order         paylinks.Order
	offset, limit int // limit <= 0: no limit
	// after, when set, is the (created_at, id) the page starts after
	// (keyset paging); offset is then ignored and nothing is counted.
	after *cursor
	// noCount: return -1 as the total. totalSQL, when set, reads the total
	// (one integer) instead of counting the window, in the page's snapshot.
	noCount   bool
	totalSQL  string
	totalArgs []any
}

type cursor struct {
	createdAt int64
	id        []byte
}

// list returns the page and the number of rows in the whole window (-1 with
// q.after), read in one snapshot. The queries are shaped for the
// (account_id, livemode, created_at, id) indexes: the count and the skipped
// offsets read the index only.
func list[T any](ctx context.Context, db *DB, q listQuery, scan func(scanner) (*T, error)) ([]T, int, error) {
	// Only the bounds that are set: an open range given as BETWEEN
	// MinInt64 AND MaxInt64 would win the index range over a cursor.
	where, args := q.where, q.args[:len(q.args):len(q.args)]
	if q.from != nil {
		where += ` AND created_at >= ?`
		args = append(args, *q.from)
	}
	if q.to != nil {
		where += ` AND created_at <= ?`
		args = append(args, *q.to)
	}
	cmp, dir := ">", "ASC"
	if q.order == paylinks.ReverseChronological {
		cmp, dir = "<", "DESC"
	}
	pageWhere, pageArgs := where, args
	limit, offset := q.limit, max(q.offset, 0)
	if limit <= 0 {
		limit = -1
	}
	if q.after != nil {
		pageWhere += ` AND (created_at, id) ` + cmp + ` (?, ?)`
		pageArgs = append(args[:len(args):len(args)], q.after.createdAt, q.after.id)
		offset = 0
	}
	// Prepare before taking a connection for the transaction: preparing
	// takes one too, and the pool may have no other.
	// +0: a bound LIMIT makes SQLite re-plan the statement on every run.
	orderBy := ` ORDER BY created_at ` + dir + `, id ` + dir
	pageSQL := `SELECT ` + q.cols + ` FROM ` + q.table + ` WHERE ` + pageWhere + orderBy + ` LIMIT ?+0 OFFSET ?+0`
	if offset > 0 {
		// Skip the offset in the index alone (a deferred join): only the
		// rows of the page are read from the table.
		pageSQL = `SELECT ` + q.cols + ` FROM ` + q.table + ` WHERE rowid IN (SELECT rowid FROM ` + q.table +
			` WHERE ` + pageWhere + orderBy + ` LIMIT ?+0 OFFSET ?+0)` + orderBy
	}
	pageStmt, err := db.rstmts.prepare(ctx, pageSQL)
	if err != nil {
		return nil, 0, err
	}
	var countStmt *sql.Stmt
	countArgs := args
	switch {
	case q.after != nil || q.noCount:
	case q.totalSQL != "":
		if countStmt, err = db.rstmts.prepare(ctx, q.totalSQL); err != nil {
			return nil, 0, err
		}
		countArgs = q.totalArgs
	default:
		if countStmt, err = db.rstmts.prepare(ctx, `SELECT count(*) FROM `+q.table+` WHERE `+where); err != nil {
			return nil, 0, err
		}
	}

	tx, err := db.read.BeginTx(ctx, nil) // one snapshot for the page and the count
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	rows, err := tx.StmtContext(ctx, pageStmt).QueryContext(ctx, append(pageArgs, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var items []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if countStmt == nil {
		return items, -1, nil
	}
	var total int
	err = tx.StmtContext(ctx, countStmt).QueryRowContext(ctx, countArgs...).Scan(&total)
	if errors.Is(err, sql.ErrNoRows) && q.totalSQL != "" {
		total, err = 0, nil // no row yet: nothing was ever counted
	}
	if err != nil {
		return nil, 0, err
	}
	return items, total, nil
}
