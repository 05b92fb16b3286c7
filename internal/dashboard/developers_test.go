package dashboard_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/webhooks"
)

var (
	newKeyRE    = regexp.MustCompile(`id="secret-value" class="mono" readonly value="((?:skey|pkey|rkey)_test_[0-9a-z]{24})"`)
	newSecretRE = regexp.MustCompile(`id="secret-value" class="mono" readonly value="(whsec_[^"]+)"`)
	revokeRE    = regexp.MustCompile(`action="(/dashboard/developers/keys/[0-9a-z]+/revoke)"`)
)

// apiStatus calls GET /api/v1/payment_links with key and returns the status.
func apiStatus(t *testing.T, env *servertest.Env, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/payment_links", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestDevelopersKeys: an owner creates keys (shown once, and working at
// the API), a restricted key needs a scope, revoking stops a key; a
// viewer is refused the keys by the server, and another account's owner
// cannot revoke them.
func TestDevelopersKeys(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, _ := newEnv(t, backend)
			owner := newUser(t, env, "acme", "owner@example.com", paylinks.RoleOwner)
			viewer := newUser(t, env, "acme", "viewer@example.com", paylinks.RoleViewer)
			other := newUser(t, env, "other", "other@example.com", paylinks.RoleOwner)
			const keys = "/dashboard/developers/keys"

			p := owner.submit(keys, keys, url.Values{"kind": {"secret"}})
			m := newKeyRE.FindStringSubmatch(p.body)
			if p.status != http.StatusOK || m == nil || !strings.HasPrefix(m[1], "skey_test_") {
				t.Fatalf("create a secret key: %d, no key shown\n%s", p.status, p.body)
			}
			key := m[1]
			if got := apiStatus(t, env, key); got != http.StatusOK {
				t.Errorf("the new key at the API: %d, want 200", got)
			}
			// Shown once: the list shows its prefix only.
			list := owner.get(keys)
			if strings.Contains(list.body, key) || !strings.Contains(list.body, key[:16]+"…") {
				t.Errorf("keys list after creation: want the prefix %s… and not the key", key[:16])
			}
			// A restricted key needs a scope; with one it is limited to it.
			if p := owner.submit(keys, keys, url.Values{"kind": {"restricted"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "at least one scope") {
				t.Errorf("restricted key without scopes: %d, want 400 naming the scope\n%s", p.status, p.body)
			}
			p = owner.submit(keys, keys, url.Values{"kind": {"restricted"}, "scope": {"events:read"}})
			rm := newKeyRE.FindStringSubmatch(p.body)
			if rm == nil || !strings.HasPrefix(rm[1], "rkey_test_") {
				t.Fatalf("create a restricted key: %d\n%s", p.status, p.body)
			}
			if got := apiStatus(t, env, rm[1]); got != http.StatusForbidden {
				t.Errorf("restricted events:read key lists links: %d, want 403", got)
			}

			// A viewer: the server refuses the page and every form.
			if p := viewer.get(keys); p.status != http.StatusForbidden || strings.Contains(p.body, key[:16]) || strings.Contains(p.body, "skey_test_") {
				t.Errorf("viewer GET keys: %d, want 403 without any key", p.status)
			}
			revokes := revokeRE.FindAllStringSubmatch(owner.get(keys).body, -1)
			if len(revokes) < 3 { // the env's keys and the two new ones
				t.Fatalf("revoke buttons: %v", revokes)
			}
			viewerToken := viewer.csrf("/dashboard/links")
			for _, tc := range []struct {
				path string
				form url.Values
			}{
				{keys, url.Values{"kind": {"secret"}}},
				{revokes[0][1], url.Values{}},
			} {
				tc.form.Set("csrf", viewerToken)
				if p := viewer.post(tc.path, tc.form); p.status != http.StatusForbidden || newKeyRE.MatchString(p.body) {
					t.Errorf("viewer POST %s: %d, want 403", tc.path, p.status)
				}
			}
			// Another account's owner: not found.
			if p := other.submit(keys, revokes[0][1], url.Values{}); p.status != http.StatusNotFound {
				t.Errorf("other account revokes acme's key: %d, want 404", p.status)
			}
			// Without the CSRF token: refused, no key made.
			before := len(revokeRE.FindAllString(owner.get(keys).body, -1))
			if p := owner.post(keys, url.Values{"kind": {"secret"}}); p.status != http.StatusForbidden {
				t.Errorf("create a key without CSRF token: %d, want 403", p.status)
			}
			if after := len(revokeRE.FindAllString(owner.get(keys).body, -1)); after != before {
				t.Errorf("keys after a refused form: %d, want %d", after, before)
			}
			if got := apiStatus(t, env, key); got != http.StatusOK {
				t.Errorf("the key after refused revokes: %d, want 200", got)
			}

			// The owner revokes the restricted key, by its row's button.
			rrow := regexp.MustCompile(regexp.QuoteMeta(rm[1][:16]) + `…</td>[\s\S]*?action="(/dashboard/developers/keys/[0-9a-z]+/revoke)"`).FindStringSubmatch(owner.get(keys).body)
			if rrow == nil {
				t.Fatalf("no revoke button for %s…", rm[1][:16])
			}
			wantRedirect(t, owner.submit(keys, rrow[1], url.Values{}), http.StatusSeeOther, keys+"?revoked=1")
			if got := apiStatus(t, env, rm[1]); got != http.StatusUnauthorized {
				t.Errorf("revoked key at the API: %d, want 401", got)
			}
			if got := apiStatus(t, env, key); got != http.StatusOK {
				t.Errorf("the other key after a revoke: %d, want 200", got)
			}
			if p := owner.submit(keys, rrow[1], url.Values{}); p.status != http.StatusConflict {
				t.Errorf("revoke twice: %d, want 409", p.status)
			}
			// Live mode lists the live keys only, and makes live keys.
			owner.submit("/dashboard/links", "/dashboard/mode", url.Values{"mode": {"live"}})
			if p := owner.get(keys); strings.Contains(p.body, key[:16]) || !strings.Contains(p.body, env.SecretLive[:16]+"…") {
				t.Errorf("live keys page: want the live secret key %s… and no test key", env.SecretLive[:16])
			}
			if p := owner.submit(keys, keys, url.Values{"kind": {"public"}}); !regexp.MustCompile(`readonly value="pkey_live_[0-9a-z]{24}"`).MatchString(p.body) {
				t.Errorf("a public key made in live mode: want pkey_live_…\n%s", p.body)
			}
		})
	}
}

// startDispatcher delivers the env's webhooks until the test ends.
func startDispatcher(t *testing.T, env *servertest.Env) {
	t.Helper()
	srv := server.New(server.Config{Service: env.Service, PublicURL: env.URL})
	d := webhooks.New(webhooks.Options{Store: env.Store, Render: srv.WebhookRenderer(), AllowPrivate: true, Poll: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestDevelopersWebhooks: an owner creates an endpoint (secret shown
// once), sends it a test event that a real receiver gets, sees the event
// and its delivery, redelivers it, rotates the secret, disables the
// endpoint; a viewer sees the endpoint and events but every action is
// refused; another account sees none of it.
func TestDevelopersWebhooks(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, _ := newEnv(t, backend)
			var got atomic.Int64
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
			t.Cleanup(rc.Close)
			startDispatcher(t, env)
			owner := newUser(t, env, "acme", "owner@example.com", paylinks.RoleOwner)
			viewer := newUser(t, env, "acme", "viewer@example.com", paylinks.RoleViewer)
			other := newUser(t, env, "other", "other@example.com", paylinks.RoleOwner)
			const hooks = "/dashboard/developers/webhooks"

			for _, tc := range []struct {
				form url.Values
				want string
			}{
				{url.Values{"url": {"ftp://example.com"}, "events": {"*"}}, `id="url-err"`},
				{url.Values{"url": {rc.URL}, "events": {"no.such.event"}}, `id="events-err"`},
			} {
				if p := owner.submit(hooks, hooks, tc.form); p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.want) {
					t.Errorf("create endpoint %v: %d, want 400 with %s", tc.form, p.status, tc.want)
				}
			}
			p := owner.submit(hooks, hooks, url.Values{"url": {rc.URL + "/hook"}, "events": {"*"}, "format": {"v1"}})
			sm := newSecretRE.FindStringSubmatch(p.body)
			if p.status != http.StatusOK || sm == nil {
				t.Fatalf("create endpoint: %d, no secret shown\n%s", p.status, p.body)
			}
			sm[1] = html.UnescapeString(sm[1])
			page, err := env.Service.WebhookEndpointPage(context.Background(), paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}, service.CursorPage{Limit: 10})
			if err != nil || len(page.Items) != 1 || page.Items[0].Secret != sm[1] {
				t.Fatalf("endpoints after create: %+v, %v; want one with the secret shown", page, err)
			}
			ep := hooks + "/" + paylinks.FormatBase36(page.Items[0].ID)
			if p := owner.get(ep); p.status != http.StatusOK || strings.Contains(p.body, sm[1]) || !strings.Contains(p.body, rc.URL+"/hook") {
				t.Errorf("endpoint page: %d, want 200 with the URL and without the secret", p.status)
			}

			// A test event reaches the receiver, and the events pages show it.
			wantRedirect(t, owner.submit(ep, ep+"/test", url.Values{}), http.StatusSeeOther, ep+"?done=test")
			waitFor(t, "the test event delivered", func() bool { return got.Load() >= 1 })
			evID := regexp.MustCompile(`href="/dashboard/developers/events/([0-9a-z]+)">webhook_endpoint.test<`)
			var em []string
			waitFor(t, "the events page shows the delivery", func() bool {
				p := owner.get("/dashboard/developers/events")
				em = evID.FindStringSubmatch(p.body)
				return em != nil && strings.Contains(p.body, "delivered") && strings.Contains(p.body, "HTTP 200")
			})
			ev := "/dashboard/developers/events/" + em[1]
			if p := owner.get(ev); !strings.Contains(p.body, rc.URL+"/hook") || !strings.Contains(p.body, "pill-delivered") || !strings.Contains(p.body, "/redeliver") {
				t.Errorf("event page: want the endpoint, a delivered delivery and the redeliver button\n%s", p.body)
			}
			// Redeliver: the webhook_endpoint.test event goes to its one
			// endpoint only when named; to every matching endpoint here,
			// which for a test event is none or the endpoint.
			p = owner.submit(ev, ev+"/redeliver", url.Values{})
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), ev+"?redelivered=") {
				t.Errorf("redeliver: %d %q", p.status, p.header.Get("Location"))
			}
			// A link made now is an event the endpoint gets too.
			before := got.Load()
			owner.submit("/dashboard/links/new", "/dashboard/links", url.Values{"title": {"Hooked"}, "amount": {"10.00"}, "currency": {"THB"}})
			waitFor(t, "the link event delivered", func() bool { return got.Load() > before })

			// Viewer: sees, cannot act.
			if p := viewer.get(ep); p.status != http.StatusOK || strings.Contains(p.body, "/rotate") {
				t.Errorf("viewer endpoint page: %d, want 200 without actions", p.status)
			}
			if p := viewer.get(ev); p.status != http.StatusOK || strings.Contains(p.body, "/redeliver") {
				t.Errorf("viewer event page: %d, want 200 without the redeliver button", p.status)
			}
			for _, path := range []string{ep + "/rotate", ep + "/test", ep + "/disable", ev + "/redeliver", hooks} {
				if p := viewer.submit("/dashboard/links", path, url.Values{"url": {rc.URL}, "events": {"*"}}); p.status != http.StatusForbidden || newSecretRE.MatchString(p.body) {
					t.Errorf("viewer POST %s: %d, want 403", path, p.status)
				}
			}
			// Another account: not found.
			for _, path := range []string{ep, ev} {
				if p := other.get(path); p.status != http.StatusNotFound {
					t.Errorf("other account GET %s: %d, want 404", path, p.status)
				}
			}
			for _, path := range []string{ep + "/rotate", ev + "/redeliver"} {
				if p := other.submit("/dashboard/links", path, url.Values{}); p.status != http.StatusNotFound {
					t.Errorf("other account POST %s: %d, want 404", path, p.status)
				}
			}
			if p := other.get(hooks); strings.Contains(p.body, rc.URL) {
				t.Errorf("other account's webhooks page lists acme's endpoint")
			}
			// CSRF: a rotate without the token is refused.
			if p := owner.post(ep+"/rotate", url.Values{}); p.status != http.StatusForbidden {
				t.Errorf("rotate without CSRF token: %d, want 403", p.status)
			}

			// Rotate: a new secret, shown once.
			p = owner.submit(ep, ep+"/rotate", url.Values{})
			rot := newSecretRE.FindStringSubmatch(p.body)
			if p.status != http.StatusOK || rot == nil || html.UnescapeString(rot[1]) == sm[1] {
				t.Fatalf("rotate: %d, want a new secret shown", p.status)
			}
			rot[1] = html.UnescapeString(rot[1])
			if e, _ := env.Service.WebhookEndpoint(context.Background(), paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}, page.Items[0].ID, ""); e == nil || e.Secret != rot[1] || e.PrevSecret != sm[1] {
				t.Errorf("after rotate: endpoint %+v, want the new secret and the old one as previous", e)
			}
			// Disable, enable.
			wantRedirect(t, owner.submit(ep, ep+"/disable", url.Values{}), http.StatusSeeOther, ep+"?done=disable")
			if p := owner.get(ep); !strings.Contains(p.body, "disabled since") || !strings.Contains(p.body, "/enable") {
				t.Errorf("endpoint page after disable: want disabled and an enable button")
			}
			wantRedirect(t, owner.submit(ep, ep+"/enable", url.Values{}), http.StatusSeeOther, ep+"?done=enable")
			if p := owner.get(ep); strings.Contains(p.body, "disabled since") {
				t.Errorf("endpoint page after enable: still disabled")
			}
		})
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited 10 s for %s", what)
}
