package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig is the shape of the load every scenario gets.
type loadConfig struct {
	conns            int
	warmup, duration time.Duration
}

// maxOpsPerWorker bounds each connection's loop in count as the duration
// bounds it in time.
const maxOpsPerWorker = 50_000_000

// maxBody bounds what is read of one response.
const maxBody = 8 << 20

// newClient returns a keep-alive client for conns concurrent connections to
// loopback that never follows redirects (a 303 is an answer to check).
// dial, when set, replaces the dialer.
func newClient(conns int, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := &http.Transport{
		DialContext:         dial,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: requestLimit,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// send does req and returns the body when the status is want; any other
// status is an error that quotes the start of the body.
func send(c *http.Client, req *http.Request, want int) ([]byte, error) {
	b, _, err := sendResp(c, req, want, nil)
	return b, err
}

// sendResp is send that also returns the response (body closed) and reads
// into buf when given.
func sendResp(c *http.Client, req *http.Request, want int, buf *bytes.Buffer) ([]byte, *http.Response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBody)); err != nil {
		return nil, resp, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != want {
		return buf.Bytes(), resp, fmt.Errorf("%s %s: status %d, want %d: %.160q", req.Method, req.URL.Path, resp.StatusCode, want, buf.Bytes())
	}
	return buf.Bytes(), resp, nil
}

// worker is one connection of the closed loop: it repeats its scenario's
// operation, one at a time.
type worker struct {
	id     int
	client *http.Client
	rng    *rand.Rand
	buf    bytes.Buffer
	state  any // the scenario's per-connection state (a cursor, …)
}

// histogram counts durations in log-linear buckets: each power of two of
// nanoseconds is split into 32 linear buckets, so a quantile is off by at
// most 1/64 of its value.
type histogram struct {
	counts [64 << histSubBits]uint64
	n      uint64
}

const histSubBits = 5

func histBucket(ns uint64) int {
	if ns < 1<<histSubBits {
		return int(ns)
	}
	shift := bits.Len64(ns) - 1 - histSubBits
	return (shift+1)<<histSubBits + int(ns>>shift) - 1<<histSubBits
}

// histMid is the middle of bucket b, in nanoseconds.
func histMid(b int) float64 {
	if b < 1<<histSubBits {
		return float64(b)
	}
	shift := b>>histSubBits - 1
	top := uint64(b&(1<<histSubBits-1) + 1<<histSubBits)
	return (float64(top<<shift) + float64((top+1)<<shift)) / 2
}

func (h *histogram) record(d time.Duration) {
	h.counts[histBucket(uint64(max(d, 0)))]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the q-quantile (0 < q ≤ 1), or 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	target := uint64(math.Ceil(q * float64(h.n)))
	var sum uint64
	for b, c := range h.counts {
		sum += c
		if sum >= target && c > 0 {
			return time.Duration(histMid(b))
		}
	}
	return 0
}

// errorLog counts a scenario's errors and keeps the first few.
type errorLog struct {
	n       atomic.Int64
	mu      sync.Mutex
	samples []string
}

func (l *errorLog) add(err error) {
	l.n.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.samples) < 3 {
		l.samples = append(l.samples, err.Error())
	}
}

// runScenario drives sc with lc.conns closed-loop connections for warmup
// plus duration and measures the operations that finish inside the
// measured window, and the server's CPU and peak RSS over it. With prof
// set, a CPU profile of the window is written there.
func runScenario(ctx context.Context, sc scenario, e *env, srv *serverProc, lc loadConfig, prof string) Result {
	res := Result{Name: sc.name, Op: sc.op, Bar: sc.bar, Conns: lc.conns}
	client := sc.client
	if client == nil {
		client = func(conns int) *http.Client { return newClient(conns, nil) }
	}
	shared := client(lc.conns)
	defer shared.CloseIdleConnections()

	start := time.Now()
	measureFrom := start.Add(lc.warmup)
	end := measureFrom.Add(lc.duration)
	// Requests still in flight at the end get a little longer, then are
	// cut off; nothing runs past this.
	ctx, cancel := context.WithDeadline(ctx, end.Add(requestLimit))
	defer cancel()

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total histogram
		errs  errorLog
		ops   atomic.Int64
	)
	for i := range lc.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{id: i, client: shared, rng: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))}
			if sc.perWorkerClient {
				w.client = client(1)
				defer w.client.CloseIdleConnections()
			}
			h := new(histogram)
			for n := 0; n < maxOpsPerWorker && ctx.Err() == nil; n++ {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				err := sc.do(ctx, w, e)
				t1 := time.Now()
				if t1.Before(measureFrom) || t1.After(end) {
					continue
				}
				ops.Add(1)
				h.record(t1.Sub(t0))
				if err != nil {
					errs.add(err)
				}
			}
			mu.Lock()
			total.merge(h)
			mu.Unlock()
		}()
	}

	// The server-side measurements bracket the window.
	var cpu0, cpu1 float64
	var cpuOK0, cpuOK1, peakReset bool
	profErr := make(chan error, 1)
	sleepUntil(ctx, measureFrom)
	cpu0, cpuOK0 = srv.cpuSeconds()
	peakReset = srv.resetPeak()
	if prof != "" {
		go func() { profErr <- srv.cpuProfile(ctx, lc.duration, prof) }()
	} else {
		profErr <- nil
	}
	sleepUntil(ctx, end)
	cpu1, cpuOK1 = srv.cpuSeconds()
	res.RSS = srv.rssSplit()
	wg.Wait()
	if err := <-profErr; err != nil {
		res.Note = "profile: " + err.Error()
	}
	if peakReset {
		res.PeakRSSMB = srv.notePeak()
	}

	res.Ops = ops.Load()
	res.Errors = errs.n.Load()
	res.ErrorSamples = errs.samples
	res.OpsPerSec = float64(res.Ops) / lc.duration.Seconds()
	res.P50ms = total.quantile(0.50).Seconds() * 1000
	res.P99ms = total.quantile(0.99).Seconds() * 1000
	if cpuOK0 && cpuOK1 && res.Ops > 0 {
		res.CPUPer1000 = (cpu1 - cpu0) / float64(res.Ops) * 1000
	}
	if ctx.Err() != nil && res.Note == "" && time.Now().Before(end) {
		res.Note = "interrupted"
	}
	return res
}

// sleepUntil sleeps until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}
