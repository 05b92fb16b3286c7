package checkout

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound payment attempts on the hosted pages. Card testing (trying
// stolen numbers against a public payment link) shows up as many declines,
// so declines are limited per client address and per link; every attempt is
// also limited per address, more loosely. Each limit is a token bucket: a
// burst, refilled one attempt per interval. Zero fields take the defaults.
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

type attemptLimits struct {
	ipAttempts, ipDeclines, linkDeclines *buckets
}

func newAttemptLimits(l Limits) *attemptLimits {
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
		ipAttempts:   newBuckets(pick(l.AttemptsPerIP, d.AttemptsPerIP), every(l.AttemptIPEvery, d.AttemptIPEvery)),
		ipDeclines:   newBuckets(pick(l.DeclinesPerIP, d.DeclinesPerIP), every(l.DeclineIPEvery, d.DeclineIPEvery)),
		linkDeclines: newBuckets(pick(l.DeclinesPerLink, d.DeclinesPerLink), every(l.DeclineLinkEvery, d.DeclineLinkEvery)),
	}
}

// wait returns how long the client must wait before another attempt on the
// link, 0 when it may try now.
func (a *attemptLimits) wait(ip, link string, now time.Time) time.Duration {
	return max(a.ipAttempts.wait(ip, now), a.ipDeclines.wait(ip, now), a.linkDeclines.wait(link, now))
}

// attempt counts an attempt of the client.
func (a *attemptLimits) attempt(ip string, now time.Time) { a.ipAttempts.take(ip, now) }

// decline counts a declined attempt of the client on the link.
func (a *attemptLimits) decline(ip, link string, now time.Time) {
	a.ipDeclines.take(ip, now)
	a.linkDeclines.take(link, now)
}

// maxBuckets bounds the memory of one limit; full buckets are dropped first.
const maxBuckets = 50000

// buckets are token buckets by key.
type buckets struct {
	burst int
	every time.Duration
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

func newBuckets(burst int, every time.Duration) *buckets {
	return &buckets{burst: burst, every: every, m: make(map[string]*rate.Limiter)}
}

func (b *buckets) wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.m[key]
	if !ok {
		return 0
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(b.every))
}

func (b *buckets) take(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.m[key]
	if !ok {
		if len(b.m) >= maxBuckets {
			b.sweep(now)
		}
		l = rate.NewLimiter(rate.Every(b.every), b.burst)
		b.m[key] = l
	}
	l.AllowN(now, 1)
}

// sweep drops the buckets that have refilled; if none has, it starts over.
func (b *buckets) sweep(now time.Time) {
	for k, l := range b.m {
		if l.TokensAt(now) >= float64(b.burst) {
			delete(b.m, k)
		}
	}
	if len(b.m) >= maxBuckets {
		clear(b.m)
	}
}
