package v1_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
)

// hostileTexts are values no text field may take, each spelled inside a
// JSON string: escapes of control characters, raw bytes that are not
// UTF-8, and lone surrogates (which encoding/json would silently turn
// into U+FFFD).
var hostileTexts = []struct{ name, json string }{
	{"NUL", `a\u0000b`},
	{"escape", `a\u001bb`},
	{"DEL", "a\x7fb"},
	{"C1", `a\u0085b`},
	{"carriage return", `a\rb`},
	{"invalid UTF-8", "a\xffb"},
	{"truncated UTF-8", "a\xe0\xb8"},
	{"lone surrogate", `a\ud800b`},
	{"lone low surrogate", `a\udc00b`},
	{"reversed pair", `a\udc00\ud800b`},
}

// TestHostileText feeds every text field of the v1 endpoints (payment
// link create and PATCH, checkout session create with its metadata) every
// hostile text, on each store: 400 invalid_request naming the field as
// the request spelled it, and nothing written or changed.
func TestHostileText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "10", "description": "D",
			"successUrl": "https://shop.example.com/ok", "cancelUrl": "https://shop.example.com/back"})
		lp := "/api/v1/payment_links/" + l.str("id")
		cases := []struct {
			method, path, body, param string
		}{
			{"POST", "/api/v1/payment_links", `{"title": "@@", "fiatAmount": "9"}`, "title"},
			{"POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "description": "@@"}`, "description"},
			{"POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "successUrl": "https://shop.example.com/@@"}`, "successUrl"},
			{"POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "cancelUrl": "https://shop.example.com/@@"}`, "cancelUrl"},
			{"PATCH", lp, `{"title": "@@"}`, "title"},
			{"PATCH", lp, `{"description": "@@"}`, "description"},
			{"PATCH", lp, `{"successUrl": "https://shop.example.com/@@"}`, "successUrl"},
			{"PATCH", lp, `{"cancelUrl": "https://shop.example.com/@@"}`, "cancelUrl"},
			{"POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "metadata": {"order": "@@"}}`, "metadata"},
			{"POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "metadata": {"k@@": "1"}}`, "metadata"},
			{"POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "successUrl": "https://shop.example.com/@@"}`, "successUrl"},
			{"POST", "/api/v1/checkout_sessions", `{"linkId": "` + l.str("id") + `", "cancelUrl": "https://shop.example.com/@@"}`, "cancelUrl"},
			{"POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "@@"}}`, "amount.currency"},
		}
		for _, tc := range cases {
			for _, h := range hostileTexts {
				t.Run(tc.method+" "+tc.path+" "+tc.param+" "+h.name, func(t *testing.T) {
					r := c.do(tc.method, tc.path, strings.ReplaceAll(tc.body, "@@", h.json))
					e, _ := r.body["error"].(map[string]any)
					if r.status != http.StatusBadRequest || e["type"] != "invalid_request" || e["param"] != tc.param {
						t.Errorf("got %d %s, want 400 invalid_request naming %s", r.status, r.raw, tc.param)
					}
				})
			}
		}
		if r := c.do("GET", "/api/v1/payment_links", ""); len(r.body["data"].([]any)) != 1 {
			t.Errorf("links after refused requests: %s", r.raw)
		}
		if r := c.do("GET", "/api/v1/checkout_sessions", ""); len(r.body["data"].([]any)) != 0 {
			t.Errorf("sessions after refused requests: %s", r.raw)
		}
		got := c.do("GET", lp, "")
		for k, want := range map[string]string{"title": "T", "description": "D", "successUrl": "https://shop.example.com/ok",
			"cancelUrl": "https://shop.example.com/back", "updatedAt": l.str("updatedAt")} {
			if got.str(k) != want {
				t.Errorf("after refused PATCHes %s = %q, want %q", k, got.str(k), want)
			}
		}
	})
}

// TestTextKeptExactly: Thai, emoji (also as escaped surrogate pairs),
// newlines and tabs in a description are accepted and read back exactly.
func TestTextKeptExactly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		title, desc := "กาแฟเย็น ☕ 😀", "Line one\n\tindented two\nราคารวมภาษี 🇹🇭"
		r := c.json("POST", "/api/v1/payment_links", map[string]any{"title": title, "fiatAmount": "9", "description": desc})
		if r.status != 201 || r.str("title") != title || r.str("description") != desc {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		r = c.do("POST", "/api/v1/payment_links", `{"title": "\u0e01\u0e32\u0e41\u0e1f\u0e40\u0e22\u0e47\u0e19 \u2615 \ud83d\ude00", "fiatAmount": "9", "description": "Line one\n\tindented two\n\u0e23\u0e32\u0e04\u0e32\u0e23\u0e27\u0e21\u0e20\u0e32\u0e29\u0e35 \ud83c\uddf9\ud83c\udded"}`)
		if r.status != 201 || r.str("title") != title || r.str("description") != desc {
			t.Fatalf("create with escapes: %d %s", r.status, r.raw)
		}
		desc2 := "สอง\tสาม\nfour 😀"
		p := c.json("PATCH", "/api/v1/payment_links/"+r.str("id"), map[string]any{"description": desc2})
		if g := c.do("GET", "/api/v1/payment_links/"+r.str("id"), ""); p.status != 200 || g.str("description") != desc2 {
			t.Fatalf("patch: %d %s; read back %s", p.status, p.raw, g.raw)
		}
		s := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"amount": map[string]any{"value": "5", "currency": "USD"},
			"metadata": map[string]any{"คำสั่งซื้อ": "☕ 1001 \ufffd"}})
		g := c.do("GET", "/api/v1/checkout_sessions/"+s.str("id"), "")
		if m, _ := g.body["metadata"].(map[string]any); s.status != 201 || m["คำสั่งซื้อ"] != "☕ 1001 \ufffd" {
			t.Fatalf("session: %d %s; read back %s", s.status, s.raw, g.raw)
		}
	})
}

// TestStrictAmountsAndCurrencies: decimal amounts without sign, spaces,
// leading zeros or more decimals than the currency has; currencies of
// exactly three letters; an unknown member named as sent (finding 5: an
// "amount" sent to link create was reported as fiatAmount).
func TestStrictAmountsAndCurrencies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "10"})
		lp := "/api/v1/payment_links/" + l.str("id")
		for _, bad := range []string{"+99.00", " 99.00", "99.00 ", "99.00\n", "099.00", "00.50", "1e3", "99.001", "-1", "99,00", "٩٩", ""} {
			q := `"` + strings.ReplaceAll(bad, "\n", `\n`) + `"`
			c.do("POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": `+q+`}`).wantError(t, 400, "invalid_request", "invalid_amount", "fiatAmount")
			c.do("PATCH", lp, `{"fiatAmount": `+q+`}`).wantError(t, 400, "invalid_request", "invalid_amount", "fiatAmount")
			c.do("POST", "/api/v1/checkout_sessions", `{"amount": {"value": `+q+`, "currency": "USD"}}`).
				wantError(t, 400, "invalid_request", "invalid_amount", "amount.value")
		}
		for _, bad := range []string{"USD ", " usd", `usd\n`, "US", "USDD", "U D", "ＵＳＤ"} {
			q := `"` + bad + `"`
			c.do("POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "fiatCurrency": `+q+`}`).
				wantError(t, 400, "invalid_request", "invalid_currency", "fiatCurrency")
			c.do("PATCH", lp, `{"fiatAmount": "9", "fiatCurrency": `+q+`}`).wantError(t, 400, "invalid_request", "invalid_currency", "fiatCurrency")
			c.do("POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": `+q+`}}`).
				wantError(t, 400, "invalid_request", "invalid_currency", "amount.currency")
		}
		// Unknown members are named as sent, even when a service
		// parameter of that name would be renamed.
		c.do("POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "amount": "9"}`).
			wantError(t, 400, "invalid_request", "parameter_unknown", "amount")
		c.do("PATCH", lp, `{"amount": 900}`).wantError(t, 400, "invalid_request", "parameter_unknown", "amount")
		c.do("PATCH", lp, `{"currency": "EUR"}`).wantError(t, 400, "invalid_request", "parameter_unknown", "currency")
		c.do("POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "currency": "USD"}`).
			wantError(t, 400, "invalid_request", "parameter_unknown", "currency")
		c.do("POST", "/api/v1/checkout_sessions", `{"linkId": "`+l.str("id")+`", "link_id": "x"}`).
			wantError(t, 400, "invalid_request", "parameter_unknown", "link_id")

		// What is exact still passes: decimals up to the currency's digits, any case of a code.
		for _, good := range []struct{ amount, currency, want string }{{"0.50", "usd", "0.50"}, {"99", "Usd", "99.00"}, {"1000", "jpy", "1000"}} {
			r := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": good.amount, "fiatCurrency": good.currency})
			if r.status != 201 || r.str("fiatAmount") != good.want || r.str("fiatCurrency") != strings.ToUpper(good.currency) {
				t.Errorf("%s %s: %d %s", good.amount, good.currency, r.status, r.raw)
			}
		}
		if r := c.do("GET", "/api/v1/payment_links", ""); len(r.body["data"].([]any)) != 4 {
			t.Errorf("links after the refusals: %d, want the 4 good ones", len(r.body["data"].([]any)))
		}
		if g := c.do("GET", lp, ""); g.str("fiatAmount") != "10.00" || g.str("updatedAt") != l.str("updatedAt") {
			t.Errorf("the patched link changed: %s", g.raw)
		}
	})
}
