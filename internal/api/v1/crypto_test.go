package v1_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// The BIP39 test mnemonic's account xpub and its first address.
const (
	testXPub    = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt"
	testAddress = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
)

// TestCryptoSessionAPI creates an ETH session through the API, pays it
// through the test helper (detected, then confirmed) and reads it back,
// every response checked against openapi.json.
func TestCryptoSessionAPI(t *testing.T) {
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			env := servertest.New(t, b, servertest.Options{EthTestRate: "3000"})
			if _, err := env.Service.ConfigureCrypto(context.Background(), service.CryptoSettings{AccountID: env.Account.ID,
				XPub: testXPub, ChainID: 1337, SpreadBps: 150}); err != nil {
				t.Fatal(err)
			}
			c := client{t: t, base: env.URL, key: env.SecretTest}
			s := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"amount": map[string]any{"value": "99.00", "currency": "USD"}})
			amount, _ := s.body["amount"].(map[string]any)
			if s.status != 201 || s.str("status") != "pending" || s.str("address") != testAddress || s.body["chainId"] != float64(1337) ||
				amount["wei"] != "33495000000000000" || amount["eth"] != "0.033495" || s.str("ethPriceUsd") != "3000" ||
				s.str("spread") != "1.5" || s.str("paymentUri") != "ethereum:"+testAddress+"@1337?value=33495000000000000" {
				t.Fatalf("create: %d %s", s.status, s.raw)
			}
			if rate, _ := s.body["rate"].(map[string]any); rate["fixed"] != true {
				t.Errorf("rate: %v", s.body["rate"])
			}
			helper := "/api/v1/test_helpers/checkout_sessions/" + s.str("id") + "/crypto_payment"
			r := c.do("POST", helper, `{"confirmations": 1}`)
			if r.status != 200 || r.str("status") != "detected" || r.str("receivedWei") != "33495000000000000" || r.str("txHash") == "" {
				t.Fatalf("detected: %d %s", r.status, r.raw)
			}
			r = c.do("POST", helper, `{"wei": "0", "confirmations": 3}`)
			if r.status != 200 || r.str("status") != "paid" || !timeRe.MatchString(r.str("paidAt")) || !timeRe.MatchString(r.str("completedAt")) {
				t.Fatalf("paid: %d %s", r.status, r.raw)
			}
			got := c.do("GET", "/api/v1/checkout_sessions/"+s.str("id"), "")
			if got.str("status") != "paid" || got.str("txHash") != r.str("txHash") {
				t.Errorf("GET after payment: %s", got.raw)
			}
			// The Omise dialect lists the payment as a charge with a crypto source.
			req, _ := http.NewRequest("GET", env.URL+"/charges?limit=5", nil)
			req.SetBasicAuth(env.SecretTest, "")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var charges struct {
				Data []struct {
					Amount int64           `json:"amount"`
					Card   json.RawMessage `json:"card"`
					Source *struct {
						Object, Type string
					} `json:"source"`
				} `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&charges)
			resp.Body.Close()
			if err != nil || len(charges.Data) != 1 || charges.Data[0].Amount != 9900 || charges.Data[0].Source == nil ||
				charges.Data[0].Source.Type != "crypto" || string(charges.Data[0].Card) != "null" {
				t.Errorf("Omise charges: %v %+v", err, charges)
			}
			// The payment's events, as webhooks deliver them.
			evs := c.do("GET", "/api/v1/events?limit=100", "")
			seen := map[string]bool{}
			for _, e := range evs.body["data"].([]any) {
				seen[e.(map[string]any)["type"].(string)] = true
			}
			for _, k := range []string{"session.detected", "session.paid"} {
				if !seen[k] {
					t.Errorf("no %s event in %s", k, evs.raw)
				}
			}

			// Bad input names the field; live keys are refused.
			c.do("POST", helper, `{"wei": "-1"}`).wantError(t, 400, "invalid_request", "parameter_invalid", "wei")
			c.do("POST", helper, `{"wei": 5}`).wantError(t, 400, "invalid_request", "parameter_invalid", "wei")
			c.do("POST", helper, `{"confirmations": "x"}`).wantError(t, 400, "invalid_request", "parameter_invalid", "confirmations")
			c.do("POST", helper, `{"bogus": 1}`).wantError(t, 400, "invalid_request", "parameter_unknown", "bogus")
			live := client{t: t, base: env.URL, key: env.SecretLive}
			live.do("POST", helper, `{}`).wantError(t, 403, "permission", "test_mode_only", "")
			other := client{t: t, base: env.URL, key: env.OtherSecretTest}
			other.do("POST", helper, `{}`).wantError(t, 404, "not_found", "not_found", "id")
		})
	}
}

// TestCryptoSessionNoRate: ETH enabled and a rate feed with no fresh
// rate: a 503 in v1's shape. Without any feed, sessions are card only.
func TestCryptoSessionNoRate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rates service.RateFeed
	}{{"stale feed", staleFeed{}}, {"no feed", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			env := servertest.New(t, "sqlite", servertest.Options{Rates: tt.rates})
			if _, err := env.Service.ConfigureCrypto(context.Background(), service.CryptoSettings{AccountID: env.Account.ID,
				XPub: testXPub, ChainID: 1337}); err != nil {
				t.Fatal(err)
			}
			c := client{t: t, base: env.URL, key: env.SecretTest}
			r := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"amount": map[string]any{"value": "99.00", "currency": "USD"}})
			if tt.rates != nil {
				r.wantError(t, 503, "server", "rate_unavailable", "")
			} else if r.status != 201 || r.str("status") != "open" || r.body["address"] != nil {
				t.Errorf("without a feed: %d %s", r.status, r.raw)
			}
		})
	}
}

type staleFeed struct{}

func (staleFeed) Rate(context.Context, string) (paylinks.EthRate, error) {
	return paylinks.EthRate{}, fmt.Errorf("kraken: 20m old: %w", service.ErrNoFreshRate)
}

// TestCryptoSessionPage: the hosted page's ETH tab shows the exact amount,
// the address, the QR code and wallet link of the EIP-681 URI and the
// status (CSP allowing only this site's status endpoint); the test-mode
// button pays through the state machine, the status endpoint then says
// paid and where to go, and the page goes on to the success URL.
func TestCryptoSessionPage(t *testing.T) {
	env := servertest.New(t, "sqlite", servertest.Options{EthTestRate: "3000"})
	if _, err := env.Service.ConfigureCrypto(context.Background(), service.CryptoSettings{AccountID: env.Account.ID,
		XPub: testXPub, ChainID: 1337}); err != nil {
		t.Fatal(err)
	}
	c := client{t: t, base: env.URL, key: env.SecretTest}
	s := c.json("POST", "/api/v1/checkout_sessions", map[string]any{"amount": map[string]any{"value": "30.00", "currency": "USD"},
		"successUrl": "https://shop.example.com/thanks"})
	p := newPayer(t)
	status, page, h := p.get(s.str("url"))
	for _, want := range []string{`id="eth-tab"`, `<span id="eth-amount">0.01</span> ETH`, testAddress,
		`href="ethereum:` + testAddress + `@1337?value=10000000000000000"`, `<svg class="qr"`, `id="eth-status-name">pending<`,
		`action="/c/` + s.str("id") + `/simulate"`, `id="pay"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page: no %s", want)
		}
	}
	if status != 200 || !strings.Contains(h.Get("Content-Security-Policy"), "connect-src 'self'") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("page: %d, CSP %q", status, h.Get("Content-Security-Policy"))
	}
	statusURL := env.URL + "/c/" + s.str("id") + "/status"
	if code, body, _ := p.get(statusURL); code != 200 || !strings.Contains(body, `"status":"pending"`) || strings.Contains(body, `"next"`) {
		t.Errorf("status before: %d %s", code, body)
	}
	// Without the page's token the button does nothing.
	resp, err := p.c.PostForm(env.URL+"/c/"+s.str("id")+"/simulate", url.Values{"csrf": {"forged.token"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("simulate with a forged token: %d", resp.StatusCode)
	}
	m := csrfRe.FindStringSubmatch(page)
	resp, err = p.c.PostForm(env.URL+"/c/"+s.str("id")+"/simulate", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/"+s.str("id") {
		t.Errorf("simulate: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	next := "https://shop.example.com/thanks?session_id=" + s.str("id")
	if code, body, _ := p.get(statusURL); code != 200 || !strings.Contains(body, `"status":"paid"`) ||
		!strings.Contains(body, `"next":"`+next+`"`) {
		t.Errorf("status after: %d %s", code, body)
	}
	if code, _, h := p.get(s.str("url")); code != http.StatusSeeOther || h.Get("Location") != next {
		t.Errorf("page after payment: %d to %q", code, h.Get("Location"))
	}
	if got := c.do("GET", "/api/v1/checkout_sessions/"+s.str("id"), ""); got.str("status") != "paid" {
		t.Errorf("API after the button: %s", got.raw)
	}
	// The receipt says ETH, not a card.
	if code, body, _ := p.get(env.URL + "/c/" + s.str("id") + "/complete"); code != 200 ||
		!strings.Contains(body, "<dt>Paid with</dt><dd>ETH</dd>") || strings.Contains(body, "<dt>Card</dt>") {
		t.Errorf("receipt: %d %s", code, body)
	}
	if code, _, _ := p.get(env.URL + "/c/cs_00000000000000000000000000/status"); code != 404 {
		t.Errorf("status of no session: %d", code)
	}
}
