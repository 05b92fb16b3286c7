package checkout_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// env is a real paylinks server on a real database.
type env struct {
	url        string
	handler    http.Handler // the server's handler, for benchmarks without a network
	svc        *service.Service
	test, live paylinks.Principal
}

// roomy are limits no test trips unless it means to.
var roomy = checkout.Limits{AttemptsPerIP: 100000, DeclinesPerIP: 100000, DeclinesPerLink: 100000}

func newEnv(tb testing.TB, backend string, limits checkout.Limits, opt service.Options) *env {
	tb.Helper()
	return newEnvWith(tb, backend, checkout.Options{Limits: limits}, opt)
}

// newEnvWith is newEnv with the hosted pages' options.
func newEnvWith(tb testing.TB, backend string, co checkout.Options, opt service.Options) *env {
	tb.Helper()
	st := servertest.OpenStore(tb, backend)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt.Logger = logger
	svc := service.New(st, opt)
	ctx := context.Background()
	a, err := svc.EnsureAccount(ctx, "Acme Coffee")
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{svc: svc}
	for _, live := range []bool{false, true} {
		pr, err := svc.Authenticate(ctx, servertest.MustKey(tb, svc, a.ID, live, paylinks.KeySecret))
		if err != nil {
			tb.Fatal(err)
		}
		if live {
			e.live = pr
		} else {
			e.test = pr
		}
	}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	h = server.New(server.Config{Service: svc, PublicURL: srv.URL, Logger: logger, Checkout: co})
	e.url = srv.URL
	e.handler = h
	return e
}

func (e *env) link(tb testing.TB, pr paylinks.Principal, lp service.LinkParams) *paylinks.Link {
	tb.Helper()
	if lp.Title == "" {
		lp.Title = "Hot latte"
	}
	if lp.Currency == "" {
		lp.Currency = "THB"
	}
	l, err := e.svc.CreateLink(context.Background(), pr, lp)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, like a payer's browser seen one response at a time.
func browser(tb testing.TB) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	body   string
}

func get(tb testing.TB, c *http.Client, u string, hdr ...string) page {
	tb.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(tb, c, req)
}

func post(tb testing.TB, c *http.Client, u string, form url.Values) page {
	tb.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(tb, c, req)
}

func do(tb testing.TB, c *http.Client, req *http.Request) page {
	tb.Helper()
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(tb testing.TB, p page) string {
	tb.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		tb.Fatalf("no csrf field in the page (status %d)", p.status)
	}
	return m[1]
}

// payForm is a filled checkout form.
func payForm(csrf, number string) url.Values {
	csc := "123"
	if strings.HasPrefix(number, "37") || strings.HasPrefix(number, "34") {
		csc = "1234"
	}
	return url.Values{"csrf": {csrf}, "email": {"payer@example.com"}, "number": {number},
		"exp": {"12 / " + time.Now().AddDate(2, 0, 0).Format("06")}, "csc": {csc}, "name": {"Somchai Jaidee"}}
}

// noCardNumber fails the test when the page holds the card number digits,
// written with or without spaces or dashes between its groups, anywhere in
// its HTML.
func noCardNumber(tb testing.TB, what string, p page, digits string) {
	tb.Helper()
	forms := []string{digits}
	for _, sep := range []string{" ", "-", "\u00a0"} {
		var groups []string
		for i := 0; i < len(digits); i += 4 {
			groups = append(groups, digits[i:min(i+4, len(digits))])
		}
		forms = append(forms, strings.Join(groups, sep))
		if len(digits) == 15 { // American Express: 4-6-5
			forms = append(forms, digits[:4]+sep+digits[4:10]+sep+digits[10:])
		}
	}
	for _, f := range forms {
		if strings.Contains(p.body, f) {
			tb.Errorf("%s: the page (status %d) holds the card number as %q", what, p.status, f)
		}
	}
}
