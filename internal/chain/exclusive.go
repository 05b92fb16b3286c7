package chain

import (
	"context"
	"fmt"
	"time"

	"github.com/paylinks/paylinks/internal/store"
)

// DefaultLockRetry is how often a replica that does not hold a chain's
// watcher lock tries to take it: when the holder dies, another replica
// takes over within about this long (plus the time PostgreSQL takes to
// notice the holder's connection closed).
const DefaultLockRetry = 3 * time.Second

// LockName is the name of the lock the watcher of chainID runs under.
func LockName(chainID uint64) string { return fmt.Sprintf("chain-watcher:%d", chainID) }

// RunExclusive runs the watcher until ctx ends, on one process at a time:
// with a locker (a store shared by replicas) it runs only while this
// process holds the chain's lock, trying to take it every retry (0 is
// DefaultLockRetry) and stopping at once when the lock is lost. Without
// one (a store one process owns) it just runs. Progress is in the
// database, so whoever takes over resumes at the next block.
func (w *Watcher) RunExclusive(ctx context.Context, locker store.Locker, retry time.Duration) error {
	if locker == nil {
		return w.Run(ctx)
	}
	if retry <= 0 {
		retry = DefaultLockRetry
	}
	chainID, err := w.ChainID(ctx)
	for err != nil {
		w.log.Error("chain watcher: no chain id", "err", err)
		if !sleep(ctx, retry) {
			return nil
		}
		chainID, err = w.ChainID(ctx)
	}
	name := LockName(chainID)
	for {
		lock, err := locker.TryLock(ctx, name)
		if err != nil && ctx.Err() == nil {
			w.log.Error("chain watcher: lock", "chain_id", chainID, "err", err)
		}
		if lock != nil {
			w.log.Info("chain watcher: this process holds the lock", "chain_id", chainID)
			runCtx, cancel := context.WithCancel(ctx)
			go func() {
				select {
				case <-lock.Lost():
					w.log.Warn("chain watcher: lock lost", "chain_id", chainID)
					cancel()
				case <-runCtx.Done():
				}
			}()
			w.Run(runCtx)
			cancel()
			if err := lock.Release(); err != nil {
				w.log.Warn("chain watcher: release lock", "chain_id", chainID, "err", err)
			}
		}
		if !sleep(ctx, retry) {
			return nil
		}
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
