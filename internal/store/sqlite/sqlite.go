// Package sqlite is the embedded storage of paylinks: the store.Store
// interface on one SQLite file (modernc.org/sqlite, pure Go).
//
// The file is in WAL mode with synchronous=FULL, so a write that returned nil
// survives a crash. Reads use a pool of read-only connections; every write
// goes through one writer goroutine that commits the writes waiting at the
// same time in one transaction (group commit, see writer.go), so one fsync
// serves many requests.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// pragmas are run on every new connection, busy_timeout first (the driver
// orders it so), so that the others wait for a lock instead of failing.
// temp_store(memory) keeps the savepoint sub-journals of the group commit in
// memory: in a temporary file they cost a third of the writer's time.
const pragmas = "_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(FULL)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=temp_store(memory)" +
	"&_pragma=journal_size_limit(67108864)" // truncate a WAL grown past 64 MiB after checkpoints

// Page caches, in KiB per connection. Readers keep a small one: the OS page
// cache holds the file anyway, and each reader's cache is dropped whenever
// the writer commits, so a large one only raises RSS (16 MiB on each of 5
// connections measured 176 MB peak; 2 MiB, 48 MB at a million links with the
// same read speed). The writer keeps more, for the index pages it updates.
const (
	writerCache = "&_pragma=cache_size(-8192)"
	readerCache = "&_pragma=cache_size(-2048)"
)

var _ store.Store = (*DB)(nil)

// DB is a paylinks database in one SQLite file. It implements store.Store and
// is safe for concurrent use. Close it when done.
type DB struct {
	read   *sql.DB // read-only pool
	rstmts *stmtCache
	write  *sql.DB // the one writer connection, used only by the writer goroutine
	w      *writer
	// checkpoints of deep link lists, for their offsets (checkpoint.go)
	checkpoints checkpointCache

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating it and its folder when missing) the database file at
// path, applies the pending migrations and starts the writer.
func Open(ctx context.Context, path string) (*DB, error) {
	wdb, err := openWriter(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: Open: %w", err)
	}
	if err := migrate(ctx, wdb); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: Open: %w", err)
	}
	rdb, err := sql.Open("sqlite", path+"?"+pragmas+readerCache+"&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: Open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxIdleTime(0)
	if err := rdb.PingContext(ctx); err != nil {
		rdb.Close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite: Open: %w", err)
	}
	db := &DB{read: rdb, rstmts: newStmtCache(rdb), write: wdb}
	db.w = startWriter(wdb)
	return db, nil
}

// Migrate applies the pending migrations to the database file at path,
// creating it when missing. Open does this too; Migrate is for tools that
// only want the schema.
func Migrate(ctx context.Context, path string) error {
	wdb, err := openWriter(path)
	if err != nil {
		return fmt.Errorf("sqlite: Migrate: %w", err)
	}
	defer wdb.Close()
	if err := migrate(ctx, wdb); err != nil {
		return fmt.Errorf("sqlite: Migrate: %w", err)
	}
	return nil
}

// openWriter opens the single writer connection. Its transactions begin
// IMMEDIATE, taking the write lock at BEGIN: another process holding it makes
// BEGIN wait (busy_timeout) rather than fail mid-transaction.
func openWriter(path string) (*sql.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || strings.Contains(path, ":memory:") {
		return nil, fmt.Errorf("path %q: want a plain file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	installMutexes() // on failure the mutexes stay real: slower, as correct (mutex.go)
	db, err := sql.Open("sqlite", path+"?"+pragmas+writerCache+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true),
		// A database that got a later migration first (as happened in
		// development) still takes an earlier one it lacks.
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping reports whether both the read pool and the writer can reach the file.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: Ping: %w", err)
	}
	if err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error { return nil }); err != nil {
		return fmt.Errorf("sqlite: Ping: %w", err)
	}
	return nil
}

// Close refuses new writes (ErrClosed), waits for the writes already queued
// to commit, stops the writer and closes the file. Calling Close again
// returns the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.w.stop()
		db.checkpoints.close()
		db.closeErr = errors.Join(db.rstmts.close(), db.read.Close(), db.write.Close())
		if db.closeErr != nil {
			db.closeErr = fmt.Errorf("sqlite: Close: %w", db.closeErr)
		}
	})
	return db.closeErr
}

// ErrClosed is returned by a write on a closed DB.
var ErrClosed = errors.New("database closed")

// wrap names the operation in err and turns the database's answers into the
// store's sentinels: no rows is paylinks.ErrNotFound, a refused uniqueness
// is paylinks.ErrConflict.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, paylinks.ErrNotFound)
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, paylinks.ErrConflict, err)
	}
	if e := storageError(err); e != nil {
		return fmt.Errorf("sqlite: %s: %w: %w", op, e, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// Values as stored: ids are their 16 bytes, times unix microseconds in UTC.

func idArg(id paylinks.ID) []byte { return id[:] }

func nullIDArg(id *paylinks.ID) any {
	if id == nil {
		return nil
	}
	return id[:]
}

func micro(t time.Time) int64 { return t.UnixMicro() }

func nullMicro(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNullMicro(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicro(us.Int64)
	return &t
}

func fromNullID(id uuid.NullUUID) *paylinks.ID {
	if !id.Valid {
		return nil
	}
	return &id.UUID
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// extraScanner scans a row followed by more columns, into extra.
type extraScanner struct {
	row   scanner
	extra []any
}

func (s extraScanner) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// scanOne scans one row with a list's scan function.
func scanOne[T any](row scanner, scan func(scanner, *T) error) (*T, error) {
	v := new(T)
	if err := scan(row, v); err != nil {
		return nil, err
	}
	return v, nil
}

// collect scans every row with scan and closes rows; an error in rows
// comes back with the rows scanned before it.
func collect[T any](rows *sql.Rows, scan func(scanner, *T) error) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// bounds returns the inclusive created_at window of a list as microseconds;
// a zero time is unbounded (nil).
func bounds(from, to time.Time) (lo, hi *int64) {
	if !from.IsZero() {
		lo = new(micro(from))
	}
	if !to.IsZero() {
		hi = new(micro(to))
	}
	return lo, hi
}
