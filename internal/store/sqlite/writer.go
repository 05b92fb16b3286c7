package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 128

// writeFunc is one write: statements run on tx inside their own savepoint.
// ctx is the writer's, not the caller's: cancelling a statement inside a
// shared transaction would roll back the whole batch, so a caller's
// cancellation is honoured only before its write starts.
type writeFunc func(ctx context.Context, tx *sql.Tx) error

type writeReq struct {
	ctx  context.Context // the caller's; checked before the write runs
	fn   writeFunc
	done chan error // buffered: the writer never blocks on a reply
}

// writer owns the writer connection. It takes the writes waiting in its
// queue, up to maxBatch, runs each in a SAVEPOINT of one transaction, commits
// once and only then replies to every waiter: one fsync for the batch.
type writer struct {
	db    *sql.DB
	queue chan *writeReq // unbuffered: a sender blocked on it is "waiting"
	quit  chan struct{}
	done  chan struct{}
}

func startWriter(db *sql.DB) *writer {
	w := &writer{
		db:    db,
		queue: make(chan *writeReq),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go w.loop()
	return w
}

// exec queues fn and waits until the transaction that ran it has committed
// (nil) or failed. It gives up with ctx's error only while still queued.
func (db *DB) exec(ctx context.Context, fn writeFunc) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.w.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.w.quit:
		return ErrClosed
	}
	// Taken by the writer: the outcome is decided by the commit, so wait for
	// it even if ctx ends now.
	return <-req.done
}

// stop makes the writer finish the batch it is running and exit.
func (w *writer) stop() {
	close(w.quit)
	<-w.done
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-w.queue:
			batch = append(batch, req)
		case <-w.quit:
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case req := <-w.queue:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		w.run(batch)
		clear(batch)
		batch = batch[:0]
	}
}

// run commits one batch and replies to each of its writes.
func (w *writer) run(batch []*writeReq) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	reply := func(batchErr error) {
		for i, req := range batch {
			err := errs[i]
			if err == nil {
				err = batchErr
			}
			req.done <- err
		}
	}

	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		reply(fmt.Errorf("begin: %w", err))
		return
	}
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			tx.Rollback()
			reply(fmt.Errorf("savepoint: %w", err))
			return
		}
		errs[i] = runWrite(ctx, tx, req.fn)
		if errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				// SQLite rolls back the whole transaction on some
				// errors (disk full, I/O): the batch is lost.
				tx.Rollback()
				reply(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			tx.Rollback()
			reply(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		reply(fmt.Errorf("commit: %w", err))
		return
	}
	reply(nil)
}

// runWrite runs fn, turning a panic into an error so that one bad write
// cannot take the writer, and the batch, down.
func runWrite(ctx context.Context, tx *sql.Tx, fn writeFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in write: %v", r)
		}
	}()
	return fn(ctx, tx)
}
