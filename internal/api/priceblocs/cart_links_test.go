package priceblocs_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/servertest"
)

// TestCartLinkCreate: a link of two catalog prices with a coupon, tax
// rates and shipping options is created, reads back the same through
// retrieve and list, and shows its total to the v1 dialect.
func TestCartLinkCreate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		id := func(path, body string) string { return c.ok("POST", path, body)["id"].(string) }
		latte := id("/v1/products", `{"name": "Latte"}`)
		bagel := id("/v1/products", `{"name": "Bagel"}`)
		latteUSD := id("/v1/prices", `{"product": "`+latte+`", "unit_amount": 450, "currency": "usd"}`)
		bagelUSD := id("/v1/prices", `{"product": "`+bagel+`", "unit_amount": 325, "currency": "usd"}`)
		coupon := id("/v1/coupons", `{"percent_off": 10}`)
		ny := id("/v1/tax-rates", `{"display_name": "NY", "percentage": 8.875, "inclusive": false}`)
		courier := id("/v1/shipping-rates", `{"display_name": "Courier", "fixed_amount": {"amount": 500, "currency": "usd"}}`)

		body := fmt.Sprintf(`{"line_items": [{"price": %q, "quantity": 2}, {"price": %q, "adjustable_quantity": {"enabled": true, "maximum": 5}}],
			"discounts": [{"coupon": %q}], "tax_rates": [%q],
			"shipping_address_collection": {"allowed_countries": ["US", "ca"]}, "billing_address_collection": "required",
			"allow_promotion_codes": true, "customer_email": "pat@example.com", "submit_type": "book",
			"metadata": {"order": "42"}, "success_url": "https://shop.example.com/thanks"}`, latteUSD, bagelUSD, coupon, ny)
		link := c.ok("POST", "/v1/payment-links", body)
		// Lines 900 + 325; 10 % off each: 90 + 33 (32.5 rounds up); 8.875 %
		// on 810 and 292: 72 + 26. Total 1225 − 123 + 98 = 1200.
		want := map[string]any{"object": "payment_link", "title": "Latte", "status": "active", "currency": "usd", "amount_total": 1200.0,
			"mode": "payment", "submit_type": "book", "billing_address_collection": "required", "allow_promotion_codes": true,
			"customer_email": "pat@example.com", "expires_at": nil, "success_url": "https://shop.example.com/thanks",
			"metadata": map[string]any{"order": "42"}}
		if d := subset(link, want); d != "" {
			t.Errorf("create: %s", d)
		}
		for _, m := range []struct {
			name      string
			got, want any
		}{
			{"line_items", link["line_items"], []any{
				map[string]any{"price": latteUSD, "product": latte, "currency": "usd", "interval": nil, "quantity": 2.0,
					"adjustable_quantity": nil, "tax_rates": nil, "dynamic_tax_rates": nil},
				map[string]any{"price": bagelUSD, "product": bagel, "currency": "usd", "interval": nil, "quantity": 1.0,
					"adjustable_quantity": map[string]any{"enabled": true, "minimum": 0.0, "maximum": 5.0}, "tax_rates": nil, "dynamic_tax_rates": nil}}},
			{"discounts", link["discounts"], []any{map[string]any{"coupon": coupon}}},
			{"tax_rates", link["tax_rates"], []any{ny}},
			{"shipping_options", link["shipping_options"], []any{}},
			{"shipping_address_collection", link["shipping_address_collection"], map[string]any{"allowed_countries": []any{"US", "CA"}}},
		} {
			if !reflect.DeepEqual(m.got, m.want) {
				t.Errorf("%s: got %v, want %v", m.name, m.got, m.want)
			}
		}
		lid := link["id"].(string)
		if got := c.ok("GET", "/v1/payment-links/"+lid, ""); !reflect.DeepEqual(got, link) {
			t.Errorf("retrieve:\n got %v\nwant %v", got, link)
		}
		if got := c.ok("GET", "/v1/payment-links", "")["data"].([]any)[0]; !reflect.DeepEqual(got, any(link)) {
			t.Errorf("list:\n got %v\nwant %v", got, link)
		}
		// One row: the v1 dialect shows the total; the hosted page answers.
		var v1 map[string]any
		for _, it := range c.ok("GET", "/api/v1/payment_links", "")["data"].([]any) {
			if it.(map[string]any)["slug"] == link["short_id"] {
				v1 = it.(map[string]any)
			}
		}
		if v1 == nil || v1["fiatAmount"] != "12.00" || v1["fiatCurrency"] != "USD" || v1["title"] != "Latte" {
			t.Errorf("v1 sees %v", v1)
		}
		req, _ := http.NewRequest("GET", env.URL+"/links", nil)
		req.SetBasicAuth(env.SecretTest, "")
		oresp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var olist struct {
			Data []struct {
				Amount     int64  `json:"amount"`
				Currency   string `json:"currency"`
				PaymentURI string `json:"payment_uri"`
			} `json:"data"`
		}
		err = json.NewDecoder(oresp.Body).Decode(&olist)
		oresp.Body.Close()
		if err != nil || len(olist.Data) != 1 || olist.Data[0].Amount != 1200 || olist.Data[0].PaymentURI != link["url"] {
			t.Errorf("Omise sees %+v (%v)", olist, err)
		}
		resp, err := http.Get(link["url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("hosted page: %d", resp.StatusCode)
		}
		// The page charges shipping, redeems limited coupons and stops at
		// expires_at, so links with them are made.
		item := fmt.Sprintf(`{"price": %q}`, latteUSD)
		limited := id("/v1/coupons", `{"percent_off": 10, "max_redemptions": 5}`)
		for _, body := range []string{
			`{"line_items": [` + item + `], "shipping_options": [{"shipping_rate": "` + courier + `"}]}`,
			`{"line_items": [` + item + `], "discounts": [{"coupon": "` + limited + `"}]}`,
		} {
			c.ok("POST", "/v1/payment-links", body)
		}
		c.ok("POST", "/v1/payment-links", fmt.Sprintf(`{"line_items": [%s], "expires_at": %d}`, item, time.Now().Add(48*time.Hour).Unix()))
		// The v1 dialect may not set the amount of a link that sells line
		// items (it is their total), but may change the rest.
		v1c := client{t, env.URL, env.SecretTest}
		v1ID := v1["id"].(string)
		for _, tt := range []struct{ body, param string }{
			{`{"fiatAmount": "5.00"}`, "fiatAmount"}, {`{"fiatCurrency": "EUR"}`, "fiatCurrency"},
		} {
			r := v1c.do("PATCH", "/api/v1/payment_links/"+v1ID, tt.body)
			if e, _ := r.body["error"].(map[string]any); r.status != 400 || e["code"] != "parameter_not_updatable" || e["param"] != tt.param {
				t.Errorf("v1 PATCH %s: %d %s", tt.body, r.status, r.raw)
			}
		}
		if r := v1c.do("PATCH", "/api/v1/payment_links/"+v1ID, `{"description": "Two lattes and a bagel"}`); r.status != 200 || r.body["fiatAmount"] != "12.00" {
			t.Errorf("v1 PATCH description: %d %s", r.status, r.raw)
		}

		// A PUT keeps the cart.
		if got := c.ok("PUT", "/v1/payment-links/"+lid, `{"title": "Breakfast"}`); got["title"] != "Breakfast" || !reflect.DeepEqual(got["line_items"], link["line_items"]) {
			t.Errorf("PUT: %v", got)
		}
	})
}

func TestCartLinkErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		id := func(path, body string) string { return c.ok("POST", path, body)["id"].(string) }
		prod := id("/v1/products", `{"name": "Latte"}`)
		usd := id("/v1/prices", `{"product": "`+prod+`", "unit_amount": 450, "currency": "usd"}`)
		eur := id("/v1/prices", `{"product": "`+prod+`", "unit_amount": 450, "currency": "eur"}`)
		cent := id("/v1/prices", `{"product": "`+prod+`", "unit_amount": 1, "currency": "usd"}`)
		monthly := id("/v1/prices", `{"product": "`+prod+`", "unit_amount": 450, "currency": "usd", "recurring": {"interval": "month"}}`)
		off := id("/v1/prices", `{"product": "`+prod+`", "unit_amount": 450, "currency": "usd", "active": false}`)
		eurShip := id("/v1/shipping-rates", `{"display_name": "x", "fixed_amount": {"amount": 500, "currency": "eur"}}`)
		coupon := id("/v1/coupons", `{"percent_off": 10}`)
		otherPrice := client{t, env.URL, env.OtherSecretTest}.ok("POST", "/v1/prices",
			`{"product": "`+client{t, env.URL, env.OtherSecretTest}.ok("POST", "/v1/products", `{"name": "x"}`)["id"].(string)+`", "unit_amount": 450, "currency": "usd"}`)["id"].(string)
		item := func(price string) string { return `{"price": "` + price + `"}` }
		many := strings.Repeat(item(usd)+", ", 20) + item(usd)
		for _, tt := range []struct{ body, code, param string }{
			{`{}`, "parameter_missing", "line_items"},
			{`{"line_items": []}`, "parameter_missing", "line_items"},
			{`{"line_items": [` + item(usd) + `], "mode": "subscription"}`, "mode_not_supported", "mode"},
			{`{"line_items": [` + item(usd) + `], "mode": "setup"}`, "mode_not_supported", "mode"},
			{`{"line_items": [` + item(monthly) + `]}`, "mode_not_supported", "line_items[0].price"},
			{`{"line_items": [` + item(usd) + `, ` + item(eur) + `]}`, "currency_mismatch", "line_items[1].price"},
			{`{"line_items": [` + item(off) + `]}`, "resource_inactive", "line_items[0].price"},
			{`{"line_items": [` + item(otherPrice) + `]}`, "resource_missing", "line_items[0].price"},
			{`{"line_items": [{"price": "nope"}]}`, "resource_missing", "line_items[0].price"},
			{`{"line_items": [{"quantity": 2}]}`, "parameter_missing", "line_items[0].price"},
			{`{"line_items": [` + many + `]}`, "parameter_invalid", "line_items"},
			{`{"line_items": [{"price": "` + usd + `", "quantity": 0}]}`, "parameter_invalid", "line_items[0].quantity"},
			{`{"line_items": [{"price": "` + usd + `", "quantity": 7, "adjustable_quantity": {"enabled": true, "maximum": 5}}]}`, "parameter_invalid", "line_items[0].quantity"},
			{`{"line_items": [` + item(cent) + `]}`, "invalid_amount", "line_items"},
			{`{"line_items": [` + item(usd) + `], "discounts": [{"coupon": "` + coupon + `"}, {"coupon": "` + coupon + `"}]}`, "parameter_invalid", "discounts"},
			{`{"line_items": [` + item(usd) + `], "discounts": [{"coupon": "coupon_x"}]}`, "resource_missing", "discounts[0].coupon"},
			{`{"line_items": [` + item(usd) + `], "shipping_options": [{"shipping_rate": "` + eurShip + `"}]}`, "currency_mismatch", "shipping_options[0].shipping_rate"},
			{`{"line_items": [` + item(usd) + `], "shipping_options": [{"shipping_rate": "shr_x"}]}`, "resource_missing", "shipping_options[0].shipping_rate"},
			{`{"line_items": [` + item(usd) + `], "tax_rates": ["txr_x"]}`, "resource_missing", "tax_rates[0]"},
			{`{"line_items": [` + item(usd) + `], "shipping_address_collection": {"allowed_countries": ["USA"]}}`, "parameter_invalid", "shipping_address_collection.allowed_countries[0]"},
			{`{"line_items": [` + item(usd) + `], "billing_address_collection": "sometimes"}`, "parameter_invalid", "billing_address_collection"},
			{`{"line_items": [` + item(usd) + `], "submit_type": "buy"}`, "parameter_invalid", "submit_type"},
			{`{"line_items": [` + item(usd) + `], "customer_email": "not an email"}`, "parameter_invalid", "customer_email"},
			{`{"line_items": [` + item(usd) + `], "expires_at": 1}`, "parameter_invalid", "expires_at"},
			{`{"line_items": [` + item(usd) + `], "success_url": "ftp://x"}`, "bad_request", "success_url"},
			{`{"line_items": [` + item(usd) + `], "title": "a\u0007b"}`, "bad_request", "title"},
			{`{"line_items": [` + item(usd) + `], "price_data": {}}`, "parameter_unknown", "price_data"},
		} {
			t.Run(tt.param+" "+tt.code, func(t *testing.T) {
				c.do("POST", "/v1/payment-links", tt.body).wantError(t, 400, "invalid_request_error", tt.code, tt.param)
			})
		}
		if l := c.ok("GET", "/v1/payment-links", ""); l["total"] != 0.0 {
			t.Errorf("refused creates wrote links: %v", l["total"])
		}
	})
}
