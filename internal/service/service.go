// Package service holds the business rules of paylinks: creating, changing
// and deleting links, paying them, keys and events. Every dialect calls it;
// none of them repeats its rules. One store write (one transaction) per
// operation.
package service

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/store"
)

// Service is the core of paylinks. Build it with New; its fields are read
// only after that.
type Service struct {
	store  store.Store
	now    func() time.Time
	rand   io.Reader
	log    *slog.Logger
	keys   *keyCache
	names  *accountNames // merchant names of the hosted pages
	brands *brandCache   // merchant branding of the hosted pages
	carts  cartCache     // carts of the links of the hosted pages
	secret []byte        // server secret for card fingerprints
	test   payments.Processor
	live   payments.Processor
	// idemPurge is when expired idempotency records were last deleted
	// (unix nanoseconds of the service clock).
	idemPurge atomic.Int64
	// reconcileAfter and reconcileEvery time the reconciler.
	reconcileAfter, reconcileEvery time.Duration
	// rates prices ETH quotes; testRate is test mode's fixed rate when
	// there is no market feed; liveChain is whether a chain watcher runs
	// for live mode (without one, live sessions offer no ETH).
	rates     RateFeed
	testRate  RateFeed
	liveChain bool
}

// Options configure a Service. Zero values pick the real clock, crypto/rand
// and slog.Default().
type Options struct {
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
	// KeyCacheTTL is how long an authenticated key is trusted without asking
	// the store again; a revocation takes effect within it. Default 1s.
	KeyCacheTTL time.Duration
	// FingerprintSecret keys the HMAC of card numbers. Default: random per
	// process (fingerprints then differ across restarts).
	FingerprintSecret []byte
	// TestProcessor charges test-mode payments (default: the test-card
	// simulator); LiveProcessor charges live ones (default: none, every
	// live payment is refused as unavailable).
	TestProcessor, LiveProcessor payments.Processor
	// ReconcileAfter is how old a pending payment attempt must be for the
	// reconciler to settle it (default DefaultReconcileAfter; it must stay
	// well past the processor call's timeout); ReconcileEvery is how often
	// RunReconciler runs (default DefaultReconcileEvery).
	ReconcileAfter, ReconcileEvery time.Duration
	// Rates is the ETH price feed of live crypto quotes (nil: none), and
	// of test ones when TestRates is nil.
	Rates RateFeed
	// TestRates is the ETH price feed of test-mode quotes (nil: Rates,
	// or the fixed EthTestRate).
	TestRates RateFeed
	// EthTestRate is a fixed ETH price (decimal, any currency) for test
	// mode when Rates is nil; "" for none.
	EthTestRate string
	// LiveChain tells that a chain watcher follows a node for live mode;
	// without it live sessions do not offer ETH.
	LiveChain bool
}

// New returns a Service over st.
func New(st store.Store, opt Options) *Service {
	s := &Service{store: st, now: opt.Now, rand: opt.Rand, log: opt.Logger, secret: opt.FingerprintSecret,
		test: opt.TestProcessor, live: opt.LiveProcessor, reconcileAfter: opt.ReconcileAfter, reconcileEvery: opt.ReconcileEvery}
	s.rates, s.liveChain = opt.Rates, opt.LiveChain
	if s.reconcileAfter <= 0 {
		s.reconcileAfter = DefaultReconcileAfter
	}
	if s.reconcileEvery <= 0 {
		s.reconcileEvery = DefaultReconcileEvery
	}
	if s.test == nil {
		// The simulator keeps its ledger in the store when it can, so
		// that the reconciler can ask it after a crash.
		sim := &payments.Simulator{}
		if l, ok := st.(payments.Ledger); ok {
			sim.Ledger = l
		}
		s.test = sim
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, s.secret); err != nil {
			panic(err)
		}
	}
	s.testRate = opt.TestRates
	if s.testRate == nil && opt.EthTestRate != "" {
		s.testRate = &FixedRate{Price: opt.EthTestRate, Now: s.now}
	}
	ttl := opt.KeyCacheTTL
	if ttl <= 0 {
		ttl = time.Second
	}
	s.keys = newKeyCache(ttl)
	s.names = newAccountNames()
	s.brands = newBrandCache()
	return s
}

// Store returns the store the service writes to.
func (s *Service) Store() store.Store { return s.store }

// Now returns the service clock's time, in UTC, truncated to microseconds
// (the precision every store keeps).
func (s *Service) Now() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

func (s *Service) newID(t time.Time) (paylinks.ID, error) {
	id, err := paylinks.NewID(t, s.rand)
	if err != nil {
		return paylinks.ID{}, fmt.Errorf("new id: %w", err)
	}
	return id, nil
}

// newEvent builds the outbox event for a change to obj.
func (s *Service) newEvent(p paylinks.Principal, key, objType string, objID paylinks.ID, obj any, at time.Time) (*paylinks.Event, error) {
	id, err := s.newID(at)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", key, err)
	}
	return &paylinks.Event{ID: id, AccountID: p.AccountID, Livemode: p.Livemode, Key: key,
		ObjectType: objType, ObjectID: objID, Data: data, CreatedAt: at}, nil
}

func require(p paylinks.Principal, sc paylinks.Scope) error {
	if !p.Can(sc) {
		return &paylinks.Error{Kind: paylinks.KindForbidden, Code: "missing_scope",
			Message: fmt.Sprintf("this key does not have the %s scope", sc)}
	}
	return nil
}
