package omise_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
)

// TestChargeIdempotencyAfterCrash: POST /charges with an Idempotency-Key
// whose response was never stored is answered, when retried after the
// key's lock lapsed, with the charge it made: not a second charge, and not
// the error of a used token.
func TestChargeIdempotencyAfterCrash(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			clock := servertest.NewClock(time.Now().Truncate(time.Second))
			st := &servertest.DyingStore{Store: servertest.OpenStore(t, backend)}
			env := servertest.New(t, backend, servertest.Options{Store: st, Now: clock.Now})
			post := func(key, path string, form url.Values, idem string) (int, map[string]any, string) {
				t.Helper()
				req, err := http.NewRequest("POST", env.URL+path, strings.NewReader(form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(key, "")
				if idem != "" {
					req.Header.Set("Idempotency-Key", idem)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var body map[string]any
				json.Unmarshal(raw, &body)
				return resp.StatusCode, body, string(raw)
			}
			status, tok, raw := post(env.PublicTest, "/tokens", url.Values{"card[name]": {"A B"},
				"card[number]": {"4242 4242 4242 4242"}, "card[expiration_month]": {"7"},
				"card[expiration_year]": {strconv.Itoa(nextYear())}, "card[security_code]": {"123"}}, "")
			if status != 200 {
				t.Fatalf("POST /tokens: %d %s", status, raw)
			}
			charge := url.Values{"amount": {"5000"}, "currency": {"thb"}, "card": {tok["id"].(string)}}

			st.Dying.Store(true)
			status, first, raw := post(env.SecretTest, "/charges", charge, "pay-1")
			if status != 200 || first["status"] != "successful" {
				t.Fatalf("first POST /charges: %d %s", status, raw)
			}
			st.Dying.Store(false)
			clock.Add(time.Hour) // the lock lapses; the record has not expired
			status, retry, raw := post(env.SecretTest, "/charges", charge, "pay-1")
			if status != 200 || retry["id"] != first["id"] {
				t.Fatalf("the retry after the lapse: %d %s, want 200 with charge %v", status, raw, first["id"])
			}
			charges, _, err := env.Store.ListCharges(t.Context(), paylinks.ChargeFilter{AccountID: env.Account.ID, Limit: 100})
			if err != nil || len(charges) != 1 {
				t.Errorf("charges of the account: %d (%v), want 1", len(charges), err)
			}
		})
	}
}

// TestRefundIdempotencyAfterCrash: POST /charges/{id}/refunds with an
// Idempotency-Key whose response was never stored is answered, when retried
// after the key's lock lapsed, with the refund it made: never a second
// refund of the same request.
func TestRefundIdempotencyAfterCrash(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			clock := servertest.NewClock(time.Now().Truncate(time.Second))
			st := &servertest.DyingStore{Store: servertest.OpenStore(t, backend)}
			env := servertest.New(t, backend, servertest.Options{Store: st, Now: clock.Now})
			post := func(key, path string, form url.Values, idem string) (int, map[string]any, string) {
				t.Helper()
				req, _ := http.NewRequest("POST", env.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(key, "")
				if idem != "" {
					req.Header.Set("Idempotency-Key", idem)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var body map[string]any
				json.Unmarshal(raw, &body)
				return resp.StatusCode, body, string(raw)
			}
			_, tok, _ := post(env.PublicTest, "/tokens", url.Values{"card[name]": {"A B"},
				"card[number]": {"4242 4242 4242 4242"}, "card[expiration_month]": {"7"},
				"card[expiration_year]": {strconv.Itoa(nextYear())}}, "")
			status, ch, raw := post(env.SecretTest, "/charges", url.Values{"amount": {"10000"}, "currency": {"thb"}, "card": {tok["id"].(string)}}, "")
			if status != 200 {
				t.Fatalf("POST /charges: %d %s", status, raw)
			}
			path := "/charges/" + ch["id"].(string) + "/refunds"
			st.Dying.Store(true)
			status, first, raw := post(env.SecretTest, path, url.Values{"amount": {"3000"}}, "refund-1")
			if status != 200 || first["object"] != "refund" {
				t.Fatalf("first refund: %d %s", status, raw)
			}
			st.Dying.Store(false)
			clock.Add(time.Hour)
			status, retry, raw := post(env.SecretTest, path, url.Values{"amount": {"3000"}}, "refund-1")
			if status != 200 || retry["id"] != first["id"] {
				t.Fatalf("the retry after the lapse: %d %s, want refund %v", status, raw, first["id"])
			}
			rs, total, err := env.Store.ListRefunds(t.Context(), paylinks.RefundFilter{AccountID: env.Account.ID, Limit: 10})
			if err != nil || total != 1 || len(rs) != 1 {
				t.Errorf("refunds: %d (%v), want 1", total, err)
			}
		})
	}
}
