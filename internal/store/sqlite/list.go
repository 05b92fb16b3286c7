package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	// after, when set, is the row of table the page starts after (keyset
	// paging); offset is then ignored and nothing is counted.
	after *cursor
	// noCount: return -1 as the total. totalSQL, when set, reads the total
	// (one integer) instead of counting the window, in the page's snapshot.
	noCount   bool
	totalSQL  string
	totalArgs []any
	// seek, when set (with totalSQL, and versionSQL, which reads the
	// list's version with totalArgs), may turn the offset into a keyset
	// seek: list calls it in the page's snapshot, after the total, for an
	// offset below the total. With a key, the page is the rows (created_at, id) >= key
	// ascending, < key descending, past skip of them: the rows the offset
	// names in that snapshot, if seek is right. An offset at or past the
	// total is an empty page, read from nothing.
	seek       func(total int, version int64) (key listKey, skip int, ok bool)
	versionSQL string
	// guess, with seek, gives the total and version the list had when last
	// read, to choose the seek's key before reading them (see listAtOnce).
	guess func() (total int, version int64, ok bool)
}

// cursor names the row a keyset page starts after. Its created_at is read
// by the page's own statement (one statement, one snapshot, no second
// read); list looks the row up alone only when the page comes back empty,
// to tell the end of the list from a cursor that is not a row of the
// account and mode (sql.ErrNoRows).
type cursor struct {
	id, accountID []byte
	livemode      bool
}

// list returns the page and the number of rows in the whole window (-1 with
// q.after), read in one snapshot. The queries are shaped for the
// (account_id, livemode, created_at, id) indexes: the count and the skipped
// offsets read the index only.
func list[T any](ctx context.Context, db *DB, q listQuery, scan func(scanner, *T) error) ([]T, int, error) {
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
	var cursorSQL string
	if q.after != nil {
		cursorSQL = `SELECT created_at FROM ` + q.table + ` WHERE id = ? AND account_id = ? AND livemode = ?`
		pageWhere += ` AND (created_at, id) ` + cmp + ` ((` + cursorSQL + `), ?)`
		pageArgs = append(args[:len(args):len(args)], q.after.id, q.after.accountID, q.after.livemode, q.after.id)
		offset = 0
	}
	// Prepare before taking a connection for the transaction: preparing
	// takes one too, and the pool may have no other.
	// +0: a bound LIMIT makes SQLite re-plan the statement on every run.
	// The page's and the seek's statements select cols: q.cols, and the
	// total's columns when listAtOnce reads it with the page.
	orderBy := ` ORDER BY created_at ` + dir + `, id ` + dir
	pageSQLOf := func(cols string) string {
		if offset > 0 {
			// Skip the offset in the index alone (a deferred join): only
			// the rows of the page are read from the table.
			return `SELECT ` + cols + ` FROM ` + q.table + ` WHERE rowid IN (SELECT rowid FROM ` + q.table +
				` WHERE ` + pageWhere + orderBy + ` LIMIT ?+0 OFFSET ?+0)` + orderBy
		}
		return `SELECT ` + cols + ` FROM ` + q.table + ` WHERE ` + pageWhere + orderBy + ` LIMIT ?+0 OFFSET ?+0`
	}
	var seekSQLOf func(cols string) string
	if q.seek != nil && q.after == nil {
		seekCmp := ">="
		if dir == "DESC" {
			seekCmp = "<"
		}
		// No deferred join: the rows skipped here (fewer than a
		// checkpointStep) are read from the index alone anyway, as the
		// table row of a skipped index entry is never sought (DeferredSeek
		// in the plan's code), and the join would sort the page again.
		seekSQLOf = func(cols string) string {
			return `SELECT ` + cols + ` FROM ` + q.table + ` WHERE ` + pageWhere +
				` AND (created_at, id) ` + seekCmp + ` (?, ?)` + orderBy + ` LIMIT ?+0 OFFSET ?+0`
		}
	}
	// The total: kept (q.totalSQL) or counted in the window.
	totalSQL, totalArgs := q.totalSQL, q.totalArgs
	if totalSQL == "" {
		totalSQL, totalArgs = `SELECT count(*) FROM `+q.table+` WHERE `+where, args
	}
	if q.after == nil && !(q.noCount && seekSQLOf == nil) {
		// The page and its total in one statement (one snapshot), without
		// a transaction to begin and end or a second statement: a tenth of
		// a page's cost. An empty page, or a seek whose guess was wrong,
		// is read again in a transaction below.
		items, total, ok, err := listAtOnce(ctx, db, q, totalSQL, totalArgs, pageSQLOf, seekSQLOf, pageArgs, limit, offset, scan)
		if err != nil || ok {
			return items, total, err
		}
	}
	pageSQL := pageSQLOf(q.cols)
	pageStmt, err := db.rstmts.prepare(ctx, pageSQL)
	if err != nil {
		return nil, 0, err
	}
	var seekStmt *sql.Stmt
	if seekSQLOf != nil {
		if seekStmt, err = db.rstmts.prepare(ctx, seekSQLOf(q.cols)); err != nil {
			return nil, 0, err
		}
	}
	var countStmt *sql.Stmt
	countArgs := totalArgs
	switch {
	case q.after != nil || q.noCount && seekStmt == nil: // a seek needs the total
	case seekStmt != nil:
		// The total and the version, NULL when link_counts has no row.
		countArgs = append(totalArgs[:len(totalArgs):len(totalArgs)], totalArgs...)
		if countStmt, err = db.rstmts.prepare(ctx, `SELECT (`+totalSQL+`), (`+q.versionSQL+`)`); err != nil {
			return nil, 0, err
		}
	default:
		if countStmt, err = db.rstmts.prepare(ctx, totalSQL); err != nil {
			return nil, 0, err
		}
	}

	if countStmt == nil {
		// One statement is one snapshot: no transaction to begin and end.
		items, err := listPage(ctx, pageStmt, append(pageArgs, limit, offset), q.limit, scan)
		if err == nil && len(items) == 0 && q.after != nil {
			var createdAt int64
			err = db.queryRow(ctx, cursorSQL, q.after.id, q.after.accountID, q.after.livemode).Scan(&createdAt)
			if err != nil {
				err = fmt.Errorf("after: %w", err)
			}
		}
		return items, -1, err
	}
	tx, err := db.read.BeginTx(ctx, nil) // one snapshot for the page and the count
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	if seekStmt != nil {
		return listSeek(ctx, tx, q, countStmt, countArgs, seekStmt, pageStmt, pageArgs, limit, offset, scan)
	}
	items, err := listPage(ctx, tx.StmtContext(ctx, pageStmt), append(pageArgs, limit, offset), q.limit, scan)
	if err != nil {
		return nil, 0, err
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

// listSeek is the end of list for a q.seek: in tx, the total and version
// first, then the page from the key q.seek gives, or at the plain offset.
func listSeek[T any](ctx context.Context, tx *sql.Tx, q listQuery, countStmt *sql.Stmt, countArgs []any,
	seekStmt, pageStmt *sql.Stmt, pageArgs []any, limit, offset int, scan func(scanner, *T) error) ([]T, int, error) {
	var n, v sql.NullInt64 // NULL: no row yet, nothing was ever counted
	if err := tx.StmtContext(ctx, countStmt).QueryRowContext(ctx, countArgs...).Scan(&n, &v); err != nil {
		return nil, 0, err
	}
	total, version := int(n.Int64), v.Int64
	var err error
	var items []T
	if offset >= total {
		// Past the end: the OFFSET would step through every row to find
		// none. (The same empty page as listPage's.)
		if q.limit > 0 {
			items = []T{}
		}
	} else if key, skip, ok := q.seek(total, version); ok {
		items, err = listPage(ctx, tx.StmtContext(ctx, seekStmt),
			append(pageArgs, key.createdAt, key.id[:], limit, skip), q.limit, scan)
	} else {
		items, err = listPage(ctx, tx.StmtContext(ctx, pageStmt), append(pageArgs, limit, offset), q.limit, scan)
	}
	if err != nil {
		return nil, 0, err
	}
	if q.noCount {
		total = -1
	}
	return items, total, nil
}

// listPage runs the page statement and scans its rows, each straight into
// its place in the result; limit (<= 0: none) sizes the result.
func listPage[T any](ctx context.Context, stmt *sql.Stmt, args []any, limit int, scan func(scanner, *T) error) ([]T, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []T
	if limit > 0 {
		items = make([]T, 0, min(limit, 128))
	}
	var zero T
	for rows.Next() {
		items = append(items, zero)
		if err := scan(rows, &items[len(items)-1]); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// listAtOnce reads a page and its total in one statement: the total (and,
// for a seek, the list's version) are scalar subqueries added to the
// page's columns, which SQLite evaluates once, in the page's snapshot.
//
// A seek chooses its key from the total and version before reading them:
// it takes the ones q.guess gives (the list as last read) and keeps the page
// only when the snapshot has exactly those, so the key is the one list would
// have chosen in a transaction. ok is false, and the caller reads the page
// in a transaction, when there is no guess, when the page is empty (no row
// carries the total), or when the guess was wrong.
func listAtOnce[T any](ctx context.Context, db *DB, q listQuery, totalSQL string, totalArgs []any, pageSQLOf, seekSQLOf func(cols string) string,
	pageArgs []any, limit, offset int, scan func(scanner, *T) error) (items []T, total int, ok bool, err error) {
	cols := `(` + totalSQL + `)`
	sqlOf, qargs := pageSQLOf, append(totalArgs[:len(totalArgs):len(totalArgs)], pageArgs...)
	qargs = append(qargs, limit, offset)
	var wantN, wantV int64 = -1, 0
	if seekSQLOf != nil {
		if q.versionSQL == "" || q.guess == nil {
			return nil, 0, false, nil
		}
		n, v, known := q.guess()
		if !known || offset >= n {
			return nil, 0, false, nil
		}
		key, skip, found := q.seek(n, v)
		if !found {
			return nil, 0, false, nil
		}
		cols += `, (` + q.versionSQL + `)`
		sqlOf = seekSQLOf
		qargs = append(append(totalArgs[:len(totalArgs):len(totalArgs)], totalArgs...), pageArgs...)
		qargs = append(qargs, key.createdAt, key.id[:], limit, skip)
		wantN, wantV = int64(n), v
	}
	stmt, err := db.rstmts.prepare(ctx, sqlOf(q.cols+`, `+cols))
	if err != nil {
		return nil, 0, false, err
	}
	var n, v sql.NullInt64
	extra := []any{&n}
	if wantN >= 0 {
		extra = append(extra, &v)
	}
	items, err = listPage(ctx, stmt, qargs, q.limit, func(row scanner, item *T) error {
		return scan(extraScanner{row, extra}, item)
	})
	if err != nil {
		return nil, 0, false, err
	}
	if len(items) == 0 || !n.Valid || wantN >= 0 && (n.Int64 != wantN || v.Int64 != wantV) {
		return nil, 0, false, nil
	}
	total = int(n.Int64)
	if q.noCount {
		total = -1
	}
	return items, total, true, nil
}
