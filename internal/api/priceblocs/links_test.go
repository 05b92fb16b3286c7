package priceblocs_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
)

// v1Link creates a link through the JSON v1 dialect and returns its id
// there and its slug.
func v1Link(t *testing.T, env *servertest.Env, key, title string) (id, slug string) {
	t.Helper()
	r := client{t, env.URL, key}.do("POST", "/api/v1/payment_links", fmt.Sprintf(`{"title": %q, "fiatAmount": "12.50"}`, title))
	if r.status != http.StatusCreated {
		t.Fatalf("v1 create: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string), r.body["slug"].(string)
}

// TestLinkList is the seed's list: 45 links paged by 20. Page 3 has prev
// and no next, total is 45, the links hash's URLs are right, and the
// livemode filter selects the key's mode only.
func TestLinkList(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		var slugs []string // newest first
		for i := range 45 {
			_, slug := v1Link(t, env, env.SecretTest, fmt.Sprint("Link ", i))
			slugs = append([]string{slug}, slugs...)
		}
		v1Link(t, env, env.SecretLive, "A live link")
		link := func(page string) map[string]any {
			return map[string]any{"page": page, "rel": "", "url": env.URL + "/v1/payment-links?page=" + page}
		}
		for _, tt := range []struct {
			query    string
			n        int
			first    string
			hasMore  bool
			links    map[string]string // rel → page
			notLinks []string
		}{
			{"", 20, slugs[0], true, map[string]string{"self": "1", "first": "1", "last": "3", "next": "2"}, []string{"prev"}},
			{"?page=3", 5, slugs[40], false, map[string]string{"self": "3", "first": "1", "last": "3", "prev": "2"}, []string{"next"}},
		} {
			l := c.ok("GET", "/v1/payment-links"+tt.query, "")
			data := l["data"].([]any)
			if len(data) != tt.n || data[0].(map[string]any)["short_id"] != tt.first || l["has_more"] != tt.hasMore ||
				l["total"] != 45.0 || l["page_size"] != 20.0 || l["url"] != "/v1/payment-links" || l["object"] != "list" {
				t.Errorf("%q: %d items, first %v, has_more %v, total %v", tt.query, len(data), data[0].(map[string]any)["short_id"], l["has_more"], l["total"])
			}
			links := l["links"].(map[string]any)
			for rel, page := range tt.links {
				want := link(page)
				want["rel"] = rel
				if d := subset(links, map[string]any{rel: want}); d != "" {
					t.Errorf("%q: links %s", tt.query, d)
				}
			}
			for _, rel := range tt.notLinks {
				if _, ok := links[rel]; ok {
					t.Errorf("%q: has a %s link", tt.query, rel)
				}
			}
			if len(links) != len(tt.links) {
				t.Errorf("%q: links %v", tt.query, links)
			}
		}
		for _, tt := range []struct {
			key, query string
			total      float64
		}{
			{env.SecretTest, "?livemode=false", 45}, {env.SecretTest, "?livemode=true", 0},
			{env.SecretLive, "", 1}, {env.SecretLive, "?livemode=true", 1}, {env.SecretLive, "?livemode=false", 0},
		} {
			l := client{t, env.URL, tt.key}.ok("GET", "/v1/payment-links"+tt.query, "")
			for _, it := range l["data"].([]any) {
				if it.(map[string]any)["livemode"] != (tt.key == env.SecretLive) {
					t.Errorf("%s: a link of the other mode: %v", tt.query, it)
				}
			}
			if l["total"] != tt.total {
				t.Errorf("livemode filter %q: total %v, want %v", tt.query, l["total"], tt.total)
			}
		}
		c.do("GET", "/v1/payment-links?page_size=101", "").wantError(t, 400, "invalid_request_error", "parameter_invalid", "page_size")
	})
}

// TestLinkLifecycle: a link made by the v1 dialect is retrieved, updated
// and archived through PriceBlocs, and each dialect sees the change.
func TestLinkLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t, env.URL, env.SecretTest}
		v1ID, slug := v1Link(t, env, env.SecretTest, "Pro plan")
		first := c.ok("GET", "/v1/payment-links", "")["data"].([]any)[0].(map[string]any)
		id := first["id"].(string)
		if len(id) != 36 {
			t.Fatalf("id %q is not a UUID", id)
		}
		got := c.ok("GET", "/v1/payment-links/"+id, "")
		if d := subset(got, map[string]any{"object": "payment_link", "short_id": slug, "url": env.URL + "/l/" + slug,
			"brand_url": env.URL + "/l/" + slug, "title": "Pro plan", "description": nil, "status": "active", "currency": "usd",
			"amount_total": 1250.0, "mode": "payment", "livemode": false, "line_items": []any{}, "restrictions": nil}); d != "" {
			t.Errorf("retrieve: %s", d)
		}
		c.do("GET", "/v1/payment-links/"+strings.ToUpper(id[:8])+"x"+id[9:], "").wantError(t, 404, "invalid_request_error", "resource_missing", "id")
		c.do("GET", "/v1/payment-links/"+v1ID, "").wantError(t, 404, "invalid_request_error", "resource_missing", "id")
		client{t, env.URL, env.OtherSecretTest}.do("GET", "/v1/payment-links/"+id, "").wantError(t, 404, "invalid_request_error", "resource_missing", "id")

		up := c.ok("PUT", "/v1/payment-links/"+id, `{"title": "Pro plan 2", "status": "inactive", "success_url": "https://shop.example.com/ok"}`)
		if d := subset(up, map[string]any{"title": "Pro plan 2", "status": "inactive", "success_url": "https://shop.example.com/ok", "description": nil}); d != "" {
			t.Errorf("update: %s", d)
		}
		v1 := client{t, env.URL, env.SecretTest}.do("GET", "/api/v1/payment_links/"+v1ID, "")
		if v1.body["title"] != "Pro plan 2" || v1.body["active"] != false {
			t.Errorf("v1 sees %v", v1.raw)
		}
		for _, tt := range []struct{ body, code, param string }{
			{`{"line_items": [{"price": "price_x", "quantity": 2}]}`, "parameter_not_updatable", "line_items"},
			{`{"mode": "subscription"}`, "parameter_not_updatable", "mode"},
			{`{"currency": "eur"}`, "parameter_not_updatable", "currency"},
			{`{"status": "archived"}`, "parameter_invalid", "status"},
			{`{"status": "paused"}`, "parameter_invalid", "status"},
			{`{"title": ""}`, "bad_request", "title"},
			{`{"colour": "red"}`, "parameter_unknown", "colour"},
		} {
			c.do("PUT", "/v1/payment-links/"+id, tt.body).wantError(t, 400, "invalid_request_error", tt.code, tt.param)
		}
		if got := c.ok("GET", "/v1/payment-links/"+id, ""); got["title"] != "Pro plan 2" || got["status"] != "inactive" {
			t.Errorf("a refused update changed the link: %v", got)
		}

		del := c.ok("DELETE", "/v1/payment-links/"+id, "")
		if del["status"] != "archived" || del["id"] != id {
			t.Errorf("delete: %v", del)
		}
		c.do("GET", "/v1/payment-links/"+id, "").wantError(t, 404, "invalid_request_error", "resource_missing", "id")
		c.do("DELETE", "/v1/payment-links/"+id, "").wantError(t, 404, "invalid_request_error", "resource_missing", "id")
		resp, err := http.Get(env.URL + "/l/" + slug)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("the archived link's page still answers 200")
		}
		if l := c.ok("GET", "/v1/payment-links", ""); l["total"] != 0.0 {
			t.Errorf("archived link still listed: %v", l["total"])
		}
	})
}
