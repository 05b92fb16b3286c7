package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/store/postgres"
)

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var out, errOut strings.Builder
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Errorf("%q: %v, want no error (exit 0)", args, err)
		}
		for _, want := range []string{"serve", "keys", "webhooks", "migrate", "backup", "restore", "version", "run the server"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%q: help lacks %q:\n%s", args, want, out.String())
			}
		}
		if strings.Contains(out.String(), "Usage of") || errOut.Len() > 0 {
			t.Errorf("%q: stdout %q stderr %q", args, out.String(), errOut.String())
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "serve"}, "-metrics-addr"},
		{[]string{"serve", "--help"}, "-tls-cert"},
		{[]string{"--addr", "127.0.0.1:0", "-h"}, "-tls-key"},
		{[]string{"help", "backup"}, "-to"},
		{[]string{"restore", "-h"}, "-force"},
		{[]string{"migrate", "--help"}, "-db"},
		{[]string{"keys", "--help"}, "keys revoke"},
		{[]string{"keys", "create", "--help"}, "-scope"},
		{[]string{"webhooks", "--help"}, "webhooks create --url"},
		{[]string{"help", "webhooks"}, "webhooks list"},
	} {
		var out strings.Builder
		if err := run(context.Background(), tc.args, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Errorf("%q: %v, want no error", tc.args, err)
		}
		if !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "usage: paylinks") {
			t.Errorf("%q: output lacks %q:\n%s", tc.args, tc.want, out.String())
		}
	}
}

var metricsRe = regexp.MustCompile(`metrics on (http://\S+/metrics)`)

// scrape returns the value of every series of the metrics page at u, by
// its name and labels as the page writes them.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// payLink pays the link with the card number through its hosted page, as a
// browser does, and returns the response's status.
func payLink(t *testing.T, base string, l apiLink, number string) int {
	t.Helper()
	c := replicaClient()
	p := &process{url: base}
	token, cookie := checkoutForm(t, c, p, l.slug())
	return send(t, c, payRequest(p, l.slug(), token, cookie, number)).status
}

// TestMetricsAndAccessLog serves metrics, makes requests and a payment,
// and checks that the series exist and move; then that the access log has
// one line per request with its route pattern, and no card number,
// security code or key; and that the last log line says the server
// stopped.
func TestMetricsAndAccessLog(t *testing.T) {
	srv := startRun(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), "--metrics-addr", "127.0.0.1:0", "--log-format", "json",
		"--public-url", "")
	mu := srv.stdout.wait(t, metricsRe)
	if !strings.Contains(srv.stdout.String(), "go install ./cmd/paylinks") {
		t.Errorf("the first-start message does not say how to get paylinks on PATH:\n%s", srv.stdout)
	}
	before := scrape(t, mu)
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "paylinks_sqlite_commit_batch_writes_count"} {
		if _, ok := before[name]; !ok {
			t.Errorf("no %s series before any request", name)
		}
	}

	c := replicaClient()
	// A webhook receiver, so that deliveries are counted too.
	received := make(chan struct{}, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case received <- struct{}{}:
		default:
		}
	}))
	defer receiver.Close()
	// And one that fails, so that a delivery waits for its retry.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	for _, u := range []string{receiver.URL, failing.URL} {
		ep, _ := http.NewRequest("POST", srv.url+"/api/v1/webhook_endpoints", strings.NewReader(`{"url":"`+u+`/hooks"}`))
		ep.Header.Set("Authorization", "Bearer "+srv.skey)
		ep.Header.Set("Content-Type", "application/json")
		if r := send(t, c, ep); r.status != http.StatusCreated {
			t.Fatalf("webhook endpoint: %d %s", r.status, r.body)
		}
	}
	var l apiLink
	apiJSON(t, c, srv.skey, "POST", srv.url+"/links", url.Values{"amount": {"25000"}, "currency": {"thb"},
		"title": {"Metered"}, "description": {"d"}, "multiple": {"true"}}, &l)
	apiJSON(t, c, srv.skey, "GET", srv.url+"/links/"+l.ID, nil, &l)
	if st := payLink(t, srv.url, l, "4242424242424242"); st != http.StatusSeeOther && st != http.StatusOK {
		t.Fatalf("payment: status %d", st)
	}
	payLink(t, srv.url, l, "4111111111140011") // declined: insufficient_fund
	var charges apiList[struct {
		Status string  `json:"status"`
		IP     *string `json:"ip"`
	}]
	apiJSON(t, c, srv.skey, "GET", srv.url+"/links/"+l.ID+"/charges", nil, &charges)
	if len(charges.Data) != 2 {
		t.Fatalf("link charges: %+v, want 2", charges)
	}
	for _, ch := range charges.Data {
		if ch.IP == nil || *ch.IP != "127.0.0.1" {
			t.Errorf("%s charge paid from loopback: ip %v, want 127.0.0.1", ch.Status, ch.IP)
		}
	}
	http.Get(srv.url + "/no/such/route")

	select {
	case <-received:
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook delivered")
	}
	var after map[string]float64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// The delivery is counted when its attempt ends, just after the
		// receiver answers.
		after = scrape(t, mu)
		if (after[`paylinks_webhook_deliveries_total{outcome="delivered"}`] > 0 && after[`paylinks_webhook_deliveries_total{outcome="retry"}`] > 0) || time.Now().After(deadline) {
			break
		}
	}
	moved := map[string]float64{
		`paylinks_webhook_deliveries_total{outcome="delivered"}`:                          1,
		`paylinks_webhook_delivery_lag_seconds_count`:                                     1,
		`paylinks_webhook_deliveries_total{outcome="retry"}`:                              1,
		`paylinks_webhook_queue_depth`:                                                    1, // the failed ones wait for their retry
		`paylinks_http_requests_total{method="POST",route="POST /links",status="200"}`:    1,
		`paylinks_http_requests_total{method="GET",route="GET /links/{id}",status="200"}`: 1,
		`paylinks_http_requests_total{method="GET",route="GET /l/{slug}",status="200"}`:   2,
		`paylinks_http_request_duration_seconds_count{method="POST",route="POST /links"}`: 1,
		`paylinks_http_requests_total{method="GET",route="unmatched",status="404"}`:       1,
		`paylinks_payments_total{mode="test",outcome="succeeded"}`:                        1,
		`paylinks_payments_total{mode="test",outcome="declined"}`:                         1,
		`paylinks_sqlite_commit_batch_writes_count`:                                       1,
		`paylinks_sqlite_commit_duration_seconds_count`:                                   1,
		`paylinks_http_response_bytes_total{route="POST /links"}`:                         100,
	}
	for name, least := range moved {
		if got := after[name] - before[name]; got < least {
			t.Errorf("%s moved by %v, want at least %v (after: %v)", name, got, least, after[name])
		}
	}

	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	log := srv.stderr.String()
	for _, secret := range []string{"4242424242424242", "4242 4242 4242 4242", "4111111111140011", "424242424242", `"csc"`, "security_code", srv.skey, srv.skey[len("skey_test_"):]} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	var sawPay bool
	sc := bufio.NewScanner(strings.NewReader(log))
	var last string
	for sc.Scan() {
		line := sc.Text()
		last = line
		if strings.Contains(line, `"msg":"request"`) && strings.Contains(line, `"route":"POST /l/{slug}"`) {
			sawPay = true
			for _, field := range []string{`"method":"POST"`, `"status":`, `"bytes":`, `"duration":`, `"request_id":"req_`} {
				if !strings.Contains(line, field) {
					t.Errorf("access-log line lacks %s: %s", field, line)
				}
			}
		}
	}
	if !sawPay {
		t.Errorf("no access-log line with the route POST /l/{slug}:\n%s", log)
	}
	if !strings.Contains(last, "paylinks stopped") {
		t.Errorf("last log line %q, want the stop line", last)
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 with the given
// serial number to certFile and keyFile, and returns the certificate.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "paylinks test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Written beside and renamed, as a certificate renewer does.
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(file+".new", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".new", file); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestTLSWithReload serves HTTPS from a real process with a certificate
// the test makes, checks that HTTP/2 is negotiated, renews the certificate
// on disk, sends SIGHUP and finds the new certificate served.
func TestTLSWithReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real server process; skipped with -short")
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := writeCert(t, certFile, keyFile, 1)
	p := startProcess(t, "--db", "sqlite:"+filepath.Join(dir, "tls.db"), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.url, "https://") {
		t.Fatalf("listening on %s, want https://", p.url)
	}
	get := func(root *x509.Certificate) (*http.Response, error) {
		pool := x509.NewCertPool()
		pool.AddCert(root)
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
		defer c.CloseIdleConnections()
		resp, err := c.Get(p.url + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := get(first)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Fatalf("GET /healthz over TLS: %d %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
	if got := resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got != 1 {
		t.Fatalf("served certificate serial %d, want 1", got)
	}

	second := writeCert(t, certFile, keyFile, 2)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := get(second)
		if err == nil && resp.TLS.PeerCertificates[0].SerialNumber.Int64() == 2 && resp.ProtoMajor == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after SIGHUP the renewed certificate is not served: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Plain HTTP to a TLS port gets no API.
	if resp, err := http.Get("http" + strings.TrimPrefix(p.url, "https") + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP served on the TLS port")
	}
}

// TestMetricsPostgresPool serves metrics of a server on PostgreSQL and
// checks that the pool's series exist and move with requests.
func TestMetricsPostgresPool(t *testing.T) {
	dsn := postgres.TestDSN(t) // skips without PAYLINKS_TEST_POSTGRES, fails so under CI
	srv := startRun(t, dsn, "--metrics-addr", "127.0.0.1:0", "--db-max-conns", "6")
	mu := srv.stdout.wait(t, metricsRe)
	before := scrape(t, mu)
	if got := before["paylinks_pg_pool_max_conns"]; got != 6 {
		t.Errorf("paylinks_pg_pool_max_conns = %v, want 6 (--db-max-conns)", got)
	}
	if _, ok := before["paylinks_sqlite_commit_batch_writes_count"]; ok {
		t.Error("a PostgreSQL server reports SQLite commits")
	}
	if v, ok := before["paylinks_webhook_queue_depth"]; !ok || v != 0 {
		t.Errorf("paylinks_webhook_queue_depth = %v (present %v), want 0 on a new database", v, ok)
	}
	c := replicaClient()
	for range 5 {
		var l apiLink
		apiJSON(t, c, srv.skey, "POST", srv.url+"/links", url.Values{"amount": {"25000"}, "currency": {"thb"},
			"title": {"Pooled"}, "description": {"d"}}, &l)
	}
	after := scrape(t, mu)
	if got := after["paylinks_pg_pool_acquires_total"] - before["paylinks_pg_pool_acquires_total"]; got < 5 {
		t.Errorf("paylinks_pg_pool_acquires_total moved by %v over 5 creates, want at least 5", got)
	}
	if after["paylinks_pg_pool_conns"] < 1 {
		t.Errorf("paylinks_pg_pool_conns = %v, want at least 1", after["paylinks_pg_pool_conns"])
	}
}

// TestTLSConnCap checks the connection cap over TLS: with --max-conns 2
// and two idle HTTP/2 connections open, a third client is served (an idle
// connection is closed to make room), as over plain HTTP.
func TestTLSConnCap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real server process; skipped with -short")
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cert := writeCert(t, certFile, keyFile, 1)
	p := startProcess(t, "--db", "sqlite:"+filepath.Join(dir, "cap.db"), "--tls-cert", certFile, "--tls-key", keyFile, "--max-conns", "2")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	get := func(c *http.Client) error {
		resp, err := c.Get(p.url + "/healthz")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			return fmt.Errorf("served over %s, want HTTP/2", resp.Proto)
		}
		return nil
	}
	for i := range 3 {
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
		t.Cleanup(c.CloseIdleConnections)
		if err := get(c); err != nil {
			t.Fatalf("client %d of 3 with a cap of 2 (the others idle): %v", i+1, err)
		}
	}
}
