package omise

import (
	"net/http"
	"net/http/httptest"
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
		in, err := decodeTokenCard(p)
		if err != nil {
			return
		}
		if in.ExpirationMonth < 0 || in.ExpirationMonth > 9999 || in.ExpirationYear < 0 || in.ExpirationYear > 9999 {
			t.Errorf("decoded expiry %d/%d out of range", in.ExpirationMonth, in.ExpirationYear)
		}
	})
}
