package sqlite

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paylinks/paylinks"
)

// ErrStorageFull is the error of a write that could not be committed
// because the disk is full (or the file may not grow): nothing of it was
// saved, and the same write succeeds once there is space again. Dialects
// answer it with 503.
var ErrStorageFull = &paylinks.Error{Kind: paylinks.KindUnavailable, Code: "storage_full",
	Message: "the server could not save this: its disk is full; nothing was saved, try again later"}

// ErrStorageIO is the error of a read or write the disk failed (an I/O
// error, or a file that may not grow: SQLite tells SQLITE_FULL only for
// ENOSPC): as ErrStorageFull, nothing of a failed write was saved.
var ErrStorageIO = &paylinks.Error{Kind: paylinks.KindUnavailable, Code: "storage_unavailable",
	Message: "the server could not write to its storage (its disk may be full or failing); nothing was saved, try again later"}

// storageError returns ErrStorageFull or ErrStorageIO when err is SQLite's
// SQLITE_FULL or an SQLITE_IOERR, else nil. SQLite rolls back the
// transaction such an error ends, so no write of it is half-done; the
// writer's next transaction begins afresh.
func storageError(err error) *paylinks.Error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return ErrStorageFull
	case sqlite3.SQLITE_IOERR:
		return ErrStorageIO
	}
	return nil
}
