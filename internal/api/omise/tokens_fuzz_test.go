package omise

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzTokenCard feeds arbitrary bodies, form or JSON, to the POST /tokens
// decoder: it never panics, and a decoded card has in-range numbers.
func FuzzTokenCard(f *testing.F) {
	for _, s := range []string{
		`card[name]=A&card[number]=4242424242424242&card[expiration_month]=12&card[expiration_year]=2030&card[security_code]=123`,
		`{"card":{"name":"A","number":"4242424242424242","expiration_month":12,"expiration_year":2030}}`,
		`{"card":{"number":4242424242424242,"expiration_month":"12","expiration_year":1e3}}`,
		`{"card":"tokn"}`, `card=x&card[number]=1`, `card[number][x]=1`, `{"card":{"expiration_month":-1}}`, `{"card":null}`,
		`{"card":{"name":"\ud800","number":"4242424242424242","expiration_month":12,"expiration_year":2030}}`,
		"{\"card\":{\"name\":\"a\xffb\"}}", `{"card":{"name":"\ud83d\ude00"}}`, `{"card":{"\udc00":"x"}}`, `card[name]=a%00b`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, body string, asJSON bool) {
		r := httptest.NewRequest(http.MethodPost, "/tokens", strings.NewReader(body))
		if asJSON {
			r.Header.Set("Content-Type", "application/json")
		} else {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		p, err := decodeParams(r)
		if err != nil {
			return
		}
		if asJSON && strings.HasPrefix(strings.TrimSpace(body), "{") {
			// What JSON decodes to is faithful: no U+FFFD the body did not
			// spell (encoding/json's stand-in for bad UTF-8 and lone
			// surrogates).
			spelled := strings.Count(body, "\ufffd") + strings.Count(strings.ToLower(body), `\ufffd`)
			if n := countFFFD(p); n > spelled {
				t.Errorf("%q decoded to %d U+FFFD, spelled %d: %v", body, n, spelled, p)
			}
		}
		in, err := decodeTokenCard(p)
		if err != nil {
			return
		}
		if in.ExpirationMonth < 0 || in.ExpirationMonth > 9999 || in.ExpirationYear < 0 || in.ExpirationYear > 9999 {
			t.Errorf("decoded expiry %d/%d out of range", in.ExpirationMonth, in.ExpirationYear)
		}
	})
}

// countFFFD counts the U+FFFD in the names and string values of p, nested.
func countFFFD(v any) int {
	n := 0
	switch v := v.(type) {
	case string:
		n = strings.Count(v, "\ufffd")
	case params:
		for k, x := range v {
			n += strings.Count(k, "\ufffd") + countFFFD(x)
		}
	case []any:
		for _, x := range v {
			n += countFFFD(x)
		}
	}
	return n
}

// FuzzAmount feeds arbitrary amount parameters, form and JSON, to the
// amount decoder: what it accepts is exactly the canonical digits of the
// number (no sign, spaces, leading zeros, decimals or exponent).
func FuzzAmount(f *testing.F) {
	for _, s := range []string{"5000", "0", "+5000", " 5000 ", "05000", "5e3", "5000.0", "-5", "9223372036854775808", "１"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, amount string, asJSON bool) {
		var p params
		if asJSON {
			dec := json.NewDecoder(strings.NewReader(`{"amount":` + amount + `}`))
			dec.UseNumber()
			var m map[string]any
			if dec.Decode(&m) != nil {
				return
			}
			p = params(m)
		} else {
			p = params{"amount": amount}
		}
		n, ok, err := p.amount("amount")
		if err != nil || !ok {
			return
		}
		var src string // the amount's text as sent: a string's content or a number's digits
		switch v := p["amount"].(type) {
		case string:
			src = v
		case json.Number:
			src = v.String()
		}
		if strconv.FormatInt(n, 10) != src {
			t.Errorf("amount %q (JSON %v) accepted as %d", amount, asJSON, n)
		}
	})
}
