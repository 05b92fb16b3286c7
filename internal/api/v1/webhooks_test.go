package v1_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
)

var (
	endpointIDRe = regexp.MustCompile(`^we_[0-9A-HJKMNP-TV-Z]{26}$`)
	secretRe     = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)
	eventIDRe    = regexp.MustCompile(`^evt_[0-9A-HJKMNP-TV-Z]{26}$`)
)

func TestWebhookEndpointsAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		r := c.json("POST", "/api/v1/webhook_endpoints", map[string]any{"url": "https://example.com/hooks",
			"events": []string{"session.paid", "charge.complete"}, "description": "orders"})
		if r.status != 201 || !endpointIDRe.MatchString(r.str("id")) || !secretRe.MatchString(r.str("secret")) ||
			r.str("format") != "v1" || r.body["livemode"] != false || r.body["disabled"] != false {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		id, secret := r.str("id"), r.str("secret")
		g := c.do("GET", "/api/v1/webhook_endpoints/"+id, "")
		if g.status != 200 || g.body["secret"] != nil || g.str("description") != "orders" {
			t.Errorf("get: %d %s (the secret must not be shown)", g.status, g.raw)
		}
		if strings.Contains(g.raw, secret) {
			t.Errorf("get shows the secret")
		}
		om := c.json("POST", "/api/v1/webhook_endpoints", map[string]any{"url": "http://localhost:9/x", "format": "omise"})
		if om.status != 201 || om.str("format") != "omise" || om.body["events"].([]any)[0] != "*" {
			t.Errorf("create omise with the default events: %d %s", om.status, om.raw)
		}
		l := c.do("GET", "/api/v1/webhook_endpoints?limit=1", "")
		if l.status != 200 || l.body["hasMore"] != true || len(l.body["data"].([]any)) != 1 {
			t.Errorf("list: %d %s", l.status, l.raw)
		}
		l2 := c.do("GET", "/api/v1/webhook_endpoints?limit=1&starting_after="+l.body["nextCursor"].(string), "")
		if d := l2.body["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != id || l2.body["hasMore"] != false {
			t.Errorf("list page 2: %s", l2.raw)
		}
		p := c.json("PATCH", "/api/v1/webhook_endpoints/"+id, map[string]any{"disabled": true, "description": nil, "events": []string{"*"}})
		if p.status != 200 || p.body["disabled"] != true || p.body["description"] != nil || p.body["disabledAt"] == nil {
			t.Errorf("patch: %d %s", p.status, p.raw)
		}
		rot := c.do("POST", "/api/v1/webhook_endpoints/"+id+"/rotate_secret", "")
		if rot.status != 200 || !secretRe.MatchString(rot.str("secret")) || rot.str("secret") == secret {
			t.Errorf("rotate: %d %s", rot.status, rot.raw)
		}
		ts := c.do("POST", "/api/v1/webhook_endpoints/"+id+"/test", "")
		if ts.status != 201 || ts.str("type") != "webhook_endpoint.test" || !eventIDRe.MatchString(ts.str("id")) {
			t.Errorf("test: %d %s", ts.status, ts.raw)
		}
		if d := ts.body["data"].(map[string]any); d["id"] != id || d["secret"] != nil {
			t.Errorf("test event data: %v", d)
		}
		// Another mode and another account see nothing of it.
		for _, k := range []string{env.SecretLive, env.OtherSecretTest} {
			(client{t: t, base: env.URL, key: k}).do("GET", "/api/v1/webhook_endpoints/"+id, "").wantError(t, 404, "not_found", "not_found", "id")
		}
		del := c.do("DELETE", "/api/v1/webhook_endpoints/"+id, "")
		if del.status != 200 || del.body["deleted"] != true {
			t.Errorf("delete: %d %s", del.status, del.raw)
		}
		c.do("GET", "/api/v1/webhook_endpoints/"+id, "").wantError(t, 404, "not_found", "not_found", "id")
		c.do("GET", "/api/v1/webhook_endpoints/we_nope", "").wantError(t, 404, "not_found", "not_found", "id")
	})
}

func TestWebhookEndpointValidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		tests := []struct {
			body        string
			code, param string
		}{
			{`{}`, "parameter_missing", "url"},
			{`{"url": ""}`, "invalid_url", "url"},
			{`{"url": "ftp://example.com/x"}`, "invalid_url", "url"},
			{`{"url": "https://"}`, "invalid_url", "url"},
			{`{"url": "https://user:pw@example.com/x"}`, "invalid_url", "url"},
			{`{"url": "example.com/x"}`, "invalid_url", "url"},
			{`{"url": 5}`, "parameter_invalid", "url"},
			{`{"url": "https://example.com", "events": []}`, "invalid_events", "events"},
			{`{"url": "https://example.com", "events": "*"}`, "parameter_invalid", "events"},
			{`{"url": "https://example.com", "events": ["*", "session.paid"]}`, "invalid_events", "events"},
			{`{"url": "https://example.com", "events": ["session.nope"]}`, "invalid_events", "events"},
			{`{"url": "https://example.com", "format": "xml"}`, "invalid_format", "format"},
			{`{"url": "https://example.com", "description": "` + strings.Repeat("d", 501) + `"}`, "invalid_description", "description"},
			{`{"url": "https://example.com", "secret": "whsec_mine"}`, "parameter_unknown", "secret"},
		}
		for _, tt := range tests {
			r := c.do("POST", "/api/v1/webhook_endpoints", tt.body)
			r.wantError(t, 400, "invalid_request", tt.code, tt.param)
		}
		ok := c.json("POST", "/api/v1/webhook_endpoints", map[string]any{"url": "https://example.com/h"})
		c.do("PATCH", "/api/v1/webhook_endpoints/"+ok.str("id"), `{"url": "gopher://x"}`).wantError(t, 400, "invalid_request", "invalid_url", "url")
		c.do("PATCH", "/api/v1/webhook_endpoints/"+ok.str("id"), `{"disabled": "yes"}`).wantError(t, 400, "invalid_request", "parameter_invalid", "disabled")
		list := c.do("GET", "/api/v1/webhook_endpoints", "")
		if n := len(list.body["data"].([]any)); n != 1 {
			t.Errorf("after refused creates: %d endpoints, want 1", n)
		}
	})
}

func TestWebhookAndEventScopes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		secret := client{t: t, base: env.URL, key: env.SecretTest}
		ep := secret.json("POST", "/api/v1/webhook_endpoints", map[string]any{"url": "https://example.com/h"})
		link := secret.json("POST", "/api/v1/payment_links", map[string]any{"title": "T", "fiatAmount": "5"})
		evs := secret.do("GET", "/api/v1/events?type=payment_link.created", "")
		data := evs.body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("events of type payment_link.created: %s", evs.raw)
		}
		ev := data[0].(map[string]any)
		if ev["type"] != "payment_link.created" || ev["data"].(map[string]any)["id"] != link.str("id") || !eventIDRe.MatchString(ev["id"].(string)) {
			t.Errorf("event: %v", ev)
		}
		evID := ev["id"].(string)
		key := func(scopes ...paylinks.Scope) string {
			return servertest.MustKey(t, env.Service, env.Account.ID, false, paylinks.KeyRestricted, scopes...)
		}
		reads, writes, events := key(paylinks.ScopeWebhooksRead), key(paylinks.ScopeWebhooksWrite), key(paylinks.ScopeEventsRead)
		calls := []struct {
			method, path, body string
			scope              string
			ok                 int
		}{
			{"POST", "/api/v1/webhook_endpoints", `{"url": "https://example.com/x"}`, "w", 201},
			{"GET", "/api/v1/webhook_endpoints", "", "r", 200},
			{"GET", "/api/v1/webhook_endpoints/" + ep.str("id"), "", "r", 200},
			{"PATCH", "/api/v1/webhook_endpoints/" + ep.str("id"), `{"description": "x"}`, "w", 200},
			{"POST", "/api/v1/webhook_endpoints/" + ep.str("id") + "/rotate_secret", "", "w", 200},
			{"POST", "/api/v1/webhook_endpoints/" + ep.str("id") + "/test", "", "w", 201},
			{"GET", "/api/v1/events", "", "e", 200},
			{"GET", "/api/v1/events/" + evID, "", "e", 200},
			{"POST", "/api/v1/events/" + evID + "/redeliver", "", "w", 202},
		}
		for _, call := range calls {
			for name, k := range map[string]string{"r": reads, "w": writes, "e": events} {
				r := (client{t: t, base: env.URL, key: k}).do(call.method, call.path, call.body)
				if name == call.scope {
					if r.status != call.ok {
						t.Errorf("%s %s with its scope: %d %s", call.method, call.path, r.status, r.raw)
					}
				} else {
					r.wantError(t, 403, "permission", "missing_scope", "")
				}
			}
		}
		secret.do("GET", "/api/v1/events?type=nope", "").wantError(t, 400, "invalid_request", "invalid_type", "type")
		secret.do("GET", "/api/v1/events/evt_nope", "").wantError(t, 404, "not_found", "not_found", "id")
		secret.do("POST", "/api/v1/events/"+evID+"/redeliver", `{"endpoint": "we_nope"}`).wantError(t, 404, "not_found", "not_found", "endpoint")
		(client{t: t, base: env.URL, key: env.SecretLive}).do("GET", "/api/v1/events/"+evID, "").wantError(t, 404, "not_found", "not_found", "id")
		r := secret.json("POST", "/api/v1/events/"+evID+"/redeliver", map[string]any{"endpoint": ep.str("id")})
		if r.status != 202 || r.body["deliveries"] != float64(1) {
			t.Errorf("redeliver to one endpoint: %d %s", r.status, r.raw)
		}
	})
}
