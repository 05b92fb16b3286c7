package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// maxBatch bounds how many writes share one transaction.
	maxBatch = 128
	// queueLen is how many writes may wait for the writer.
	queueLen = 4 * maxBatch
)

// writeFunc is one write: statements run on tx. It may run more than once (a
// batch is run again when one of its writes fails), so its only effects are
// on tx and on variables it sets afresh on each run.
// ctx is the writer's, not the caller's: interrupting a statement inside a
// shared transaction would roll back the whole batch, so a caller's
// cancellation is honoured only while its write waits in the queue.
type writeFunc func(ctx context.Context, tx *writeTx) error

// The states of a writeReq. The writer and the caller race to move it out of
// queued; whoever wins decides whether the write runs.
const (
	queued    int32 = iota
	taken           // by the writer: it will run, and the caller waits for the commit
	abandoned       // by the caller, whose ctx ended: it will not run
)

type writeReq struct {
	fn writeFunc
	// rows, when set, are what fn inserts, and all it does (rows.go).
	rows  []tableRow
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on a reply
}

// writer owns the writer connection. It takes the writes waiting in its
// queue, up to maxBatch, runs them in one transaction, commits once and only
// then replies to every waiter: one fsync for the batch. A write that fails
// is rolled back alone (the batch runs again with a SAVEPOINT per write, see
// run) and alone gets its error; if the COMMIT fails, every write of the
// batch gets that error.
type writer struct {
	db    *sql.DB
	queue chan *writeReq
	// stmts and unprepared belong to the writer goroutine (stmts is also
	// closed by stop, after it).
	stmts      *stmtCache
	unprepared map[string]bool

	mu     sync.RWMutex // held for reading while sending on queue
	closed bool
	done   chan struct{} // closed when loop has returned

	commits atomic.Int64 // transactions committed
	writes  atomic.Int64 // writes committed
	// groupedRows counts the rows inserted by grouped statements, and
	// insertSQLs and groupArgs serve them (rows.go; the writer goroutine's).
	groupedRows atomic.Int64
	insertSQLs  map[insertKey]string
	groupArgs   []any
	// observer, when set, hears of every commit (observe.go).
	observer atomic.Pointer[CommitObserver]
}

func startWriter(db *sql.DB) *writer {
	w := &writer{
		db:         db,
		queue:      make(chan *writeReq, queueLen),
		done:       make(chan struct{}),
		stmts:      newStmtCache(db),
		unprepared: make(map[string]bool),
		insertSQLs: make(map[insertKey]string),
	}
	go w.loop()
	return w
}

// exec queues fn and waits until the transaction that ran it has committed
// (nil) or failed. It gives up with ctx's error only while fn is still
// queued; once the writer has taken it, the outcome is the commit's.
func (db *DB) exec(ctx context.Context, fn writeFunc) error {
	return db.w.exec(ctx, fn)
}

func (w *writer) exec(ctx context.Context, fn writeFunc) error {
	return w.execReq(ctx, &writeReq{fn: fn, done: make(chan error, 1)})
}

func (w *writer) execReq(ctx context.Context, req *writeReq) error {
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.queue <- req:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		return <-req.done
	}
}

// stop refuses new writes, lets the writer run the ones already queued and
// waits for it to return.
func (w *writer) stop() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
	w.stmts.close()
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		req, ok := <-w.queue
		if !ok {
			return
		}
		batch = append(batch, req)
	fill:
		for len(batch) < maxBatch {
			select {
			case req, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, req)
			default:
				break fill
			}
		}
		w.run(batch)
		clear(batch)
		batch = batch[:0]
		w.prepareMissed()
	}
}

// prepareMissed prepares the queries the last batch ran unprepared; the
// writer connection is free between batches.
func (w *writer) prepareMissed() {
	for q := range w.unprepared {
		// Failing is harmless: the query runs unprepared next time too.
		w.stmts.prepare(context.Background(), q)
		delete(w.unprepared, q)
	}
}

// run commits one batch and replies to each of its writes.
func (w *writer) run(batch []*writeReq) {
	// Take the writes whose callers still wait; from here on they wait
	// for the commit.
	n := 0
	for _, req := range batch {
		if req.state.CompareAndSwap(queued, taken) {
			batch[n] = req
			n++
		}
	}
	batch = batch[:n]
	if n == 0 {
		return
	}

	ctx := context.Background()
	errs := make([]error, n)
	start := time.Now()
	reply := func(batchErr error) {
		// Counted before anyone hears of the commit, so that a caller
		// that saw its write succeed sees it counted.
		if batchErr == nil {
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				}
			}
			w.commits.Add(1)
			w.writes.Add(int64(ok))
			w.observeCommit(ok, time.Since(start))
		}
		for i, req := range batch {
			err := errs[i]
			if err == nil {
				err = batchErr
			}
			req.done <- err
		}
	}

	// First without savepoints: one per write cost a tenth of the writer's
	// time (the statements, and the sub-journal copy of every page a write
	// touches). Writes rarely fail; when one does, the whole transaction is
	// rolled back and the batch runs again with a savepoint per write. A
	// write is a function of the transaction alone, so running it again is
	// safe. A batch of one needs no savepoint: its transaction is its own.
	failed, err := w.attempt(ctx, batch, errs, false)
	if failed && n > 1 {
		clear(errs)
		failed, err = w.attempt(ctx, batch, errs, true)
	}
	if failed && err == nil {
		// The batch of one failed and was rolled back: nothing to commit,
		// and its error is its own.
		for i, req := range batch {
			req.done <- errs[i]
		}
		return
	}
	reply(err)
}

// attempt runs the batch in one transaction and commits it; errs gets each
// write's own error. With savepoints, a write that fails is rolled back
// alone. Without, the first write that fails rolls back the whole
// transaction and attempt reports failed, committing nothing. err is the
// error of the transaction itself (begin, savepoint, commit): every write of
// the batch fails with it.
func (w *writer) attempt(ctx context.Context, batch []*writeReq, errs []error, savepoints bool) (failed bool, err error) {
	sqlTx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	tx := &writeTx{Tx: sqlTx, w: w}
	if !savepoints {
		if !w.runAll(ctx, tx, batch, errs) {
			tx.Rollback()
			return true, nil
		}
	} else if err := w.runEach(ctx, tx, batch, errs); err != nil {
		tx.Rollback()
		return false, err
	}
	// On failure the driver rolls back, leaving the connection usable.
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

// runAll runs the writes of batch in tx with no savepoint, the rows of
// consecutive row writes of one shape grouped (rows.go). It stops at the
// first failure and reports false; errs then holds the failed write's error
// (every write of a failed group gets the group's).
func (w *writer) runAll(ctx context.Context, tx *writeTx, batch []*writeReq, errs []error) bool {
	for i := 0; i < len(batch); {
		j := i + 1
		for j < len(batch) && sameShape(batch[i].rows, batch[j].rows) {
			j++
		}
		if j-i > 1 {
			if err := w.insertGroup(ctx, tx, batch[i:j]); err != nil {
				for k := i; k < j; k++ {
					errs[k] = err
				}
				return false
			}
			i = j
			continue
		}
		if errs[i] = runWrite(ctx, tx, batch[i].fn); errs[i] != nil {
			return false
		}
		i++
	}
	return true
}

// runEach runs each write of batch in tx inside a savepoint of its own: a
// write that fails is rolled back alone and errs gets its error. The error
// returned is the transaction's own (a savepoint statement failed).
func (w *writer) runEach(ctx context.Context, tx *writeTx, batch []*writeReq, errs []error) error {
	for i, req := range batch {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		errs[i] = runWrite(ctx, tx, req.fn)
		if errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				// SQLite rolls back the whole transaction on some
				// errors (disk full, I/O): the batch is lost.
				return fmt.Errorf("rollback to savepoint: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	return nil
}

// runWrite runs fn, turning a panic into an error so that one bad write
// cannot take the writer, and the batch, down.
func runWrite(ctx context.Context, tx *writeTx, fn writeFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in write: %v", r)
		}
	}()
	return fn(ctx, tx)
}
