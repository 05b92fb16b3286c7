package sqlite

import (
	"context"
	"strings"
)

// Writes that only insert rows (a new link and its event) say so: besides
// their writeFunc they carry the rows. The writer inserts the rows of
// consecutive such writes of a batch, when they have the same shape, with
// one multi-row INSERT per table instead of one statement per row: under
// create load a batch holds ~13 links, and the statements' own overhead
// (database/sql, binding, starting the VM) was most of the writer's time
// per link. When a grouped statement fails (a slug taken), the batch runs
// again with a savepoint per write, each through its writeFunc, so the
// failing write alone gets the error, as for any other write.

// tableRow is one row a write inserts: into is the table and its columns,
// as in "INSERT INTO <into> VALUES", and values are the row's, in order.
type tableRow struct {
	into   string
	values []any
}

// maxGroupRows bounds the rows of one grouped statement. Groups are cut
// into powers of two up to it, so that the writer prepares few statements
// (one per table and size: 1, 2, 4, ... 32).
const maxGroupRows = 32

// execRows runs a write that inserts rows and nothing else.
func (db *DB) execRows(ctx context.Context, rows []tableRow) error {
	return db.w.execReq(ctx, &writeReq{fn: insertRowsOneByOne(rows), rows: rows, done: make(chan error, 1)})
}

// insertRowsOneByOne is the writeFunc of rows: one statement per row.
func insertRowsOneByOne(rows []tableRow) writeFunc {
	return func(ctx context.Context, tx *writeTx) error {
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, tx.w.cachedInsertSQL(r.into, len(r.values), 1), r.values...); err != nil {
				return err
			}
		}
		return nil
	}
}

// sameShape reports whether two writes insert rows into the same tables and
// columns, in the same order.
func sameShape(a, b []tableRow) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if a[i].into != b[i].into || len(a[i].values) != len(b[i].values) {
			return false
		}
	}
	return true
}

// insertGroup inserts the rows of writes of the same shape, table by table,
// in statements of up to maxGroupRows rows.
func (w *writer) insertGroup(ctx context.Context, tx *writeTx, group []*writeReq) error {
	shape := group[0].rows
	for t := range shape {
		for start := 0; start < len(group); {
			k := maxGroupRows
			for k > len(group)-start {
				k /= 2
			}
			args := w.groupArgs[:0]
			for _, req := range group[start : start+k] {
				args = append(args, req.rows[t].values...)
			}
			w.groupArgs = args[:0]
			_, err := tx.ExecContext(ctx, w.cachedInsertSQL(shape[t].into, len(shape[t].values), k), args...)
			clear(args)
			if err != nil {
				return err
			}
			w.groupedRows.Add(int64(k))
			start += k
		}
	}
	return nil
}

// cachedInsertSQL is insertSQL, remembered: the writer asks for the same few
// texts over and over. Writes run on the writer goroutine, so they may use
// it too.
func (w *writer) cachedInsertSQL(into string, cols, rows int) string {
	key := insertKey{into, cols, rows}
	if q, ok := w.insertSQLs[key]; ok {
		return q
	}
	q := insertSQL(into, cols, rows)
	w.insertSQLs[key] = q
	return q
}

type insertKey struct {
	into       string
	cols, rows int
}

// insertSQL is an INSERT of rows rows of cols values each.
func insertSQL(into string, cols, rows int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(len(into) + 20 + rows*(len(row)+2))
	b.WriteString("INSERT INTO ")
	b.WriteString(into)
	b.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
