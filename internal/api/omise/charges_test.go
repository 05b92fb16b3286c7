package omise_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	omisego "github.com/omise/omise-go"
	"github.com/omise/omise-go/operations"

	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// omiseClient returns an omise-go client pointed at the test server.
func omiseClient(t *testing.T, env *servertest.Env) *omisego.Client {
	t.Helper()
	c, err := omisego.NewClient(env.PublicTest, env.SecretTest)
	if err != nil {
		t.Fatal(err)
	}
	c.Endpoints["https://api.omise.co"] = env.URL
	c.Endpoints["https://vault.omise.co"] = env.URL
	return c
}

func nextYear() int { return time.Now().Year() + 1 }

// TestOmiseGoChargesEndToEnd drives tokens and charges with the official
// Go client: token with the public key, charge with it, retrieve, list.
func TestOmiseGoChargesEndToEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := omiseClient(t, env)
		tok := &omisego.Token{}
		err := c.Do(tok, &operations.CreateToken{Name: "Somchai Prasert", Number: "4242424242424242",
			ExpirationMonth: 12, ExpirationYear: nextYear(), SecurityCode: "123", City: "Bangkok", PostalCode: "10320"})
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		if !strings.HasPrefix(tok.ID, "tokn_test_") || tok.Used || tok.Card == nil || tok.Card.LastDigits != "4242" ||
			tok.Card.Brand != "Visa" || tok.Card.ExpirationMonth != time.December || tok.Card.Name != "Somchai Prasert" || tok.Card.Fingerprint == "" {
			t.Fatalf("token = %+v card %+v", tok, tok.Card)
		}
		got := &omisego.Token{}
		if err := c.Do(got, &operations.RetrieveToken{ID: tok.ID}); err != nil || got.ID != tok.ID {
			t.Fatalf("RetrieveToken: %v %+v", err, got)
		}

		ch := &omisego.Charge{}
		err = c.Do(ch, &operations.CreateCharge{Amount: 100000, Currency: "thb", Card: tok.ID, Description: "Order 1001",
			Metadata: map[string]any{"order_id": "1001", "n": 2}})
		if err != nil {
			t.Fatalf("CreateCharge: %v", err)
		}
		if !strings.HasPrefix(ch.ID, "chrg_test_") || ch.Status != omisego.ChargeSuccessful || !ch.Paid || !ch.Authorized ||
			ch.Amount != 100000 || ch.Currency != "THB" || ch.Card == nil || ch.Card.LastDigits != "4242" ||
			ch.Card.Fingerprint != tok.Card.Fingerprint || ch.FailureCode != nil || ch.Metadata["order_id"] != "1001" ||
			ch.Description == nil || *ch.Description != "Order 1001" {
			t.Fatalf("charge = %+v", ch)
		}
		again := &omisego.Charge{}
		if err := c.Do(again, &operations.RetrieveCharge{ChargeID: ch.ID}); err != nil || again.ID != ch.ID || again.Status != omisego.ChargeSuccessful {
			t.Fatalf("RetrieveCharge: %v %+v", err, again)
		}
		if err := c.Do(got, &operations.RetrieveToken{ID: tok.ID}); err != nil || !got.Used {
			t.Errorf("token after charge: used %v, %v", got.Used, err)
		}

		// A token is single-use.
		err = c.Do(&omisego.Charge{}, &operations.CreateCharge{Amount: 100000, Currency: "thb", Card: tok.ID})
		var oe *omisego.Error
		if !errors.As(err, &oe) || oe.Code != "used_token" || oe.StatusCode != http.StatusBadRequest {
			t.Errorf("second charge of a token: %v, want used_token", err)
		}

		// A declined card is a failed charge, not an error.
		decl := &omisego.Token{}
		if err := c.Do(decl, &operations.CreateToken{Name: "N", Number: "4111111111120013", ExpirationMonth: 1, ExpirationYear: nextYear()}); err != nil {
			t.Fatal(err)
		}
		failed := &omisego.Charge{}
		if err := c.Do(failed, &operations.CreateCharge{Amount: 5000, Currency: "thb", Card: decl.ID}); err != nil {
			t.Fatalf("declined CreateCharge: %v", err)
		}
		if failed.Status != omisego.ChargeFailed || failed.Paid || failed.FailureCode == nil || *failed.FailureCode != "failed_processing" || failed.FailureMessage == nil {
			t.Errorf("declined charge = %+v", failed)
		}

		list := &omisego.ChargeList{}
		if err := c.Do(list, &operations.ListCharges{List: operations.List{Limit: 100, Order: omisego.ReverseChronological}}); err != nil {
			t.Fatalf("ListCharges: %v", err)
		}
		if list.Total != 2 || len(list.Data) != 2 || list.Data[0].ID != failed.ID || list.Data[1].ID != ch.ID {
			t.Errorf("ListCharges: total %d data %d", list.Total, len(list.Data))
		}
	})
}

// TestOmiseGoLinkCharges pays a link on its hosted page's service path and
// reads its charges back through the link and /links/{id}/charges.
func TestOmiseGoLinkCharges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := omiseClient(t, env)
		link := &omisego.Link{}
		if err := c.Do(link, &operations.CreateLink{Amount: 19000, Currency: "thb", Title: "Hot Latte", Description: "A warm cup"}); err != nil {
			t.Fatal(err)
		}
		slug := link.PaymentURI[strings.LastIndex(link.PaymentURI, "/")+1:]
		card := service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "N", ExpirationMonth: 1, ExpirationYear: nextYear()}
		if _, _, err := env.Service.PayLink(context.Background(), service.PayParams{Slug: slug, Card: card, Email: "p@example.com"}); err != nil {
			t.Fatal(err)
		}
		got := &omisego.Link{}
		if err := c.Do(got, &operations.RetrieveLink{LinkID: link.ID}); err != nil {
			t.Fatal(err)
		}
		if !got.Used || got.Charges.Total != 1 || len(got.Charges.Data) != 1 || got.Charges.Data[0].Status != omisego.ChargeSuccessful {
			t.Fatalf("link: used %v charges %+v", got.Used, got.Charges)
		}
		if d := got.Charges.Data[0].Description; d == nil || *d != "Hot Latte\n\nA warm cup" {
			t.Errorf("link charge description = %v, want title + blank line + description", d)
		}
		list := &omisego.ChargeList{}
		if err := c.Do(list, &operations.RetrieveLink{LinkID: link.ID + "/charges"}); err != nil {
			t.Fatal(err)
		}
		if list.Total != 1 || list.Data[0].ID != got.Charges.Data[0].ID {
			t.Errorf("/links/{id}/charges: total %d", list.Total)
		}
		// The raw charge names its link.
		r := client{t: t, base: env.URL, key: env.SecretTest}.do("GET", "/charges/"+list.Data[0].ID, "", "")
		if r.str("link") != link.ID {
			t.Errorf("charge link = %q, want %q", r.str("link"), link.ID)
		}
	})
}

func TestTokensAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		pub := client{t: t, base: env.URL, key: env.PublicTest}
		sec := client{t: t, base: env.URL, key: env.SecretTest}
		year := strconv.Itoa(nextYear())
		form := url.Values{"card[name]": {"A B"}, "card[number]": {"5555 5555 5555 4444"}, "card[expiration_month]": {"7"},
			"card[expiration_year]": {year}, "card[security_code]": {"321"}}

		r := pub.form("POST", "/tokens", form)
		if r.status != 200 || r.str("object") != "token" || r.str("charge_status") != "unknown" || r.body["used"] != false ||
			r.str("location") != "/tokens/"+r.str("id") || !timeRe.MatchString(r.str("created_at")) {
			t.Fatalf("POST /tokens: %d %s", r.status, r.raw)
		}
		card, _ := r.body["card"].(map[string]any)
		want := map[string]any{"object": "card", "brand": "MasterCard", "first_digits": "555555", "last_digits": "4444",
			"expiration_month": 7.0, "name": "A B", "security_code_check": true, "livemode": false}
		for k, v := range want {
			if card[k] != v {
				t.Errorf("card.%s = %v, want %v", k, card[k], v)
			}
		}
		if strings.Contains(r.raw, "5555555555554444") || strings.Contains(r.raw, "321") {
			t.Error("the token shows the card number or security code")
		}

		sec.form("POST", "/tokens", form).wantError(t, http.StatusUnauthorized, "authentication_failure", "public key")
		if g := sec.do("GET", "/tokens/"+r.str("id"), "", ""); g.status != 200 || g.str("id") != r.str("id") {
			t.Errorf("GET /tokens/{id} with the secret key: %d %s", g.status, g.raw)
		}
		pub.do("GET", "/tokens/tokn_test_zzz", "", "").wantError(t, http.StatusNotFound, "not_found", "tokn_test_zzz")
		pub.form("POST", "/charges", url.Values{"amount": {"5000"}, "currency": {"thb"}, "card": {r.str("id")}}).
			wantError(t, http.StatusUnauthorized, "authentication_failure", "")

		bad := []struct {
			name string
			form url.Values
			code string
		}{
			{"no card", url.Values{}, "invalid_card"},
			{"luhn", with(form, "card[number]", "4242424242424241"), "invalid_card"},
			{"month", with(form, "card[expiration_month]", "x"), "invalid_card"},
			{"expired", with(form, "card[expiration_year]", "2001"), "invalid_card"},
			{"csc length", with(form, "card[security_code]", "12"), "invalid_security_code"},
			{"no name", with(form, "card[name]", ""), "invalid_card"},
		}
		for _, tt := range bad {
			pub.form("POST", "/tokens", tt.form).wantError(t, http.StatusBadRequest, tt.code, "")
		}
	})
}

func with(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for key, vs := range v {
		out[key] = append([]string(nil), vs...)
	}
	out.Set(k, val)
	return out
}

func TestChargesAPIErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		sec := client{t: t, base: env.URL, key: env.SecretTest}
		live := client{t: t, base: env.URL, key: env.SecretLive}
		pubLive := client{t: t, base: env.URL, key: env.PublicLive}
		tests := []struct {
			name string
			form url.Values
			code string
		}{
			{"no amount", url.Values{"currency": {"thb"}, "card": {"tokn_test_abc"}}, "invalid_amount"},
			{"small amount", url.Values{"amount": {"100"}, "currency": {"thb"}, "card": {"tokn_test_abc"}}, "invalid_amount"},
			{"no currency", url.Values{"amount": {"5000"}, "card": {"tokn_test_abc"}}, "invalid_currency"},
			{"no card", url.Values{"amount": {"5000"}, "currency": {"thb"}}, "missing_card"},
			{"customer", url.Values{"amount": {"5000"}, "currency": {"thb"}, "customer": {"cust_test_1"}}, "bad_request"},
		}
		for _, tt := range tests {
			sec.form("POST", "/charges", tt.form).wantError(t, http.StatusBadRequest, tt.code, "")
		}
		sec.form("POST", "/charges", url.Values{"amount": {"5000"}, "currency": {"thb"}, "card": {"tokn_test_abc"}}).
			wantError(t, http.StatusNotFound, "not_found", "tokn_test_abc")
		sec.do("GET", "/charges/chrg_test_zzz", "", "").wantError(t, http.StatusNotFound, "not_found", "chrg_test_zzz")

		// Live mode without a processor refuses clearly, never succeeds.
		pubLive.form("POST", "/tokens", url.Values{"card[name]": {"A"}, "card[number]": {"4242424242424242"},
			"card[expiration_month]": {"1"}, "card[expiration_year]": {strconv.Itoa(nextYear())}}).
			wantError(t, http.StatusServiceUnavailable, "processor_unavailable", "not available")
		live.form("POST", "/charges", url.Values{"amount": {"5000"}, "currency": {"thb"}, "card": {"tokn_abc"}}).
			wantError(t, http.StatusServiceUnavailable, "processor_unavailable", "not available")
	})
}

// TestAuthorizeOnlyCharge checks that capture=false renders an authorized,
// capturable, unpaid charge.
func TestAuthorizeOnlyCharge(t *testing.T) {
	env := servertest.New(t, "sqlite")
	c := omiseClient(t, env)
	tok := &omisego.Token{}
	if err := c.Do(tok, &operations.CreateToken{Name: "A", Number: "4242424242424242", ExpirationMonth: 1, ExpirationYear: nextYear()}); err != nil {
		t.Fatal(err)
	}
	ch := &omisego.Charge{}
	if err := c.Do(ch, &operations.CreateCharge{Amount: 5000, Currency: "thb", Card: tok.ID, DontCapture: true}); err != nil {
		t.Fatal(err)
	}
	if ch.Status != omisego.ChargePending || !ch.Authorized || ch.Paid || ch.Capture {
		t.Errorf("got status %s authorized %v paid %v capture %v, want pending, authorized, unpaid, capture false",
			ch.Status, ch.Authorized, ch.Paid, ch.Capture)
	}
}
