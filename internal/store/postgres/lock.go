package postgres

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks/internal/store"
)

var _ store.Locker = (*DB)(nil)

// lockCheckEvery is how often a held lock's connection is checked: a lock
// whose connection broke is reported lost within about this long.
const lockCheckEvery = 2 * time.Second

// TryLock tries once to take the session-level advisory lock called name
// (pg_try_advisory_lock on a 64-bit hash of the name) on a connection of its
// own, outside the pool, so that the lock lives exactly as long as that
// connection: when this process dies or loses the database, PostgreSQL
// releases it and another process's TryLock gets it. It returns nil, nil
// when another session holds the lock.
func (db *DB) TryLock(ctx context.Context, name string) (_ store.Lock, err error) {
	defer wrap(&err, "TryLock")
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, advisoryKey(name)).Scan(&got); err != nil || !got {
		conn.Close(context.Background())
		return nil, err
	}
	l := &advisoryLock{conn: conn, key: advisoryKey(name), lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.watch()
	return l, nil
}

// advisoryKey is the advisory lock key of name: FNV-1a, 64 bits.
func advisoryKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("paylinks:" + name))
	return int64(h.Sum64())
}

// advisoryLock is a held advisory lock and its connection, which only its
// watch goroutine uses after TryLock.
type advisoryLock struct {
	conn *pgx.Conn
	key  int64

	lost     chan struct{} // closed when the connection failed a check
	stop     chan struct{} // closed by Release
	done     chan struct{} // closed when watch has returned
	stopOnce sync.Once
	err      error // Release's result, set by watch before done
}

// watch checks the connection every lockCheckEvery until Release; the
// first failed check closes lost.
func (l *advisoryLock) watch() {
	defer close(l.done)
	t := time.NewTicker(lockCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, l.err = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
			l.conn.Close(ctx)
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), lockCheckEvery)
			err := l.conn.Ping(ctx)
			cancel()
			if err != nil {
				close(l.lost)
				l.conn.Close(context.Background())
				<-l.stop
				return
			}
		}
	}
}

// Lost is closed when the lock's connection failed: PostgreSQL has
// released the lock or will when it notices.
func (l *advisoryLock) Lost() <-chan struct{} { return l.lost }

// Release unlocks and closes the lock's connection. Safe to call twice.
func (l *advisoryLock) Release() error {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
	return l.err
}
