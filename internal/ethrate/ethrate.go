// Package ethrate prices ether in fiat currencies for crypto checkout
// sessions: the median of several exchanges' tickers, fresh or not at all.
//
// A session's quote is computed once, when the session is created, from
// Feed.Rate; the service locks it into the session row. No fresh rate means
// ErrNoRate and a refused session, never a stale or invented price.
package ethrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/paylinks/paylinks"
)

// ErrNoRate means no source gave a fresh, valid price: a session that
// needs one must be refused (a 503-class error), never priced. Errors from
// Rate that mean it are *NoRateError, which carries each source's reason;
// test with errors.Is(err, ErrNoRate).
var ErrNoRate = errors.New("no fresh ETH rate")

// NoRateError is the ErrNoRate of one Rate call, with why each source
// failed.
type NoRateError struct {
	Currency string
	// Reasons has one line per source, "name: why", such as
	// "kraken: kraken error: EQuery:Unknown asset pair" or
	// "coingecko: stale: observed 5m0s ago, max age 2m0s".
	Reasons []string
}

func (e *NoRateError) Error() string {
	return fmt.Sprintf("%s in %s: %s", ErrNoRate, e.Currency, strings.Join(e.Reasons, "; "))
}

// Unwrap makes errors.Is(err, ErrNoRate) true.
func (e *NoRateError) Unwrap() error { return ErrNoRate }

// Defaults of Config's durations.
const (
	DefaultTTL     = 30 * time.Second
	DefaultMaxAge  = 2 * time.Minute
	DefaultTimeout = 3 * time.Second
)

// SourceNames are the market sources New knows, by Config.Sources name.
// "chainlink" is Chainlink's on-chain ETH/USD feed read through a node
// (Config.URLs["chainlink"] is the node's JSON-RPC URL, required).
var SourceNames = []string{"coinbase", "kraken", "coingecko", "chainlink"}

// Config configures a Feed (serve's --eth-rate-* and --eth-test-rate flags).
type Config struct {
	// Sources names the market sources to ask, from SourceNames. None:
	// live mode has no rate (ErrNoRate), and test mode uses TestRate.
	Sources []string
	// URLs overrides a source's base URL by name, e.g.
	// {"kraken": "http://127.0.0.1:9000"}; for "chainlink" it is the
	// Ethereum node's JSON-RPC URL, which it needs.
	URLs map[string]string
	// ChainlinkFeed is the address of the Chainlink ETH/USD aggregator
	// (proxy) the "chainlink" source reads; empty: DefaultChainlinkFeed.
	ChainlinkFeed string
	// TTL is how long a computed rate is reused (per process); default
	// DefaultTTL. It must be shorter than MaxAge.
	TTL time.Duration
	// MaxAge is the staleness bound: a price observed longer ago (by the
	// source's own timestamp where it gives one, else when it was fetched)
	// is not used; default DefaultMaxAge.
	MaxAge time.Duration
	// Timeout bounds each source's answer; a source slower than it is
	// left out of the median; default DefaultTimeout.
	Timeout time.Duration
	// TestRate is test mode's fixed price (a decimal, fiat units per ETH,
	// for every currency) when Sources is empty; empty: none.
	TestRate string
	// Client makes the sources' requests; nil: http.DefaultClient.
	Client *http.Client
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Logger is told when a source fails while others answer; nil: silent.
	Logger *slog.Logger
}

// Feed is the ETH rate of one process: the median of its sources' fresh
// prices, cached for TTL, fetched once for all concurrent callers.
//
// The cache is per process, not in the database, on purpose: a rate is
// not a shared mutable fact that replicas must agree on, because each
// session locks the quote it was given into its own row. Per process, N
// replicas ask each source at most N times per TTL, which the providers'
// public limits allow, and a session creation never waits on a database
// round trip or lock for its price. Concurrent session creations in one
// process share one fetch (singleflight).
type Feed struct {
	sources []Source
	ttl     time.Duration
	maxAge  time.Duration
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	test    *Feed

	group singleflight.Group
	mu    sync.Mutex
	cache map[string]cachedRate
}

type cachedRate struct {
	rate paylinks.EthRate
	// expires is the end of the TTL, or earlier when a price used would
	// pass its max age before then.
	expires time.Time
}

// New returns the feed over cfg's market sources (live mode's), whose
// Test method gives test mode's. It checks cfg and does no I/O.
func New(cfg Config) (*Feed, error) {
	var sources []Source
	for name, raw := range cfg.URLs {
		if !slices.Contains(SourceNames, name) {
			return nil, fmt.Errorf("ethrate: URL of unknown source %q (want one of %s)", name, strings.Join(SourceNames, ", "))
		}
		if err := checkBaseURL(raw, name == "chainlink"); err != nil {
			return nil, fmt.Errorf("ethrate: URL of %s: %w", name, err)
		}
	}
	for _, name := range cfg.Sources {
		var s Source
		switch name {
		case "coinbase":
			s = &Coinbase{BaseURL: cfg.URLs[name], Client: cfg.Client}
		case "kraken":
			s = &Kraken{BaseURL: cfg.URLs[name], Client: cfg.Client}
		case "coingecko":
			s = &CoinGecko{BaseURL: cfg.URLs[name], Client: cfg.Client}
		case "chainlink":
			if cfg.URLs[name] == "" {
				return nil, errors.New("ethrate: source chainlink needs the Ethereum node's JSON-RPC URL")
			}
			s = &Chainlink{RPCURL: cfg.URLs[name], Feed: cfg.ChainlinkFeed, Client: cfg.Client}
		default:
			return nil, fmt.Errorf("ethrate: unknown source %q (want one of %s)", name, strings.Join(SourceNames, ", "))
		}
		if slices.ContainsFunc(sources, func(o Source) bool { return o.Name() == name }) {
			return nil, fmt.Errorf("ethrate: source %q named twice", name)
		}
		sources = append(sources, s)
	}
	if cfg.ChainlinkFeed != "" && !ethAddress.MatchString(cfg.ChainlinkFeed) {
		return nil, fmt.Errorf("ethrate: Chainlink feed %q is not a 0x-prefixed 20-byte address", truncate(cfg.ChainlinkFeed))
	}
	f, err := NewFeed(sources, cfg)
	if err != nil {
		return nil, err
	}
	f.test = f
	if cfg.TestRate != "" {
		fixed, err := Fixed(cfg.TestRate)
		if err != nil {
			return nil, fmt.Errorf("ethrate: test rate: %w", err)
		}
		if len(sources) == 0 {
			if f.test, err = NewFeed([]Source{fixed}, cfg); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// NewFeed returns a feed over the given sources with cfg's durations,
// clock and logger (cfg's Sources, URLs and TestRate are not used; Test
// returns the feed itself). It is for sources New does not build.
func NewFeed(sources []Source, cfg Config) (*Feed, error) {
	f := &Feed{sources: slices.Clone(sources), ttl: cfg.TTL, maxAge: cfg.MaxAge, timeout: cfg.Timeout,
		now: cfg.Now, log: cfg.Logger, cache: map[string]cachedRate{}}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{{"TTL", &f.ttl, DefaultTTL}, {"max age", &f.maxAge, DefaultMaxAge}, {"timeout", &f.timeout, DefaultTimeout}} {
		if *d.v < 0 {
			return nil, fmt.Errorf("ethrate: %s %s is negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if f.ttl >= f.maxAge {
		return nil, fmt.Errorf("ethrate: TTL %s must be shorter than max age %s", f.ttl, f.maxAge)
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f.test = f
	return f, nil
}

// Test returns the feed for test-mode sessions: this feed when market
// sources are configured (test mode then quotes market prices too), else
// the feed over the fixed TestRate (its rates have Fixed set), else this
// feed, which has no rate.
func (f *Feed) Test() *Feed { return f.test }

// Configured reports whether the feed has any source, that is whether
// Rate can ever succeed.
func (f *Feed) Configured() bool { return len(f.sources) > 0 }

// currencyCode reports whether s is three ASCII letters, the shape of an
// ISO 4217 code (by hand: a regexp costs more than the cached Rate).
func currencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Rate returns the price of one ether in currency (an ISO 4217 code): the
// median of the sources that answered within the timeout with a valid price
// observed within the max age, rounded as PriceDecimals says. Sources lists
// those sources, At is the oldest of their observations, Fixed is set when
// they are all fixed test sources. The rate is computed at most once per
// TTL per currency; callers arriving while it is being fetched share that
// fetch, and a caller whose ctx ends stops waiting without cancelling it
// for the others. No fresh price: a *NoRateError (ErrNoRate).
func (f *Feed) Rate(ctx context.Context, currency string) (paylinks.EthRate, error) {
	if !currencyCode(currency) {
		return paylinks.EthRate{}, fmt.Errorf("ethrate: currency %q is not an ISO 4217 code", truncate(currency))
	}
	cur := strings.ToUpper(currency)
	if len(f.sources) == 0 {
		return paylinks.EthRate{}, &NoRateError{Currency: cur, Reasons: []string{"no rate source is configured"}}
	}
	if r, ok := f.cached(cur); ok {
		return r, nil
	}
	// The fetch outlives a caller that gives up: the others share it, and
	// the per-source timeout bounds it.
	fetchCtx := context.WithoutCancel(ctx)
	ch := f.group.DoChan(cur, func() (any, error) {
		if r, ok := f.cached(cur); ok {
			return r, nil
		}
		return f.fetch(fetchCtx, cur)
	})
	select {
	case <-ctx.Done():
		return paylinks.EthRate{}, fmt.Errorf("ethrate: waiting for the %s rate: %w", cur, context.Cause(ctx))
	case res := <-ch:
		if res.Err != nil {
			return paylinks.EthRate{}, res.Err
		}
		return cloneRate(res.Val.(paylinks.EthRate)), nil
	}
}

// cached returns the cached rate of cur while it is within the TTL and
// every price it was made of within its max age.
func (f *Feed) cached(cur string) (paylinks.EthRate, bool) {
	f.mu.Lock()
	c, ok := f.cache[cur]
	f.mu.Unlock()
	if !ok || !f.now().Before(c.expires) {
		return paylinks.EthRate{}, false
	}
	return cloneRate(c.rate), true
}

// fetch asks every source at once, each within the timeout, and returns
// the median of the fresh answers, which it caches.
func (f *Feed) fetch(ctx context.Context, cur string) (paylinks.EthRate, error) {
	type answer struct {
		quote   Quote
		fetched time.Time
		err     error
	}
	answers := make([]answer, len(f.sources))
	var wg sync.WaitGroup
	for i, s := range f.sources {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, f.timeout)
			defer cancel()
			q, err := s.Quote(sctx, cur)
			if err != nil && sctx.Err() != nil && ctx.Err() == nil {
				err = fmt.Errorf("no answer within %s", f.timeout)
			}
			answers[i] = answer{quote: q, fetched: f.now(), err: err}
		})
	}
	wg.Wait()

	now := f.now()
	var (
		prices  []*big.Rat
		used    []string
		reasons []string
		oldest  time.Time
		expires = now.Add(f.ttl)
		fixed   = true
	)
	for i, a := range answers {
		name := f.sources[i].Name()
		at, maxAge, p, err := f.check(a.quote, a.fetched, now, a.err)
		if err != nil {
			reasons = append(reasons, name+": "+err.Error())
			continue
		}
		prices = append(prices, p)
		used = append(used, name)
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
		if end := at.Add(maxAge); end.Before(expires) {
			expires = end
		}
		if _, ok := f.sources[i].(*FixedSource); !ok {
			fixed = false
		}
	}
	if len(prices) == 0 {
		return paylinks.EthRate{}, &NoRateError{Currency: cur, Reasons: reasons}
	}
	if len(reasons) > 0 {
		f.log.Warn("ethrate: sources left out of the rate", "currency", cur, "used", used, "reasons", reasons)
	}
	m, err := median(prices)
	if err != nil {
		return paylinks.EthRate{}, err
	}
	rate := paylinks.EthRate{Currency: cur, Price: formatPrice(m), Sources: used, At: oldest.UTC(), Fixed: fixed}
	f.mu.Lock()
	f.cache[cur] = cachedRate{rate: rate, expires: expires}
	f.mu.Unlock()
	return cloneRate(rate), nil
}

// check validates one source's answer and returns when its price was
// observed (the source's own time, else when it was fetched) and the max
// age that applies to it (the source's own, else the feed's). A time
// ahead of the clock (a source's clock skew) counts as now.
func (f *Feed) check(q Quote, fetched, now time.Time, err error) (time.Time, time.Duration, *big.Rat, error) {
	if err != nil {
		return time.Time{}, 0, nil, err
	}
	p, err := parsePrice(q.Price)
	if err != nil {
		return time.Time{}, 0, nil, err
	}
	maxAge := f.maxAge
	if q.MaxAge > 0 {
		maxAge = q.MaxAge
	}
	at := q.At
	if at.IsZero() {
		at = fetched
	}
	if age := now.Sub(at); age > maxAge {
		return time.Time{}, 0, nil, fmt.Errorf("stale: observed %s ago, max age %s", age.Round(time.Second), maxAge)
	}
	if ahead := at.Sub(now); ahead > maxAge {
		return time.Time{}, 0, nil, fmt.Errorf("observed %s in the future", ahead.Round(time.Second))
	} else if ahead > 0 {
		at = now
	}
	return at, maxAge, p, nil
}

func cloneRate(r paylinks.EthRate) paylinks.EthRate {
	r.Sources = slices.Clone(r.Sources)
	return r
}

// checkBaseURL checks a source's base URL override; a node's JSON-RPC URL
// (withQuery) may carry a query, as some providers put their key there.
func checkBaseURL(raw string, withQuery bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want http(s)://host[:port][/path]", raw)
	}
	if (u.RawQuery != "" && !withQuery) || u.Fragment != "" {
		return fmt.Errorf("%q: want a base URL without query or fragment", raw)
	}
	return nil
}
