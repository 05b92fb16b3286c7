package dashboard_test

import (
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see each 303.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	return read(b.t, resp)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	return read(b.t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the first form of the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		b.t.Fatalf("GET %s: %d, no csrf field in\n%s", path, p.status, p.body)
	}
	return m[1]
}

// submit posts form to action with the CSRF token of the page at from.
func (b *browser) submit(from, action string, form url.Values) page {
	b.t.Helper()
	form.Set("csrf", b.csrf(from))
	return b.post(action, form)
}

func wantRedirect(t *testing.T, p page, status int, loc string) {
	t.Helper()
	if p.status != status || p.header.Get("Location") != loc {
		t.Fatalf("got %d to %q, want %d to %q\n%s", p.status, p.header.Get("Location"), status, loc, p.body)
	}
}

const password = "correct horse battery"

// newUser makes a user of the account with password set and returns a
// browser signed in as them.
func newUser(t *testing.T, env *servertest.Env, account, email string, role paylinks.Role) *browser {
	t.Helper()
	_, token, err := env.Service.CreateUser(context.Background(), service.UserParams{Account: account, Email: email, Role: role})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	b := newBrowser(t, env.URL)
	wantRedirect(t, b.submit("/dashboard/setup?token="+token, "/dashboard/setup", url.Values{"token": {token}, "password": {password}, "confirm": {password}}), http.StatusSeeOther, "/dashboard/signin?set=1")
	wantRedirect(t, b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {email}, "password": {password}}),
		http.StatusSeeOther, "/dashboard/links")
	return b
}

var testStart = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, backend string) (*servertest.Env, *servertest.Clock) {
	clock := servertest.NewClock(testStart)
	return servertest.New(t, backend, servertest.Options{Now: clock.Now}), clock
}

// paidCharge makes a link of the account in test mode and pays it.
func paidCharge(t *testing.T, env *servertest.Env, account paylinks.ID, amount int64) *paylinks.Charge {
	t.Helper()
	ctx := context.Background()
	pr := paylinks.Principal{AccountID: account, Kind: paylinks.KeySecret}
	l, err := env.Service.CreateLink(ctx, pr, service.LinkParams{Title: "Paid", Amount: amount, Currency: "THB"})
	if err != nil {
		t.Fatal(err)
	}
	card := service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "N", ExpirationMonth: 1, ExpirationYear: testStart.Year() + 2}
	c, _, err := env.Service.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: card, Email: "payer@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignIn(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, _ := newEnv(t, backend)
			// Every dashboard page needs a session.
			anon := newBrowser(t, env.URL)
			for _, path := range []string{"/dashboard", "/dashboard/links", "/dashboard/payments", "/dashboard/links/new"} {
				wantRedirect(t, anon.get(path), http.StatusSeeOther, "/dashboard/signin")
			}
			b := newUser(t, env, "acme", "Owner@Example.com", "")
			var sc *http.Cookie
			u, _ := url.Parse(env.URL + "/dashboard/")
			for _, c := range b.c.Jar.Cookies(u) {
				if c.Name == "pl_dash" {
					sc = c
				}
			}
			if sc == nil {
				t.Fatal("no session cookie after sign-in")
			}
			// The jar does not keep attributes: read them from a fresh sign-in.
			fresh := newBrowser(t, env.URL)
			p := fresh.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"owner@example.com"}, "password": {password}})
			var set string
			for _, v := range p.header.Values("Set-Cookie") {
				if strings.HasPrefix(v, "pl_dash=") {
					set = v
				}
			}
			for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/dashboard"} {
				if !strings.Contains(set, attr) {
					t.Errorf("session cookie %q: want %s", set, attr)
				}
			}
			links := b.get("/dashboard/links")
			if links.status != http.StatusOK || !strings.Contains(links.body, "owner@example.com") || !strings.Contains(links.body, "Test mode") {
				t.Errorf("links page: %d\n%s", links.status, links.body)
			}
			csp := links.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "style-src 'nonce-") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP %q: want a style nonce, no script source, no framing", csp)
			}

			// A wrong password, an unknown email: the same refusal.
			for _, email := range []string{"owner@example.com", "nobody@example.com"} {
				p := newBrowser(t, env.URL).submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {email}, "password": {"wrong password!"}})
				if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "The email or password is not right.") {
					t.Errorf("sign in as %s with a wrong password: %d\n%s", email, p.status, p.body)
				}
			}

			// Sign-out ends the session: its cookie no longer works.
			old := b.c.Jar.Cookies(u)
			wantRedirect(t, b.submit("/dashboard/links", "/dashboard/signout", url.Values{}), http.StatusSeeOther, "/dashboard/signin")
			replay := newBrowser(t, env.URL)
			replay.c.Jar.SetCookies(u, old)
			wantRedirect(t, replay.get("/dashboard/links"), http.StatusSeeOther, "/dashboard/signin")
		})
	}
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSetupLink(t *testing.T) {
	clock := servertest.NewClock(testStart)
	var logs lockedBuffer
	env := servertest.New(t, "sqlite", servertest.Options{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	_, token, err := env.Service.CreateUser(ctx, service.UserParams{Account: "acme", Email: "late@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env.URL)
	// Too short a password: the field says why, the token is not spent.
	p := b.submit("/dashboard/setup?token="+token, "/dashboard/setup", url.Values{"token": {token}, "password": {"short"}, "confirm": {"short"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "password must be 10 to 256 characters") {
		t.Errorf("short password: %d\n%s", p.status, p.body)
	}
	// After 24 hours the link is dead.
	clock.Add(service.SetupLinkTTL)
	p = b.submit("/dashboard/setup?token="+token, "/dashboard/setup", url.Values{"token": {token}, "password": {password}, "confirm": {password}})
	if p.status != http.StatusGone {
		t.Errorf("setup link after 24 h: %d, want 410\n%s", p.status, p.body)
	}
	// Nobody can sign in with a password set through a dead link.
	p = b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"late@example.com"}, "password": {password}})
	if p.status != http.StatusUnauthorized {
		t.Errorf("sign in after a dead setup link: %d, want 401", p.status)
	}
	// A used link cannot set the password again.
	_, token2, err := env.Service.CreateUser(ctx, service.UserParams{Account: "acme", Email: "once@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, b.submit("/dashboard/setup?token="+token2, "/dashboard/setup", url.Values{"token": {token2}, "password": {password}, "confirm": {password}}),
		http.StatusSeeOther, "/dashboard/signin?set=1")
	p = b.submit("/dashboard/setup?token="+token2, "/dashboard/setup", url.Values{"token": {token2}, "password": {"an attacker's pw"}, "confirm": {"an attacker's pw"}})
	if p.status != http.StatusGone {
		t.Errorf("setup link used twice: %d, want 410", p.status)
	}
	// The access log saw the setup pages, never their tokens.
	if l := logs.String(); !strings.Contains(l, "/dashboard/setup") || strings.Contains(l, token) || strings.Contains(l, token2) {
		t.Errorf("access log holds a setup token, or no setup request:\n%s", l)
	}
}

func TestCSRF(t *testing.T) {
	env, _ := newEnv(t, "sqlite")
	b := newUser(t, env, "acme", "owner@example.com", "")
	form := url.Values{"title": {"Sneaky"}, "amount": {"50.00"}, "currency": {"THB"}}
	for name, token := range map[string]string{"none": "", "forged": "AAAA", "of the sign-in form": b.csrf("/dashboard/signin")} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if token != "" {
			f.Set("csrf", token)
		}
		if p := b.post("/dashboard/links", f); p.status != http.StatusForbidden {
			t.Errorf("create a link with a %s token: %d, want 403", name, p.status)
		}
	}
	// Another user's token (another session) is refused too.
	other := newUser(t, env, "acme", "second@example.com", "")
	f := url.Values{"title": {"Sneaky"}, "currency": {"THB"}, "csrf": {other.csrf("/dashboard/links/new")}}
	if p := b.post("/dashboard/links", f); p.status != http.StatusForbidden {
		t.Errorf("create a link with another session's token: %d, want 403", p.status)
	}
	// Sign-in without its token, or with a forged one, from a browser
	// that holds the sign-in form's cookie: refused before the password
	// is checked.
	pre := newBrowser(t, env.URL)
	pre.csrf("/dashboard/signin")
	for _, token := range []string{"", "AAAA", b.csrf("/dashboard/links")} {
		if p := pre.post("/dashboard/signin", url.Values{"email": {"owner@example.com"}, "password": {password}, "csrf": {token}}); p.status != http.StatusForbidden {
			t.Errorf("sign in with token %q: %d, want 403", token, p.status)
		}
	}
	page, err := env.Service.LinkPage(context.Background(), paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}, service.CursorPage{Limit: 10})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("links after refused forms: %d, %v; want none", len(page.Items), err)
	}
	// With its token, the same form creates the link.
	p := b.submit("/dashboard/links/new", "/dashboard/links", form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/dashboard/links/") {
		t.Errorf("create with the token: %d %q", p.status, p.header.Get("Location"))
	}
}

func TestSessionExpiry(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, clock := newEnv(t, backend)
			// Idle: a session unused for SessionIdleTTL has ended.
			b := newUser(t, env, "acme", "idle@example.com", "")
			clock.Add(service.SessionIdleTTL - time.Second)
			if p := b.get("/dashboard/links"); p.status != http.StatusOK {
				t.Fatalf("just before the idle expiry: %d", p.status)
			}
			clock.Add(service.SessionIdleTTL - time.Second) // used a moment ago: still on
			if p := b.get("/dashboard/links"); p.status != http.StatusOK {
				t.Fatalf("used within the idle time: %d", p.status)
			}
			clock.Add(service.SessionIdleTTL)
			wantRedirect(t, b.get("/dashboard/links"), http.StatusSeeOther, "/dashboard/signin")

			// Absolute: however busy, a session ends SessionMaxTTL after sign-in.
			b = newUser(t, env, "acme", "busy@example.com", "")
			for i := 0; i < int(service.SessionMaxTTL/time.Hour)-1; i++ {
				clock.Add(time.Hour)
				if p := b.get("/dashboard/links"); p.status != http.StatusOK {
					t.Fatalf("busy session after %d h: %d", i+1, p.status)
				}
			}
			clock.Add(time.Hour)
			wantRedirect(t, b.get("/dashboard/links"), http.StatusSeeOther, "/dashboard/signin")
		})
	}
}

func TestSignInLimit(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) { testSignInLimit(t, backend) })
	}
}

// testSignInLimit: on PostgreSQL the buckets are the store's shared ones.
func testSignInLimit(t *testing.T, backend string) {
	env, clock := newEnv(t, backend)
	newUser(t, env, "acme", "target@example.com", "")
	b := newBrowser(t, env.URL)
	try := func(pw string) int {
		return b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"target@example.com"}, "password": {pw}}).status
	}
	// newUser signed in once: 4 attempts of the user's 5 remain.
	for i := range 4 {
		if got := try("guess number " + string(rune('a'+i))); got != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, got)
		}
	}
	p := b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"target@example.com"}, "password": {password}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("the right password after the limit: %d (Retry-After %q), want 429", p.status, p.header.Get("Retry-After"))
	}
	// The per-address limit: many emails from one address.
	for i := range 30 {
		if got := b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"x" + string(rune('a'+i)) + "@example.com"}, "password": {"nope nope nope"}}).status; got == http.StatusTooManyRequests {
			if i < 15 {
				t.Errorf("address limited after %d other emails, want about 20", i)
			}
			break
		} else if i == 29 {
			t.Errorf("30 emails from one address: never limited")
		}
	}
	// A minute later the user may try again.
	clock.Add(time.Minute)
	if got := try(password); got != http.StatusSeeOther {
		t.Errorf("a minute after the limit: %d, want 303", got)
	}
}

func TestRefundOwnerOnly(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, _ := newEnv(t, backend)
			c := paidCharge(t, env, env.Account.ID, 10000)
			path := "/dashboard/payments/" + paylinks.FormatBase36(c.ID)
			viewer := newUser(t, env, "acme", "viewer@example.com", paylinks.RoleViewer)
			owner := newUser(t, env, "acme", "owner@example.com", paylinks.RoleOwner)

			vp := viewer.get(path)
			if vp.status != http.StatusOK || strings.Contains(vp.body, "/refund") {
				t.Errorf("viewer's payment page: %d, want 200 without the refund form", vp.status)
			}
			// The server refuses a viewer's refund, form or no form.
			for _, amount := range []string{"40.00", "x"} {
				p := viewer.submit(path, path+"/refund", url.Values{"amount": {amount}})
				if p.status != http.StatusForbidden {
					t.Errorf("viewer refunds %s: %d, want 403\n%s", amount, p.status, p.body)
				}
			}
			// A viewer cannot create links either.
			if p := viewer.submit("/dashboard/links", "/dashboard/links", url.Values{"title": {"V"}, "currency": {"THB"}}); p.status != http.StatusForbidden {
				t.Errorf("viewer creates a link: %d, want 403", p.status)
			}
			got, err := env.Service.GetCharge(context.Background(), paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}, c.ID, "")
			if err != nil || got.RefundedAmount != 0 {
				t.Fatalf("after the viewer's refunds: refunded %d, %v; want 0", got.RefundedAmount, err)
			}

			// An owner refunds; more than is left is refused beside the field.
			if p := owner.submit(path, path+"/refund", url.Values{"amount": {"100.01"}}); p.status != http.StatusBadRequest {
				t.Errorf("owner refunds too much: %d, want 400\n%s", p.status, p.body)
			}
			wantRedirect(t, owner.submit(path, path+"/refund", url.Values{"amount": {"40.00"}}), http.StatusSeeOther, path+"?refunded=1")
			got, _ = env.Service.GetCharge(context.Background(), paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}, c.ID, "")
			if got.RefundedAmount != 4000 {
				t.Errorf("after the owner's refund: refunded %d, want 4000", got.RefundedAmount)
			}
			if p := owner.get(path + "?refunded=1"); !strings.Contains(p.body, "Refund made.") || !strings.Contains(p.body, "40.00 THB") || !strings.Contains(p.body, `value="60.00"`) {
				t.Errorf("payment page after the refund:\n%s", p.body)
			}
		})
	}
}

func TestAccountIsolation(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, _ := newEnv(t, backend)
			c := paidCharge(t, env, env.Account.ID, 5000)
			acme := newUser(t, env, "acme", "acme@example.com", "")
			other := newUser(t, env, "other", "other@example.com", "")
			link := "/dashboard/links/" + paylinks.FormatBase36(*c.LinkID)
			pay := "/dashboard/payments/" + paylinks.FormatBase36(c.ID)
			lp := acme.get(link)
			if lp.status != http.StatusOK || !strings.Contains(lp.body, "<svg class=\"qr\"") {
				t.Errorf("acme's own link: %d", lp.status)
			}
			share := regexp.MustCompile(`id="share-url" readonly value="([^"]+)"`).FindStringSubmatch(lp.body)
			if share == nil || !strings.HasPrefix(share[1], env.URL+"/l/") {
				t.Fatalf("link page share URL: %v", share)
			}
			// The QR code's PNG download: a real, square PNG of about 512 px.
			if p := acme.get(link + "/qr.png"); p.status != http.StatusOK || p.header.Get("Content-Type") != "image/png" {
				t.Errorf("qr.png: %d %s", p.status, p.header.Get("Content-Type"))
			} else if img, err := png.Decode(strings.NewReader(p.body)); err != nil || img.Bounds().Dx() != img.Bounds().Dy() || img.Bounds().Dx() < 400 || img.Bounds().Dx() > 512 {
				t.Errorf("qr.png does not decode as a square PNG of 400 to 512 px: %v", err)
			} else if got := decodeQR(t, img); got != share[1] {
				t.Errorf("qr.png reads %q, want the link's share URL %s", got, share[1])
			}
			for _, path := range []string{link, link + "/qr.png", pay} {
				if p := other.get(path); p.status != http.StatusNotFound {
					t.Errorf("other account GET %s: %d, want 404", path, p.status)
				}
			}
			if p := other.submit("/dashboard/links", pay+"/refund", url.Values{"amount": {"1.00"}}); p.status != http.StatusNotFound {
				t.Errorf("other account refunds acme's payment: %d, want 404", p.status)
			}
			for _, path := range []string{"/dashboard/links", "/dashboard/payments"} {
				if p := other.get(path); strings.Contains(p.body, "Paid") || strings.Contains(p.body, "payer@example.com") {
					t.Errorf("other account's %s shows acme's data", path)
				}
			}
			if p := acme.get("/dashboard/payments"); !strings.Contains(p.body, "payer@example.com") || !strings.Contains(p.body, "4242") || !strings.Contains(p.body, "50.00 THB") {
				t.Errorf("acme's payments page lacks its payment:\n%s", p.body)
			}
			// Live mode shows none of the test payments.
			acme.submit("/dashboard/links", "/dashboard/mode", url.Values{"mode": {"live"}})
			if p := acme.get("/dashboard/payments"); !strings.Contains(p.body, "Live mode") || strings.Contains(p.body, "payer@example.com") {
				t.Errorf("live payments page shows test data or no live band")
			}
		})
	}
}

func TestLinksPaging(t *testing.T) {
	env, clock := newEnv(t, "sqlite")
	pr := paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}
	for i := range 30 {
		clock.Add(time.Second)
		if _, err := env.Service.CreateLink(context.Background(), pr, service.LinkParams{Title: "Link " + string(rune('A'+i)), Amount: 5000, Currency: "THB"}); err != nil {
			t.Fatal(err)
		}
	}
	b := newUser(t, env, "acme", "o@example.com", "")
	first := b.get("/dashboard/links")
	m := regexp.MustCompile(`href="/dashboard/links\?after=([0-9a-z]+)"`).FindStringSubmatch(first.body)
	if m == nil || !strings.Contains(first.body, "Link ^") || strings.Contains(first.body, "Link E<") {
		t.Fatalf("first page: newest 25 and a next cursor expected\n%s", first.body)
	}
	second := b.get("/dashboard/links?after=" + m[1])
	if strings.Count(second.body, `data-label="Title"`) != 5 || !strings.Contains(second.body, "Link A<") || strings.Contains(second.body, "after=") {
		t.Errorf("second page: want the 5 oldest and no next cursor\n%s", second.body)
	}
	if p := b.get("/dashboard/links?after=zzzz"); p.status != http.StatusBadRequest {
		t.Errorf("a bad cursor: %d, want 400", p.status)
	}
}

func TestCreateLinkErrors(t *testing.T) {
	env, _ := newEnv(t, "sqlite")
	b := newUser(t, env, "acme", "o@example.com", "")
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"title": {"T"}, "amount": {"1.001"}, "currency": {"THB"}}, `id="amount-err"`},
		{url.Values{"title": {"T"}, "amount": {"10"}, "currency": {"XXX1"}}, `id="currency-err"`},
		{url.Values{"title": {"T"}, "amount": {"10.00"}, "currency": {"QQQ"}}, `id="currency-err"`},
		{url.Values{"title": {"T"}, "currency": {"THB"}, "success_url": {"javascript:alert(1)"}}, `id="success-err"`},
	} {
		p := b.submit("/dashboard/links/new", "/dashboard/links", tc.form)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.want) {
			t.Errorf("%v: %d, want 400 with %s\n%s", tc.form, p.status, tc.want, p.body)
		}
	}
}

func TestDashboardNotFoundIsHTML(t *testing.T) {
	env, _ := newEnv(t, "sqlite")
	p := newBrowser(t, env.URL).get("/dashboard/nope/nothing")
	if p.status != http.StatusNotFound || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown dashboard path: %d %s, want an HTML 404", p.status, p.header.Get("Content-Type"))
	}
	p = newBrowser(t, env.URL).get("/dashboard/signout")
	if p.status != http.StatusMethodNotAllowed || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /dashboard/signout: %d %s, want an HTML 405", p.status, p.header.Get("Content-Type"))
	}
}

// TestSecureCookies: behind an https public URL every dashboard cookie is
// Secure (and HttpOnly, SameSite=Lax); over plain http it is not, or the
// browser would drop it.
func TestSecureCookies(t *testing.T) {
	st := servertest.OpenStore(t, "sqlite")
	svc := service.New(st, service.Options{})
	if _, err := svc.EnsureAccount(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	if _, token, err := svc.CreateUser(context.Background(), service.UserParams{Account: "acme", Email: "s@example.com"}); err != nil {
		t.Fatal(err)
	} else if _, err := svc.SetPassword(context.Background(), token, password); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		public string
		secure bool
	}{{"https://pay.example.com", true}, {"http://127.0.0.1:8080", false}} {
		h := server.New(server.Config{Service: svc, PublicURL: tc.public, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/dashboard/signin", nil))
		pre := w.Result().Cookies()
		m := csrfRE.FindStringSubmatch(w.Body.String())
		if len(pre) != 1 || m == nil {
			t.Fatalf("%s: sign-in page: cookies %v, token %v", tc.public, pre, m)
		}
		r := httptest.NewRequest("POST", "/dashboard/signin", strings.NewReader(url.Values{"csrf": {m[1]}, "email": {"s@example.com"}, "password": {password}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(pre[0])
		w2 := httptest.NewRecorder()
		h.ServeHTTP(w2, r)
		if w2.Code != http.StatusSeeOther {
			t.Fatalf("%s: sign in: %d", tc.public, w2.Code)
		}
		for _, c := range append(pre, w2.Result().Cookies()...) {
			if c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("%s: cookie %s: Secure %v HttpOnly %v SameSite %v; want Secure %v, HttpOnly, Lax", tc.public, c.Name, c.Secure, c.HttpOnly, c.SameSite, tc.secure)
			}
		}
	}
}

// decodeQR reads the text of the QR code in img with a QR decoder.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("QR bitmap: %v", err)
	}
	res, err := qrreader.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}
