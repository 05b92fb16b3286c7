package v1_test

import (
	"context"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// TestCartSession: a session paid through a cart link shows its line
// items, breakdown, addresses and answers through GET
// /api/v1/checkout_sessions/{id} (validated against openapi.json), and the
// completion event written with it carries the same cart.
func TestCartSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		ctx := context.Background()
		svc := env.Service
		pr, err := svc.Authenticate(ctx, env.SecretTest)
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		prod, err := svc.CreateProduct(ctx, pr, service.ProductParams{Name: "Tea tin"})
		must(err)
		price, err := svc.CreatePrice(ctx, pr, service.PriceParams{ProductID: prod.ID, UnitAmount: 1250, Currency: "USD", Type: paylinks.PriceOneTime})
		must(err)
		vat, err := svc.CreateTaxRate(ctx, pr, service.TaxRateParams{DisplayName: "VAT", Percentage: 10 * 10000, Inclusive: true})
		must(err)
		ship, err := svc.CreateShippingRate(ctx, pr, service.ShippingRateParams{DisplayName: "Post", Amount: 300, Currency: "USD",
			TaxBehavior: paylinks.TaxUnspecified})
		must(err)
		l, cart, err := svc.CreateCartLink(ctx, pr, service.CartLinkParams{
			LineItems:  []service.CartItemParams{{PriceID: price.ID, Quantity: 2, Adjustable: &paylinks.AdjustableQuantity{Enabled: true, Maximum: 9}}},
			TaxRateIDs: []paylinks.ID{vat.ID}, TaxRateRefs: []string{"vat"}, ShippingRateIDs: []paylinks.ID{ship.ID}, ShippingRateRefs: []string{"ship"},
			ShippingCountries: []string{"US"}, TaxIDCollection: true,
			CustomFields: []paylinks.CustomField{{Key: "note", Label: "Gift note", Type: paylinks.CustomFieldText}}})
		must(err)
		c, _, err := svc.PayCart(ctx, l, cart, service.CartPayParams{
			Choice: service.CartChoice{Quantities: []int64{3}, ClientReferenceID: "ref-9", TaxID: "US-EIN-1",
				CustomFields:    map[string]string{"note": "Happy birthday"},
				ShippingAddress: &paylinks.Address{Name: "Pat", Line1: "1 Main St", City: "Austin", State: "TX", PostalCode: "78701", Country: "US"}},
			Card:  service.CardInput{Number: "4242424242424242", ExpirationMonth: 12, ExpirationYear: 2040, SecurityCode: "123", Name: "Pat"},
			Email: "pat@example.com"})
		if err != nil || !c.Accepted() || c.SessionID == nil {
			t.Fatalf("PayCart: %+v, %v", c, err)
		}
		api := client{t, env.URL, env.SecretTest}
		r := api.do("GET", "/api/v1/checkout_sessions/"+paylinks.FormatSessionID(*c.SessionID), "")
		if r.status != 200 {
			t.Fatalf("GET session: %d %s", r.status, r.raw)
		}
		// 3 × 12.50 = 37.50, VAT 10 % included: 3.41; shipping 3.00 (not taxed).
		checkCart := func(what string, cart map[string]any) {
			t.Helper()
			b, _ := cart["breakdown"].(map[string]any)
			want := map[string]any{"subtotal": "37.50", "discount": "0.00", "shipping": "3.00", "tax": "0.00", "inclusiveTax": "3.41", "total": "40.50"}
			for k, v := range want {
				if b[k] != v {
					t.Errorf("%s: breakdown.%s = %v, want %v", what, k, b[k], v)
				}
			}
			items, _ := cart["lineItems"].([]any)
			if len(items) != 1 {
				t.Fatalf("%s: lineItems %v", what, cart["lineItems"])
			}
			it := items[0].(map[string]any)
			if it["productName"] != "Tea tin" || it["quantity"] != float64(3) || it["amount"] != "37.50" {
				t.Errorf("%s: line %v", what, it)
			}
			addr, _ := cart["shippingAddress"].(map[string]any)
			if addr["city"] != "Austin" || addr["postalCode"] != "78701" || cart["clientReferenceId"] != "ref-9" {
				t.Errorf("%s: address %v, clientReferenceId %v", what, addr, cart["clientReferenceId"])
			}
			if s, _ := cart["shipping"].(map[string]any); s["name"] != "Post" {
				t.Errorf("%s: shipping %v", what, cart["shipping"])
			}
			tax, _ := cart["taxIds"].([]any)
			fields, _ := cart["customFields"].([]any)
			if len(tax) != 1 || len(fields) != 1 || fields[0].(map[string]any)["value"] != "Happy birthday" {
				t.Errorf("%s: taxIds %v, customFields %v", what, tax, fields)
			}
		}
		if r.body["fiat"].(map[string]any)["amount"] != "40.50" {
			t.Errorf("fiat %v", r.body["fiat"])
		}
		cartView, _ := r.body["cart"].(map[string]any)
		checkCart("GET", cartView)

		evs := api.do("GET", "/api/v1/events?type=session.paid", "")
		data, _ := evs.body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("completion events: %s", evs.raw)
		}
		obj, _ := data[0].(map[string]any)["data"].(map[string]any)
		ev, _ := obj["cart"].(map[string]any)
		checkCart("event", ev)
	})
}

// TestCartLinkSessionRefused: POST /api/v1/checkout_sessions with the
// linkId of a link that sells line items is a 400 naming linkId, pointing
// at the link's own page (which prices the cart), and makes no session.
func TestCartLinkSessionRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		ctx := context.Background()
		svc := env.Service
		pr, err := svc.Authenticate(ctx, env.SecretTest)
		if err != nil {
			t.Fatal(err)
		}
		prod, err := svc.CreateProduct(ctx, pr, service.ProductParams{Name: "Tea tin"})
		if err != nil {
			t.Fatal(err)
		}
		price, err := svc.CreatePrice(ctx, pr, service.PriceParams{ProductID: prod.ID, UnitAmount: 1250, Currency: "USD", Type: paylinks.PriceOneTime})
		if err != nil {
			t.Fatal(err)
		}
		l, _, err := svc.CreateCartLink(ctx, pr, service.CartLinkParams{LineItems: []service.CartItemParams{{PriceID: price.ID, Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		api := client{t, env.URL, env.SecretTest}
		id := api.do("GET", "/api/v1/payment_links?limit=1", "").body["data"].([]any)[0].(map[string]any)["id"].(string)
		r := api.json("POST", "/api/v1/checkout_sessions", map[string]any{"linkId": id})
		r.wantError(t, 400, "invalid_request", service.CodeLinkSellsCart, "linkId")
		msg, _ := r.body["error"].(map[string]any)["message"].(string)
		if want := "a link that sells line items is paid on its own page: " + env.URL + "/l/" + l.Slug; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
		if list := api.do("GET", "/api/v1/checkout_sessions", ""); len(list.body["data"].([]any)) != 0 {
			t.Errorf("sessions after the refusal: %s", list.raw)
		}
	})
}
