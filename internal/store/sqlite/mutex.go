package sqlite

import (
	"fmt"
	"sync"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// The driver opens every connection SQLITE_OPEN_FULLMUTEX, so SQLite takes
// the connection's mutex around every API call: four times for each column
// of each row read (sqlite3_column_type and the value, enter and leave).
// Measured: two fifths of the CPU of reading a page of 20 links went to
// those mutexes. They protect nothing here. database/sql hands a connection
// to one goroutine at a time (every driver call runs under its driverConn
// lock), and the driver itself is not safe for concurrent use of one
// connection whatever SQLite locks (its per-connection state is used before
// SQLite's mutex is reached; see the driver's documentation). The only
// cross-goroutine call it makes, sqlite3_interrupt on a cancelled context,
// takes no mutex.
//
// So the connection mutexes become no-ops: SQLite's mutex methods are
// replaced by ones that hand out a shared no-op mutex for
// SQLITE_MUTEX_RECURSIVE, the type SQLite allocates only for a connection,
// for sqlite3_initialize's own mutex and for the RBU extension (unused),
// and pass every other type (the static mutexes of the allocator, the
// page cache, the VFS list, ...) to the default pthread methods.
// sqlite3_initialize runs here, once, before any connection opens, so its
// mutex has nothing to guard. Should SQLite refuse the configuration (it
// was already initialised), nothing changes and the mutexes stay real.
//
// The race detector sees the driver's Go code: a connection used by two
// goroutines at once would be reported by the -race tests, as before.

var (
	mutexOnce    sync.Once
	mutexErr     error
	origMutex    sqlite3.Sqlite3_mutex_methods
	ourMutex     sqlite3.Sqlite3_mutex_methods
	noopMutex    [16]byte // its address is the no-op mutex's handle
	noopMutexPtr = uintptr(unsafe.Pointer(&noopMutex))
)

// The package's init installs them, before any goroutine can have opened
// a connection; Open calls installMutexes again, which is then a no-op.
func init() { installMutexes() }

// installMutexes sets up the no-op connection mutexes once, before the
// first connection is opened; it returns why it could not.
func installMutexes() error {
	mutexOnce.Do(func() { mutexErr = doInstallMutexes() })
	return mutexErr
}

func doInstallMutexes() error {
	tls := libc.NewTLS()
	defer tls.Close()
	// sqlite3_config works only while SQLite is not initialised, and
	// opening a connection initialises it: if this read is refused,
	// something opened a connection already, and shutting SQLite down
	// under it would be undefined behaviour, so leave the mutexes be.
	var probe sqlite3.Sqlite3_mutex_methods
	if rc := config(tls, sqlite3.SQLITE_CONFIG_GETMUTEX, uintptr(unsafe.Pointer(&probe))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("SQLite was initialised before paylinks could configure it (sqlite3_config: %d)", rc)
	}
	// sqlite3_initialize fills in the default methods; shut it down again
	// (no connection is open) to read them and set ours.
	if rc := sqlite3.Xsqlite3_initialize(tls); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite3_initialize: %d", rc)
	}
	if rc := sqlite3.Xsqlite3_shutdown(tls); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite3_shutdown: %d", rc)
	}
	if rc := config(tls, sqlite3.SQLITE_CONFIG_GETMUTEX, uintptr(unsafe.Pointer(&origMutex))); rc != sqlite3.SQLITE_OK {
		sqlite3.Xsqlite3_initialize(tls)
		return fmt.Errorf("sqlite3_config(GETMUTEX): %d", rc)
	}
	if origMutex.FxMutexAlloc == 0 || origMutex.FxMutexEnter == 0 || origMutex.FxMutexLeave == 0 {
		sqlite3.Xsqlite3_initialize(tls)
		return fmt.Errorf("no default mutex methods")
	}
	ourMutex = origMutex
	ourMutex.FxMutexAlloc = *(*uintptr)(unsafe.Pointer(&struct {
		f func(*libc.TLS, int32) uintptr
	}{mutexAlloc}))
	ourMutex.FxMutexFree = *(*uintptr)(unsafe.Pointer(&struct{ f func(*libc.TLS, uintptr) }{mutexFree}))
	ourMutex.FxMutexEnter = *(*uintptr)(unsafe.Pointer(&struct{ f func(*libc.TLS, uintptr) }{mutexEnter}))
	ourMutex.FxMutexTry = *(*uintptr)(unsafe.Pointer(&struct {
		f func(*libc.TLS, uintptr) int32
	}{mutexTry}))
	ourMutex.FxMutexLeave = *(*uintptr)(unsafe.Pointer(&struct{ f func(*libc.TLS, uintptr) }{mutexLeave}))
	ourMutex.FxMutexHeld = *(*uintptr)(unsafe.Pointer(&struct {
		f func(*libc.TLS, uintptr) int32
	}{mutexHeld}))
	ourMutex.FxMutexNotheld = *(*uintptr)(unsafe.Pointer(&struct {
		f func(*libc.TLS, uintptr) int32
	}{mutexNotheld}))
	rc := config(tls, sqlite3.SQLITE_CONFIG_MUTEX, uintptr(unsafe.Pointer(&ourMutex)))
	if rc2 := sqlite3.Xsqlite3_initialize(tls); rc2 != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite3_initialize: %d", rc2)
	}
	if rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite3_config(MUTEX): %d", rc)
	}
	return nil
}

// config calls sqlite3_config(op, p).
func config(tls *libc.TLS, op int32, p uintptr) int32 {
	va := libc.Xmalloc(tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
	if va == 0 {
		return sqlite3.SQLITE_NOMEM
	}
	defer libc.Xfree(tls, va)
	return sqlite3.Xsqlite3_config(tls, op, libc.VaList(va, p))
}

func mutexAlloc(tls *libc.TLS, typ int32) uintptr {
	if typ == sqlite3.SQLITE_MUTEX_RECURSIVE {
		return noopMutexPtr
	}
	return (*(*func(*libc.TLS, int32) uintptr)(unsafe.Pointer(&struct{ uintptr }{origMutex.FxMutexAlloc})))(tls, typ)
}

func mutexFree(tls *libc.TLS, m uintptr) {
	if m != noopMutexPtr {
		(*(*func(*libc.TLS, uintptr))(unsafe.Pointer(&struct{ uintptr }{origMutex.FxMutexFree})))(tls, m)
	}
}

func mutexEnter(tls *libc.TLS, m uintptr) {
	if m != noopMutexPtr {
		(*(*func(*libc.TLS, uintptr))(unsafe.Pointer(&struct{ uintptr }{origMutex.FxMutexEnter})))(tls, m)
	}
}

func mutexTry(tls *libc.TLS, m uintptr) int32 {
	if m == noopMutexPtr {
		return sqlite3.SQLITE_OK
	}
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{origMutex.FxMutexTry})))(tls, m)
}

func mutexLeave(tls *libc.TLS, m uintptr) {
	if m != noopMutexPtr {
		(*(*func(*libc.TLS, uintptr))(unsafe.Pointer(&struct{ uintptr }{origMutex.FxMutexLeave})))(tls, m)
	}
}

// mutexHeld and mutexNotheld serve SQLite's assert()s, compiled out of
// this build; both are 1 for the no-op mutex, as SQLite's own no-op
// mutexes answer.
func mutexHeld(tls *libc.TLS, m uintptr) int32 {
	if m == noopMutexPtr || origMutex.FxMutexHeld == 0 {
		return 1
	}
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{origMutex.FxMutexHeld})))(tls, m)
}

func mutexNotheld(tls *libc.TLS, m uintptr) int32 {
	if m == noopMutexPtr || origMutex.FxMutexNotheld == 0 {
		return 1
	}
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{origMutex.FxMutexNotheld})))(tls, m)
}
