package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/store/postgres"
)

// startProcessEnv is startProcess with extra environment variables (the
// test hooks of payments.go).
func startProcessEnv(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{stdout: newLineWriter()}
	stderr := newLineWriter()
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("process stderr:\n%s", tail(stderr.String(), 4000))
		}
	})
	p.url = p.stdout.wait(t, listenRe)
	if strings.Contains(p.stdout.String(), "secret key:") {
		p.skey = p.stdout.wait(t, secretKeyRe)
	}
	return p
}

// ledgerDB opens the database of --db value db directly, to read the
// simulator's ledger as the processor's own record.
func ledgerDB(t *testing.T, db string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", db
	if path, ok := strings.CutPrefix(db, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)"
	}
	d, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// ledgerCharges counts the simulator ledger's charges (not voids).
func ledgerCharges(t *testing.T, d *sql.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRow(`SELECT count(*) FROM simulator_charges WHERE voided = false`).Scan(&n); err != nil {
		t.Fatalf("read the simulator ledger: %v", err)
	}
	return n
}

// TestChargesSurviveSIGKILLBeforeRecord kills a real server with SIGKILL
// after the processor charged and before the charges were recorded: one
// POST /charges with an Idempotency-Key and one payment of a single-use
// link from its hosted page, both in flight (the simulator's answers are
// delayed after its ledger has the charge). After a restart the reconciler
// records both charges exactly once, the link is used, and retrying the
// POST /charges with its key answers with its charge; the ledger has one
// charge per payment.
func TestChargesSurviveSIGKILLBeforeRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real server processes; skipped with -short")
	}
	backends := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "crash.db") },
		"postgres": func(t *testing.T) string { return postgres.TestDSN(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			db := backends[name](t)
			first := startProcessEnv(t, []string{envTestProcessorDelay + "=1m"}, "--db", db, "--public-url", sharedPublicURL)
			pkey := first.stdout.wait(t, publicKeyRe)
			skey := first.skey
			c := replicaClient()
			ledger := ledgerDB(t, db)

			var tok struct{ ID string }
			apiJSON(t, c, pkey, "POST", first.url+"/tokens", url.Values{"card[name]": {"A Payer"},
				"card[number]": {"4242424242424242"}, "card[expiration_month]": {"12"},
				"card[expiration_year]": {fmt.Sprint(time.Now().Year() + 2)}, "card[security_code]": {"123"}}, &tok)
			l := createLinkThrough(t, c, first, skey, "Crash test", false)
			csrf, cookie := checkoutForm(t, c, first, l.slug())

			chargeForm := url.Values{"amount": {"5000"}, "currency": {"thb"}, "card": {tok.ID}}
			chargeReq := func(p *process) *http.Request {
				req := apiRequest(skey, "POST", p.url+"/charges", chargeForm)
				req.Header.Set("Idempotency-Key", "crash-charge-1")
				return req
			}
			var wg sync.WaitGroup
			for _, req := range []*http.Request{chargeReq(first), payRequest(first, l.slug(), csrf, cookie, "4242424242424242")} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if r, err := fetch(c, req); err == nil {
						t.Errorf("%s %s answered %d before the kill: %s", req.Method, req.URL.Path, r.status, tail(r.body, 300))
					}
				}()
			}
			// Both charges are in the processor's ledger, their answers in flight.
			deadline := time.Now().Add(20 * time.Second)
			for ledgerCharges(t, ledger) < 2 {
				if time.Now().After(deadline) {
					t.Fatalf("the simulator ledger has %d charges after 20 s, want 2", ledgerCharges(t, ledger))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			first.cmd.Wait()
			wg.Wait()

			// Restarted later: the attempts are past the reconciler's timeout
			// and the Idempotency-Key's lock has run out.
			second := startProcessEnv(t, []string{envTestClockOffset + "=10m"}, "--db", db, "--public-url", sharedPublicURL)
			var got apiLink
			deadline = time.Now().Add(20 * time.Second)
			for {
				apiJSON(t, c, skey, "GET", second.url+"/links/"+l.ID, nil, &got)
				if got.Used || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !got.Used {
				t.Fatalf("the single-use link is not used 20 s after the restart: %+v", got)
			}
			var linkCharges apiList[apiCharge]
			apiJSON(t, c, skey, "GET", second.url+"/links/"+l.ID+"/charges", nil, &linkCharges)
			if len(linkCharges.Data) != 1 || !linkCharges.Data[0].Paid {
				t.Errorf("the link's charges after the restart: %+v, want one paid charge", linkCharges.Data)
			}

			r := send(t, c, chargeReq(second))
			var retried apiCharge
			if r.status != http.StatusOK || !strings.Contains(r.body, `"paid":true`) {
				t.Fatalf("POST /charges retried with its Idempotency-Key: %d %s, want 200 with the paid charge", r.status, r.body)
			}
			if err := jsonUnmarshal([]byte(r.body), &retried); err != nil {
				t.Fatal(err)
			}
			again := send(t, c, chargeReq(second))
			if again.status != http.StatusOK || !strings.Contains(again.body, retried.ID) {
				t.Errorf("POST /charges retried again: %d %s, want the same charge %s", again.status, again.body, retried.ID)
			}
			var all apiList[apiCharge]
			apiJSON(t, c, skey, "GET", second.url+"/charges", nil, &all)
			ids := map[string]bool{}
			for _, ch := range all.Data {
				ids[ch.ID] = true
			}
			if len(all.Data) != 2 || !ids[retried.ID] || !ids[linkCharges.Data[0].ID] {
				t.Errorf("charges after the restart: %+v, want exactly the link's and %s", all.Data, retried.ID)
			}
			if n := ledgerCharges(t, ledger); n != 2 {
				t.Errorf("the simulator ledger has %d charges, want 2 (one per payment, none twice)", n)
			}
			t.Logf("killed with both charges in flight; after the restart the link %s is used and %s answers the retried key", l.ID, retried.ID)
		})
	}
}
