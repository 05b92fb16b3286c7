package omise_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
)

// hostileText is one value no text field may take, spelled for a form body
// (raw bytes, percent-encoded when sent) and inside a JSON string. A lone
// surrogate exists only in JSON.
type hostileText struct {
	name, form, json string
}

var hostileTexts = []hostileText{
	{"NUL", "a\x00b", `a\u0000b`},
	{"escape", "a\x1bb", `a\u001bb`},
	{"DEL", "a\x7fb", "a\x7fb"},
	{"C1", "a\u0085b", `a\u0085b`},
	{"carriage return", "a\rb", `a\rb`},
	{"invalid UTF-8", "a\xffb", "a\xffb"},
	{"truncated UTF-8", "a\xe0\xb8", "a\xe0\xb8"},
	{"lone surrogate", "", `a\ud800b`},
	{"lone low surrogate", "", `a\udc00b`},
}

// textCase is one text field of one endpoint: a form body and a JSON body
// with @@ where the hostile text goes, and TOKEN where a token id goes.
type textCase struct {
	endpoint, field string
	public          bool // sent with the public key
	form, json      string
	codes           []string // the Omise error codes accepted (the decoder's or the service's)
	mentions        string   // the message names the field
}

var textCases = []textCase{
	{"/links", "title", false, "amount=5000&currency=thb&title=@@&description=D",
		`{"amount": 5000, "currency": "thb", "title": "@@", "description": "D"}`, []string{"bad_request"}, "title"},
	{"/links", "description", false, "amount=5000&currency=thb&title=T&description=@@",
		`{"amount": 5000, "currency": "thb", "title": "T", "description": "@@"}`, []string{"bad_request"}, "description"},
	{"/tokens", "card[name]", true, "card[name]=@@&card[number]=4242424242424242&card[expiration_month]=12&card[expiration_year]=YEAR",
		`{"card": {"name": "@@", "number": "4242424242424242", "expiration_month": 12, "expiration_year": YEAR}}`,
		[]string{"invalid_card", "bad_request"}, "name"},
	{"/charges", "description", false, "amount=5000&currency=thb&card=TOKEN&description=@@",
		`{"amount": 5000, "currency": "thb", "card": "TOKEN", "description": "@@"}`, []string{"bad_request"}, "description"},
	{"/charges", "metadata value", false, "amount=5000&currency=thb&card=TOKEN&metadata[order]=@@",
		`{"amount": 5000, "currency": "thb", "card": "TOKEN", "metadata": {"order": "@@"}}`, []string{"bad_request"}, "metadata"},
	{"/charges", "metadata key", false, "amount=5000&currency=thb&card=TOKEN&metadata[k@@]=1",
		`{"amount": 5000, "currency": "thb", "card": "TOKEN", "metadata": {"k@@": "1"}}`, []string{"bad_request"}, "metadata"},
}

// TestHostileText feeds every text field of the Omise endpoints every
// hostile text, as a form and as JSON, on each store: a 400 naming the
// field, no link, token or charge written, and the token meant for the
// charges still charges afterwards. On PostgreSQL a NUL used to pass
// validation and fail the charge's write after the card was charged: a
// 500 and a spent token.
func TestHostileText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		sec := client{t: t, base: env.URL, key: env.SecretTest}
		pub := client{t: t, base: env.URL, key: env.PublicTest}
		year := strconv.Itoa(nextYear())
		tok := pub.form("POST", "/tokens", url.Values{"card[name]": {"A B"}, "card[number]": {"4242424242424242"},
			"card[expiration_month]": {"12"}, "card[expiration_year]": {year}})
		if tok.status != 200 {
			t.Fatalf("POST /tokens: %d %s", tok.status, tok.raw)
		}
		fill := func(tmpl, text string) string {
			return strings.NewReplacer("@@", text, "TOKEN", tok.str("id"), "YEAR", year).Replace(tmpl)
		}
		for _, tc := range textCases {
			for _, h := range hostileTexts {
				c := sec
				if tc.public {
					c = pub
				}
				check := func(t *testing.T, r reply) {
					t.Helper()
					if r.status != http.StatusBadRequest || r.body["object"] != "error" {
						t.Fatalf("got %d %s, want a 400 error", r.status, r.raw)
					}
					code, _ := r.body["code"].(string)
					msg, _ := r.body["message"].(string)
					ok := false
					for _, want := range tc.codes {
						ok = ok || code == want
					}
					if !ok || !strings.Contains(msg, tc.mentions) {
						t.Errorf("got %s %q, want one of %v naming %s", code, msg, tc.codes, tc.mentions)
					}
				}
				if h.form != "" {
					t.Run("form "+tc.endpoint+" "+tc.field+" "+h.name, func(t *testing.T) {
						check(t, c.do("POST", tc.endpoint, "application/x-www-form-urlencoded", fill(tc.form, url.QueryEscape(h.form))))
					})
				}
				t.Run("JSON "+tc.endpoint+" "+tc.field+" "+h.name, func(t *testing.T) {
					check(t, c.do("POST", tc.endpoint, "application/json", fill(tc.json, h.json)))
				})
			}
		}

		if r := sec.do("GET", "/links", "", ""); r.body["total"] != 0.0 {
			t.Errorf("links after refused creates: %v, want none", r.body["total"])
		}
		if r := sec.do("GET", "/charges", "", ""); r.body["total"] != 0.0 {
			t.Errorf("charges after refused charges: %v, want none", r.body["total"])
		}
		if r := pub.do("GET", "/tokens/"+tok.str("id"), "", ""); r.body["used"] != false {
			t.Errorf("the token after refused charges: used %v, want unused", r.body["used"])
		}
		// Finding 1, exactly: the NUL charge refused, the token then charges.
		r := sec.do("POST", "/charges", "application/x-www-form-urlencoded",
			"amount=5000&currency=thb&card="+tok.str("id")+"&description=a%00b")
		r.wantError(t, http.StatusBadRequest, "bad_request", "description")
		r = sec.form("POST", "/charges", url.Values{"amount": {"5000"}, "currency": {"thb"}, "card": {tok.str("id")},
			"description": {"Order 1001"}})
		if r.status != 200 || r.str("status") != "successful" {
			t.Fatalf("charging the token after the refusals: %d %s", r.status, r.raw)
		}
	})
}

// TestTextKeptExactly sends multi-line descriptions with tabs and
// non-ASCII text (Thai, emoji) as a form and as JSON: they are accepted
// and read back exactly.
func TestTextKeptExactly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		sec := client{t: t, base: env.URL, key: env.SecretTest}
		pub := client{t: t, base: env.URL, key: env.PublicTest}
		title, desc := "กาแฟเย็น ☕ Iced coffee 😀", "Line one\n\tindented line two\nราคารวมภาษี 🇹🇭"
		for _, r := range []reply{
			sec.form("POST", "/links", url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {title}, "description": {desc}}),
			sec.json("POST", "/links", map[string]any{"amount": 5000, "currency": "thb", "title": title, "description": desc}),
			sec.do("POST", "/links", "application/json", `{"amount": 5000, "currency": "thb", "title": "\u0e01\u0e32\u0e41\u0e1f\u0e40\u0e22\u0e47\u0e19 \u2615 Iced coffee \ud83d\ude00", "description": "Line one\n\tindented line two\n\u0e23\u0e32\u0e04\u0e32\u0e23\u0e27\u0e21\u0e20\u0e32\u0e29\u0e35 \ud83c\uddf9\ud83c\udded"}`),
		} {
			if r.status != 200 {
				t.Fatalf("create: %d %s", r.status, r.raw)
			}
			got := sec.do("GET", "/links/"+r.str("id"), "", "")
			if got.str("title") != title || got.str("description") != desc {
				t.Errorf("read back %q %q, want %q %q", got.str("title"), got.str("description"), title, desc)
			}
		}
		tok := pub.form("POST", "/tokens", url.Values{"card[name]": {"สมชาย ใจดี"}, "card[number]": {"4242424242424242"},
			"card[expiration_month]": {"12"}, "card[expiration_year]": {strconv.Itoa(nextYear())}})
		if card, _ := tok.body["card"].(map[string]any); tok.status != 200 || card["name"] != "สมชาย ใจดี" {
			t.Fatalf("token: %d %s", tok.status, tok.raw)
		}
		r := sec.json("POST", "/charges", map[string]any{"amount": 5000, "currency": "thb", "card": tok.str("id"),
			"description": desc, "metadata": map[string]any{"คำสั่งซื้อ": "☕ 1001"}})
		if r.status != 200 || r.str("description") != desc {
			t.Fatalf("charge: %d %s", r.status, r.raw)
		}
		if m, _ := r.body["metadata"].(map[string]any); m["คำสั่งซื้อ"] != "☕ 1001" {
			t.Errorf("metadata = %v", r.body["metadata"])
		}
	})
}

// TestStrictAmountAndCurrency: amounts are digit strings or JSON integers
// without sign, spaces, leading zeros, decimals or exponent; currencies
// are three letters. Each refusal names its field; nothing is written.
func TestStrictAmountAndCurrency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		sec := client{t: t, base: env.URL, key: env.SecretTest}
		pub := client{t: t, base: env.URL, key: env.PublicTest}
		tok := pub.form("POST", "/tokens", url.Values{"card[name]": {"A B"}, "card[number]": {"4242424242424242"},
			"card[expiration_month]": {"12"}, "card[expiration_year]": {strconv.Itoa(nextYear())}})
		for _, endpoint := range []string{"/links", "/charges"} {
			form := url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {"T"}, "description": {"D"}, "card": {tok.str("id")}}
			for _, bad := range []string{"+5000", " 5000 ", "5000 ", "05000", "5e3", "5000.0", "-5000", "5,000", "0x1388", "５０００", ""} {
				sec.form("POST", endpoint, with(form, "amount", bad)).wantError(t, http.StatusBadRequest, "invalid_amount", "amount")
			}
			for _, bad := range []string{`"+5000"`, `" 5000 "`, `"05000"`, `5e3`, `5000.0`, `-5000`, `5.5`, `"5e3"`, `null`, `true`, `[5000]`} {
				body := `{"amount": ` + bad + `, "currency": "thb", "title": "T", "description": "D", "card": "` + tok.str("id") + `"}`
				sec.do("POST", endpoint, "application/json", body).wantError(t, http.StatusBadRequest, "invalid_amount", "amount")
			}
			for _, bad := range []string{"THB ", " thb", "usd\n", "TH", "THBB", "T B", "ＴＨＢ", "th\x00"} {
				sec.form("POST", endpoint, with(form, "currency", bad)).wantError(t, http.StatusBadRequest, "invalid_currency", "currency")
			}
			for _, good := range []string{"thb", "THB", "Thb"} {
				if endpoint == "/links" {
					if r := sec.form("POST", endpoint, with(form, "currency", good)); r.status != 200 || r.str("currency") != "THB" {
						t.Errorf("currency %q: %d %s", good, r.status, r.raw)
					}
				}
			}
		}
		if r := sec.do("GET", "/charges", "", ""); r.body["total"] != 0.0 {
			t.Errorf("charges after refusals: %v", r.body["total"])
		}
		if r := sec.do("GET", "/links", "", ""); r.body["total"] != 3.0 {
			t.Errorf("links after refusals: %v, want the 3 good ones", r.body["total"])
		}
		r := sec.do("POST", "/charges", "application/json", `{"amount": 5000, "currency": "thb", "card": "`+tok.str("id")+`"}`)
		if r.status != 200 || r.body["amount"] != 5000.0 {
			t.Fatalf("JSON integer amount: %d %s", r.status, r.raw)
		}
	})
}
