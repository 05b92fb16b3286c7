package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omise/omise-go"
	"github.com/omise/omise-go/operations"
)

// lineWriter collects a process's output and lets a test wait for a line.
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	added chan struct{}
}

func newLineWriter() *lineWriter { return &lineWriter{added: make(chan struct{}, 1)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.added <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// wait returns the first submatch of re in the output, waiting up to 30s.
func (w *lineWriter) wait(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(w.String()); m != nil {
			return m[1]
		}
		select {
		case <-w.added:
		case <-deadline:
			t.Fatalf("no %v in output:\n%s", re, w.String())
		}
	}
}

var (
	listenRe    = regexp.MustCompile(`listening on (https?://\S+)`)
	secretKeyRe = regexp.MustCompile(`secret key:\s+(skey_test_[0-9a-z]+)`)
	publicKeyRe = regexp.MustCompile(`public key:\s+(pkey_test_[0-9a-z]+)`)
)

// runningServer is a paylinks started through run, as a user would start it.
type runningServer struct {
	url, skey, pkey string
	stdout, stderr  *lineWriter
	stop            func() error
}

func startRun(t *testing.T, db string, extra ...string) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningServer{stdout: newLineWriter(), stderr: newLineWriter()}
	done := make(chan error, 1)
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, extra...)
	go func() { done <- run(ctx, args, func(string) string { return "" }, s.stdout, s.stderr) }()
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(15 * time.Second):
				stopErr = errors.New("run did not return after cancel")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	s.url = s.stdout.wait(t, listenRe)
	if strings.Contains(s.stdout.String(), "secret key:") {
		s.skey = s.stdout.wait(t, secretKeyRe)
		s.pkey = s.stdout.wait(t, publicKeyRe)
	}
	return s
}

func omiseClient(t *testing.T, url, pkey, skey string) *omise.Client {
	t.Helper()
	c, err := omise.NewClient(pkey, skey)
	if err != nil {
		t.Fatal(err)
	}
	c.Endpoints["https://api.omise.co"] = url
	c.Endpoints["https://vault.omise.co"] = url
	return c
}

func TestOmiseGoEndToEnd(t *testing.T) {
	srv := startRun(t, "sqlite:"+filepath.Join(t.TempDir(), "data", "paylinks.db"))
	if srv.skey == "" || srv.pkey == "" {
		t.Fatalf("first start printed no keys:\n%s", srv.stdout)
	}
	c := omiseClient(t, srv.url, srv.pkey, srv.skey)

	single, multi := &omise.Link{}, &omise.Link{}
	if err := c.Do(single, &operations.CreateLink{Amount: 99900, Currency: "thb", Title: "Hot Latte", Description: "A warm cup"}); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	if err := c.Do(multi, &operations.CreateLink{Amount: 1000, Currency: "jpy", Title: "Matcha", Description: "Green", Multiple: true}); err != nil {
		t.Fatalf("CreateLink multiple: %v", err)
	}
	if single.Amount != 99900 || single.Currency != "THB" || single.Multiple || single.Used || single.Title != "Hot Latte" ||
		!strings.HasPrefix(single.ID, "link_test_") || single.Live || !strings.HasPrefix(single.PaymentURI, srv.url+"/l/") ||
		single.CreatedAt.IsZero() || single.Location == nil || *single.Location != "/links/"+single.ID {
		t.Errorf("single link = %+v", single)
	}
	if !multi.Multiple || multi.Currency != "JPY" || multi.Amount != 1000 {
		t.Errorf("multiple link = %+v", multi)
	}

	got := &omise.Link{}
	if err := c.Do(got, &operations.RetrieveLink{LinkID: single.ID}); err != nil {
		t.Fatalf("RetrieveLink: %v", err)
	}
	if got.ID != single.ID || got.PaymentURI != single.PaymentURI || !got.CreatedAt.Equal(single.CreatedAt) {
		t.Errorf("retrieved %+v, want %+v", got, single)
	}

	// The hosted page the payment_uri names exists.
	resp, err := http.Get(single.PaymentURI)
	if err == nil {
		resp.Body.Close()
	}

	list := &omise.LinkList{}
	op := &operations.ListLinks{List: operations.List{Limit: 100, Order: omise.ReverseChronological, From: time.Now().Add(-time.Hour)}}
	if err := c.Do(list, op); err != nil {
		t.Fatalf("ListLinks: %v", err)
	}
	if list.Total != 2 || len(list.Data) != 2 || list.Data[0].ID != multi.ID || list.Data[1].ID != single.ID || list.Limit != 100 {
		t.Errorf("list = total %d limit %d %v", list.Total, list.Limit, ids(list))
	}
	list = &omise.LinkList{}
	if err := c.Do(list, &operations.ListLinks{List: operations.List{Offset: 1, Limit: 1}}); err != nil {
		t.Fatal(err)
	}
	if list.Total != 2 || len(list.Data) != 1 || list.Data[0].ID != multi.ID || list.Offset != 1 {
		t.Errorf("offset page = total %d offset %d %v", list.Total, list.Offset, ids(list))
	}
	list = &omise.LinkList{}
	if err := c.Do(list, &operations.ListLinks{List: operations.List{From: time.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if list.Total != 0 || len(list.Data) != 0 {
		t.Errorf("future window = total %d %v", list.Total, ids(list))
	}
	list = &omise.LinkList{}
	if err := c.Do(list, &operations.ListLinks{List: operations.List{To: time.Now().Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if list.Total != 0 {
		t.Errorf("past window total = %d", list.Total)
	}

	// The link's charges: the client has no method, so reuse RetrieveLink's path.
	charges := &omise.ChargeList{}
	if err := c.Do(charges, &operations.RetrieveLink{LinkID: single.ID + "/charges"}); err != nil {
		t.Fatalf("link charges: %v", err)
	}
	if charges.Total != 0 || len(charges.Data) != 0 || charges.Object != "list" {
		t.Errorf("charges = %+v", charges)
	}

	// Delete: build the request with the client, change the method.
	req, err := c.Request(&operations.RetrieveLink{LinkID: single.ID})
	if err != nil {
		t.Fatal(err)
	}
	req.Method = "DELETE"
	dresp, err := c.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var del omise.Deletion
	decodeJSON(t, dresp.Body, &del)
	if dresp.StatusCode != 200 || !del.Deleted || del.ID != single.ID {
		t.Errorf("delete: %d %+v", dresp.StatusCode, del)
	}
	err = c.Do(&omise.Link{}, &operations.RetrieveLink{LinkID: single.ID})
	var oe *omise.Error
	if !errors.As(err, &oe) || oe.Code != "not_found" || oe.StatusCode != 404 {
		t.Errorf("retrieve deleted: %v, want not_found", err)
	}

	// A wrong key.
	bad := omiseClient(t, srv.url, "pkey_test_nope", "skey_test_nope")
	err = bad.Do(&omise.Link{}, &operations.RetrieveLink{LinkID: multi.ID})
	if !errors.As(err, &oe) || oe.Code != "authentication_failure" || oe.StatusCode != 401 {
		t.Errorf("wrong key: %v, want authentication_failure", err)
	}
	// A validation error the client can read.
	err = c.Do(&omise.Link{}, &operations.CreateLink{Amount: 10, Currency: "thb", Title: "t", Description: "d"})
	if !errors.As(err, &oe) || oe.Code != "invalid_amount" || oe.StatusCode != 400 {
		t.Errorf("small amount: %v, want invalid_amount", err)
	}

	if err := srv.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
	// Nothing secret reached the log.
	logs := srv.stderr.String()
	if strings.Contains(logs, srv.skey) || strings.Contains(logs, srv.pkey) {
		t.Errorf("a whole key appears in the log")
	}
	if !strings.Contains(logs, "request_id=req_") {
		t.Errorf("log lines carry no request id:\n%s", logs)
	}
}

func ids(l *omise.LinkList) []string {
	var out []string
	for _, d := range l.Data {
		out = append(out, d.ID)
	}
	return out
}

func decodeJSON(t *testing.T, r io.ReadCloser, v any) {
	t.Helper()
	defer r.Close()
	b, _ := io.ReadAll(r)
	if err := jsonUnmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func TestFirstStartOnlyOnce(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "p.db")
	first := startRun(t, db)
	if first.skey == "" {
		t.Fatal("no keys on first start")
	}
	first.stop()
	second := startRun(t, db)
	if second.skey != "" || strings.Contains(second.stdout.String(), "skey_") {
		t.Errorf("second start printed keys again:\n%s", second.stdout)
	}
	// The key printed on first start still works.
	c := omiseClient(t, second.url, first.pkey, first.skey)
	if err := c.Do(&omise.LinkList{}, &operations.ListLinks{}); err != nil {
		t.Errorf("list with the first key: %v", err)
	}
}

func TestKeysCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "p.db")
	runOut := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
		if err != nil {
			return out.String(), fmt.Errorf("%w: %s", err, errOut.String())
		}
		return out.String(), nil
	}
	srv := startRun(t, db)

	key, err := runOut("keys", "create", "--db", db, "--mode", "test", "--kind", "secret")
	if err != nil {
		t.Fatal(err)
	}
	key = strings.TrimSpace(key)
	if !regexp.MustCompile(`^skey_test_[0-9a-z]{24}$`).MatchString(key) {
		t.Fatalf("keys create printed %q, want one key alone", key)
	}
	restricted, err := runOut("keys", "create", "--db", db, "--kind", "restricted", "--scope", "links:read", "--scope", "events:read", "--account", "shop2")
	if err != nil || !strings.HasPrefix(restricted, "rkey_test_") {
		t.Fatalf("restricted: %q %v", restricted, err)
	}
	if _, err := runOut("keys", "create", "--db", db, "--kind", "restricted", "--scope", "links:fly"); err == nil {
		t.Error("an unknown scope was accepted")
	}
	if _, err := runOut("keys", "create", "--db", db, "--mode", "staging"); err == nil {
		t.Error("an unknown mode was accepted")
	}
	live, err := runOut("keys", "create", "--db", db, "--mode", "live", "--kind", "public")
	if err != nil || !strings.HasPrefix(live, "pkey_live_") {
		t.Fatalf("live public: %q %v", live, err)
	}

	listing, err := runOut("keys", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, whole := range []string{key, strings.TrimSpace(restricted), strings.TrimSpace(live), srv.skey} {
		if strings.Contains(listing, whole) {
			t.Errorf("keys list shows a whole key:\n%s", listing)
		}
		if !strings.Contains(listing, whole[:16]) {
			t.Errorf("keys list lacks prefix %s:\n%s", whole[:16], listing)
		}
	}
	if !strings.Contains(listing, "shop2") || !strings.Contains(listing, "links:read,events:read") {
		t.Errorf("keys list lacks account or scopes:\n%s", listing)
	}

	// The running server accepts the new key, then refuses it within about a
	// second of its revocation by another process.
	c := omiseClient(t, srv.url, "", key)
	if err := c.Do(&omise.LinkList{}, &operations.ListLinks{}); err != nil {
		t.Fatalf("new key refused: %v", err)
	}
	if out, err := runOut("keys", "revoke", "--db", db, key[:16]); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q %v", out, err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := c.Do(&omise.LinkList{}, &operations.ListLinks{})
		var oe *omise.Error
		if errors.As(err, &oe) && oe.Code == "authentication_failure" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key still works after 3s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := runOut("keys", "revoke", "--db", db, key[:16]); err == nil {
		t.Error("revoking a revoked key succeeded")
	}
	if _, err := runOut("keys", "revoke", "--db", db, "skey_test_"); err == nil {
		t.Error("an ambiguous prefix revoked something")
	}
}

func TestCommands(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "paylinks ") {
		t.Errorf("version: %q %v", out.String(), err)
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "--db", db}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Errorf("migrate: %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
	if err := run(context.Background(), []string{"serve", "--db", "mysql://x"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("unknown database scheme accepted")
	}
	if err := run(context.Background(), []string{"serve", "--trusted-proxies", "10.0.0.0/99"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("a malformed trusted proxy was accepted")
	}
	if err := run(context.Background(), []string{"serve", "--log-format", "xml"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("unknown log format accepted")
	}
}

func TestEnvironmentAndHealth(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"PAYLINKS_ADDR":       "127.0.0.1:0",
		"PAYLINKS_DB":         "sqlite:" + filepath.Join(dir, "env.db"),
		"PAYLINKS_PUBLIC_URL": "https://pay.example.com",
		"PAYLINKS_LOG_FORMAT": "json",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := newLineWriter(), newLineWriter()
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, stdout, stderr) }()
	url := stdout.wait(t, listenRe)
	skey := stdout.wait(t, secretKeyRe)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get(url + path)
		if err != nil || resp.StatusCode != want || resp.Header.Get("Request-Id") == "" {
			t.Errorf("%s: %v %v", path, resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	c := omiseClient(t, url, "", skey)
	l := &omise.Link{}
	if err := c.Do(l, &operations.CreateLink{Amount: 5000, Currency: "thb", Title: "t", Description: "d"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.PaymentURI, "https://pay.example.com/l/") {
		t.Errorf("payment_uri %q ignores PAYLINKS_PUBLIC_URL", l.PaymentURI)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if !strings.Contains(stderr.String(), `"request_id":"req_`) {
		t.Errorf("PAYLINKS_LOG_FORMAT=json not honoured:\n%s", stderr.String()[:min(500, len(stderr.String()))])
	}
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			t.Errorf("non-JSON log line: %s", sc.Text())
		}
	}
}
