package v1_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
)

// TestScopeMatrix calls every endpoint with every kind of key. Read
// endpoints need the :read scope, writes the :write scope; secret keys hold
// every scope, public keys none.
func TestScopeMatrix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		secret := client{t: t, base: env.URL, key: env.SecretTest}
		l := secret.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "5"})
		s := secret.json("POST", "/api/v1/checkout_sessions", map[string]any{"linkId": l.str("id")})
		key := func(scopes ...paylinks.Scope) string {
			return servertest.MustKey(t, env.Service, env.Account.ID, false, paylinks.KeyRestricted, scopes...)
		}
		keys := []struct {
			name string
			key  string
		}{
			{"no key", ""},
			{"bad key", "skey_test_thisisnotarealkeyatall000"},
			{"public", env.PublicTest},
			{"read-only", key(paylinks.ScopeLinksRead, paylinks.ScopeSessionsRead)},
			{"write-only", key(paylinks.ScopeLinksWrite, paylinks.ScopeSessionsWrite)},
			{"secret", env.SecretTest},
		}
		endpoints := []struct {
			method, path, body string
			write              bool
			ok                 int
		}{
			{"POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "5"}`, true, 201},
			{"GET", "/api/v1/payment_links", "", false, 200},
			{"GET", "/api/v1/payment_links/" + l.str("id"), "", false, 200},
			{"PATCH", "/api/v1/payment_links/" + l.str("id"), `{"title": "U"}`, true, 200},
			{"POST", "/api/v1/checkout_sessions", `{"linkId": "` + l.str("id") + `"}`, true, 201},
			{"GET", "/api/v1/checkout_sessions", "", false, 200},
			{"GET", "/api/v1/checkout_sessions/" + s.str("id"), "", false, 200},
			{"DELETE", "/api/v1/payment_links/%s", "", true, 200}, // last: deletes a fresh link each time
		}
		for _, ep := range endpoints {
			for _, k := range keys {
				t.Run(fmt.Sprintf("%s %s as %s", ep.method, strings.SplitN(ep.path, "/", 5)[3], k.name), func(t *testing.T) {
					path := ep.path
					if strings.Contains(path, "%s") {
						fresh := secret.json("POST", "/api/v1/payment_links", map[string]any{"title": "Doomed", "fiatAmount": "5"})
						path = fmt.Sprintf(path, fresh.str("id"))
					}
					r := client{t: t, base: env.URL, key: k.key}.do(ep.method, path, ep.body)
					switch want := k.name; {
					case want == "no key" || want == "bad key":
						r.wantError(t, 401, "authentication", "authentication_failure", "")
						if r.header.Get("WWW-Authenticate") == "" {
							t.Errorf("401 without WWW-Authenticate")
						}
					case want == "public", want == "read-only" && ep.write, want == "write-only" && !ep.write:
						r.wantError(t, 403, "permission", "missing_scope", "")
					default:
						if r.status != ep.ok {
							t.Errorf("got %d %s, want %d", r.status, r.raw, ep.ok)
						}
					}
				})
			}
		}
		// The OpenAPI document needs no key.
		if r := (client{t: t, base: env.URL}).do("GET", "/api/v1/openapi.json", ""); r.status != 200 {
			t.Errorf("openapi.json without a key: %d", r.status)
		}
	})
}

// TestModeAndAccountIsolation: a live key and another account's key see
// nothing of a test link.
func TestModeAndAccountIsolation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "5"})
		for _, k := range []string{env.SecretLive, env.OtherSecretTest} {
			o := client{t: t, base: env.URL, key: k}
			o.do("GET", "/api/v1/payment_links/"+l.str("id"), "").wantError(t, 404, "not_found", "not_found", "id")
			o.do("PATCH", "/api/v1/payment_links/"+l.str("id"), `{"title": "x"}`).wantError(t, 404, "not_found", "not_found", "id")
			o.do("GET", "/api/v1/payment_links?starting_after="+l.str("id"), "").wantError(t, 400, "invalid_request", "invalid_cursor", "starting_after")
			o.json("POST", "/api/v1/checkout_sessions", map[string]any{"linkId": l.str("id")}).wantError(t, 400, "invalid_request", "link_not_found", "linkId")
			if r := o.do("GET", "/api/v1/payment_links", ""); len(r.body["data"].([]any)) != 0 {
				t.Errorf("another mode or account lists %s", r.raw)
			}
		}
	})
}

// TestOmiseAndV1SeeOneLink: a link made by either dialect is visible to the
// other with the same amount.
func TestOmiseAndV1SeeOneLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		omise := func(method, path string, form url.Values) map[string]any {
			t.Helper()
			req, _ := http.NewRequest(method, env.URL+path, strings.NewReader(form.Encode()))
			req.SetBasicAuth(env.SecretTest, "")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			if err := jsonDecode(resp.Body, &m); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %v %v", method, path, resp.StatusCode, m, err)
			}
			return m
		}
		// Omise → v1: 190.50 THB is 19050 satang.
		o := omise("POST", "/links", url.Values{"amount": {"19050"}, "currency": {"thb"}, "title": {"Latte"}, "description": {"Hot"}})
		var v1Link map[string]any
		for _, d := range c.do("GET", "/api/v1/payment_links", "").body["data"].([]any) {
			if d.(map[string]any)["slug"] == slugOf(o["payment_uri"].(string)) {
				v1Link = d.(map[string]any)
			}
		}
		if v1Link == nil || v1Link["fiatAmount"] != "190.50" || v1Link["fiatCurrency"] != "THB" || v1Link["title"] != "Latte" || v1Link["description"] != "Hot" {
			t.Errorf("the Omise link in v1: %v", v1Link)
		}
		// v1 → Omise: 1500 JPY has no minor digits; 12.34 USD is 1234 cents.
		for _, tt := range []struct {
			amount, currency string
			minor            float64
		}{{"1500", "JPY", 1500}, {"12.34", "USD", 1234}} {
			l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "V1 " + tt.currency, "fiatAmount": tt.amount, "fiatCurrency": tt.currency})
			list := omise("GET", "/links?order=reverse_chronological&limit=1", nil)
			got := list["data"].([]any)[0].(map[string]any)
			if slugOf(got["payment_uri"].(string)) != l.str("slug") || got["amount"] != tt.minor || got["currency"] != tt.currency || got["multiple"] != true {
				t.Errorf("the v1 link %s %s in Omise: %v", tt.amount, tt.currency, got)
			}
			// Deleting through v1 hides it from Omise.
			c.do("DELETE", "/api/v1/payment_links/"+l.str("id"), "")
			omiseID := got["id"].(string)
			req, _ := http.NewRequest("GET", env.URL+"/links/"+omiseID, nil)
			req.SetBasicAuth(env.SecretTest, "")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("Omise GET of a link deleted through v1: %d, want 404", resp.StatusCode)
			}
		}
	})
}

func slugOf(uri string) string {
	i := strings.LastIndex(uri, "/l/")
	if i < 0 {
		return ""
	}
	return uri[i+3:]
}
