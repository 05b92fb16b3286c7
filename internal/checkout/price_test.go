package checkout_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// merchant calls the v1 API with a secret key, as a merchant's code does.
type merchant struct {
	tb  testing.TB
	url string
	key string
}

func (e *env) merchant(tb testing.TB) *merchant {
	tb.Helper()
	return &merchant{tb: tb, url: e.url, key: servertest.MustKey(tb, e.svc, e.test.AccountID, false, paylinks.KeySecret)}
}

// do sends a JSON body to the v1 API and returns the decoded answer,
// failing the test unless the status is want.
func (m *merchant) do(method, path, body string, want int) map[string]any {
	m.tb.Helper()
	req, _ := http.NewRequest(method, m.url+"/api/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+m.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		m.tb.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.StatusCode != want {
		m.tb.Fatalf("%s %s: status %d %v, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

// link creates a payment link through the v1 API and returns its id and
// the path of its page.
func (m *merchant) link(body string) (id, path string) {
	m.tb.Helper()
	l := m.do("POST", "/payment_links", body, http.StatusCreated)
	u, err := url.Parse(l["checkoutUrl"].(string))
	if err != nil {
		m.tb.Fatal(err)
	}
	return l["id"].(string), u.Path
}

func (e *env) charges(tb testing.TB, slug string) []paylinks.Charge {
	tb.Helper()
	l, err := e.svc.LinkBySlug(context.Background(), slug)
	if err != nil {
		tb.Fatal(err)
	}
	cs, _, err := e.svc.ListCharges(context.Background(), e.test, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 100})
	if err != nil {
		tb.Fatal(err)
	}
	return cs
}

// TestPriceChangedBeforePay: a payer opens a link's page, the merchant
// PATCHes the link's price through the v1 API, and the payer submits the
// form already on screen. Nothing is charged; the page comes back (409)
// with the new price and a notice, and its form pays the new price. A
// change that keeps the price (the title) pays what was shown.
func TestPriceChangedBeforePay(t *testing.T) { forBackends(t, testPriceChangedBeforePay) }

func testPriceChangedBeforePay(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	m := e.merchant(t)
	tests := []struct {
		name, create, patch string
		wantNotice          string
		wantPrice           string // shown on the 409 page
		wantCharged         int64
		wantCurrency        string
	}{
		{"amount", `{"title": "Pro plan", "fiatAmount": "10.00"}`, `{"fiatAmount": "999.00"}`,
			"The price of this link changed from $10.00 to $999.00. Check the new price and pay again. Nothing was charged.",
			"Pay $999.00", 99900, "USD"},
		{"currency", `{"title": "Pro plan", "fiatAmount": "10.00"}`, `{"fiatCurrency": "JPY", "fiatAmount": "1000"}`,
			"The price of this link changed from $10.00 to ¥1,000. Check the new price and pay again. Nothing was charged.",
			"Pay ¥1,000", 1000, "JPY"},
		{"amount down", `{"title": "Pro plan", "fiatAmount": "10.00"}`, `{"fiatAmount": "9.00"}`,
			"The price of this link changed from $10.00 to $9.00.", "Pay $9.00", 900, "USD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, path := m.link(tt.create)
			slug := strings.TrimPrefix(path, "/l/")
			c := browser(t)
			page := get(t, c, e.url+path, "Accept-Language", "en-US")
			if !strings.Contains(page.body, "$10.00") {
				t.Fatalf("page lacks $10.00")
			}
			m.do("PATCH", "/payment_links/"+id, tt.patch, http.StatusOK)

			p := post(t, c, e.url+path, payForm(csrfOf(t, page), "4111111111111111"))
			if p.status != http.StatusConflict {
				t.Fatalf("POST after the PATCH: status %d, want 409", p.status)
			}
			for _, want := range []string{tt.wantNotice, tt.wantPrice, "The price has changed", `class="alert alert-notice"`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("409 page lacks %q", want)
				}
			}
			if strings.Contains(p.body, "Pay $10.00") {
				t.Error("409 page still offers the old price")
			}
			noCardNumber(t, "409", p, "4111111111111111")
			if cs := e.charges(t, slug); len(cs) != 0 {
				t.Fatalf("a refused payment made charges: %+v", cs)
			}
			// The re-rendered form carries the new price: it pays it.
			p = post(t, c, e.url+path, payForm(csrfOf(t, p), "4111111111111111"))
			if p.status != http.StatusSeeOther {
				t.Fatalf("POST of the 409 page's form: status %d, want 303", p.status)
			}
			cs := e.charges(t, slug)
			if len(cs) != 1 || cs[0].Amount != tt.wantCharged || cs[0].Currency != tt.wantCurrency || !cs[0].Paid() {
				t.Errorf("charges = %+v, want one paid of %d %s", cs, tt.wantCharged, tt.wantCurrency)
			}
		})
	}

	t.Run("title only", func(t *testing.T) {
		id, path := m.link(`{"title": "Pro plan", "fiatAmount": "10.00"}`)
		c := browser(t)
		page := get(t, c, e.url+path)
		m.do("PATCH", "/payment_links/"+id, `{"title": "Pro plan (yearly)", "description": "Billed once"}`, http.StatusOK)
		if p := post(t, c, e.url+path, payForm(csrfOf(t, page), "4111111111111111")); p.status != http.StatusSeeOther {
			t.Fatalf("POST after a title change: status %d, want 303", p.status)
		}
		if cs := e.charges(t, strings.TrimPrefix(path, "/l/")); len(cs) != 1 || cs[0].Amount != 1000 || cs[0].Currency != "USD" {
			t.Errorf("charges = %+v, want one of 10.00 USD, as shown", cs)
		}
	})

	t.Run("payer chooses", func(t *testing.T) {
		l := e.link(t, e.test, service.LinkParams{Amount: 0, Currency: "USD", Multiple: true})
		c := browser(t)
		page := get(t, c, e.url+"/l/"+l.Slug)
		amount := int64(2500)
		if _, err := e.svc.UpdateLink(context.Background(), e.test, l.ID, "x", service.LinkUpdate{Amount: &amount}); err != nil {
			t.Fatal(err)
		}
		f := payForm(csrfOf(t, page), "4111111111111111")
		f.Set("amount", "1.00")
		p := post(t, c, e.url+"/l/"+l.Slug, f)
		if p.status != http.StatusConflict || !strings.Contains(p.body, "you no longer choose the amount, it is now $25.00") ||
			strings.Contains(p.body, `id="amount"`) {
			t.Errorf("payer-chosen amount, then fixed: status %d, want 409 with the new price and no amount field", p.status)
		}
		if cs := e.charges(t, l.Slug); len(cs) != 0 {
			t.Errorf("charges = %+v, want none", cs)
		}
	})

	// A quote that is not the page's, or none, is refused like a forged
	// CSRF token, and charges nothing.
	t.Run("tampered quote", func(t *testing.T) {
		_, path := m.link(`{"title": "Pro plan", "fiatAmount": "10.00"}`)
		c := browser(t)
		token := csrfOf(t, get(t, c, e.url+path))
		parts := strings.Split(token, ".")
		if len(parts) != 4 || parts[0] != "1000" || parts[1] != "USD" {
			t.Fatalf("token %q does not carry the quote 1000.USD.<version>", token)
		}
		mac := parts[3]
		for name, forged := range map[string]string{
			"cheaper":     "1." + strings.Join(parts[1:], "."),
			"currency":    parts[0] + ".JPY." + parts[2] + "." + mac,
			"payer":       "any." + strings.Join(parts[1:], "."),
			"version":     parts[0] + "." + parts[1] + ".0." + mac,
			"no quote":    mac,
			"empty quote": "." + mac,
		} {
			p := post(t, c, e.url+path, payForm(forged, "4111111111111111"))
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "This page has expired") {
				t.Errorf("%s: status %d, want the 403 of a bad token", name, p.status)
			}
			noCardNumber(t, name, p, "4111111111111111")
		}
		if cs := e.charges(t, strings.TrimPrefix(path, "/l/")); len(cs) != 0 {
			t.Errorf("forged quotes made charges: %+v", cs)
		}
		if p := post(t, c, e.url+path, payForm(token, "4111111111111111")); p.status != http.StatusSeeOther {
			t.Errorf("the page's own token: status %d, want 303", p.status)
		}
	})
}

// TestSessionPagePriceFixed: a session's page keeps the price the session
// was made with after its link is PATCHed, and pays that price.
func TestSessionPagePriceFixed(t *testing.T) { forBackends(t, testSessionPagePriceFixed) }

func testSessionPagePriceFixed(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	m := e.merchant(t)
	id, _ := m.link(`{"title": "Pro plan", "fiatAmount": "10.00"}`)
	s := m.do("POST", "/checkout_sessions", `{"linkId": "`+id+`"}`, http.StatusCreated)
	u, _ := url.Parse(s["url"].(string))
	c := browser(t)
	page := get(t, c, e.url+u.Path)
	m.do("PATCH", "/payment_links/"+id, `{"fiatCurrency": "EUR", "fiatAmount": "999.00"}`, http.StatusOK)
	again := get(t, c, e.url+u.Path)
	if !strings.Contains(again.body, "Pay $10.00") || strings.Contains(again.body, "999.00") || strings.Contains(again.body, "999,00") {
		t.Error("the session's page changed with its link")
	}
	p := post(t, c, e.url+u.Path, payForm(csrfOf(t, page), "4111111111111111"))
	if p.status != http.StatusSeeOther {
		t.Fatalf("session payment: status %d, want 303", p.status)
	}
	sid, _ := paylinks.ParseSessionID(strings.TrimPrefix(u.Path, "/c/"))
	info, err := e.svc.SessionCheckout(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := e.svc.SessionCharge(context.Background(), info.Session)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Amount != 1000 || ch.Currency != "USD" {
		t.Errorf("session charged %d %s, want 1000 USD, its price at creation", ch.Amount, ch.Currency)
	}
}

// TestPayerAmountByLocale pays links whose payer types the amount, over
// HTTP, on pages in English and German. "1,000,00" on an English page was
// charged 100,000.00; it is refused with a message on the field.
func TestPayerAmountByLocale(t *testing.T) { forBackends(t, testPayerAmountByLocale) }

func testPayerAmountByLocale(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	tests := []struct {
		lang, currency, typed string
		want                  int64 // 0: refused
		wantMsg               string
	}{
		{"en-US,en;q=0.9", "USD", "1,000,00", 0, "“,” separators are in the wrong places: on this page “,” groups thousands and a decimal point (.) separates the decimals, like 1,250.50."},
		{"en-US", "USD", "1.000.00", 0, "more than one decimal separator"},
		{"en-US", "USD", "1,000.00", 100000, ""},
		{"en-US", "USD", "1000", 100000, ""},
		{"en-US", "USD", "1.5", 150, ""},
		{"de-DE,de;q=0.9", "EUR", "1.000,00", 100000, ""},
		{"de-DE", "EUR", "1,000.00", 0, "after the decimals"},
		{"de-DE", "EUR", "12,345", 0, "EUR amounts have at most 2 decimals"},
		{"fr-FR", "EUR", "1 000,50", 100050, ""},
	}
	for _, tt := range tests {
		l := e.link(t, e.test, service.LinkParams{Amount: 0, Currency: tt.currency})
		c := browser(t)
		page := get(t, c, e.url+"/l/"+l.Slug, "Accept-Language", tt.lang)
		f := payForm(csrfOf(t, page), "4111111111111111")
		f.Set("amount", tt.typed)
		req, _ := http.NewRequest("POST", e.url+"/l/"+l.Slug, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", tt.lang)
		p := do(t, c, req)
		cs := e.charges(t, l.Slug)
		if tt.want != 0 {
			if p.status != http.StatusSeeOther || len(cs) != 1 || cs[0].Amount != tt.want {
				t.Errorf("%s %q: status %d, charges %+v; want 303 and one charge of %d", tt.lang, tt.typed, p.status, cs, tt.want)
			}
			continue
		}
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="amount-err"`) || !strings.Contains(p.body, tt.wantMsg) {
			t.Errorf("%s %q: status %d, want 422 with %q on the amount field", tt.lang, tt.typed, p.status, tt.wantMsg)
		}
		if len(cs) != 0 {
			t.Errorf("%s %q: charged %+v", tt.lang, tt.typed, cs)
		}
		noCardNumber(t, tt.typed, p, "4111111111111111")
	}
	// The placeholder is written the page's way.
	l := e.link(t, e.test, service.LinkParams{Amount: 0, Currency: "EUR"})
	if p := get(t, browser(t), e.url+"/l/"+l.Slug, "Accept-Language", "de-DE"); !strings.Contains(p.body, `placeholder="1,00"`) {
		t.Error("a German page's amount placeholder is not 1,00")
	}
}

// TestCardNumberNeverRerendered: no page that shows the form again (a
// decline, each field's error, a changed price, a session's page) holds the
// card number; it says the card's last four digits beside the empty field.
func TestCardNumberNeverRerendered(t *testing.T) { forBackends(t, testCardNumberNeverRerendered) }

func testCardNumberNeverRerendered(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	ctx := context.Background()
	link := e.link(t, e.test, service.LinkParams{Amount: 25000, Multiple: true})
	payer := e.link(t, e.test, service.LinkParams{Amount: 0, Currency: "THB", Multiple: true})
	sessLink := e.link(t, e.test, service.LinkParams{Amount: 9900, Currency: "USD", Multiple: true})
	sess, err := e.svc.CreateSession(ctx, e.test, service.SessionParams{LinkID: &sessLink.ID})
	if err != nil {
		t.Fatal(err)
	}
	sessPath := "/c/" + paylinks.FormatSessionID(sess.ID)
	exp := payForm("", "").Get("exp")
	tests := []struct {
		name, path, number string
		edit               func(f url.Values)
		before             func() // between the page and the POST
		wantStatus         int
		wantEnding         string
	}{
		{"decline", "/l/" + link.Slug, "4111111111140011", nil, nil, http.StatusPaymentRequired, "Visa card ending in 0011"},
		{"decline, spaced", "/l/" + link.Slug, "4111 1111 1113 0012", nil, nil, http.StatusPaymentRequired, "Visa card ending in 0012"},
		{"bad number", "/l/" + link.Slug, "4111 1111 1111 1112", nil, nil, http.StatusUnprocessableEntity, "Visa card ending in 1112"},
		{"bad email", "/l/" + link.Slug, "5555555555554444", func(f url.Values) { f.Set("email", "nope") }, nil, http.StatusUnprocessableEntity, "Mastercard card ending in 4444"},
		{"bad expiry", "/l/" + link.Slug, "4111111111111111", func(f url.Values) { f.Set("exp", "13 / 99") }, nil, http.StatusUnprocessableEntity, "Visa card ending in 1111"},
		{"past expiry", "/l/" + link.Slug, "4111111111111111", func(f url.Values) { f.Set("exp", "01 / 20") }, nil, http.StatusUnprocessableEntity, "ending in 1111"},
		{"bad code", "/l/" + link.Slug, "378282246310005", func(f url.Values) { f.Set("csc", "98765") }, nil, http.StatusUnprocessableEntity, "American Express card ending in 0005"},
		{"no name", "/l/" + link.Slug, "4111111111111111", func(f url.Values) { f.Set("name", "") }, nil, http.StatusUnprocessableEntity, "ending in 1111"},
		{"dashed number", "/l/" + link.Slug, "5555-5555-5555-4444", func(f url.Values) { f.Set("email", "") }, nil, http.StatusUnprocessableEntity, "Mastercard card ending in 4444"},
		{"bad amount", "/l/" + payer.Slug, "4111111111111111", func(f url.Values) { f.Set("amount", "1,000,00") }, nil, http.StatusUnprocessableEntity, "ending in 1111"},
		{"price changed", "/l/" + link.Slug, "4111111111111111", nil, func() {
			amount := int64(30000)
			if _, err := e.svc.UpdateLink(ctx, e.test, link.ID, "x", service.LinkUpdate{Amount: &amount}); err != nil {
				t.Fatal(err)
			}
		}, http.StatusConflict, "ending in 1111"},
		{"session decline", sessPath, "4111111111140011", nil, nil, http.StatusPaymentRequired, "ending in 0011"},
		{"session bad email", sessPath, "4111111111111111", func(f url.Values) { f.Set("email", "nope") }, nil, http.StatusUnprocessableEntity, "ending in 1111"},
		{"session bad expiry", sessPath, "4111111111111111", func(f url.Values) { f.Set("exp", "1") }, nil, http.StatusUnprocessableEntity, "ending in 1111"},
	}
	for _, tt := range tests {
		c := browser(t)
		page := get(t, c, e.url+tt.path)
		f := payForm(csrfOf(t, page), tt.number)
		f.Set("amount", "50")
		f.Set("csc", "987")
		if strings.HasPrefix(tt.number, "37") {
			f.Set("csc", "9876")
		}
		if f.Get("exp") == "" {
			f.Set("exp", exp)
		}
		if tt.edit != nil {
			tt.edit(f)
		}
		if tt.before != nil {
			tt.before()
		}
		p := post(t, c, e.url+tt.path, f)
		if p.status != tt.wantStatus {
			t.Errorf("%s: status %d, want %d", tt.name, p.status, tt.wantStatus)
		}
		digits := strings.NewReplacer(" ", "", "-", "").Replace(tt.number)
		noCardNumber(t, tt.name, p, digits)
		// The random token could hold the code's digits by chance: not it.
		if strings.Contains(csrfRE.ReplaceAllString(p.body, ""), f.Get("csc")) {
			t.Errorf("%s: the page holds the security code", tt.name)
		}
		if !strings.Contains(p.body, tt.wantEnding) || !strings.Contains(p.body, `aria-describedby="number-ending"`) && !strings.Contains(p.body, "number-err number-ending") {
			t.Errorf("%s: the page lacks %q beside the number field", tt.name, tt.wantEnding)
		}
		if !strings.Contains(p.body, `<input id="number" name="number" type="text" inputmode="numeric" autocomplete="cc-number" required maxlength="23" placeholder`) {
			t.Errorf("%s: the number field is not empty", tt.name)
		}
	}
}

// TestSessionPageQuoteMismatch: a session's price never changes, so only a
// form signed for another price reaches the session's price check; made
// here with the server's secret, it charges nothing and gets the session's
// page again (409) with its own price, without the card number.
func TestSessionPageQuoteMismatch(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	e := newEnvWith(t, "sqlite", checkout.Options{Limits: roomy, Secret: secret}, service.Options{})
	l := e.link(t, e.test, service.LinkParams{Amount: 9900, Currency: "USD", Multiple: true})
	sess, err := e.svc.CreateSession(context.Background(), e.test, service.SessionParams{LinkID: &l.ID})
	if err != nil {
		t.Fatal(err)
	}
	path := "/c/" + paylinks.FormatSessionID(sess.ID)
	c := browser(t)
	page := get(t, c, e.url+path)
	if got, want := csrfOf(t, page)[:len("9900.USD.0.")], "9900.USD.0."; got != want {
		t.Fatalf("the session page's quote is %q, want %q", got, want)
	}
	u, _ := url.Parse(e.url)
	var cookie string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "pl_csrf" {
			cookie = ck.Value
		}
	}
	// The token as csrfToken makes it: HMAC-SHA256 of the parts, each
	// followed by a NUL, in unpadded base64url.
	quote := "100.USD.0"
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("csrf\x00" + cookie + "\x00" + path + "\x00" + quote + "\x00"))
	forged := quote + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	p := post(t, c, e.url+path, payForm(forged, "5555555555554444"))
	if p.status != http.StatusConflict || !strings.Contains(p.body, "The price of this checkout changed from $1.00 to $99.00") ||
		!strings.Contains(p.body, "Pay $99.00") {
		t.Errorf("status %d, want 409 with the session's own price", p.status)
	}
	noCardNumber(t, "session 409", p, "5555555555554444")
	info, err := e.svc.SessionCheckout(context.Background(), sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Session.Status != paylinks.SessionOpen || info.Session.ChargeID != nil {
		t.Errorf("session after the refused payment: %+v", info.Session)
	}
	if cs := e.charges(t, l.Slug); len(cs) != 0 {
		t.Errorf("charges = %+v, want none", cs)
	}
	// The page's own form pays the session's price.
	if p := post(t, c, e.url+path, payForm(csrfOf(t, p), "5555555555554444")); p.status != http.StatusSeeOther {
		t.Errorf("the 409 page's form: status %d, want 303", p.status)
	}
}
