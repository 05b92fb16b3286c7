package checkout_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

func TestPageHeadersAndContent(t *testing.T) { forBackends(t, testPageHeadersAndContent) }

func testPageHeadersAndContent(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	l := e.link(t, e.test, service.LinkParams{Amount: 100000, Description: "Oat milk, large"})
	p := get(t, browser(t), e.url+"/l/"+l.Slug, "Accept-Language", "th-TH,th;q=0.9,en;q=0.5")
	if p.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", p.status)
	}
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "script-src 'self';", "style-src 'self';",
		"img-src 'self' data:;", "form-action 'self';", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "nonce-", "unsafe-eval"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %s", csp, bad)
		}
	}
	if n := strings.Count(p.body, "<script"); n != 1 {
		t.Errorf("page has %d scripts, want 1", n)
	}
	for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8"} {
		if got := p.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	for _, want := range []string{"Hot latte", "Oat milk, large", "Acme Coffee", "฿1,000.00", "Test mode", "4242 4242 4242 4242",
		`autocomplete="cc-number"`, `autocomplete="cc-exp"`, `autocomplete="cc-csc"`, `autocomplete="cc-name"`, `autocomplete="email"`,
		`<label for="number"`, `<label for="exp"`, `<label for="csc"`, `<label for="name"`, `<label for="email"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "http://") && strings.Contains(p.body, `src="http`) {
		t.Error("page loads a third-party asset")
	}
	if c := p.header.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Errorf("CSRF cookie %q is not HttpOnly and SameSite=Lax", c)
	}
	if got, want := p.header.Get("Content-Length"), strconv.Itoa(len(p.body)); got != want {
		t.Errorf("Content-Length = %q, want %q", got, want)
	}
}

func TestAmountFormatting(t *testing.T) {
	e := newEnv(t, "sqlite", roomy, service.Options{})
	tests := []struct {
		amount   int64
		currency string
		lang     string
		want     string
	}{
		{1000, "JPY", "en-US", "¥1,000"},
		{100000, "THB", "th", "฿1,000.00"},
		{9900, "USD", "en-US,en;q=0.9", "$99.00"},
		{123456, "EUR", "de-DE", "1.234,56\u00a0€"},
		{9900, "USD", "", "$99.00"},
	}
	for _, tt := range tests {
		l := e.link(t, e.test, service.LinkParams{Amount: tt.amount, Currency: tt.currency})
		p := get(t, browser(t), e.url+"/l/"+l.Slug, "Accept-Language", tt.lang)
		if !strings.Contains(p.body, tt.want) {
			t.Errorf("%d %s for %q: page lacks %q", tt.amount, tt.currency, tt.lang, tt.want)
		}
	}
}

func TestCSRF(t *testing.T) { forBackends(t, testCSRF) }

func testCSRF(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	l := e.link(t, e.test, service.LinkParams{Amount: 10000, Multiple: true})
	other := e.link(t, e.test, service.LinkParams{Amount: 10000, Multiple: true})
	c := browser(t)
	token := csrfOf(t, get(t, c, e.url+"/l/"+l.Slug))
	otherToken := csrfOf(t, get(t, c, e.url+"/l/"+other.Slug))

	tests := []struct {
		name   string
		client func() *http.Client
		form   url.Values
		header map[string]string
	}{
		{"no token", func() *http.Client { return c }, payForm("", "4242424242424242"), nil},
		{"wrong token", func() *http.Client { return c }, payForm("AAAA"+token[4:], "4242424242424242"), nil},
		{"another link's token", func() *http.Client { return c }, payForm(otherToken, "4242424242424242"), nil},
		{"no cookie", func() *http.Client { return browser(t) }, payForm(token, "4242424242424242"), nil},
		{"cross-site", func() *http.Client { return c }, payForm(token, "4242424242424242"), map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.url+"/l/"+l.Slug, strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			p := do(t, tt.client(), req)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "expired") {
				t.Errorf("status = %d, want 403 with the expired page", p.status)
			}
			if !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Error("refusal page lacks the CSP")
			}
		})
	}
	cs, total, _ := e.svc.ListCharges(context.Background(), e.test, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 10})
	if total != 0 {
		t.Errorf("refused posts made %d charges: %+v", total, cs)
	}
	// The right token works.
	if p := post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4242424242424242")); p.status != http.StatusSeeOther {
		t.Errorf("valid post: status %d, want 303", p.status)
	}
}

func TestPayFlow(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, roomy, service.Options{})
			ctx := context.Background()
			l := e.link(t, e.test, service.LinkParams{Amount: 25000})
			c := browser(t)
			page := get(t, c, e.url+"/l/"+l.Slug)

			// Invalid input: 422, errors by the fields, values kept but the
			// card number (its last four only) and the security code.
			f := payForm(csrfOf(t, page), "4242 4242 4242 4241")
			f.Set("email", "nope")
			f.Set("csc", "987")
			p := post(t, c, e.url+"/l/"+l.Slug, f)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("invalid: status %d, want 422", p.status)
			}
			noCardNumber(t, "invalid", p, "4242424242424241")
			for _, want := range []string{`id="number-err"`, "The card number is not valid.", `id="email-err"`, "Visa card ending in 4241", `value="nope"`, `aria-invalid="true"`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("invalid: page lacks %q", want)
				}
			}
			if strings.Contains(p.body, "987") {
				t.Error("invalid: the security code was echoed back")
			}

			// Decline: 402 with the message; the link stays payable.
			p = post(t, c, e.url+"/l/"+l.Slug, payForm(csrfOf(t, p), "4111111111140011"))
			if p.status != http.StatusPaymentRequired || !strings.Contains(p.body, "Your card was declined") || !strings.Contains(p.body, "Insufficient funds") {
				t.Fatalf("decline: status %d, want 402 with the decline message", p.status)
			}

			// Success: 303 to the receipt.
			p = post(t, c, e.url+"/l/"+l.Slug, payForm(csrfOf(t, p), "4242424242424242"))
			loc := p.header.Get("Location")
			if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/l/"+l.Slug+"/complete?") {
				t.Fatalf("success: status %d location %q, want 303 to the receipt", p.status, loc)
			}
			r := get(t, c, e.url+loc)
			for _, want := range []string{"Payment successful", "•••• 4242", "chrg_test_", "Acme Coffee", "THB\u00a0250.00"} {
				if !strings.Contains(r.body, want) {
					t.Errorf("receipt lacks %q", want)
				}
			}
			if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("receipt: status %d cache %q", r.status, r.header.Get("Cache-Control"))
			}
			// A receipt link with another signature is not found.
			u, _ := url.Parse(loc)
			q := u.Query()
			sig := []byte(q.Get("sig"))
			sig[0] = map[bool]byte{true: 'B', false: 'A'}[sig[0] == 'A']
			q.Set("sig", string(sig))
			if r := get(t, c, e.url+u.Path+"?"+q.Encode()); r.status != http.StatusNotFound {
				t.Errorf("forged receipt: status %d, want 404", r.status)
			}

			// Used: 410 for GET and POST.
			if p := get(t, c, e.url+"/l/"+l.Slug); p.status != http.StatusGone || !strings.Contains(p.body, "already been paid") {
				t.Errorf("used link: status %d, want 410 saying so", p.status)
			}
			got, _ := e.svc.GetLink(ctx, e.test, l.ID, "x")
			if !got.Used {
				t.Error("link not used after a successful payment")
			}
			cs, total, _ := e.svc.ListCharges(ctx, e.test, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 10})
			if total != 2 || cs[0].Status != paylinks.ChargeFailed || cs[1].Status != paylinks.ChargeSuccessful {
				t.Errorf("link charges = %d %+v, want a failed and a successful one", total, cs)
			}
		})
	}
}

func TestSuccessURLRedirect(t *testing.T) { forBackends(t, testSuccessURLRedirect) }

func testSuccessURLRedirect(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	l := e.link(t, e.test, service.LinkParams{Amount: 10000, SuccessURL: "https://shop.example.com/thanks?order=7"})
	c := browser(t)
	page := get(t, c, e.url+"/l/"+l.Slug)
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://shop.example.com;") {
		t.Errorf("CSP %q does not allow the redirect to the success URL", csp)
	}
	p := post(t, c, e.url+"/l/"+l.Slug, payForm(csrfOf(t, page), "5555555555554444"))
	// The payment's checkout session is named by session_id (issue 5).
	got := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !regexp.MustCompile(`^https://shop\.example\.com/thanks\?order=7&session_id=cs_[0-9A-Z]{26}$`).MatchString(got) {
		t.Errorf("status %d location %q, want 303 to the success URL with session_id", p.status, got)
	}
}

func TestPayerAmount(t *testing.T) { forBackends(t, testPayerAmount) }

func testPayerAmount(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	l := e.link(t, e.test, service.LinkParams{Amount: 0, Currency: "THB", Multiple: true})
	c := browser(t)
	page := get(t, c, e.url+"/l/"+l.Slug)
	if !strings.Contains(page.body, `autocomplete="transaction-amount"`) {
		t.Fatal("payer-amount page lacks the amount field")
	}
	tests := []struct {
		amount     string
		wantStatus int
		wantText   string
	}{
		{"abc", http.StatusUnprocessableEntity, "Enter the amount in digits only, without a currency sign, like 1,250.50."},
		{"10.00", http.StatusUnprocessableEntity, "amount must be between 20.00 and"},
		{"20.001", http.StatusUnprocessableEntity, "THB amounts have at most 2 decimals"},
		{"1,250.50", http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		f := payForm(csrfOf(t, page), "4242424242424242")
		f.Set("amount", tt.amount)
		p := post(t, c, e.url+"/l/"+l.Slug, f)
		if p.status != tt.wantStatus || !strings.Contains(p.body, tt.wantText) {
			t.Errorf("amount %q: status %d, want %d with %q", tt.amount, p.status, tt.wantStatus, tt.wantText)
		}
	}
	cs, _, _ := e.svc.ListCharges(context.Background(), e.test, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 10})
	if len(cs) != 1 || cs[0].Amount != 125050 {
		t.Errorf("charges = %+v, want one of 125050", cs)
	}
}

func TestUnpayablePages(t *testing.T) { forBackends(t, testUnpayablePages) }

func testUnpayablePages(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	ctx := context.Background()
	deleted := e.link(t, e.test, service.LinkParams{Amount: 10000})
	if _, err := e.svc.DeleteLink(ctx, e.test, deleted.ID, "x"); err != nil {
		t.Fatal(err)
	}
	inactive := e.link(t, e.test, service.LinkParams{Amount: 10000, Inactive: true})
	live := e.link(t, e.live, service.LinkParams{Amount: 10000})
	tests := []struct {
		path       string
		wantStatus int
		wantText   string
	}{
		{"/l/" + deleted.Slug, http.StatusNotFound, "Payment link not found"},
		{"/l/no-such-link", http.StatusNotFound, "Payment link not found"},
		{"/l/a/b/c", http.StatusNotFound, "Payment link not found"},
		{"/l/" + inactive.Slug, http.StatusGone, "no longer active"},
		{"/l/" + live.Slug, http.StatusServiceUnavailable, "Payments are not available"},
	}
	for _, tt := range tests {
		p := get(t, browser(t), e.url+tt.path)
		if p.status != tt.wantStatus || !strings.Contains(p.body, tt.wantText) {
			t.Errorf("GET %s: status %d, want %d with %q", tt.path, p.status, tt.wantStatus, tt.wantText)
		}
		if p.header.Get("Cache-Control") != "no-store" || !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s: security headers missing", tt.path)
		}
	}
	// Live mode: no test banner, no form, and a post is refused.
	c := browser(t)
	p := get(t, c, e.url+"/l/"+live.Slug)
	if strings.Contains(p.body, "Test mode") || strings.Contains(p.body, `name="number"`) {
		t.Error("live page without a processor shows the test banner or the card form")
	}
	token := csrfRE.FindStringSubmatch(p.body)
	if token == nil {
		token = []string{"", ""}
	}
	if p := post(t, c, e.url+"/l/"+live.Slug, payForm(token[1], "4242424242424242")); p.status == http.StatusSeeOther {
		t.Error("live payment without a processor succeeded")
	}
}

// TestSlowDown declines a payer's card until the limit of declines per
// address, on either backend (with PostgreSQL, the buckets are the store's).
func TestSlowDown(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		testSlowDown(t, newEnv(t, backend, checkout.Limits{AttemptsPerIP: 1000, DeclinesPerIP: 3, DeclinesPerLink: 1000}, service.Options{}))
	})
}

// TestSlowDownSharedLimiterDown checks the failure policy of shared limits:
// when the store's buckets cannot be reached, payments go on (402, not a
// refusal of every payer) and this process's buckets limit them (429).
func TestSlowDownSharedLimiterDown(t *testing.T) {
	testSlowDown(t, newEnvWith(t, "sqlite", checkout.Options{
		Limits:      checkout.Limits{AttemptsPerIP: 1000, DeclinesPerIP: 3, DeclinesPerLink: 1000},
		RateLimiter: downLimiter{},
	}, service.Options{}))
}

func testSlowDown(t *testing.T, e *env) {
	t.Helper()
	l := e.link(t, e.test, service.LinkParams{Amount: 10000, Multiple: true})
	c := browser(t)
	token := csrfOf(t, get(t, c, e.url+"/l/"+l.Slug))
	for i := 0; i < 3; i++ {
		if p := post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4111111111130012")); p.status != http.StatusPaymentRequired {
			t.Fatalf("decline %d: status %d, want 402", i, p.status)
		}
	}
	p := post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4242424242424242"))
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many attempts") || p.header.Get("Retry-After") == "" {
		t.Errorf("after 3 declines: status %d Retry-After %q, want 429 with the slow-down page", p.status, p.header.Get("Retry-After"))
	}
}

// downLimiter is a store's shared limiter whose database does not answer.
type downLimiter struct{}

var _ store.RateLimiter = downLimiter{}

func (downLimiter) RateAdmit(context.Context, time.Time, []store.RateBucket, []store.RateBucket) (time.Duration, error) {
	return 0, errors.New("connection refused")
}

func (downLimiter) RateRefund(context.Context, time.Time, ...store.RateBucket) error {
	return errors.New("connection refused")
}

func (downLimiter) RateTake(context.Context, time.Time, ...store.RateBucket) (time.Duration, error) {
	return 0, errors.New("connection refused")
}

// TestConcurrentPayments posts 50 payments of one single-use link at once
// over HTTP: exactly one succeeds, the 49 others are refused clearly.
func TestConcurrentPayments(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, roomy, service.Options{})
			l := e.link(t, e.test, service.LinkParams{Amount: 10000})
			const n = 50
			type payer struct {
				c     *http.Client
				token string
			}
			payers := make([]payer, n)
			for i := range payers {
				c := browser(t)
				payers[i] = payer{c, csrfOf(t, get(t, c, e.url+"/l/"+l.Slug))}
			}
			statuses := make([]int, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range payers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[i] = post(t, payers[i].c, e.url+"/l/"+l.Slug, payForm(payers[i].token, "4242424242424242")).status
				}()
			}
			close(start)
			wg.Wait()
			count := map[int]int{}
			for _, s := range statuses {
				count[s]++
			}
			if count[http.StatusSeeOther] != 1 || count[http.StatusGone]+count[http.StatusConflict] != n-1 {
				t.Errorf("statuses = %v, want one 303 and %d 410 or 409", count, n-1)
			}
			got, _ := e.svc.GetLink(context.Background(), e.test, l.ID, "x")
			cs, total, _ := e.svc.ListCharges(context.Background(), e.test, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 100})
			if !got.Used || total != 1 || !cs[0].Paid() {
				t.Errorf("used %v, %d charges; want used and one successful charge", got.Used, total)
			}
		})
	}
}

// forBackends runs test once per store backend (PostgreSQL when
// PAYLINKS_TEST_POSTGRES is set), in parallel.
func forBackends(t *testing.T, test func(t *testing.T, backend string)) {
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// TestPageAfterUpdate views a link's page until it is served from the page
// cache, then changes the link: the next view shows the change. Each payer
// gets a token of their own that pays.
func TestPageAfterUpdate(t *testing.T) {
	e := newEnv(t, "sqlite", roomy, service.Options{})
	ctx := context.Background()
	l := e.link(t, e.test, service.LinkParams{Amount: 10000, Multiple: true})
	tokens := map[string]bool{}
	var payers []*http.Client
	for range 4 {
		c := browser(t)
		p := get(t, c, e.url+"/l/"+l.Slug)
		if tok := csrfOf(t, p); tokens[tok] {
			t.Errorf("two payers got the token %q", tok)
		} else {
			tokens[tok] = true
		}
		payers = append(payers, c)
	}
	for i, c := range payers {
		p := get(t, c, e.url+"/l/"+l.Slug)
		if p := post(t, c, e.url+"/l/"+l.Slug, payForm(csrfOf(t, p), "4242424242424242")); p.status != http.StatusSeeOther {
			t.Errorf("payer %d: status %d, want 303", i, p.status)
		}
	}
	title, desc, amount := "Iced mocha", "No whipped cream", int64(12345)
	if _, err := e.svc.UpdateLink(ctx, e.test, l.ID, "x", service.LinkUpdate{Title: &title, Description: &desc, Amount: &amount}); err != nil {
		t.Fatal(err)
	}
	p := get(t, browser(t), e.url+"/l/"+l.Slug)
	for _, want := range []string{"Iced mocha", "No whipped cream", "THB\u00a0123.45"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("after the update the page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "Hot latte") {
		t.Error("after the update the page still shows the old title")
	}
	inactive := false
	if _, err := e.svc.UpdateLink(ctx, e.test, l.ID, "x", service.LinkUpdate{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	if p := get(t, browser(t), e.url+"/l/"+l.Slug); p.status != http.StatusGone {
		t.Errorf("deactivated link: status %d, want 410", p.status)
	}
}

// TestConcurrentDeclinesLimited fires many declined payments from one
// address at once: the limit of declines per address holds under
// concurrency (a card tester sends in parallel), on either backend. A decline
// is reserved when the attempt is admitted, not counted after the card was
// tried, so the attempts in flight cannot all pass the check first.
func TestConcurrentDeclinesLimited(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, checkout.Limits{AttemptsPerIP: 1000, DeclinesPerIP: 3, DeclinesPerLink: 1000}, service.Options{})
		l := e.link(t, e.test, service.LinkParams{Amount: 10000, Multiple: true})
		c := browser(t)
		token := csrfOf(t, get(t, c, e.url+"/l/"+l.Slug))
		const n = 24
		statuses := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				statuses[i] = post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4111111111130012")).status
			})
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusPaymentRequired] > 3 || count[http.StatusPaymentRequired]+count[http.StatusTooManyRequests] != n {
			t.Errorf("%d concurrent declined attempts from one address: %v; want at most 3 declines (402), the rest 429", n, count)
		}
		cs, _, _ := e.svc.ListCharges(context.Background(), e.test, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 100})
		if len(cs) > 3 {
			t.Errorf("%d declined charges recorded, want at most 3 (the card was tried that often)", len(cs))
		}
	})
}

// TestSuccessesKeepDeclineBudget: a payment that goes through gives back the
// decline its admission reserved, so a payer who pays often is never slowed
// down by the limit of declines, and a payer's declines still count.
func TestSuccessesKeepDeclineBudget(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, checkout.Limits{AttemptsPerIP: 1000, DeclinesPerIP: 2, DeclinesPerLink: 1000}, service.Options{})
		l := e.link(t, e.test, service.LinkParams{Amount: 10000, Multiple: true})
		c := browser(t)
		token := csrfOf(t, get(t, c, e.url+"/l/"+l.Slug))
		for i := range 6 {
			if p := post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4242424242424242")); p.status != http.StatusSeeOther {
				t.Fatalf("payment %d: status %d, want 303", i, p.status)
			}
		}
		// An invalid card number is neither a decline nor a payment.
		if p := post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4242")); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid number: status %d, want 422", p.status)
		}
		for i := range 2 {
			if p := post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4111111111130012")); p.status != http.StatusPaymentRequired {
				t.Fatalf("decline %d after 6 payments: status %d, want 402", i, p.status)
			}
		}
		if p := post(t, c, e.url+"/l/"+l.Slug, payForm(token, "4242424242424242")); p.status != http.StatusTooManyRequests {
			t.Errorf("after 2 declines: status %d, want 429", p.status)
		}
	})
}
