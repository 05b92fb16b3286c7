package sqlite

import "time"

// CommitObserver hears of every group commit: how many writes it committed
// and how long the batch took to run and commit (fsync included). It is
// called on the writer goroutine, before the writers hear of their commit,
// so it must be quick.
type CommitObserver interface {
	ObserveCommit(writes int, d time.Duration)
}

// ObserveCommits makes o hear of every commit from now on (nil: none).
func (db *DB) ObserveCommits(o CommitObserver) {
	if o == nil {
		db.w.observer.Store(nil)
		return
	}
	db.w.observer.Store(&o)
}

func (w *writer) observeCommit(writes int, d time.Duration) {
	if o := w.observer.Load(); o != nil {
		(*o).ObserveCommit(writes, d)
	}
}
