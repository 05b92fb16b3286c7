package ethrate

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// market is a local server speaking the three providers' documented
// shapes, with a price (empty: HTTP 503) and a request count per provider.
type market struct {
	mu       sync.Mutex
	prices   map[string]string // by source name
	geckoAt  func() time.Time  // CoinGecko's last_updated_at
	block    map[string]chan struct{}
	requests map[string]*atomic.Int64
	url      string
}

func newMarket(t *testing.T, clk *clock) *market {
	t.Helper()
	m := &market{prices: map[string]string{}, geckoAt: clk.Now, block: map[string]chan struct{}{}, requests: map[string]*atomic.Int64{}}
	for _, n := range SourceNames {
		m.requests[n] = new(atomic.Int64)
	}
	mux := http.NewServeMux()
	serve := func(name string, body func(w http.ResponseWriter, r *http.Request, price string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			m.requests[name].Add(1)
			m.mu.Lock()
			price, block := m.prices[name], m.block[name]
			m.mu.Unlock()
			if block != nil {
				select {
				case <-block:
				case <-r.Context().Done():
					return
				}
			}
			if price == "" {
				http.Error(w, `{}`, http.StatusServiceUnavailable)
				return
			}
			body(w, r, price)
		}
	}
	mux.HandleFunc("GET /v2/prices/{pair}/spot", serve("coinbase", func(w http.ResponseWriter, r *http.Request, price string) {
		cur := strings.TrimPrefix(r.PathValue("pair"), "ETH-")
		fmt.Fprintf(w, `{"data":{"amount":%q,"base":"ETH","currency":%q}}`, price, cur)
	}))
	mux.HandleFunc("GET /0/public/Ticker", serve("kraken", func(w http.ResponseWriter, r *http.Request, price string) {
		cur := strings.TrimPrefix(r.URL.Query().Get("pair"), "ETH")
		fmt.Fprintf(w, `{"error":[],"result":{"XETHZ%s":{"a":[%[2]q,"1","1.000"],"b":[%[2]q,"1","1.000"],"c":[%[2]q,"0.1"]}}}`, cur, price)
	}))
	mux.HandleFunc("GET /api/v3/simple/price", serve("coingecko", func(w http.ResponseWriter, r *http.Request, price string) {
		cur := r.URL.Query().Get("vs_currencies")
		m.mu.Lock()
		at := m.geckoAt()
		m.mu.Unlock()
		fmt.Fprintf(w, `{"ethereum":{%q:%s,"last_updated_at":%d}}`, cur, price, at.Unix())
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	m.url = srv.URL
	return m
}

func (m *market) set(name, price string) {
	m.mu.Lock()
	m.prices[name] = price
	m.mu.Unlock()
}

// blockUntil makes the provider answer only once release is closed.
func (m *market) blockUntil(name string, release chan struct{}) {
	m.mu.Lock()
	m.block[name] = release
	m.mu.Unlock()
}

func (m *market) count(name string) int64 { return m.requests[name].Load() }

// config is a Config whose sources are names, all at the market.
func (m *market) config(clk *clock, names ...string) Config {
	urls := map[string]string{}
	for _, n := range names {
		urls[n] = m.url
	}
	return Config{Sources: names, URLs: urls, Now: clk.Now, Timeout: 2 * time.Second}
}

func mustNew(t *testing.T, cfg Config) *Feed {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustRate(t *testing.T, f *Feed, cur string) paylinks.EthRate {
	t.Helper()
	r, err := f.Rate(context.Background(), cur)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFeedMedianOfThree(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("coinbase", "3020.00")
	m.set("kraken", "2999.5")
	m.set("coingecko", "3010.123")
	r := mustRate(t, mustNew(t, m.config(clk, "coinbase", "kraken", "coingecko")), "usd")
	want := paylinks.EthRate{Currency: "USD", Price: "3010.123", Sources: []string{"coinbase", "kraken", "coingecko"}, At: clk.Now()}
	if r.Currency != want.Currency || r.Price != want.Price || !slices.Equal(r.Sources, want.Sources) || !r.At.Equal(want.At) || r.Fixed {
		t.Errorf("rate %+v, want %+v", r, want)
	}
}

func TestFeedMedianOfTwo(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("coinbase", "3000.10")
	m.set("kraken", "3000.15")
	// coingecko answers 503: the median is of the two that answered.
	r := mustRate(t, mustNew(t, m.config(clk, "coinbase", "kraken", "coingecko")), "EUR")
	if r.Price != "3000.125" || !slices.Equal(r.Sources, []string{"coinbase", "kraken"}) {
		t.Errorf("rate %+v, want 3000.125 from coinbase and kraken", r)
	}
}

func TestMedianAndRounding(t *testing.T) {
	for _, tc := range []struct {
		prices []string
		want   string
	}{
		{[]string{"3000"}, "3000"},
		{[]string{"3", "1", "2"}, "2"},
		{[]string{"4", "1", "3", "2"}, "2.5"},
		{[]string{"0.00000001", "0.00000002"}, "0.00000002"},            // 0.000000015 rounds half up
		{[]string{"1.000000004", "1.000000005"}, "1"},                   // 1.0000000045 rounds down
		{[]string{"1.000000014999999999", "1.000000015"}, "1.00000001"}, // just below half
		{[]string{"2999.999999995"}, "3000"},                            // carries into the integer
		{[]string{"3012.123456789012345678"}, "3012.12345679"},
	} {
		var rs []*big.Rat
		for _, p := range tc.prices {
			r, err := parsePrice(p)
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r)
		}
		m, err := median(rs)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatPrice(m); got != tc.want {
			t.Errorf("median of %v = %s, want %s", tc.prices, got, tc.want)
		}
	}
}

func TestFeedSlowSourceIsLeftOut(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("coinbase", "3000")
	m.set("kraken", "3100")
	m.set("coingecko", "1")
	m.blockUntil("coingecko", make(chan struct{})) // never answers
	cfg := m.config(clk, "coinbase", "kraken", "coingecko")
	cfg.Timeout = 200 * time.Millisecond
	start := time.Now()
	r := mustRate(t, mustNew(t, cfg), "USD")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Rate took %s with a 200ms timeout", took)
	}
	if r.Price != "3050" || !slices.Equal(r.Sources, []string{"coinbase", "kraken"}) {
		t.Errorf("rate %+v, want 3050 from coinbase and kraken", r)
	}
	if m.count("coingecko") != 1 {
		t.Errorf("coingecko asked %d times, want 1", m.count("coingecko"))
	}
}

func TestFeedAllStaleIsErrNoRate(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("coingecko", "3000")
	m.mu.Lock()
	m.geckoAt = func() time.Time { return clk.Now().Add(-10 * time.Minute) }
	m.mu.Unlock()
	f := mustNew(t, m.config(clk, "coinbase", "kraken", "coingecko")) // coinbase and kraken: 503
	r, err := f.Rate(context.Background(), "USD")
	if !errors.Is(err, ErrNoRate) {
		t.Fatalf("Rate = %+v, %v; want ErrNoRate", r, err)
	}
	var nr *NoRateError
	if !errors.As(err, &nr) || len(nr.Reasons) != 3 {
		t.Fatalf("error %v, want a NoRateError with 3 reasons", err)
	}
	for i, want := range []string{"coinbase: HTTP 503", "kraken: HTTP 503", "coingecko: stale: observed 10m0s ago, max age 2m0s"} {
		if nr.Reasons[i] != want {
			t.Errorf("reason %d: %q, want %q", i, nr.Reasons[i], want)
		}
	}
}

// staticSource answers a fixed quote, observed at a fixed time.
type staticSource struct {
	name  string
	quote Quote
}

func (s staticSource) Name() string { return s.name }
func (s staticSource) Quote(context.Context, string) (Quote, error) {
	return s.quote, nil
}

func TestFeedStaleSourcesAreLeftOut(t *testing.T) {
	clk := newClock()
	now := clk.Now()
	f, err := NewFeed([]Source{
		staticSource{"old", Quote{Price: "1000", At: now.Add(-3 * time.Minute)}},
		staticSource{"recent", Quote{Price: "3000", At: now.Add(-time.Minute)}},
		staticSource{"fresh", Quote{Price: "3001", At: now.Add(-time.Second)}},
		staticSource{"invalid", Quote{Price: "-5", At: now}},
		staticSource{"future", Quote{Price: "9000", At: now.Add(10 * time.Minute)}},
	}, Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := mustRate(t, f, "USD")
	if r.Price != "3000.5" || !slices.Equal(r.Sources, []string{"recent", "fresh"}) || !r.At.Equal(now.Add(-time.Minute)) {
		t.Errorf("rate %+v, want 3000.5 from recent and fresh, at the older one's time", r)
	}
}

func TestFeedCacheNeverOutlivesTheMaxAge(t *testing.T) {
	clk := newClock()
	observed := clk.Now().Add(-110 * time.Second) // 1m50s old; max age 2m
	f, err := NewFeed([]Source{staticSource{"s", Quote{Price: "3000", At: observed}}}, Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustRate(t, f, "USD")
	clk.Add(20 * time.Second) // within the TTL (30s), but the price is 2m10s old now
	if r, err := f.Rate(context.Background(), "USD"); !errors.Is(err, ErrNoRate) {
		t.Errorf("cached rate past the max age: %+v, %v; want ErrNoRate", r, err)
	}
}

func TestFeedCachesWithinTTL(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("coinbase", "3000")
	m.set("kraken", "3002")
	f := mustNew(t, m.config(clk, "coinbase", "kraken"))
	first := mustRate(t, f, "USD")
	clk.Add(29 * time.Second)
	m.set("coinbase", "3100")
	if r := mustRate(t, f, "USD"); r.Price != first.Price || !r.At.Equal(first.At) {
		t.Errorf("within the TTL: %+v, want the cached %+v", r, first)
	}
	if got := m.count("coinbase") + m.count("kraken"); got != 2 {
		t.Errorf("%d requests within the TTL, want 2 (one per source)", got)
	}
	// Another currency is another rate.
	mustRate(t, f, "EUR")
	if got := m.count("coinbase"); got != 2 {
		t.Errorf("coinbase asked %d times after EUR, want 2", got)
	}
	clk.Add(time.Second) // the TTL (30s) has passed
	if r := mustRate(t, f, "USD"); r.Price != "3051" || !r.At.Equal(clk.Now()) {
		t.Errorf("after the TTL: %+v, want 3051 fetched now", r)
	}
	if got := m.count("coinbase"); got != 3 {
		t.Errorf("coinbase asked %d times after the TTL, want 3", got)
	}
}

func TestFeedNeverServesAnOldRateWhenSourcesFail(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("kraken", "3000")
	f := mustNew(t, m.config(clk, "kraken"))
	mustRate(t, f, "USD")
	m.set("kraken", "") // down
	clk.Add(31 * time.Second)
	if r, err := f.Rate(context.Background(), "USD"); !errors.Is(err, ErrNoRate) {
		t.Errorf("sources down after the TTL: %+v, %v; want ErrNoRate", r, err)
	}
}

func TestFeedConcurrentCallersShareOneFetch(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("coinbase", "3000")
	release := make(chan struct{})
	m.blockUntil("coinbase", release)
	f := mustNew(t, m.config(clk, "coinbase"))

	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			r, err := f.Rate(context.Background(), "USD")
			if err == nil && r.Price != "3000" {
				err = fmt.Errorf("price %s, want 3000", r.Price)
			}
			errs <- err
		})
	}
	// Wait for the first request, give the others time to ask too (they
	// would, without singleflight, as nothing is cached yet), then answer.
	for deadline := time.Now().Add(5 * time.Second); m.count("coinbase") == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no request reached the source")
		}
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := m.count("coinbase"); got != 1 {
		t.Errorf("%d concurrent callers made %d requests, want 1", callers, got)
	}
}

func TestFeedCallerGivingUpDoesNotCancelTheFetch(t *testing.T) {
	clk := newClock()
	m := newMarket(t, clk)
	m.set("coinbase", "3000")
	release := make(chan struct{})
	m.blockUntil("coinbase", release)
	f := mustNew(t, m.config(clk, "coinbase"))

	ctx, cancel := context.WithCancel(context.Background())
	impatient := make(chan error, 1)
	go func() {
		_, err := f.Rate(ctx, "USD")
		impatient <- err
	}()
	for m.count("coinbase") == 0 {
		time.Sleep(time.Millisecond)
	}
	type result struct {
		rate paylinks.EthRate
		err  error
	}
	patient := make(chan result, 1)
	go func() {
		r, err := f.Rate(context.Background(), "USD")
		patient <- result{r, err}
	}()
	cancel()
	if err := <-impatient; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", err)
	}
	close(release)
	if res := <-patient; res.err != nil || res.rate.Price != "3000" {
		t.Errorf("patient caller: %+v, %v; want 3000", res.rate, res.err)
	}
	if got := m.count("coinbase"); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestFeedTestMode(t *testing.T) {
	// No market source: live has no rate, test has the fixed rate.
	f := mustNew(t, Config{TestRate: "2500.50"})
	if f.Configured() {
		t.Error("a feed without sources says it is configured")
	}
	if _, err := f.Rate(context.Background(), "USD"); !errors.Is(err, ErrNoRate) {
		t.Errorf("live without sources: %v, want ErrNoRate", err)
	}
	r := mustRate(t, f.Test(), "THB")
	if r.Price != "2500.5" || !r.Fixed || r.Currency != "THB" || !slices.Equal(r.Sources, []string{"fixed"}) {
		t.Errorf("test rate %+v, want the fixed 2500.5 marked Fixed", r)
	}

	// Market sources configured: test mode quotes the market too.
	clk := newClock()
	m := newMarket(t, clk)
	m.set("kraken", "3000")
	cfg := m.config(clk, "kraken")
	cfg.TestRate = "2500"
	f = mustNew(t, cfg)
	if r := mustRate(t, f.Test(), "USD"); r.Price != "3000" || r.Fixed {
		t.Errorf("test mode with sources: %+v, want the market's 3000", r)
	}

	// Neither: no rate in either mode.
	f = mustNew(t, Config{})
	if _, err := f.Test().Rate(context.Background(), "USD"); !errors.Is(err, ErrNoRate) {
		t.Errorf("test mode without sources or test rate: %v, want ErrNoRate", err)
	}
}

func TestFeedBadCurrency(t *testing.T) {
	f := mustNew(t, Config{TestRate: "3000"}).Test()
	for _, cur := range []string{"", "US", "USDT", "U$D", "usd\n"} {
		_, err := f.Rate(context.Background(), cur)
		if err == nil || errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), "ISO 4217") {
			t.Errorf("Rate(%q): %v, want an ISO 4217 error", cur, err)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown source", Config{Sources: []string{"binance"}}, `unknown source "binance"`},
		{"twice", Config{Sources: []string{"kraken", "kraken"}}, `"kraken" named twice`},
		{"URL of unknown source", Config{URLs: map[string]string{"bitstamp": "http://127.0.0.1:1"}}, `URL of unknown source "bitstamp"`},
		{"relative URL", Config{URLs: map[string]string{"kraken": "api.kraken.example"}}, "URL of kraken"},
		{"ftp URL", Config{URLs: map[string]string{"kraken": "ftp://127.0.0.1/"}}, "URL of kraken"},
		{"URL with query", Config{URLs: map[string]string{"kraken": "http://127.0.0.1/?x=1"}}, "without query"},
		{"TTL not below max age", Config{TTL: time.Minute, MaxAge: time.Minute}, "shorter than max age"},
		{"negative timeout", Config{Timeout: -time.Second}, "timeout -1s is negative"},
		{"bad test rate", Config{TestRate: "3,000"}, "test rate"},
		{"chainlink without a node", Config{Sources: []string{"chainlink"}}, "needs the Ethereum node's JSON-RPC URL"},
		{"bad chainlink feed", Config{ChainlinkFeed: "0x5f4e"}, "not a 0x-prefixed 20-byte address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// BenchmarkRateCached is Rate on a feed whose rate is cached: the cost a
// session creation pays for its quote most of the time.
func BenchmarkRateCached(b *testing.B) {
	f, err := NewFeed([]Source{staticSource{"s", Quote{Price: "3012.45"}}}, Config{TTL: time.Hour, MaxAge: 2 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.Rate(ctx, "USD"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Rate(ctx, "USD"); err != nil {
			b.Fatal(err)
		}
	}
}
