package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// hookReceiver counts the deliveries of each webhook-id and the objects
// they carry; until open, every request hangs (until its client goes).
type hookReceiver struct {
	srv     *httptest.Server
	open    atomic.Bool
	mu      sync.Mutex
	byID    map[string]int
	objects map[string]bool // data.id of every delivered event
	total   int
}

func newHookReceiver(t *testing.T, open bool) *hookReceiver {
	rc := &hookReceiver{byID: map[string]int{}, objects: map[string]bool{}}
	rc.open.Store(open)
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for !rc.open.Load() {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		var ev struct {
			Data struct{ ID string } `json:"data"`
		}
		json.Unmarshal(body, &ev)
		rc.mu.Lock()
		rc.byID[r.Header.Get("webhook-id")]++
		rc.objects[ev.Data.ID] = true
		rc.total++
		rc.mu.Unlock()
	}))
	t.Cleanup(func() { rc.open.Store(true); rc.srv.Close() })
	return rc
}

func (rc *hookReceiver) counts() (distinct, total int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.byID), rc.total
}

// waitDistinct waits until n distinct messages arrived.
func (rc *hookReceiver) waitDistinct(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d, total := rc.counts()
		if d >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d distinct deliveries (%d in all) in %s, want %d", d, total, timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// createEndpoint makes an endpoint through the v1 API.
func createEndpoint(t *testing.T, base, key string, body map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+"/api/v1/webhook_endpoints", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct{ ID string }
	if resp.StatusCode != 201 || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("create endpoint: %d %s", resp.StatusCode, raw)
	}
	return out.ID
}

// TestWebhooksSurviveSIGKILL makes 1,000 events while the receiver hangs,
// kills the server with SIGKILL, restarts it and receives every event.
func TestWebhooksSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server process; skipped with -short")
	}
	const n = 1000
	db := "sqlite:" + filepath.Join(t.TempDir(), "hooks.db")
	rc := newHookReceiver(t, false)
	// The first process's attempts hang until it dies; its leases are short
	// so the second process need not wait long for them.
	first := startProcess(t, "--db", db, "--webhooks-timeout", "60s", "--webhooks-lease", "3s", "--webhooks-poll", "20ms")
	key := first.skey
	createEndpoint(t, first.url, key, map[string]any{"url": rc.srv.URL + "/hooks", "format": "omise", "events": []string{"link.create"}})

	var (
		mu    sync.Mutex
		links = map[string]bool{}
		wg    sync.WaitGroup
		next  atomic.Int64
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				form := url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {fmt.Sprintf("hook %d", i)}, "description": {"d"}}
				var l apiLink
				apiJSON(t, client, key, "POST", first.url+"/links", form, &l)
				mu.Lock()
				links[l.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(links) != n {
		t.Fatalf("created %d links, want %d", len(links), n)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	if d, _ := rc.counts(); d != 0 {
		t.Fatalf("%d events were delivered before the kill; the receiver was to hang", d)
	}

	rc.open.Store(true)
	start := time.Now()
	startProcess(t, "--db", db, "--webhooks-poll", "20ms")
	rc.waitDistinct(t, n, 90*time.Second)
	took := time.Since(start)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id := range links {
		if !rc.objects[id] {
			t.Errorf("link %s: its link.create was never delivered", id)
		}
	}
	t.Logf("after the restart: %d events delivered in %s (%d deliveries in all)", len(rc.byID), took.Round(time.Millisecond), rc.total)
}

// TestTwoReplicasDeliverWebhooks: two replicas on one PostgreSQL deliver
// 2,000 events to one receiver; none is lost, and an event delivered twice
// must have had an attempt outlive its lease.
func TestTwoReplicasDeliverWebhooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two real server processes; skipped with -short")
	}
	dsn := postgres.TestDSN(t)
	const n = 2000
	const lease = 5 * time.Second
	rc := newHookReceiver(t, true)
	reps := startReplicas(t, 2, "--db", dsn, "--db-max-conns", "8", "--webhooks-poll", "20ms", "--webhooks-lease", lease.String())
	var key string
	for _, p := range reps {
		if p.skey != "" {
			key = p.skey
		}
	}
	if key == "" {
		t.Fatal("no replica printed the first-start keys")
	}
	createEndpoint(t, reps[1].url, key, map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"link.create"}})

	// The events are written by a third process on the database, as fast
	// as it can: both replicas find them in the outbox.
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := service.New(st, service.Options{})
	pr, err := svc.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	var eventIDs sync.Map
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				l, err := svc.CreateLink(ctx, pr, service.LinkParams{Title: fmt.Sprintf("r%d", i), Amount: 5000, Currency: "THB", Multiple: true})
				if err != nil {
					t.Error(err)
					return
				}
				eventIDs.Store(l.ID, true)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	start := time.Now()
	rc.waitDistinct(t, n, 120*time.Second)
	took := time.Since(start)
	time.Sleep(500 * time.Millisecond) // any late duplicate
	distinct, total := rc.counts()

	// Which events were delivered twice, and did an attempt outlive its lease?
	evs, err := st.EventPage(ctx, store.EventCursor{AccountID: pr.AccountID, Keys: []string{"link.create"}, Limit: n + 10})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]paylinks.ID, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	atts, err := st.WebhookAttempts(ctx, pr.AccountID, false, ids)
	if err != nil {
		t.Fatal(err)
	}
	twice, explained := 0, 0
	byOwner := map[string]int{}
	for _, as := range atts {
		ok, slow := 0, false
		for _, a := range as {
			if a.Success {
				ok++
				byOwner[a.Owner]++
			}
			slow = slow || a.Duration >= lease
		}
		if ok > 1 {
			twice++
			if slow {
				explained++
			}
		}
	}
	t.Logf("%d events, %d deliveries (%d duplicates, %d events delivered twice, %d of them after an attempt outlived its lease) in %s",
		distinct, total, total-distinct, twice, explained, took.Round(time.Millisecond))
	if distinct != n {
		t.Errorf("%d distinct events delivered, want %d", distinct, n)
	}
	t.Logf("successful attempts by process: %v", byOwner)
	if len(byOwner) != 2 {
		t.Errorf("deliveries were made by %d processes, want both replicas", len(byOwner))
	}
	if twice != explained {
		t.Errorf("%d events delivered twice without an expired lease", twice-explained)
	}
}

// TestWebhooksCommand: paylinks webhooks create makes an omise endpoint in
// test mode and prints its secret once; list shows it without.
func TestWebhooksCommand(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "cli.db")
	var out, errb bytes.Buffer
	ctx := context.Background()
	s := startRun(t, db)
	out.Reset()
	if err := run(ctx, []string{"webhooks", "create", "--db", db, "--url", "https://shop.example.com/omise", "--format", "omise", "--mode", "test"}, noEnv, &out, &errb); err != nil {
		t.Fatalf("webhooks create: %v\n%s", err, errb.String())
	}
	m := regexp.MustCompile(`endpoint: (we_\S+)\nsecret:   (whsec_\S+)\n`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("webhooks create printed %q", out.String())
	}
	var ep struct{ Format, URL string }
	req, _ := http.NewRequest("GET", s.url+"/api/v1/webhook_endpoints/"+m[1], nil)
	req.Header.Set("Authorization", "Bearer "+s.skey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&ep)
	resp.Body.Close()
	if resp.StatusCode != 200 || ep.Format != "omise" || ep.URL != "https://shop.example.com/omise" {
		t.Errorf("the endpoint over the v1 API: %d %+v", resp.StatusCode, ep)
	}
	out.Reset()
	if err := run(ctx, []string{"webhooks", "list", "--db", db}, noEnv, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), m[1]) || strings.Contains(out.String(), m[2]) {
		t.Errorf("webhooks list: %q (want the endpoint, not its secret)", out.String())
	}
	for _, args := range [][]string{
		{"webhooks", "create", "--db", db, "--url", "ftp://x"},
		{"webhooks", "create", "--db", db, "--url", "https://x.example", "--format", "xml"},
		{"webhooks", "create", "--db", db, "--url", "https://x.example", "--mode", "prod"},
	} {
		if err := run(ctx, args, noEnv, &out, &errb); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func noEnv(string) string { return "" }
