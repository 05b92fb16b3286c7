package checkout

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/paylinks/paylinks/internal/store"
)

// Limits bound payment attempts on the hosted pages. Card testing (trying
// stolen numbers against a public payment link) shows up as many declines,
// so declines are limited per client address and per link; every attempt is
// also limited per address, more loosely. Each limit is a token bucket: a
// burst, refilled one attempt per interval. Zero fields take the defaults.
//
// The buckets are kept where Options.RateLimiter says: in the database for
// PostgreSQL, so that replicas behind one load balancer share them (N
// replicas do not allow N times each limit); in this process's memory
// otherwise, as with SQLite, whose file one process owns in the normal case.
type Limits struct {
	// AttemptsPerIP: payment attempts (any outcome) per client address.
	AttemptsPerIP    int
	AttemptIPEvery   time.Duration
	DeclinesPerIP    int
	DeclineIPEvery   time.Duration
	DeclinesPerLink  int
	DeclineLinkEvery time.Duration
}

// DefaultLimits are the limits of a zero Limits.
var DefaultLimits = Limits{
	AttemptsPerIP: 30, AttemptIPEvery: 2 * time.Second,
	DeclinesPerIP: 5, DeclineIPEvery: time.Minute,
	DeclinesPerLink: 20, DeclineLinkEvery: 15 * time.Second,
}

// attemptLimits are the three limits of Limits: in this process's memory,
// and in the store's shared buckets when it has them.
type attemptLimits struct {
	// mu makes an admission (checking three buckets, taking from two) one
	// step in this process.
	mu                                   sync.Mutex
	ipAttempts, ipDeclines, linkDeclines *buckets
	// shared, when set, keeps the buckets for every replica on the
	// database (PostgreSQL). It decides; the in-memory buckets, which count
	// the same attempts, decide only when it fails (see sharedFailed).
	shared store.RateLimiter
	log    *slog.Logger
}

// sharedTimeout bounds one call of the shared limiter.
const sharedTimeout = 2 * time.Second

func newAttemptLimits(l Limits, shared store.RateLimiter, log *slog.Logger) *attemptLimits {
	d := DefaultLimits
	pick := func(n, def int) int {
		if n > 0 {
			return n
		}
		return def
	}
	every := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return &attemptLimits{
		ipAttempts:   newBuckets("ip-attempt", pick(l.AttemptsPerIP, d.AttemptsPerIP), every(l.AttemptIPEvery, d.AttemptIPEvery)),
		ipDeclines:   newBuckets("ip-decline", pick(l.DeclinesPerIP, d.DeclinesPerIP), every(l.DeclineIPEvery, d.DeclineIPEvery)),
		linkDeclines: newBuckets("link-decline", pick(l.DeclinesPerLink, d.DeclinesPerLink), every(l.DeclineLinkEvery, d.DeclineLinkEvery)),
		shared:       shared,
		log:          log,
	}
}

// admit admits an attempt of the client on the link, or returns how long
// the client must wait before another. Admitted, the attempt has taken a
// token of the address's attempts and reserved one of its declines: an
// attempt in flight may be declined, and counting declines only once the
// card was tried let a card tester's parallel attempts all pass the check
// first. The caller gives the reservation back with release unless the
// attempt was declined. The link's declines are checked here and counted by
// decline: reserving them would cap a link's payments in flight (a flash
// sale) at the link's limit of declines.
func (a *attemptLimits) admit(ctx context.Context, ip, link string, now time.Time) time.Duration {
	if a.shared != nil {
		sctx, cancel := sharedContext(ctx)
		w, err := a.shared.RateAdmit(sctx, now, []store.RateBucket{a.ipAttempts.bucket(ip), a.ipDeclines.bucket(ip)},
			[]store.RateBucket{a.linkDeclines.bucket(link)})
		cancel()
		if err == nil {
			if w == 0 {
				// This process's buckets count it too, for the fallback.
				a.mu.Lock()
				a.ipAttempts.take(ip, now)
				a.ipDeclines.take(ip, now)
				a.mu.Unlock()
			}
			return w
		}
		a.sharedFailed(ctx, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	w := max(a.ipAttempts.wait(ip, now), a.ipDeclines.wait(ip, now), a.linkDeclines.wait(link, now))
	if w == 0 {
		a.ipAttempts.take(ip, now)
		a.ipDeclines.take(ip, now)
	}
	return w
}

// release gives back the decline an admitted attempt reserved: it was not
// declined.
func (a *attemptLimits) release(ctx context.Context, ip string, now time.Time) {
	a.ipDeclines.refund(ip, now)
	if a.shared == nil {
		return
	}
	ctx, cancel := sharedContext(ctx)
	defer cancel()
	if err := a.shared.RateRefund(ctx, now, a.ipDeclines.bucket(ip)); err != nil {
		a.sharedFailed(ctx, err)
	}
}

// decline counts a declined attempt on the link; the address's decline was
// taken when the attempt was admitted.
func (a *attemptLimits) decline(ctx context.Context, link string, now time.Time) {
	a.linkDeclines.take(link, now)
	a.takeShared(ctx, now, a.linkDeclines.bucket(link))
}

func (a *attemptLimits) takeShared(ctx context.Context, now time.Time, bs ...store.RateBucket) {
	if a.shared == nil {
		return
	}
	ctx, cancel := sharedContext(ctx)
	defer cancel()
	if _, err := a.shared.RateTake(ctx, now, bs...); err != nil {
		a.sharedFailed(ctx, err)
	}
}

// sharedContext is the request's context without its cancellation (a payer
// who hangs up as soon as the card is declined must not skip the count of
// the decline) and with a timeout of its own.
func sharedContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
}

// sharedFailed logs a failed call of the shared limiter. The failure policy
// is to fall back on this process's buckets, neither open nor closed:
// refusing every payer while the database hiccups would turn a blip into an
// outage of every payment page, and letting every attempt through would
// lift the card-testing defence exactly when an attacker can make the
// database slow. The in-memory buckets count every attempt this process
// sees, shared limiter or not, so the fallback is today's per-replica
// limit: looser by the number of replicas, never unbounded. (Most often
// the payment that follows fails too, for want of the same database.)
func (a *attemptLimits) sharedFailed(ctx context.Context, err error) {
	a.log.WarnContext(ctx, "checkout: shared attempt limits unavailable, using this process's", "err", err)
}

// maxBuckets bounds the memory of one limit; full buckets are dropped first.
const maxBuckets = 50000

// buckets are token buckets by key, in memory.
type buckets struct {
	name  string // of the limit, the prefix of its shared buckets' keys
	burst int
	every time.Duration
	mu    sync.Mutex
	m     map[string]*tokens
}

// tokens is one bucket: n tokens at time at. A key with none is full.
type tokens struct {
	n  float64
	at time.Time
}

func newBuckets(name string, burst int, every time.Duration) *buckets {
	return &buckets{name: name, burst: burst, every: every, m: make(map[string]*tokens)}
}

// bucket returns the shared bucket of key, such as "ip-decline:203.0.113.9".
func (b *buckets) bucket(key string) store.RateBucket {
	return store.RateBucket{Key: b.name + ":" + key, Burst: b.burst, Refill: b.every}
}

// level returns the tokens of t at now, refilled since t.at (a clock that
// went back refills nothing). b.mu is held.
func (b *buckets) level(t *tokens, now time.Time) float64 {
	if now.After(t.at) {
		return min(float64(b.burst), t.n+float64(now.Sub(t.at))/float64(b.every))
	}
	return t.n
}

func (b *buckets) wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.m[key]
	if !ok {
		return 0
	}
	n := b.level(t, now)
	if n >= 1 {
		return 0
	}
	return time.Duration((1 - n) * float64(b.every))
}

// take takes a token of key at now, if there is one.
func (b *buckets) take(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.m[key]
	if !ok {
		if len(b.m) >= maxBuckets {
			b.sweep(now)
		}
		t = &tokens{n: float64(b.burst), at: now}
		b.m[key] = t
	}
	n := b.level(t, now)
	if n >= 1 {
		n--
	}
	t.n, t.at = n, later(t.at, now)
}

// refund gives a token back to key at now; a full bucket stays full.
func (b *buckets) refund(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.m[key]; ok {
		t.n, t.at = min(float64(b.burst), b.level(t, now)+1), later(t.at, now)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sweep drops the buckets that have refilled; if none has, it starts over.
// b.mu is held.
func (b *buckets) sweep(now time.Time) {
	for k, t := range b.m {
		if b.level(t, now) >= float64(b.burst) {
			delete(b.m, k)
		}
	}
	if len(b.m) >= maxBuckets {
		clear(b.m)
	}
}
