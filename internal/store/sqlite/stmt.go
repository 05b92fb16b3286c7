package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps one prepared statement per query text, so that a query is
// parsed once per connection rather than once per call. The queries of this
// package are built from a few fixed fragments, so the cache stays small.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// prepare returns the statement for query, preparing it if needed. It takes
// a connection of the pool: never call it while holding the last one.
func (c *stmtCache) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := c.lookup(query); s != nil {
		return s, nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		s.Close()
		return prev, nil
	}
	c.m[query] = s
	return s, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, s := range c.m {
		errs = append(errs, s.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// queryRow runs a one-row read on the read pool with a cached statement.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := db.rstmts.prepare(ctx, query)
	if err != nil {
		// A *sql.Row cannot be made with an error: run it unprepared and
		// let it fail again where the caller looks.
		return db.read.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// writeTx is the transaction a write runs in. Its ExecContext and
// QueryRowContext use the writer's prepared statements; a query met for the
// first time runs unprepared and is prepared after the batch, when the one
// writer connection is free again (preparing now would wait for it forever).
type writeTx struct {
	*sql.Tx
	w *writer
}

func (tx *writeTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s := tx.w.stmts.lookup(query); s != nil {
		return tx.StmtContext(ctx, s)
	}
	tx.w.unprepared[query] = true
	return nil
}

// ExecContext runs a statement in the transaction.
func (tx *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query in the transaction.
func (tx *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}
