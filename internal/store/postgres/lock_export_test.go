package postgres

import "github.com/paylinks/paylinks/internal/store"

// LockPID is the PostgreSQL backend pid of a lock's connection, for tests
// that kill it.
func LockPID(l store.Lock) uint32 { return l.(*advisoryLock).conn.PgConn().PID() }
