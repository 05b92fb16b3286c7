package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Config is one benchmark run.
type Config struct {
	// URL targets a running server (loopback only) instead of starting
	// one; Key is then a test secret key of it, PublicKey optionally a test
	// public key, and PID optionally its process id (for RSS and CPU).
	URL, Key, PublicKey string
	PID                 int
	// Proxied says, with URL, that the server trusts 127.0.0.1 as its
	// proxy (serve --trusted-proxies 127.0.0.1/32), which pay-proxied
	// needs. A server the harness starts always does.
	Proxied bool
	// Bin is the paylinks binary to start; "" builds ./cmd/paylinks.
	Bin string
	// Links is how many links are preloaded.
	Links int
	// Duration is the measured time of each scenario, after Warmup.
	Duration, Warmup time.Duration
	// Conns is the number of concurrent connections of the closed loop.
	Conns int
	// ListMaxOffset bounds the random offsets of the list scenario.
	ListMaxOffset int
	// Scenarios names the scenarios to run; nil runs all.
	Scenarios []string
	// NoBaseline skips the baseline (ratios are then 0).
	NoBaseline bool
	// ProfileDir, when set, starts paylinks with its pprof listener
	// (serve --pprof-addr) and writes one CPU profile per scenario there.
	ProfileDir string
	// ServerLog is a file the server's log is appended to; "" discards it.
	ServerLog string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// Limits that keep every run bounded whatever the flags say.
const (
	maxDuration  = 10 * time.Minute
	maxConns     = 4096
	maxLinks     = 10_000_000
	sampleLinks  = 100_000 // links remembered for picking random targets
	requestLimit = 30 * time.Second
)

func (c *Config) check() error {
	switch {
	case c.Links < 1 || c.Links > maxLinks:
		return fmt.Errorf("--links %d: want 1 to %d", c.Links, maxLinks)
	case c.Duration <= 0 || c.Duration > maxDuration:
		return fmt.Errorf("--duration %s: want more than 0 and at most %s", c.Duration, maxDuration)
	case c.Warmup < 0 || c.Warmup > maxDuration:
		return fmt.Errorf("--warmup %s: want 0 to %s", c.Warmup, maxDuration)
	case c.Conns < 1 || c.Conns > maxConns:
		return fmt.Errorf("--conns %d: want 1 to %d", c.Conns, maxConns)
	case c.URL != "" && c.Key == "":
		return errors.New("--url needs --key (a test secret key of that server)")
	case c.URL != "" && c.ProfileDir != "":
		return errors.New("--profile starts its own server; it cannot be used with --url")
	}
	if c.ListMaxOffset < 1 {
		c.ListMaxOffset = 1
	}
	if c.URL != "" {
		if err := checkLoopback(c.URL); err != nil {
			return err
		}
	}
	for _, name := range c.Scenarios {
		if !slices.ContainsFunc(scenarios, func(s scenario) bool { return s.name == name }) {
			return fmt.Errorf("unknown scenario %q", name)
		}
	}
	return nil
}

// checkLoopback refuses any target that is not this machine's loopback.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("--url %q: want http://127.0.0.1:PORT", raw)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return nil
	}
	return fmt.Errorf("--url %q: only loopback targets are allowed", raw)
}

// env is what the scenarios share: where the server is, its keys, and the
// preloaded links to pick targets from.
type env struct {
	base       string // http://127.0.0.1:PORT
	secretAuth string // Authorization header value for the secret key
	publicAuth string // for the public key; "" when none
	secretKey  string
	links      []linkRef // a uniform sample of the preloaded links
	multi      []linkRef // the multi-use ones among them
	nLinks     int       // links in the database when the run started
	maxOffset  int
	proxied    bool // the server believes X-Forwarded-For from the harness
	// cartSlug is the 5-item cart link of cart-page and cart-pay, made by
	// cartReady.
	cartSlug string
}

// linkRef is one preloaded link.
type linkRef struct {
	ID   string // Omise form: link_test_…
	Slug string
}

// Run runs one benchmark: it starts (or targets) the server, preloads the
// links, measures the baseline and the scenarios, and stops what it started.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	logw := cfg.Progress
	if logw == nil {
		logw = io.Discard
	}
	progress := func(format string, a ...any) {
		fmt.Fprintf(logw, "paylinks-bench: "+format+"\n", a...)
	}
	rep := &Report{Date: time.Now().UTC(), Machine: machine(), Links: cfg.Links, Conns: cfg.Conns,
		DurationSeconds: cfg.Duration.Seconds(), WarmupSeconds: cfg.Warmup.Seconds()}

	tmp, err := os.MkdirTemp("", "paylinks-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	e := &env{maxOffset: cfg.ListMaxOffset}
	var srv *serverProc
	if cfg.URL != "" {
		rep.Target = cfg.URL
		e.base = cfg.URL
		e.setKeys(cfg.Key, cfg.PublicKey)
		e.proxied = cfg.Proxied
		if cfg.PID > 0 {
			srv = &serverProc{pid: cfg.PID}
		}
		progress("preloading %d links through POST /links", cfg.Links)
		start := time.Now()
		if err := preloadHTTP(ctx, e, cfg.Links, cfg.Conns); err != nil {
			return nil, err
		}
		rep.PreloadSeconds = time.Since(start).Seconds()
	} else {
		bin := cfg.Bin
		if bin == "" {
			progress("building cmd/paylinks")
			if bin, err = buildPaylinks(ctx, tmp); err != nil {
				return nil, err
			}
		}
		db := filepath.Join(tmp, "paylinks.db")
		progress("preloading %d links into %s through the store", cfg.Links, db)
		start := time.Now()
		if err := preloadStore(ctx, e, db, cfg.Links); err != nil {
			return nil, err
		}
		rep.PreloadSeconds = time.Since(start).Seconds()
		rep.Revision = revision(bin)
		e.proxied = true // startPaylinks trusts 127.0.0.1
		if cfg.ProfileDir != "" {
			if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
				return nil, err
			}
		}
		srv, err = startPaylinks(ctx, bin, db, cfg.ServerLog, cfg.ProfileDir != "")
		if err != nil {
			return nil, err
		}
		defer srv.stop()
		e.base = srv.base
		rep.StartupSeconds = srv.ready.Seconds()
		rep.ReadyRSS = srv.rssSplit()
		rep.Target = "paylinks " + map[bool]string{true: "binary, profiled (--pprof-addr)", false: "binary"}[cfg.ProfileDir != ""]
		progress("server ready %.0f ms after start, at %s", srv.ready.Seconds()*1000, srv.base)
	}
	e.nLinks = cfg.Links
	if cfg.Links > 0 {
		rep.PreloadRate = float64(cfg.Links) / max(rep.PreloadSeconds, 1e-9)
	}
	client := newClient(cfg.Conns, nil)
	defer client.CloseIdleConnections()

	var base *serverProc
	if !cfg.NoBaseline {
		body, err := linkBody(ctx, client, e)
		if err != nil {
			return nil, fmt.Errorf("baseline: fetch a link to size its answer: %w", err)
		}
		if base, err = startBaseline(ctx, tmp, body); err != nil {
			return nil, err
		}
		defer base.stop()
		rep.BaselineBytes = len(body)
	}

	lc := loadConfig{conns: cfg.Conns, warmup: cfg.Warmup, duration: cfg.Duration}
	runBaseline := func() {
		progress("baseline: GET a %d-byte JSON object from a stdlib server", rep.BaselineBytes)
		r := runScenario(ctx, baselineScenario(), &env{base: base.base}, base, lc, "")
		rep.BaselineRuns = append(rep.BaselineRuns, r)
	}
	if base != nil {
		runBaseline()
	}
	for _, sc := range scenarios {
		if ctx.Err() != nil {
			break
		}
		if cfg.Scenarios != nil && !slices.Contains(cfg.Scenarios, sc.name) {
			continue
		}
		if why := sc.check(ctx, client, e); why != "" {
			progress("%s: skipped: %s", sc.name, why)
			rep.Scenarios = append(rep.Scenarios, Result{Name: sc.name, Op: sc.op, Bar: sc.bar, Skipped: why})
			continue
		}
		progress("%s: %s, %d connections, %s", sc.name, sc.op, cfg.Conns, cfg.Duration)
		prof := ""
		if cfg.ProfileDir != "" {
			prof = filepath.Join(cfg.ProfileDir, sc.name+".cpu.pprof")
		}
		res := runScenario(ctx, sc, e, srv, lc, prof)
		if sc.after != nil && res.Note == "" {
			res.Note = sc.after(ctx, e)
		}
		rep.Scenarios = append(rep.Scenarios, res)
	}
	if base != nil && ctx.Err() == nil {
		runBaseline() // again at the end: the machine is shared, so bracket the run
	}
	if srv != nil {
		if cfg.ProfileDir != "" {
			if err := srv.heapProfile(ctx, filepath.Join(cfg.ProfileDir, "heap.pprof")); err != nil {
				progress("heap profile: %v", err)
			}
		}
		rep.PeakRSSMB = srv.peakRSS()
	}
	rep.finish()
	return rep, ctx.Err()
}

func (e *env) setKeys(secret, public string) {
	e.secretKey = secret
	e.secretAuth = basicAuth(secret)
	if public != "" {
		e.publicAuth = basicAuth(public)
	}
}

// linkBody returns the body of GET /links/{id} for one preloaded link: the
// baseline answers an object of that size.
func linkBody(ctx context.Context, c *http.Client, e *env) ([]byte, error) {
	if len(e.links) == 0 {
		return nil, errors.New("no links preloaded")
	}
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/links/"+e.links[0].ID, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", e.secretAuth)
	return send(c, req, http.StatusOK)
}
