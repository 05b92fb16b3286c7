package v1_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/servertest"
)

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// payer is a browser on the hosted pages: a cookie jar, no redirects.
type payer struct {
	t *testing.T
	c *http.Client
}

func newPayer(t *testing.T) payer {
	jar, _ := cookiejar.New(nil)
	return payer{t, &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p payer) get(u string) (int, string, http.Header) {
	p.t.Helper()
	resp, err := p.c.Get(u)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// pay opens the page at u and submits the form with a good card.
func (p payer) pay(u, number string) (int, string, http.Header) {
	p.t.Helper()
	status, page, _ := p.get(u)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		p.t.Fatalf("no form at %s (status %d)", u, status)
	}
	form := url.Values{"csrf": {m[1]}, "email": {"payer@example.com"}, "number": {number},
		"exp": {"12 / " + time.Now().AddDate(2, 0, 0).Format("06")}, "csc": {"123"}, "name": {"Somchai Jaidee"}}
	resp, err := p.c.PostForm(u, form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestSessionLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "Pro Plan", "fiatAmount": "99.00",
			"successUrl": "https://example.com/thanks?plan=pro", "cancelUrl": "https://example.com/back"})
		s := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"linkId": l.str("id"), "metadata": map[string]string{"order": "42"}})
		if s.status != 201 || !sessionIDRe.MatchString(s.str("id")) || s.str("status") != "open" || s.str("linkId") != l.str("id") ||
			s.str("url") != env.URL+"/c/"+s.str("id") || s.str("successUrl") != "https://example.com/thanks?plan=pro" {
			t.Fatalf("create: %d %s", s.status, s.raw)
		}
		if fiat := s.body["fiat"].(map[string]any); fiat["amount"] != "99.00" || fiat["currency"] != "USD" {
			t.Errorf("fiat: %v", fiat)
		}
		created, _ := time.Parse(time.RFC3339, s.str("createdAt"))
		expires, _ := time.Parse(time.RFC3339, s.str("expiresAt"))
		if expires.Sub(created) != 30*time.Minute {
			t.Errorf("expiresAt - createdAt = %s, want 30m", expires.Sub(created))
		}
		// A new price affects only later sessions; deactivating refuses new
		// sessions but the open one stays payable.
		c.do("PATCH", "/api/v1/payment_links/"+l.str("id"), `{"fiatAmount": "120.00", "active": false}`)
		c.json("POST", "/api/v1/checkout_sessions", map[string]any{"linkId": l.str("id")}).wantError(t, 409, "conflict", "link_inactive", "linkId")
		p := newPayer(t)
		status, page, _ := p.get(s.str("url"))
		if status != 200 || !strings.Contains(page, "Pro Plan") || !strings.Contains(page, "$99.00") || !strings.Contains(page, `href="https://example.com/back"`) {
			t.Errorf("session page: %d, want Pro Plan at $99.00 with a cancel link\n%s", status, page)
		}
		status, _, h := p.pay(s.str("url"), "4242424242424242")
		want := "https://example.com/thanks?plan=pro&session_id=" + s.str("id")
		if status != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("pay: %d to %q, want 303 to %q", status, h.Get("Location"), want)
		}
		got := c.do("GET", "/api/v1/checkout_sessions/"+s.str("id"), "")
		if got.str("status") != "complete" || !timeRe.MatchString(got.str("completedAt")) || got.body["metadata"].(map[string]any)["order"] != "42" {
			t.Errorf("after payment: %s", got.raw)
		}
		// Paid once: the page now shows the receipt, a second payment is refused.
		if status, _, h := p.get(s.str("url")); status != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "/complete") {
			t.Errorf("page of a complete session: %d %q", status, h.Get("Location"))
		}
		if status, page, _ := p.get(s.str("url") + "/complete"); status != 200 || !strings.Contains(page, "Payment successful") {
			t.Errorf("receipt: %d", status)
		}

		// Deleted link: the page of its open session still takes payment.
		c.do("PATCH", "/api/v1/payment_links/"+l.str("id"), `{"active": true}`)
		s2 := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"linkId": l.str("id")})
		if s2.body["fiat"].(map[string]any)["amount"] != "120.00" {
			t.Errorf("session after the price change: %s", s2.raw)
		}
		c.do("DELETE", "/api/v1/payment_links/"+l.str("id"), "")
		c.json("POST", "/api/v1/checkout_sessions", map[string]any{"linkId": l.str("id")}).wantError(t, 409, "conflict", "link_deleted", "linkId")
		if status, _, _ := p.pay(s2.str("url"), "4242424242424242"); status != http.StatusSeeOther {
			t.Errorf("paying a deleted link's session: %d, want 303", status)
		}

		// Ad hoc, no success URL: the receipt.
		s3 := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"amount": map[string]any{"value": "1000", "currency": "JPY"}})
		if status, _, h := p.pay(s3.str("url"), "4242424242424242"); status != http.StatusSeeOther || h.Get("Location") != "/c/"+s3.str("id")+"/complete" {
			t.Errorf("ad-hoc pay: %d %q", status, h.Get("Location"))
		}

		// Lists, newest first, by cursor.
		page1 := c.do("GET", "/api/v1/checkout_sessions?limit=2", "")
		data := page1.body["data"].([]any)
		if len(data) != 2 || data[0].(map[string]any)["id"] != s3.str("id") || page1.body["hasMore"] != true {
			t.Errorf("first page: %s", page1.raw)
		}
		page2 := c.do("GET", "/api/v1/checkout_sessions?limit=2&starting_after="+page1.str("nextCursor"), "")
		if d := page2.body["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != s.str("id") || page2.body["hasMore"] != false {
			t.Errorf("second page: %s", page2.raw)
		}
		// A bad session id is a 404 page.
		if status, _, _ := p.get(env.URL + "/c/cs_nope"); status != 404 {
			t.Errorf("unknown session page: %d", status)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			var mu sync.Mutex
			now := time.Now().UTC()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			env := servertest.New(t, backend, servertest.Options{Now: clock})
			c := client{t: t, base: env.URL, key: env.SecretTest}
			at := now.Add(6 * time.Minute).Truncate(time.Millisecond)
			s := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"amount": map[string]any{"value": "5.00", "currency": "USD"},
				"expiresAt": at.Format(time.RFC3339Nano)})
			if s.str("expiresAt") != at.Format("2006-01-02T15:04:05.000Z") {
				t.Errorf("expiresAt %s, want %s", s.str("expiresAt"), at)
			}
			p := newPayer(t)
			status, page, _ := p.get(s.str("url"))
			m := csrfRe.FindStringSubmatch(page)
			if status != 200 || m == nil {
				t.Fatalf("page: %d", status)
			}
			mu.Lock()
			now = at
			mu.Unlock()
			if r := c.do("GET", "/api/v1/checkout_sessions/"+s.str("id"), ""); r.str("status") != "expired" {
				t.Errorf("status after expiry: %s", r.raw)
			}
			resp, err := p.c.PostForm(s.str("url"), url.Values{"csrf": {m[1]}, "email": {"a@example.com"}, "number": {"4242424242424242"},
				"exp": {"12 / 40"}, "csc": {"123"}, "name": {"A B"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusGone {
				t.Errorf("paying an expired session: %d, want 410", resp.StatusCode)
			}
		})
	}
}

// TestLinkPagePaymentMakesSession: paying /l/{slug} records a checkout
// session, named in the success redirect and visible through the API.
func TestLinkPagePaymentMakesSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "25.00", "successUrl": "https://example.com/ok"})
		status, _, h := newPayer(t).pay(l.str("checkoutUrl"), "4242424242424242")
		loc, _ := url.Parse(h.Get("Location"))
		id := loc.Query().Get("session_id")
		if status != http.StatusSeeOther || !sessionIDRe.MatchString(id) {
			t.Fatalf("pay: %d %q", status, h.Get("Location"))
		}
		s := c.do("GET", "/api/v1/checkout_sessions/"+id, "")
		if s.str("status") != "complete" || s.str("linkId") != l.str("id") || s.body["fiat"].(map[string]any)["amount"] != "25.00" {
			t.Errorf("the payment's session: %s", s.raw)
		}
	})
}
