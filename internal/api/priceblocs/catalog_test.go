package priceblocs_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
)

// client talks to a test server's PriceBlocs API as one key.
type client struct {
	t    *testing.T
	base string
	key  string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c client) do(method, path, body string, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		c.t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
	}
	return r
}

// ok sends a request that must answer 200, and returns the body.
func (c client) ok(method, path, body string) map[string]any {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d, body %s", method, path, r.status, r.raw)
	}
	return r.body
}

func (r reply) wantError(t *testing.T, status int, typ, code, param string) {
	t.Helper()
	e, _ := r.body["error"].(map[string]any)
	if r.status != status || e == nil || e["type"] != typ || e["code"] != code {
		t.Errorf("got %d %s, want %d %s %s", r.status, r.raw, status, typ, code)
		return
	}
	var wantParam any
	if param != "" {
		wantParam = param
	}
	if e["param"] != wantParam {
		t.Errorf("param: got %v, want %q (%s)", e["param"], param, r.raw)
	}
	if m, _ := e["message"].(string); m == "" {
		t.Errorf("no message: %s", r.raw)
	}
	if rid, _ := e["request_id"].(string); rid == "" {
		t.Errorf("no request_id: %s", r.raw)
	}
}

func forEachBackend(t *testing.T, f func(t *testing.T, env *servertest.Env)) {
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) { f(t, servertest.New(t, b)) })
	}
}

// subset reports the first member of want that got lacks or holds
// differently ("" when all match).
func subset(got, want map[string]any) string {
	for k, w := range want {
		g, ok := got[k]
		if wm, isMap := w.(map[string]any); isMap {
			gm, _ := g.(map[string]any)
			if d := subset(gm, wm); d != "" {
				return k + "." + d
			}
			continue
		}
		if !ok || !reflect.DeepEqual(g, w) {
			return fmt.Sprintf("%s: got %#v, want %#v", k, g, w)
		}
	}
	return ""
}

func TestCatalogEndpoints(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		prod := c.ok("POST", "/v1/products", `{"name": "Latte", "description": "hot", "metadata": {"sku": "L-1"}}`)
		pid, _ := prod["id"].(string)
		if !strings.HasPrefix(pid, "prod_") {
			t.Fatalf("product id %q", pid)
		}
		for _, check := range []struct {
			got  map[string]any
			want map[string]any
		}{
			{prod, map[string]any{"object": "product", "name": "Latte", "description": "hot", "active": true, "livemode": false,
				"metadata": map[string]any{"sku": "L-1"}}},
			{c.ok("GET", "/v1/products/"+pid, ""), map[string]any{"id": pid, "name": "Latte", "created": prod["created"]}},
			{c.ok("PUT", "/v1/products/"+pid, `{"name": "Iced latte"}`), map[string]any{"name": "Iced latte", "description": "hot"}},
			{c.ok("POST", "/v1/products/"+pid, `{"active": false, "description": null}`), map[string]any{"name": "Iced latte", "active": false}},
			{c.ok("POST", "/v1/prices", `{"product": "`+pid+`", "unit_amount": 1500, "currency": "USD", "recurring": {"interval": "month"}, "tax_behavior": "exclusive"}`),
				map[string]any{"object": "price", "product": pid, "unit_amount": 1500.0, "currency": "usd", "type": "recurring",
					"recurring": map[string]any{"interval": "month", "interval_count": 1.0}, "tax_behavior": "exclusive", "nickname": nil}},
			{c.ok("POST", "/v1/prices", `{"product": "`+pid+`", "unit_amount": 500, "currency": "jpy"}`),
				map[string]any{"type": "one_time", "recurring": nil, "tax_behavior": "unspecified", "currency": "jpy", "unit_amount": 500.0}},
			{c.ok("POST", "/v1/coupons", `{"percent_off": 12.5, "duration": "repeating", "duration_in_months": 3, "max_redemptions": 5}`),
				map[string]any{"object": "coupon", "percent_off": 12.5, "amount_off": nil, "currency": nil, "duration": "repeating",
					"duration_in_months": 3.0, "max_redemptions": 5.0, "times_redeemed": 0.0, "redeem_by": nil}},
			{c.ok("POST", "/v1/coupons", `{"amount_off": 500, "currency": "thb", "name": "Five baht"}`),
				map[string]any{"percent_off": nil, "amount_off": 500.0, "currency": "thb", "duration": "once", "name": "Five baht"}},
			{c.ok("POST", "/v1/tax-rates", `{"display_name": "Sales tax", "percentage": 8.875, "inclusive": false, "country": "us", "state": "NY"}`),
				map[string]any{"object": "tax_rate", "display_name": "Sales tax", "percentage": 8.875, "inclusive": false, "country": "US", "state": "NY"}},
			{c.ok("POST", "/v1/shipping-rates", `{"display_name": "Courier", "fixed_amount": {"amount": 500, "currency": "usd"},
				"delivery_estimate": {"minimum": {"unit": "business_day", "value": 1}, "maximum": {"unit": "business_day", "value": 3}}}`),
				map[string]any{"object": "shipping_rate", "type": "fixed_amount", "fixed_amount": map[string]any{"amount": 500.0, "currency": "usd"},
					"delivery_estimate": map[string]any{"minimum": map[string]any{"unit": "business_day", "value": 1.0}}, "tax_behavior": "unspecified"}},
		} {
			if d := subset(check.got, check.want); d != "" {
				t.Errorf("%s: %s", check.got["object"], d)
			}
		}
		if got := c.ok("GET", "/v1/products/"+pid, ""); got["description"] != "hot" {
			t.Errorf("a null description is left unchanged, got %v", got["description"])
		}

		coupons := c.ok("GET", "/v1/coupons", "")
		data, _ := coupons["data"].([]any)
		if len(data) != 2 || coupons["total"] != 2.0 {
			t.Fatalf("coupons: %v", coupons)
		}
		first, _ := data[1].(map[string]any) // oldest: the 12.5 % one
		cid := first["id"].(string)
		promo := c.ok("POST", "/v1/promotion-codes", `{"coupon": "`+cid+`", "code": "SPRING", "max_redemptions": 3}`)
		if d := subset(promo, map[string]any{"object": "promotion_code", "code": "SPRING", "coupon": cid, "max_redemptions": 3.0,
			"times_redeemed": 0.0, "expires_at": nil}); d != "" {
			t.Errorf("promotion code: %s", d)
		}
		c.do("POST", "/v1/promotion-codes", `{"coupon": "`+cid+`", "code": "spring"}`).wantError(t, 409, "invalid_request_error", "promotion_code_taken", "code")
		pc := c.ok("PUT", "/v1/promotion-codes/"+promo["id"].(string), `{"active": false}`)
		if pc["active"] != false || pc["code"] != "SPRING" {
			t.Errorf("deactivated code: %v", pc)
		}
		for _, kind := range []string{"products", "prices", "coupons", "promotion-codes", "tax-rates", "shipping-rates"} {
			l := c.ok("GET", "/v1/"+kind, "")
			items, _ := l["data"].([]any)
			if len(items) == 0 || l["object"] != "list" || l["url"] != "/v1/"+kind {
				t.Errorf("GET /v1/%s: %v", kind, l)
			}
			for _, it := range items {
				id := it.(map[string]any)["id"].(string)
				if got := c.ok("GET", "/v1/"+kind+"/"+id, ""); !reflect.DeepEqual(got, it) {
					t.Errorf("GET /v1/%s/%s: got %v, want the listed %v", kind, id, got, it)
				}
			}
		}

		// Another account and the other mode see none of it.
		other := client{t, env.URL, env.OtherSecretTest}
		other.do("GET", "/v1/products/"+pid, "").wantError(t, 404, "invalid_request_error", "resource_missing", "id")
		live := client{t, env.URL, env.SecretLive}
		live.do("GET", "/v1/products/"+pid, "").wantError(t, 404, "invalid_request_error", "resource_missing", "id")
		live.do("POST", "/v1/prices", `{"product": "`+pid+`", "unit_amount": 1, "currency": "usd"}`).
			wantError(t, 400, "invalid_request_error", "resource_missing", "product")
	})
}

func TestCatalogErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		pid := c.ok("POST", "/v1/products", `{"name": "Latte"}`)["id"].(string)
		readOnly := client{t, env.URL, servertest.MustKey(t, env.Service, env.Account.ID, false, paylinks.KeyRestricted, paylinks.ScopeLinksRead)}
		price := func(extra string) string {
			return `{"product": "` + pid + `", "currency": "usd"` + extra + `}`
		}
		for _, tt := range []struct {
			c                  client
			method, path, body string
			status             int
			typ, code, param   string
		}{
			{client{t, env.URL, ""}, "GET", "/v1/products", "", 401, "authentication_error", "authentication_failure", ""},
			{readOnly, "POST", "/v1/products", `{"name": "x"}`, 403, "permission_error", "missing_scope", ""},
			{c, "GET", "/v1/nothing", "", 404, "invalid_request_error", "route_not_found", ""},
			{c, "GET", "/v1/products/prod_nope", "", 404, "invalid_request_error", "resource_missing", "id"},
			{c, "GET", "/v1/products/price_01JABCDEFGHJKMNPQRSTVWXYZ0", "", 404, "invalid_request_error", "resource_missing", "id"},
			{c, "POST", "/v1/products", `{}`, 400, "invalid_request_error", "parameter_missing", "name"},
			{c, "POST", "/v1/products", `{"name": "x", "colour": "red"}`, 400, "invalid_request_error", "parameter_unknown", "colour"},
			{c, "POST", "/v1/products", `{"name": 5}`, 400, "invalid_request_error", "parameter_invalid", "name"},
			{c, "POST", "/v1/products", `{"name": "a\u0000b"}`, 400, "invalid_request_error", "bad_request", "name"},
			{c, "POST", "/v1/products", `{"name": "x", "metadata": {"k": 1}}`, 400, "invalid_request_error", "parameter_invalid", "metadata"},
			{c, "POST", "/v1/products", `[1]`, 400, "invalid_request_error", "body_invalid", ""},
			{c, "POST", "/v1/products", `{"name": "x"} {}`, 400, "invalid_request_error", "body_invalid", ""},
			{c, "POST", "/v1/prices", `{"currency": "usd", "unit_amount": 5}`, 400, "invalid_request_error", "parameter_missing", "product"},
			{c, "POST", "/v1/prices", price(``), 400, "invalid_request_error", "parameter_missing", "unit_amount"},
			{c, "POST", "/v1/prices", price(`, "unit_amount": 5.5`), 400, "invalid_request_error", "invalid_amount", "unit_amount"},
			{c, "POST", "/v1/prices", price(`, "unit_amount": -5`), 400, "invalid_request_error", "invalid_amount", "unit_amount"},
			{c, "POST", "/v1/prices", price(`, "unit_amount": "5"`), 400, "invalid_request_error", "parameter_invalid", "unit_amount"},
			{c, "POST", "/v1/prices", price(`, "unit_amount": 5, "recurring": {"interval": "month", "interval_count": 13}`), 400, "invalid_request_error", "parameter_invalid", "recurring.interval_count"},
			{c, "POST", "/v1/prices", price(`, "unit_amount": 5, "recurring": {}`), 400, "invalid_request_error", "parameter_missing", "recurring.interval"},
			{c, "POST", "/v1/prices", `{"product": "prod_x", "currency": "usd", "unit_amount": 5}`, 400, "invalid_request_error", "resource_missing", "product"},
			{c, "POST", "/v1/prices", `{"product": "` + pid + `", "currency": "usdd", "unit_amount": 5}`, 400, "invalid_request_error", "invalid_currency", "currency"},
			{c, "POST", "/v1/coupons", `{"percent_off": 100.00001}`, 400, "invalid_request_error", "parameter_invalid", "percent_off"},
			{c, "POST", "/v1/coupons", `{"percent_off": 1e1}`, 400, "invalid_request_error", "parameter_invalid", "percent_off"},
			{c, "POST", "/v1/coupons", `{"amount_off": 100}`, 400, "invalid_request_error", "invalid_currency", "currency"},
			{c, "POST", "/v1/coupons", `{"percent_off": 10, "redeem_by": 1}`, 400, "invalid_request_error", "parameter_invalid", "redeem_by"},
			// An explicit 0 is refused as Stripe refuses it, not read as absent.
			{c, "POST", "/v1/coupons", `{"percent_off": 0}`, 400, "invalid_request_error", "parameter_invalid", "percent_off"},
			{c, "POST", "/v1/coupons", `{"percent_off": 0.0}`, 400, "invalid_request_error", "parameter_invalid", "percent_off"},
			{c, "POST", "/v1/coupons", `{"amount_off": 0, "currency": "usd"}`, 400, "invalid_request_error", "invalid_amount", "amount_off"},
			{c, "POST", "/v1/coupons", `{"percent_off": 10, "duration": "repeating", "duration_in_months": 0}`, 400, "invalid_request_error", "parameter_invalid", "duration_in_months"},
			{c, "POST", "/v1/coupons", `{"percent_off": 10, "duration_in_months": 0}`, 400, "invalid_request_error", "parameter_invalid", "duration_in_months"},
			{c, "POST", "/v1/coupons", `{"percent_off": 10, "max_redemptions": 0}`, 400, "invalid_request_error", "parameter_invalid", "max_redemptions"},
			{c, "POST", "/v1/promotion-codes", `{"coupon": "coupon_01JABCDEFGHJKMNPQRSTVWXYZ0", "max_redemptions": 0}`, 400, "invalid_request_error", "parameter_invalid", "max_redemptions"},
			{c, "POST", "/v1/promotion-codes", `{"code": "X"}`, 400, "invalid_request_error", "parameter_missing", "coupon"},
			{c, "POST", "/v1/tax-rates", `{"display_name": "VAT", "percentage": 7}`, 400, "invalid_request_error", "parameter_missing", "inclusive"},
			{c, "POST", "/v1/tax-rates", `{"display_name": "VAT", "percentage": -7, "inclusive": true}`, 400, "invalid_request_error", "parameter_invalid", "percentage"},
			{c, "POST", "/v1/shipping-rates", `{"display_name": "x", "fixed_amount": {"amount": 5}}`, 400, "invalid_request_error", "parameter_missing", "fixed_amount.currency"},
			{c, "POST", "/v1/shipping-rates", `{"display_name": "x", "fixed_amount": {"amount": 5, "currency": "usd"}, "delivery_estimate": {"minimum": {"unit": "year", "value": 1}}}`,
				400, "invalid_request_error", "parameter_invalid", "delivery_estimate.minimum.unit"},
			{c, "PUT", "/v1/products/" + pid, `{"name": ""}`, 400, "invalid_request_error", "bad_request", "name"},
			{c, "PUT", "/v1/tax-rates/txr_01JABCDEFGHJKMNPQRSTVWXYZ0", `{"active": false}`, 404, "invalid_request_error", "resource_missing", "id"},
			{c, "GET", "/v1/products?page_size=101", "", 400, "invalid_request_error", "parameter_invalid", "page_size"},
			{c, "GET", "/v1/products?page=0", "", 400, "invalid_request_error", "parameter_invalid", "page"},
			{c, "GET", "/v1/products?livemode=maybe", "", 400, "invalid_request_error", "parameter_invalid", "livemode"},
		} {
			t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
				tt.c.do(tt.method, tt.path, tt.body).wantError(t, tt.status, tt.typ, tt.code, tt.param)
			})
		}
		// Nothing refused was written.
		if l := c.ok("GET", "/v1/prices", ""); l["total"] != 0.0 {
			t.Errorf("prices after refusals: %v", l)
		}
		if l := c.ok("GET", "/v1/coupons", ""); l["total"] != 0.0 {
			t.Errorf("coupons after refusals: %v", l)
		}
	})
}

// TestListEnvelope: 45 products paged by 20 — page 3 has prev and no
// next, total 45, and the links hash's URLs are right; the livemode filter
// of the other mode is empty.
func TestListEnvelope(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		var ids []string // newest first
		for i := range 45 {
			p := c.ok("POST", "/v1/products", fmt.Sprintf(`{"name": "product %d"}`, i))
			ids = append([]string{p["id"].(string)}, ids...)
		}
		link := func(page string) map[string]any {
			return map[string]any{"page": page, "url": env.URL + "/v1/products?page=" + page}
		}
		for _, tt := range []struct {
			query    string
			first    string
			n        int
			hasMore  bool
			links    map[string]any
			notLinks []string
		}{
			{"", ids[0], 20, true, map[string]any{"self": link("1"), "first": link("1"), "last": link("3"), "next": link("2")}, []string{"prev"}},
			{"?page=2", ids[20], 20, true, map[string]any{"self": link("2"), "next": link("3"), "prev": link("1")}, nil},
			{"?page=3", ids[40], 5, false, map[string]any{"self": link("3"), "last": link("3"), "prev": link("2")}, []string{"next"}},
		} {
			l := c.ok("GET", "/v1/products"+tt.query, "")
			data, _ := l["data"].([]any)
			if len(data) != tt.n || data[0].(map[string]any)["id"] != tt.first || l["has_more"] != tt.hasMore ||
				l["total"] != 45.0 || l["page_size"] != 20.0 || l["object"] != "list" || l["url"] != "/v1/products" {
				t.Errorf("%s: %d items, first %v, has_more %v, total %v, page_size %v", tt.query, len(data), data[0], l["has_more"], l["total"], l["page_size"])
			}
			links, _ := l["links"].(map[string]any)
			if d := subset(links, tt.links); d != "" {
				t.Errorf("%s: links %s", tt.query, d)
			}
			for rel, v := range links {
				if v.(map[string]any)["rel"] != rel {
					t.Errorf("%s: link %s has rel %v", tt.query, rel, v)
				}
			}
			for _, rel := range tt.notLinks {
				if _, ok := links[rel]; ok {
					t.Errorf("%s: has a %s link", tt.query, rel)
				}
			}
		}
		// Other parameters are kept in the links.
		l := c.ok("GET", "/v1/products?page_size=10&page=5&active=true", "")
		links := l["links"].(map[string]any)
		if got, want := links["last"].(map[string]any)["url"], env.URL+"/v1/products?active=true&page=5&page_size=10"; got != want {
			t.Errorf("last link: got %v, want %v", got, want)
		}
		if _, ok := links["next"]; ok || l["has_more"] != false {
			t.Errorf("page 5 of 10 has more: %v", l)
		}
		// The livemode filter: a test key's live list is empty; its test list is all.
		if l := c.ok("GET", "/v1/products?livemode=true", ""); l["total"] != 0.0 || len(l["data"].([]any)) != 0 || l["has_more"] != false {
			t.Errorf("livemode=true with a test key: %v", l)
		}
		if l := c.ok("GET", "/v1/products?livemode=false", ""); l["total"] != 45.0 {
			t.Errorf("livemode=false with a test key: total %v", l["total"])
		}
		if l := (client{t, env.URL, env.SecretLive}).ok("GET", "/v1/products", ""); l["total"] != 0.0 {
			t.Errorf("live key lists test products: %v", l)
		}
	})
}

// TestCatalogIdempotency: a create repeated with its Idempotency-Key
// answers the first response and makes nothing more.
func TestCatalogIdempotency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		a := c.do("POST", "/v1/tax-rates", `{"display_name": "VAT", "percentage": 7, "inclusive": true}`, "Idempotency-Key", "k1")
		b := c.do("POST", "/v1/tax-rates", `{"display_name": "VAT", "percentage": 7, "inclusive": true}`, "Idempotency-Key", "k1")
		if a.status != 200 || b.raw != a.raw || b.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s / %s (%v)", a.status, a.raw, b.raw, b.header)
		}
		c.do("POST", "/v1/tax-rates", `{"display_name": "GST", "percentage": 7, "inclusive": true}`, "Idempotency-Key", "k1").
			wantError(t, 409, "idempotency_error", "idempotency_key_reused", "Idempotency-Key")
		if l := c.ok("GET", "/v1/tax-rates", ""); l["total"] != 1.0 {
			t.Errorf("tax rates: %v", l["total"])
		}
	})
}

// TestCatalogIdempotencyAfterCrash: a create whose response was never
// stored (the process died after its commit) is answered, when retried
// after the key's lock lapsed, with the object it made: not a second one.
func TestCatalogIdempotencyAfterCrash(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			clock := servertest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			st := &servertest.DyingStore{Store: servertest.OpenStore(t, backend)}
			env := servertest.New(t, backend, servertest.Options{Store: st, Now: clock.Now})
			c := client{t, env.URL, env.SecretTest}
			st.Dying.Store(true)
			first := c.do("POST", "/v1/coupons", `{"percent_off": 15}`, "Idempotency-Key", "crash")
			st.Dying.Store(false)
			if first.status != 200 {
				t.Fatalf("first: %d %s", first.status, first.raw)
			}
			c.do("POST", "/v1/coupons", `{"percent_off": 15}`, "Idempotency-Key", "crash").
				wantError(t, 409, "idempotency_error", "idempotency_key_in_use", "Idempotency-Key")
			clock.Add(time.Hour)
			retry := c.do("POST", "/v1/coupons", `{"percent_off": 15}`, "Idempotency-Key", "crash")
			if retry.status != 200 || retry.body["id"] != first.body["id"] {
				t.Fatalf("the retry after the lapse: %d %s, want coupon %v", retry.status, retry.raw, first.body["id"])
			}
			if l := c.ok("GET", "/v1/coupons", ""); l["total"] != 1.0 {
				t.Errorf("coupons: %v, want 1", l["total"])
			}

			// A payment link the same way.
			prod := c.ok("POST", "/v1/products", `{"name": "Latte"}`)["id"].(string)
			price := c.ok("POST", "/v1/prices", `{"product": "`+prod+`", "unit_amount": 450, "currency": "usd"}`)["id"].(string)
			body := `{"line_items": [{"price": "` + price + `", "quantity": 2}]}`
			st.Dying.Store(true)
			link := c.do("POST", "/v1/payment-links", body, "Idempotency-Key", "crash-link")
			st.Dying.Store(false)
			clock.Add(time.Hour)
			again := c.do("POST", "/v1/payment-links", body, "Idempotency-Key", "crash-link")
			if link.status != 200 || again.status != 200 || again.body["id"] != link.body["id"] || again.raw != link.raw {
				t.Fatalf("the link's retry after the lapse: %d %s, want %s", again.status, again.raw, link.raw)
			}
			if l := c.ok("GET", "/v1/payment-links", ""); l["total"] != 1.0 {
				t.Errorf("links: %v, want 1", l["total"])
			}
		})
	}
}
