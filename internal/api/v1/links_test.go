package v1_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// TestSeedExamples runs the seed's examples as written: its create request
// (with its Idempotency-Key), list, retrieve, the PATCH deactivating the
// link, and the delete.
func TestSeedExamples(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		create := c.do("POST", "/api/v1/payment_links", `{
    "title": "Pro Plan",
    "fiatAmount": "99.00",
    "fiatCurrency": "USD",
    "successUrl": "https://example.com/thanks"
  }`, "Idempotency-Key", "create-link-v1")
		if create.status != http.StatusCreated {
			t.Fatalf("create: got %d %s, want 201", create.status, create.raw)
		}
		id, slug := create.str("id"), create.str("slug")
		want := map[string]any{"object": "payment_link", "title": "Pro Plan", "description": nil, "fiatAmount": "99.00",
			"fiatCurrency": "USD", "successUrl": "https://example.com/thanks", "cancelUrl": nil, "active": true,
			"checkoutUrl": env.URL + "/l/" + slug}
		for k, v := range want {
			if create.body[k] != v {
				t.Errorf("create: %s = %#v, want %#v", k, create.body[k], v)
			}
		}
		if len(create.body) != 13 {
			t.Errorf("create: %d members, want the seed's 13: %s", len(create.body), create.raw)
		}
		if !linkIDRe.MatchString(id) || !strings.HasPrefix(slug, "pro-plan-") {
			t.Errorf("create: id %q slug %q, want pl_… and pro-plan-…", id, slug)
		}
		for _, k := range []string{"createdAt", "updatedAt"} {
			if !timeRe.MatchString(create.str(k)) {
				t.Errorf("create: %s = %q, want ISO 8601 with milliseconds", k, create.str(k))
			}
		}
		// The seed's retry of the same request replays the first answer.
		again := c.do("POST", "/api/v1/payment_links", `{
    "title": "Pro Plan",
    "fiatAmount": "99.00",
    "fiatCurrency": "USD",
    "successUrl": "https://example.com/thanks"
  }`, "Idempotency-Key", "create-link-v1")
		if again.status != http.StatusCreated || again.raw != create.raw || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry: got %d %s (replayed %q), want the first answer replayed", again.status, again.raw, again.header.Get("Idempotent-Replayed"))
		}

		list := c.do("GET", "/api/v1/payment_links?limit=10", "")
		data, _ := list.body["data"].([]any)
		if list.status != 200 || len(data) != 1 || list.body["hasMore"] != false || list.body["nextCursor"] != nil {
			t.Errorf("list: got %d %s, want the one link", list.status, list.raw)
		} else if first, _ := data[0].(map[string]any); first["id"] != id {
			t.Errorf("list: first id %v, want %s", first["id"], id)
		}
		get := c.do("GET", "/api/v1/payment_links/"+id, "")
		if get.status != 200 || get.raw != create.raw {
			t.Errorf("retrieve: got %d %s, want the created link", get.status, get.raw)
		}
		patch := c.do("PATCH", "/api/v1/payment_links/"+id, `{"active": false}`)
		if patch.status != 200 || patch.body["active"] != false || patch.str("updatedAt") == create.str("updatedAt") || patch.body["title"] != "Pro Plan" {
			t.Errorf("deactivate: got %d %s", patch.status, patch.raw)
		}
		if r := pageStatus(t, env.URL+"/l/"+slug); r != http.StatusGone {
			t.Errorf("page of a deactivated link: %d, want 410", r)
		}
		del := c.do("DELETE", "/api/v1/payment_links/"+id, "")
		if del.status != 200 || del.body["deleted"] != true || del.str("id") != id {
			t.Errorf("delete: got %d %s", del.status, del.raw)
		}
		c.do("GET", "/api/v1/payment_links/"+id, "").wantError(t, 404, "not_found", "not_found", "id")
		if r := pageStatus(t, env.URL+"/l/"+slug); r != http.StatusNotFound {
			t.Errorf("page of a deleted link: %d, want 404", r)
		}
		if l := c.do("GET", "/api/v1/payment_links", ""); l.raw != `{"data":[],"hasMore":false,"nextCursor":null}`+"\n" {
			t.Errorf("list after delete: %s", l.raw)
		}
	})
}

func pageStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPatchNullClears(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "10", "description": "d",
			"successUrl": "https://example.com/s", "cancelUrl": "https://example.com/c"})
		id := l.str("id")
		tests := []struct {
			name string
			body string
			want map[string]any
		}{
			{"absent members stay", `{"title": "T2"}`, map[string]any{"title": "T2", "description": "d", "successUrl": "https://example.com/s", "cancelUrl": "https://example.com/c", "fiatAmount": "10.00"}},
			{"null clears description", `{"description": null}`, map[string]any{"description": nil, "successUrl": "https://example.com/s"}},
			{"null clears the urls", `{"successUrl": null, "cancelUrl": null}`, map[string]any{"successUrl": nil, "cancelUrl": nil, "title": "T2"}},
			{"set again", `{"description": "again", "successUrl": "https://example.com/s2"}`, map[string]any{"description": "again", "successUrl": "https://example.com/s2", "cancelUrl": nil}},
			{"new amount", `{"fiatAmount": "12.5"}`, map[string]any{"fiatAmount": "12.50", "fiatCurrency": "USD"}},
			{"new currency and amount", `{"fiatCurrency": "jpy", "fiatAmount": "1500"}`, map[string]any{"fiatAmount": "1500", "fiatCurrency": "JPY"}},
			{"reactivate", `{"active": true}`, map[string]any{"active": true}},
			{"empty body", `{}`, map[string]any{"title": "T2", "description": "again"}},
		}
		prev := l.str("updatedAt")
		for _, tt := range tests {
			r := c.do("PATCH", "/api/v1/payment_links/"+id, tt.body)
			if r.status != 200 {
				t.Errorf("%s: got %d %s", tt.name, r.status, r.raw)
				continue
			}
			for k, v := range tt.want {
				if r.body[k] != v {
					t.Errorf("%s: %s = %#v, want %#v", tt.name, k, r.body[k], v)
				}
			}
			if r.str("updatedAt") <= prev {
				t.Errorf("%s: updatedAt %s did not move past %s", tt.name, r.str("updatedAt"), prev)
			}
			prev = r.str("updatedAt")
		}
	})
}

// TestValidationErrors checks each validation error of the link and session
// endpoints, with its param, and that nothing was written.
func TestValidationErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		live := client{t: t, base: env.URL, key: env.SecretLive}
		l := c.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "10"})
		lp := "/api/v1/payment_links/" + l.str("id")
		tests := []struct {
			name         string
			c            client
			method, path string
			body         string
			code, param  string
		}{
			{"no title", c, "POST", "/api/v1/payment_links", `{"fiatAmount": "9"}`, "parameter_missing", "title"},
			{"empty title", c, "POST", "/api/v1/payment_links", `{"title": " ", "fiatAmount": "9"}`, "bad_request", "title"},
			{"title not a string", c, "POST", "/api/v1/payment_links", `{"title": 5, "fiatAmount": "9"}`, "parameter_invalid", "title"},
			{"no amount", c, "POST", "/api/v1/payment_links", `{"title": "T"}`, "parameter_missing", "fiatAmount"},
			{"amount as a number", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": 99}`, "parameter_invalid", "fiatAmount"},
			{"three decimals", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "99.001"}`, "invalid_amount", "fiatAmount"},
			{"JPY decimals", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "100.5", "fiatCurrency": "JPY"}`, "invalid_amount", "fiatAmount"},
			{"symbol", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "$99"}`, "invalid_amount", "fiatAmount"},
			{"exponent", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "1e3"}`, "invalid_amount", "fiatAmount"},
			{"negative", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "-5"}`, "invalid_amount", "fiatAmount"},
			{"zero", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "0.00"}`, "invalid_amount", "fiatAmount"},
			{"grouping", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "1,000"}`, "invalid_amount", "fiatAmount"},
			{"too large", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "99999999999"}`, "invalid_amount", "fiatAmount"},
			{"below minimum", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "0.10"}`, "invalid_amount", "fiatAmount"},
			{"bad currency", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "fiatCurrency": "ABC"}`, "invalid_currency", "fiatCurrency"},
			{"http success url", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "successUrl": "http://example.com/"}`, "bad_request", "successUrl"},
			{"relative cancel url", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "cancelUrl": "/back"}`, "bad_request", "cancelUrl"},
			{"localhost in live mode", live, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "successUrl": "http://localhost/ok"}`, "bad_request", "successUrl"},
			{"bad slug", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "slug": "Not Safe!"}`, "bad_request", "slug"},
			{"unknown member", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9", "price": "9"}`, "parameter_unknown", "price"},
			{"not JSON", c, "POST", "/api/v1/payment_links", `title=T`, "body_invalid", ""},
			{"trailing data", c, "POST", "/api/v1/payment_links", `{"title": "T", "fiatAmount": "9"} {}`, "body_invalid", ""},
			{"array body", c, "POST", "/api/v1/payment_links", `[1]`, "body_invalid", ""},
			{"patch null title", c, "PATCH", lp, `{"title": null}`, "parameter_invalid", "title"},
			{"patch null amount", c, "PATCH", lp, `{"fiatAmount": null}`, "parameter_invalid", "fiatAmount"},
			{"patch bad amount", c, "PATCH", lp, `{"fiatAmount": "1.999"}`, "invalid_amount", "fiatAmount"},
			{"patch zero amount", c, "PATCH", lp, `{"fiatAmount": "0"}`, "invalid_amount", "fiatAmount"},
			{"patch currency alone", c, "PATCH", lp, `{"fiatCurrency": "EUR"}`, "invalid_amount", "fiatAmount"},
			{"patch active null", c, "PATCH", lp, `{"active": null}`, "parameter_invalid", "active"},
			{"patch active string", c, "PATCH", lp, `{"active": "no"}`, "parameter_invalid", "active"},
			{"patch unknown", c, "PATCH", lp, `{"slug": "x-y-z"}`, "parameter_unknown", "slug"},
			{"limit 0", c, "GET", "/api/v1/payment_links?limit=0", "", "parameter_invalid", "limit"},
			{"limit 101", c, "GET", "/api/v1/payment_links?limit=101", "", "parameter_invalid", "limit"},
			{"limit text", c, "GET", "/api/v1/payment_links?limit=ten", "", "parameter_invalid", "limit"},
			{"bad cursor", c, "GET", "/api/v1/payment_links?starting_after=nope", "", "parameter_invalid", "starting_after"},
			{"unknown cursor", c, "GET", "/api/v1/payment_links?starting_after=pl_01ARZ3NDEKTSV4RRFFQ69G5FAV", "", "invalid_cursor", "starting_after"},
			{"session: neither", c, "POST", "/api/v1/checkout_sessions", `{}`, "parameter_missing", "linkId"},
			{"session: both", c, "POST", "/api/v1/checkout_sessions", `{"linkId": "` + l.str("id") + `", "amount": {"value": "5", "currency": "USD"}}`, "parameter_invalid", "linkId"},
			{"session: bad link", c, "POST", "/api/v1/checkout_sessions", `{"linkId": "pl_01ARZ3NDEKTSV4RRFFQ69G5FAV"}`, "link_not_found", "linkId"},
			{"session: amount value", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5.001", "currency": "USD"}}`, "invalid_amount", "amount.value"},
			{"session: amount currency", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5"}}`, "parameter_missing", "amount.currency"},
			{"session: amount extra", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD", "x": 1}}`, "parameter_unknown", "amount.x"},
			{"session: small amount", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "0.01", "currency": "USD"}}`, "invalid_amount", "amount.value"},
			{"session: metadata", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "metadata": {"a": 1}}`, "parameter_invalid", "metadata"},
			{"session: expiresAt", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "expiresAt": "2000-01-01T00:00:00Z"}`, "invalid_expires_at", "expiresAt"},
			{"session: expiresAt text", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "expiresAt": "soon"}`, "parameter_invalid", "expiresAt"},
			{"session: success url", c, "POST", "/api/v1/checkout_sessions", `{"amount": {"value": "5", "currency": "USD"}, "successUrl": "ftp://x"}`, "bad_request", "successUrl"},
			{"session: limit", c, "GET", "/api/v1/checkout_sessions?limit=1000", "", "parameter_invalid", "limit"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.c.do(tt.method, tt.path, tt.body)
				r.wantError(t, 400, "invalid_request", tt.code, tt.param)
			})
		}
		// Nothing was written: still one link, no session.
		if r := c.do("GET", "/api/v1/payment_links", ""); len(r.body["data"].([]any)) != 1 {
			t.Errorf("links after refused requests: %s", r.raw)
		}
		if r := c.do("GET", "/api/v1/checkout_sessions", ""); len(r.body["data"].([]any)) != 0 {
			t.Errorf("sessions after refused requests: %s", r.raw)
		}
		c.do("GET", "/api/v1/nothing", "").wantError(t, 404, "not_found", "route_not_found", "")
		c.do("PUT", "/api/v1/payment_links", "").wantError(t, 404, "not_found", "route_not_found", "")
		c.do("GET", "/api/v1/payment_links/link_test_abc", "").wantError(t, 404, "not_found", "not_found", "id")
		c.do("GET", "/api/v1/checkout_sessions/"+strings.Replace(l.str("id"), "pl_", "cs_", 1), "").wantError(t, 404, "not_found", "not_found", "id")
	})
}

// TestCursorPagination walks 250 links in pages while other links are being
// created: every one of the 250 appears exactly once, newest first.
func TestCursorPagination(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		var mu sync.Mutex
		var made []string
		var wg sync.WaitGroup
		for w := range 10 {
			wg.Go(func() {
				for i := range 25 {
					r := c.json("POST", "/api/v1/payment_links", map[string]any{"title": fmt.Sprintf("L %d-%d", w, i), "fiatAmount": "1.00"})
					if r.status != 201 {
						t.Errorf("create: %d %s", r.status, r.raw)
						return
					}
					mu.Lock()
					made = append(made, r.str("id"))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		// Keep creating while paging.
		stop := make(chan struct{})
		var extra sync.WaitGroup
		extra.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c.json("POST", "/api/v1/payment_links", map[string]any{"title": fmt.Sprintf("late %d", i), "fiatAmount": "2.00"})
			}
		})
		seen := map[string]int{}
		var order, created []string
		cursor := ""
		for pages := 0; pages < 100; pages++ {
			path := "/api/v1/payment_links?limit=17"
			if cursor != "" {
				path += "&starting_after=" + url.QueryEscape(cursor)
			}
			r := c.do("GET", path, "")
			if r.status != 200 {
				t.Fatalf("page: %d %s", r.status, r.raw)
			}
			for _, d := range r.body["data"].([]any) {
				id := d.(map[string]any)["id"].(string)
				seen[id]++
				order = append(order, id)
				created = append(created, d.(map[string]any)["createdAt"].(string))
			}
			if r.body["hasMore"] != true {
				if r.body["nextCursor"] != nil {
					t.Errorf("last page has nextCursor %v", r.body["nextCursor"])
				}
				break
			}
			cursor = r.str("nextCursor")
			if cursor != order[len(order)-1] {
				t.Errorf("nextCursor %s is not the page's last id %s", cursor, order[len(order)-1])
			}
		}
		close(stop)
		extra.Wait()
		for _, id := range made {
			if seen[id] != 1 {
				t.Errorf("link %s seen %d times, want 1", id, seen[id])
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("link %s seen %d times", id, n)
			}
		}
		for i := 1; i < len(created); i++ {
			if created[i] > created[i-1] {
				t.Errorf("not newest first at %d: created %s after %s", i, created[i], created[i-1])
				break
			}
		}
	})
}

// TestManualCaptureLink: captureMethod "manual" on create is kept and
// shown (and documented: checkResponse validates against openapi.json);
// a link's payment then is an authorization only; an unknown method is
// refused naming the field.
func TestManualCaptureLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		r := c.do("POST", "/api/v1/payment_links", `{"title": "Deposit", "fiatAmount": "50.00", "captureMethod": "manual"}`)
		if r.status != http.StatusCreated || r.str("captureMethod") != "manual" {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		if got := c.do("GET", "/api/v1/payment_links/"+r.str("id"), ""); got.str("captureMethod") != "manual" {
			t.Errorf("retrieve: %s", got.raw)
		}
		auto := c.do("POST", "/api/v1/payment_links", `{"title": "Now", "fiatAmount": "5.00", "captureMethod": "automatic"}`)
		if _, ok := auto.body["captureMethod"]; auto.status != http.StatusCreated || ok {
			t.Errorf("automatic link: %d %s, want no captureMethod", auto.status, auto.raw)
		}
		c.do("POST", "/api/v1/payment_links", `{"title": "X", "fiatAmount": "5.00", "captureMethod": "later"}`).
			wantError(t, 400, "invalid_request", "parameter_invalid", "captureMethod")

		card := service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "N", ExpirationMonth: 1, ExpirationYear: time.Now().Year() + 1}
		ch, _, err := env.Service.PayLink(context.Background(), service.PayParams{Slug: r.str("slug"), Card: card, Email: "p@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if ch.Status != paylinks.ChargePending || ch.AuthorizedAmount != 5000 || ch.CapturedAmount != 0 || ch.ExpiresAt == nil {
			t.Errorf("charge of a manual-capture link = %+v, want an authorization of 5000", ch)
		}
	})
}
