package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
)

// call is one HTTP request to the server.
type call struct {
	method, path, contentType, body string
}

// answer is what the server said.
type answer struct {
	status   int
	replayed string // the Idempotent-Replayed header
	body     string
}

func (a answer) String() string { return strconv.Itoa(a.status) + " " + a.body }

// requestIDs are the request ids error bodies quote: they differ on every
// request, so comparisons leave them out.
var requestIDs = regexp.MustCompile(`req_[0-9a-f]{24}`)

func send(t *testing.T, base, key string, c call, idemKey string) answer {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if strings.HasPrefix(c.path, "/api/v1/") {
		req.Header.Set("Authorization", "Bearer "+key)
	} else {
		req.SetBasicAuth(key, "")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed"),
		body: requestIDs.ReplaceAllString(string(raw), "req_…")}
}

func form(v url.Values) (string, string) { return "application/x-www-form-urlencoded", v.Encode() }

// TestReplayAuthorization: a stored Idempotency-Key response is replayed
// only to a key the endpoint would serve. Every endpoint that takes the
// header, on both dialects, is sent the same request with the same key by
// keys it refuses (a public key on a secret-key endpoint, a secret key on
// the public-key one, restricted keys without the scope): each gets exactly
// the refusal it gets without the header, never the stored response. Another
// account's secret key with the same Idempotency-Key and request gets its
// own answer, never the first account's.
func TestReplayAuthorization(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			env := servertest.New(t, backend)
			linksRead := servertest.MustKey(t, env.Service, env.Account.ID, false, paylinks.KeyRestricted, paylinks.ScopeLinksRead)
			sessionsWrite := servertest.MustKey(t, env.Service, env.Account.ID, false, paylinks.KeyRestricted, paylinks.ScopeSessionsWrite)

			ct, body := form(url.Values{"card[name]": {"A B"}, "card[number]": {"4242424242424242"},
				"card[expiration_month]": {"7"}, "card[expiration_year]": {strconv.Itoa(time.Now().Year() + 1)},
				"card[security_code]": {"123"}})
			tokenCall := call{"POST", "/tokens", ct, body}
			tok := send(t, env.URL, env.PublicTest, tokenCall, "")
			var token struct{ ID string }
			if err := json.Unmarshal([]byte(tok.body), &token); tok.status != 200 || err != nil {
				t.Fatalf("POST /tokens: %v", tok)
			}
			ct, body = form(url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {"Replayed"}, "description": {"d"}})
			omiseLinkCall := call{"POST", "/links", ct, body}
			omiseLink := send(t, env.URL, env.SecretTest, omiseLinkCall, "")
			v1LinkCall := call{"POST", "/api/v1/payment_links", "application/json", `{"title": "Replayed", "fiatAmount": "10"}`}
			v1Link := send(t, env.URL, env.SecretTest, v1LinkCall, "")
			var ol, vl struct{ ID string }
			if json.Unmarshal([]byte(omiseLink.body), &ol) != nil || json.Unmarshal([]byte(v1Link.body), &vl) != nil || ol.ID == "" || vl.ID == "" {
				t.Fatalf("links: %v; %v", omiseLink, v1Link)
			}
			ct, body = form(url.Values{"amount": {"5000"}, "currency": {"thb"}, "card": {token.ID}, "description": {"order 42"}})

			for _, tc := range []struct {
				name    string
				call    call
				owner   string   // makes the stored response
				refused []string // keys the endpoint refuses
			}{
				{"omise charge", call{"POST", "/charges", ct, body}, env.SecretTest, []string{env.PublicTest, linksRead, sessionsWrite}},
				{"omise token", tokenCall, env.PublicTest, []string{env.SecretTest, linksRead}},
				{"omise link", omiseLinkCall, env.SecretTest, []string{env.PublicTest, linksRead}},
				{"omise link delete", call{"DELETE", "/links/" + ol.ID, "", ""}, env.SecretTest, []string{env.PublicTest, linksRead}},
				{"v1 link", v1LinkCall, env.SecretTest, []string{env.PublicTest, linksRead, sessionsWrite}},
				{"v1 link patch", call{"PATCH", "/api/v1/payment_links/" + vl.ID, "application/json", `{"title": "Patched"}`},
					env.SecretTest, []string{env.PublicTest, linksRead}},
				{"v1 session", call{"POST", "/api/v1/checkout_sessions", "application/json", `{"linkId": "` + vl.ID + `"}`},
					sessionsWrite, []string{env.PublicTest, linksRead}},
				{"v1 link delete", call{"DELETE", "/api/v1/payment_links/" + vl.ID, "", ""}, env.SecretTest, []string{env.PublicTest, linksRead, sessionsWrite}},
			} {
				idem := "replay-" + strings.ReplaceAll(tc.name, " ", "-")
				first := send(t, env.URL, tc.owner, tc.call, idem)
				if first.status >= 300 {
					t.Fatalf("%s: the first request: %v", tc.name, first)
				}
				for i, key := range tc.refused {
					plain := send(t, env.URL, key, tc.call, "")
					if plain.status != 401 && plain.status != 403 {
						t.Fatalf("%s: refused key %d without the header: %v, want 401 or 403", tc.name, i, plain)
					}
					got := send(t, env.URL, key, tc.call, idem)
					if got.status != plain.status || got.body != plain.body || got.replayed != "" {
						t.Errorf("%s: refused key %d with the stored Idempotency-Key: %v (replayed %q), want what it gets without the header: %v",
							tc.name, i, got, got.replayed, plain)
					}
				}
				// The record is there: its owner is answered from it.
				if again := send(t, env.URL, tc.owner, tc.call, idem); again.replayed != "true" || again.body != first.body {
					t.Errorf("%s: the owner's repeat: %v (replayed %q), want the stored answer %v", tc.name, again, again.replayed, first)
				}
			}

			// Another account sends the same request with the same
			// Idempotency-Key: it is its own request, run for it.
			other := send(t, env.URL, env.OtherSecretTest, v1LinkCall, "replay-v1-link")
			if other.status != 201 || other.replayed != "" || strings.Contains(other.body, vl.ID) {
				t.Errorf("another account's v1 link create with the key: %v (replayed %q)", other, other.replayed)
			}
			charge := call{"POST", "/charges", ct, body}
			first := send(t, env.URL, env.SecretTest, charge, "replay-omise-charge")
			otherCharge := send(t, env.URL, env.OtherSecretTest, charge, "replay-omise-charge")
			if otherCharge.replayed != "" || otherCharge.status == 200 || otherCharge.body == first.body {
				t.Errorf("another account's charge with the key and the first account's token: %v (replayed %q), want its own refusal",
					otherCharge, otherCharge.replayed)
			}
		})
	}
}
