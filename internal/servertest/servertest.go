// Package servertest starts a real paylinks HTTP server for tests, on a real
// database: a SQLite file in the test's temp dir, or a fresh PostgreSQL
// schema when PAYLINKS_TEST_POSTGRES holds a DSN (as CI sets it).
package servertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// Env is a running server with two accounts and their keys.
type Env struct {
	URL     string
	Server  *httptest.Server
	Service *service.Service
	Store   store.Store
	Backend string // "sqlite" or "postgres"

	Account    *paylinks.Account
	SecretTest string // skey_test_… of Account
	PublicTest string // pkey_test_… of Account
	SecretLive string // skey_live_… of Account
	PublicLive string // pkey_live_… of Account

	Other           *paylinks.Account
	OtherSecretTest string // skey_test_… of Other
}

// Backends returns the store backends tests should run against: sqlite
// always, postgres when PAYLINKS_TEST_POSTGRES is set or CI is (where a
// missing PostgreSQL then fails the test instead of skipping it).
func Backends() []string {
	if os.Getenv("PAYLINKS_TEST_POSTGRES") != "" || os.Getenv("CI") != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// OpenStore opens a fresh, empty store of the backend for tb; it is closed
// when the test ends.
func OpenStore(tb testing.TB, backend string) store.Store {
	tb.Helper()
	switch backend {
	case "postgres":
		return postgres.OpenTest(tb)
	case "sqlite":
		st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "paylinks.db"))
		if err != nil {
			tb.Fatalf("open sqlite: %v", err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	}
	tb.Fatalf("unknown backend %q", backend)
	return nil
}

// Options adjust New.
type Options struct {
	Now     func() time.Time
	Logger  *slog.Logger
	Handler func(http.Handler) http.Handler // wraps the server's handler
	// Store, when set, is used instead of a fresh store of the backend
	// (several servers on one database, or a store wrapped by a test).
	Store store.Store
	// EthTestRate is test mode's fixed ETH price (service.Options).
	EthTestRate string
	// Rates is the ETH rate feed (service.Options).
	Rates service.RateFeed
}

// New starts a server on the backend with two accounts and their keys.
func New(tb testing.TB, backend string, opts ...Options) *Env {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st := o.Store
	if st == nil {
		st = OpenStore(tb, backend)
	}
	svc := service.New(st, service.Options{Now: o.Now, Logger: o.Logger, EthTestRate: o.EthTestRate, Rates: o.Rates})
	ctx := context.Background()
	env := &Env{Service: svc, Store: st, Backend: backend}
	var err error
	if env.Account, err = svc.EnsureAccount(ctx, "acme"); err != nil {
		tb.Fatal(err)
	}
	if env.Other, err = svc.EnsureAccount(ctx, "other"); err != nil {
		tb.Fatal(err)
	}
	env.SecretTest = MustKey(tb, svc, env.Account.ID, false, paylinks.KeySecret)
	env.PublicTest = MustKey(tb, svc, env.Account.ID, false, paylinks.KeyPublic)
	env.SecretLive = MustKey(tb, svc, env.Account.ID, true, paylinks.KeySecret)
	env.PublicLive = MustKey(tb, svc, env.Account.ID, true, paylinks.KeyPublic)
	env.OtherSecretTest = MustKey(tb, svc, env.Other.ID, false, paylinks.KeySecret)

	var h http.Handler
	env.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	env.Server.Start()
	env.URL = env.Server.URL
	h = server.New(server.Config{Service: svc, PublicURL: env.URL, Logger: o.Logger})
	if o.Handler != nil {
		h = o.Handler(h)
	}
	tb.Cleanup(env.Server.Close)
	return env
}

// MustKey creates a key and returns it whole.
func MustKey(tb testing.TB, svc *service.Service, account paylinks.ID, live bool, kind paylinks.KeyKind, scopes ...paylinks.Scope) string {
	tb.Helper()
	_, raw, err := svc.CreateKey(context.Background(), service.KeyParams{AccountID: account, Livemode: live, Kind: kind, Scopes: scopes})
	if err != nil {
		tb.Fatalf("create key: %v", err)
	}
	return raw
}

// DyingStore is a store whose FinishIdempotency fails while Dying is set:
// the process dies after a request's write committed and before its
// response was stored.
type DyingStore struct {
	store.Store
	Dying atomic.Bool
}

func (s *DyingStore) FinishIdempotency(ctx context.Context, rec *paylinks.IdempotencyRecord) error {
	if s.Dying.Load() {
		return errors.New("the process died here")
	}
	return s.Store.FinishIdempotency(ctx, rec)
}

// Clock is a clock for Options.Now that moves only when told to.
type Clock struct{ us atomic.Int64 }

// NewClock returns a clock at t, to the microsecond.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.us.Store(t.UnixMicro())
	return c
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { return time.UnixMicro(c.us.Load()).UTC() }

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) { c.us.Add(d.Microseconds()) }
