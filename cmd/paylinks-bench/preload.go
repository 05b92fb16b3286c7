package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// preloadWorkers is how many CreateLink calls are in flight during a store
// preload: several times the writer's batch, so every commit is full.
const preloadWorkers = 512

// linkParams is the i-th preloaded (or created) link: every second one is
// multi-use, so the pay scenario has links to pay again and again.
func linkParams(i int) service.LinkParams {
	return service.LinkParams{
		Title:       "Bench link " + strconv.Itoa(i),
		Description: "A link preloaded by paylinks-bench to measure the hot paths.",
		Amount:      int64(2000 + (i%500)*100), // THB 20.00 and up, in satang
		Currency:    "THB",
		Multiple:    i%2 == 0,
	}
}

// sampler keeps a uniform sample of at most sampleLinks of n links: every
// stride-th one.
type sampler struct {
	stride int
	mu     sync.Mutex
	links  []linkRef
	multi  []linkRef
}

func newSampler(n int) *sampler {
	return &sampler{stride: max(1, (n+sampleLinks-1)/sampleLinks)}
}

func (s *sampler) add(i int, ref linkRef, multiple bool) {
	if i%s.stride != 0 {
		return
	}
	s.mu.Lock()
	s.links = append(s.links, ref)
	if multiple {
		s.multi = append(s.multi, ref)
	}
	s.mu.Unlock()
}

// preloadStore makes the account "default" with a test secret and a test
// public key, and n links, directly in the SQLite file through the store
// (CreateLink from many goroutines, so the writer's group commit batches
// them), before any server opens it.
func preloadStore(ctx context.Context, e *env, db string, n int) error {
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	defer st.Close()
	svc := service.New(st, service.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	acct, err := svc.EnsureAccount(ctx, service.DefaultAccountName)
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	_, sk, err := svc.CreateKey(ctx, service.KeyParams{AccountID: acct.ID, Kind: paylinks.KeySecret})
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	_, pk, err := svc.CreateKey(ctx, service.KeyParams{AccountID: acct.ID, Kind: paylinks.KeyPublic})
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	e.setKeys(sk, pk)
	pr, err := svc.Authenticate(ctx, sk)
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	smp := newSampler(n)
	err = parallel(ctx, n, preloadWorkers, func(ctx context.Context, i int) error {
		p := linkParams(i)
		l, err := svc.CreateLink(ctx, pr, p)
		if err != nil {
			return err
		}
		smp.add(i, linkRef{ID: "link_test_" + paylinks.FormatBase36(l.ID), Slug: l.Slug}, p.Multiple)
		return nil
	})
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	e.links, e.multi = smp.links, smp.multi
	return st.Close()
}

// preloadHTTP creates n links through POST /links of a running server.
func preloadHTTP(ctx context.Context, e *env, n, conns int) error {
	c := newClient(conns, nil)
	defer c.CloseIdleConnections()
	smp := newSampler(n)
	err := parallel(ctx, n, conns, func(ctx context.Context, i int) error {
		ref, err := createLink(ctx, c, e, linkParams(i))
		if err != nil {
			return err
		}
		smp.add(i, ref, linkParams(i).Multiple)
		return nil
	})
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	e.links, e.multi = smp.links, smp.multi
	return nil
}

// createLink creates one link through POST /links.
func createLink(ctx context.Context, c *http.Client, e *env, p service.LinkParams) (linkRef, error) {
	form := url.Values{"amount": {strconv.FormatInt(p.Amount, 10)}, "currency": {strings.ToLower(p.Currency)},
		"title": {p.Title}, "description": {p.Description}, "multiple": {strconv.FormatBool(p.Multiple)}}
	req, err := http.NewRequestWithContext(ctx, "POST", e.base+"/links", strings.NewReader(form.Encode()))
	if err != nil {
		return linkRef{}, err
	}
	req.Header.Set("Authorization", e.secretAuth)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b, err := send(c, req, http.StatusOK)
	if err != nil {
		return linkRef{}, err
	}
	var l struct {
		ID         string `json:"id"`
		PaymentURI string `json:"payment_uri"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return linkRef{}, fmt.Errorf("POST /links: %w", err)
	}
	_, slug, ok := strings.Cut(l.PaymentURI, "/l/")
	if l.ID == "" || !ok || slug == "" {
		return linkRef{}, fmt.Errorf("POST /links: no id or payment_uri in %.200s", b)
	}
	return linkRef{ID: l.ID, Slug: slug}, nil
}

// parallel calls fn(ctx, i) for i in [0, n) from `workers` goroutines and
// returns the first error (after which the others stop).
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

func basicAuth(key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
}
