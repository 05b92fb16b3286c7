package dashboard

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/paylinks/paylinks/internal/store"
)

// signInLimits count sign-in attempts per email and per client address,
// in the store's shared buckets when it has them (every replica counts
// against one limit), in this process's memory otherwise or when the
// shared buckets fail.
type signInLimits struct {
	user, addr store.RateBucket // Key is the prefix
	shared     store.RateLimiter
	log        *slog.Logger

	mu    sync.Mutex
	local map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newSignInLimits(l Limits, shared store.RateLimiter, log *slog.Logger) *signInLimits {
	d := DefaultLimits
	if l.PerUser <= 0 {
		l.PerUser, l.UserEvery = d.PerUser, d.UserEvery
	}
	if l.PerAddress <= 0 {
		l.PerAddress, l.AddressEvery = d.PerAddress, d.AddressEvery
	}
	if l.UserEvery <= 0 {
		l.UserEvery = d.UserEvery
	}
	if l.AddressEvery <= 0 {
		l.AddressEvery = d.AddressEvery
	}
	return &signInLimits{
		user:   store.RateBucket{Key: "dash-signin-user:", Burst: l.PerUser, Refill: l.UserEvery},
		addr:   store.RateBucket{Key: "dash-signin-ip:", Burst: l.PerAddress, Refill: l.AddressEvery},
		shared: shared, log: log, local: map[string]*bucket{},
	}
}

// admit takes one attempt from the email's and the address's buckets, all
// or nothing, or returns how long until both have one.
func (s *signInLimits) admit(ctx context.Context, email, ip string, now time.Time) time.Duration {
	u, a := s.user, s.addr
	u.Key += email
	a.Key += ip
	if s.shared != nil {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		w, err := s.shared.RateAdmit(sctx, now, []store.RateBucket{u, a}, nil)
		cancel()
		if err == nil {
			return w
		}
		s.log.WarnContext(ctx, "dashboard: shared sign-in limits failed; using this process's", "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.local) > 100_000 {
		clear(s.local) // bounded memory under a flood of addresses
	}
	wait := max(s.wait(u, now), s.wait(a, now))
	if wait == 0 {
		s.take(u, now)
		s.take(a, now)
	}
	return wait
}

func (s *signInLimits) fill(b store.RateBucket, now time.Time) *bucket {
	k, ok := s.local[b.Key]
	if !ok {
		k = &bucket{tokens: float64(b.Burst), at: now}
		s.local[b.Key] = k
	}
	if now.After(k.at) {
		k.tokens = min(float64(b.Burst), k.tokens+float64(now.Sub(k.at))/float64(b.Refill))
		k.at = now
	}
	return k
}

func (s *signInLimits) wait(b store.RateBucket, now time.Time) time.Duration {
	k := s.fill(b, now)
	if k.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - k.tokens) * float64(b.Refill))
}

func (s *signInLimits) take(b store.RateBucket, now time.Time) { s.fill(b, now).tokens-- }

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}
