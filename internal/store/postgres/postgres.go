// Package postgres implements store.Store on PostgreSQL with pgx v5, for
// many paylinks replicas sharing one database. Every guarantee that matters
// across processes (a single-use link paid at most once, a token spent once)
// is a conditional UPDATE decided by the database, never by a read followed
// by a write in Go.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

var _ store.Store = (*DB)(nil)

// DB is a PostgreSQL store: a pgx connection pool on a migrated schema. It is
// safe for concurrent use, and any number of processes may share the
// database.
type DB struct {
	pool      *pgxpool.Pool
	closeOnce sync.Once
}

// Open connects to the database at dsn (a postgres:// URL or a key=value
// string; search_path may be given as a parameter), applies the pending
// migrations and returns the store. maxConns bounds the pool; 0 means
// 4×GOMAXPROCS, at least 4 and at most 32. Processes starting at once are
// safe: migrations run under a PostgreSQL advisory lock.
func Open(ctx context.Context, dsn string, maxConns int) (*DB, error) {
	pool, err := newPool(ctx, dsn, maxConns)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{pool: pool}, nil
}

// Migrate connects to the database at dsn and applies the pending
// migrations, under the same advisory lock as Open. Open already migrates;
// Migrate is for migrating without serving.
func Migrate(ctx context.Context, dsn string) error {
	pool, err := newPool(ctx, dsn, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrate(ctx, pool)
}

// Pool returns the underlying pool, for packages that need queries the Store
// interface does not have (such as the webhook dispatcher reading the
// outbox). Closing the DB closes it.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping reports whether the database is reachable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: Ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned. It
// may be called more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(db.pool.Close)
	return nil
}

func newPool(ctx context.Context, dsn string, maxConns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The error may quote the DSN, password included; do not wrap it.
		return nil, errors.New("postgres: Open: invalid DSN")
	}
	if maxConns <= 0 {
		maxConns = min(max(4*runtime.GOMAXPROCS(0), 4), 32)
	}
	cfg.MaxConns = int32(min(maxConns, 1<<20))
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "paylinks"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: Open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: Open: %w", err)
	}
	return pool, nil
}

// migrate applies the embedded migrations with goose. goose takes no lock
// unless given a locker; ours blocks on pg_advisory_lock (goose's own polls
// every 5s) with a key derived from the current schema, so that replicas on
// one schema serialise while tests on separate schemas do not wait on each
// other.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: Migrate: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithSessionLocker(schemaLocker{}),
		goose.WithDisableGlobalRegistry(true),
		// Migrations are independent tables and columns; a database that
		// got a later one first (as happened in development) still takes
		// an earlier one it lacks.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		return fmt.Errorf("postgres: Migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: Migrate: %w", err)
	}
	return nil
}

// schemaLocker is a goose SessionLocker holding a session-level advisory lock
// keyed by the current schema's name.
type schemaLocker struct{}

const lockKey = `hashtextextended('paylinks.migrate:' || coalesce(current_schema(), ''), 0)`

// SessionLock blocks until conn holds the schema's migration lock.
func (schemaLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`)
	return err
}

// SessionUnlock releases the lock SessionLock took on conn.
func (schemaLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`)
	return err
}

// wrap names the failed operation in *errp and maps PostgreSQL's answers to
// the store's sentinels: no rows is paylinks.ErrNotFound, a unique violation
// is paylinks.ErrConflict. Use it deferred: defer wrap(&err, "CreateLink").
func wrap(errp *error, op string) {
	err := *errp
	if err == nil {
		return
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		*errp = fmt.Errorf("postgres: %s: %w", op, paylinks.ErrNotFound)
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		*errp = fmt.Errorf("postgres: %s: %w: %w", op, paylinks.ErrConflict, err)
	default:
		*errp = fmt.Errorf("postgres: %s: %w", op, err)
	}
}

// ts returns t as stored: truncated to microseconds, in UTC.
func ts(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// tsp is ts for an optional time.
func tsp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// utc converts a scanned optional time to UTC in place.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// window appends the created_at bounds of a list to a WHERE clause; zero
// times are unbounded.
func window(where string, args []any, from, to time.Time) (string, []any) {
	if !from.IsZero() {
		args = append(args, ts(from))
		where += fmt.Sprintf(" AND created_at >= $%d", len(args))
	}
	if !to.IsZero() {
		args = append(args, ts(to))
		where += fmt.Sprintf(" AND created_at <= $%d", len(args))
	}
	return where, args
}

// page returns the ORDER BY, LIMIT and OFFSET of a list, with args extended.
func page(args []any, order paylinks.Order, offset, limit int) (string, []any) {
	dir := "ASC"
	if order == paylinks.ReverseChronological {
		dir = "DESC"
	}
	q := fmt.Sprintf(" ORDER BY created_at %s, id %s", dir, dir)
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	if offset > 0 {
		args = append(args, offset)
		q += fmt.Sprintf(" OFFSET $%d", len(args))
	}
	return q, args
}

// listQuery is one page of a list: the page's query, optionally a query that
// must find the keyset cursor, and optionally the count of the window.
type listQuery struct {
	cursorSQL  string // when set, no row is ErrNoRows
	cursorArgs []any
	pageSQL    string
	pageArgs   []any
	countSQL   string // when empty, the total is -1
	countArgs  []any
}

// run sends the list's queries in one round trip (one pipeline), calls scan
// for each row of the page and returns the total.
func (q listQuery) run(ctx context.Context, pool *pgxpool.Pool, scan func(pgx.Rows) error) (int, error) {
	b := &pgx.Batch{}
	if q.cursorSQL != "" {
		b.Queue(q.cursorSQL, q.cursorArgs...)
	}
	b.Queue(q.pageSQL, q.pageArgs...)
	if q.countSQL != "" {
		b.Queue(q.countSQL, q.countArgs...)
	}
	br := pool.SendBatch(ctx, b)
	defer br.Close()
	if q.cursorSQL != "" {
		var found bool
		if err := br.QueryRow().Scan(&found); err != nil {
			return 0, err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		if err := scan(rows); err != nil {
			rows.Close()
			return 0, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	total := -1
	if q.countSQL != "" {
		if err := br.QueryRow().Scan(&total); err != nil {
			return 0, err
		}
	}
	return total, br.Close()
}
