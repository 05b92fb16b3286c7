package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/metrics"
	"github.com/paylinks/paylinks/internal/store"
)

// Schedule is the delay before each attempt of a delivery, the first
// immediately (the Standard Webhooks schedule, about three days in all);
// each retry's delay is stretched by up to a tenth at random (jitter).
// After the last attempt fails the delivery is failed.
var Schedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// maxRetryAfter caps how long a Retry-After may defer an attempt.
const maxRetryAfter = 24 * time.Hour

// Renderer renders an event for a format: the message id a receiver
// dedupes on (the same on every attempt) and the body.
type Renderer func(format string, ev *paylinks.Event) (msgID string, body []byte, err error)

// Options configure a Dispatcher. Zero values pick the defaults.
type Options struct {
	Store  store.Store
	Render Renderer
	// Now is the clock that decides what is due (default time.Now).
	Now func() time.Time
	// Poll is how often the store is asked for due deliveries when idle
	// (default 100ms).
	Poll time.Duration
	// Gather is how long the dispatcher lets work accumulate before the
	// next lease once attempts finish, and before recording their
	// outcomes, so that both are written in batches rather than one commit
	// per delivery: each write shares the one SQLite writer with the API
	// (default 3ms).
	Gather time.Duration
	// Timeout bounds one HTTP attempt (default 15s).
	Timeout time.Duration
	// Lease is how long a delivery is leased for an attempt (default
	// Timeout plus 30s): a replica that dies mid-attempt loses it then.
	Lease time.Duration
	// Concurrency bounds attempts in flight in all (default 32) and
	// PerEndpoint to one endpoint (default 16).
	Concurrency, PerEndpoint int
	// AllowPrivate lets live-mode deliveries reach loopback, private and
	// link-local addresses (--webhooks-allow-private). Test mode always may.
	AllowPrivate bool
	Logger       *slog.Logger
	// Metrics counts attempts by outcome and the lag of deliveries (nil:
	// none).
	Metrics *metrics.Metrics
	// Owner names this dispatcher's leases (default host, pid and a random
	// suffix).
	Owner string
}

// Dispatcher delivers due webhook deliveries. Run one in every process:
// leases in the store keep them from attempting one delivery at once.
type Dispatcher struct {
	opt          Options
	live, test   *http.Client
	kick         chan struct{}
	mu           sync.Mutex
	inflight     int
	perEndpoint  map[paylinks.ID]int
	wg           sync.WaitGroup
	attemptsDone chan struct{}
	// outcomes are the attempts' results, waiting to be recorded in
	// batches by record.
	outcomes chan store.DeliveryOutcome
}

// New returns a dispatcher; call Run to start it.
func New(opt Options) *Dispatcher {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Poll <= 0 {
		opt.Poll = 100 * time.Millisecond
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 15 * time.Second
	}
	if opt.Gather <= 0 {
		opt.Gather = 3 * time.Millisecond
	}
	if opt.Lease <= 0 {
		opt.Lease = opt.Timeout + 30*time.Second
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 32
	}
	if opt.PerEndpoint <= 0 {
		opt.PerEndpoint = 16
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 6)
		rand.Read(b)
		opt.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return &Dispatcher{opt: opt, live: NewClient(opt.Timeout, !opt.AllowPrivate), test: NewClient(opt.Timeout, false),
		kick: make(chan struct{}, 1), perEndpoint: make(map[paylinks.ID]int), attemptsDone: make(chan struct{}, 1),
		outcomes: make(chan store.DeliveryOutcome, 4*opt.Concurrency)}
}

// Owner returns the name of this dispatcher's leases.
func (d *Dispatcher) Owner() string { return d.opt.Owner }

// Kick wakes the dispatcher to look for due deliveries now.
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) now() time.Time { return d.opt.Now().UTC().Truncate(time.Microsecond) }

// Run delivers until ctx ends, then waits for the attempts in flight (they
// are cancelled and their leases released, not recorded).
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.record(context.WithoutCancel(ctx))
	}()
	defer func() {
		close(d.outcomes)
		<-recorded
	}()
	failing := 0 // passes failed in a row: the database is away, back off
	for {
		more, err := d.pass(ctx)
		wait := d.opt.Poll
		switch {
		case err != nil && ctx.Err() == nil:
			failing++
			wait = min(d.opt.Poll<<min(failing, 6), 5*time.Second)
			d.opt.Logger.ErrorContext(ctx, "webhooks: lease deliveries", "err", err, "retry_in", wait)
		case err == nil:
			failing = 0
			if more {
				wait = 0
			}
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			d.wg.Wait()
			return nil
		case <-t.C:
		case <-d.kick:
		case <-d.attemptsDone:
			d.gather(ctx)
		}
	}
}

// gather waits Gather, or until ctx ends.
func (d *Dispatcher) gather(ctx context.Context) {
	t := time.NewTimer(d.opt.Gather)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// pass leases what it can start now and starts it; more reports that it
// filled every free slot (there may be more due).
func (d *Dispatcher) pass(ctx context.Context) (more bool, err error) {
	d.mu.Lock()
	free := d.opt.Concurrency - d.inflight
	var skip []paylinks.ID
	for id, n := range d.perEndpoint {
		if n >= d.opt.PerEndpoint {
			skip = append(skip, id)
		}
	}
	d.mu.Unlock()
	if free <= 0 {
		return false, nil
	}
	now := d.now()
	due, err := d.opt.Store.WebhookDeliveriesDue(ctx, now)
	if err != nil || !due {
		return false, err
	}
	// At most one endpoint's worth per lease: more could not all start if
	// they were one endpoint's, and would be released again (another
	// write); the next pass follows at once when this one filled up.
	limit := min(free, d.opt.PerEndpoint)
	leased, err := d.opt.Store.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: d.opt.Owner, Now: now,
		Until: now.Add(d.opt.Lease), Limit: limit, Skip: skip})
	if err != nil {
		return false, err
	}
	var release []store.DeliveryKey
	d.mu.Lock()
	for i := range leased {
		ld := &leased[i]
		if d.perEndpoint[ld.Endpoint.ID] >= d.opt.PerEndpoint {
			release = append(release, store.DeliveryKey{EventID: ld.Event.ID, EndpointID: ld.Endpoint.ID})
			continue
		}
		d.perEndpoint[ld.Endpoint.ID]++
		d.inflight++
		d.wg.Add(1)
		go d.attempt(ctx, ld)
	}
	d.mu.Unlock()
	if len(release) > 0 {
		if err := d.opt.Store.ReleaseWebhookDeliveries(context.WithoutCancel(ctx), d.opt.Owner, release); err != nil {
			return false, err
		}
	}
	return len(leased) == limit && len(release) == 0, nil
}

// free gives back an attempt's slots, once its HTTP request is over: its
// outcome is recorded after, while the lease still keeps the delivery from
// being leased again, so that the next attempt need not wait for a commit.
func (d *Dispatcher) free(endpoint paylinks.ID) {
	d.mu.Lock()
	d.inflight--
	if d.perEndpoint[endpoint]--; d.perEndpoint[endpoint] <= 0 {
		delete(d.perEndpoint, endpoint)
	}
	d.mu.Unlock()
	select {
	case d.attemptsDone <- struct{}{}:
	default:
	}
}

// attempt makes one HTTP attempt of a leased delivery and records it.
func (d *Dispatcher) attempt(ctx context.Context, ld *store.LeasedDelivery) {
	defer d.wg.Done()
	ep, ev := &ld.Endpoint, &ld.Event
	key := store.DeliveryKey{EventID: ev.ID, EndpointID: ep.ID}
	start := d.now()
	a := paylinks.WebhookAttempt{EventID: ev.ID, EndpointID: ep.ID, URL: ep.URL, Owner: d.opt.Owner, At: start}
	status, retryAfter, err := d.post(ctx, ld, start)
	d.free(ep.ID)
	if ctx.Err() != nil {
		// Shutting down: the attempt did not finish; leave it due.
		if err := d.opt.Store.ReleaseWebhookDeliveries(context.WithoutCancel(ctx), d.opt.Owner, []store.DeliveryKey{key}); err != nil {
			d.opt.Logger.Error("webhooks: release lease", "event", ev.ID, "endpoint", ep.ID, "err", err)
		}
		return
	}
	a.StatusCode, a.Duration = status, d.now().Sub(start)
	out := store.DeliveryOutcome{Owner: d.opt.Owner, Attempt: a}
	switch {
	case err == nil && status >= 200 && status < 300:
		out.Attempt.Success, out.Status = true, paylinks.DeliveryDelivered
	case err == nil && status == http.StatusGone:
		out.Attempt.Error, out.Status = "HTTP 410: the endpoint is gone; disabled", paylinks.DeliveryFailed
		if out.Disable, err = d.disabledEvent(ep, start); err != nil {
			d.opt.Logger.Error("webhooks: disabled event", "endpoint", ep.ID, "err", err)
			out.Disable = nil
		}
	default:
		if err != nil {
			out.Attempt.Error = err.Error()
		} else {
			out.Attempt.Error = "HTTP " + strconv.Itoa(status)
		}
		n := ld.Delivery.Attempts + 1
		switch {
		case n >= len(Schedule):
			out.Status = paylinks.DeliveryFailed
		case retryAfter > 0:
			out.Status, out.NextAttemptAt = paylinks.DeliveryPending, start.Add(min(retryAfter, maxRetryAfter))
		default:
			out.Status, out.NextAttemptAt = paylinks.DeliveryPending, start.Add(jitter(Schedule[n]))
		}
	}
	if out.NextAttemptAt.IsZero() {
		out.NextAttemptAt = start
	}
	d.opt.Metrics.WebhookDelivery(metricsOutcome(out.Status), d.now().Sub(ev.CreatedAt))
	d.outcomes <- out
}

// maxRecord bounds the outcomes recorded in one write.
const maxRecord = 128

// record writes outcomes as they come, all those waiting in one write, until
// outcomes is closed and drained.
func (d *Dispatcher) record(ctx context.Context) {
	batch := make([]store.DeliveryOutcome, 0, maxRecord)
	for o := range d.outcomes {
		batch = append(batch[:0], o)
		linger := time.NewTimer(d.opt.Gather)
	more:
		for len(batch) < maxRecord {
			select {
			case o, ok := <-d.outcomes:
				if !ok {
					break more
				}
				batch = append(batch, o)
			case <-linger.C:
				break more
			}
		}
		linger.Stop()
		d.write(ctx, batch)
	}
}

// write records a batch; a delivery attempted twice in it (its lease
// expired meanwhile) is recorded in a second write.
func (d *Dispatcher) write(ctx context.Context, batch []store.DeliveryOutcome) {
	seen := make(map[store.DeliveryKey]bool, len(batch))
	var now, later []store.DeliveryOutcome
	for _, o := range batch {
		k := store.DeliveryKey{EventID: o.Attempt.EventID, EndpointID: o.Attempt.EndpointID}
		if seen[k] {
			later = append(later, o)
			continue
		}
		seen[k] = true
		now = append(now, o)
	}
	if _, err := d.opt.Store.FinishWebhookDeliveries(ctx, now); err != nil {
		d.opt.Logger.Error("webhooks: record attempts", "attempts", len(now), "err", err)
	}
	if len(later) > 0 {
		d.write(ctx, later)
	}
}

// post renders, signs and sends the delivery; it returns the response's
// status and Retry-After (on 429 and 503), or why no response came.
func (d *Dispatcher) post(ctx context.Context, ld *store.LeasedDelivery, at time.Time) (int, time.Duration, error) {
	ep := &ld.Endpoint
	msgID, body, err := d.opt.Render(ep.Format, &ld.Event)
	if err != nil {
		return 0, 0, fmt.Errorf("render: %w", err)
	}
	h, err := Sign(ep.Format, msgID, at, body, ep.Secrets(at))
	if err != nil {
		return 0, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, strings.NewReader(string(body)))
	if err != nil {
		return 0, 0, fmt.Errorf("request: %w", err)
	}
	req.Header = h
	client := d.test
	if ep.Livemode {
		client = d.live
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return 0, 0, fmt.Errorf("no answer within %s", d.opt.Timeout)
		}
		return 0, 0, errors.Unwrap(err) // the url.Error's cause, without the URL's query repeated
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	var ra time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		ra = retryAfter(resp.Header.Get("Retry-After"), at)
	}
	return resp.StatusCode, ra, nil
}

// retryAfter parses a Retry-After value: seconds, or an HTTP date after now.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// jitter stretches d by up to a tenth, at random.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(d/10)+1))
	if err != nil {
		return d
	}
	return d + time.Duration(n.Int64())
}

// disabledEvent is the event of an endpoint disabled at t (it answered 410).
func (d *Dispatcher) disabledEvent(ep *paylinks.WebhookEndpoint, t time.Time) (*paylinks.Event, error) {
	id, err := paylinks.NewID(t, rand.Reader)
	if err != nil {
		return nil, err
	}
	e := *ep
	e.DisabledAt, e.UpdatedAt = &t, t
	data, err := json.Marshal(&e) // the secrets are never marshalled
	if err != nil {
		return nil, err
	}
	return &paylinks.Event{ID: id, AccountID: ep.AccountID, Livemode: ep.Livemode, Key: "webhook_endpoint.disabled",
		ObjectType: "webhook_endpoint", ObjectID: ep.ID, Data: data, CreatedAt: t}, nil
}
