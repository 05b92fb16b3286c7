package webhooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/omise/omise-go"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/webhooks"
)

// TestPaymentDeliversSignedEvents pays a link and receives charge.complete
// on an omise-format endpoint and session.paid on a v1 one, each verified
// by the Standard Webhooks library and by its format's formula, and by
// neither with a wrong secret.
func TestPaymentDeliversSignedEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHookEnv(t, backend, nil, webhooks.Options{})
		omiseRcv, v1Rcv := newReceiver(t, nil), newReceiver(t, nil)
		_, omiseSecret := h.endpoint(t, h.SecretTest, map[string]any{"url": omiseRcv.url(), "format": "omise", "events": []string{"charge.complete"}})
		_, v1Secret := h.endpoint(t, h.SecretTest, map[string]any{"url": v1Rcv.url(), "events": []string{"session.paid"}})
		_, wrong := h.endpoint(t, h.OtherSecretTest, map[string]any{"url": "https://example.com/never"})

		l := h.link(t, h.pr, "Latte")
		c, _, err := h.Service.PayLink(context.Background(), service.PayParams{Slug: l.Slug, Card: card(), Email: "payer@example.com"})
		if err != nil || !c.Paid() {
			t.Fatalf("PayLink: %v %+v", err, c)
		}

		od := omiseRcv.wait(t, 1, 10*time.Second)[0]
		for name, err := range map[string]error{"standard": verifyStandard(od, omiseSecret, true), "omise": verifyOmise(t, od, omiseSecret)} {
			if err != nil {
				t.Errorf("omise delivery, %s signature: %v", name, err)
			}
		}
		if verifyStandard(od, wrong, true) == nil || verifyOmise(t, od, wrong) == nil {
			t.Errorf("omise delivery verifies with another endpoint's secret")
		}
		var oev struct {
			Object, ID, Key string
			Livemode        bool
			Data            struct {
				Object, ID, Status, Currency string
				Amount                       int64
				Paid                         bool
				Link                         string
			}
			WebhookDeliveries []any `json:"webhook_deliveries"`
		}
		if err := json.Unmarshal(od.body, &oev); err != nil {
			t.Fatal(err)
		}
		if oev.Object != "event" || oev.Key != "charge.complete" || oev.Livemode || oev.Data.Object != "charge" ||
			oev.Data.Status != "successful" || !oev.Data.Paid || oev.Data.Amount != 12345 || oev.Data.Currency != "THB" ||
			oev.WebhookDeliveries == nil || od.header.Get("webhook-id") != oev.ID || !strings.HasPrefix(oev.ID, "evnt_test_") {
			t.Errorf("omise body: %s", od.body)
		}
		// omise-go, as a merchant's handler would, decodes it to a charge.
		var oe omise.Event
		if err := json.Unmarshal(od.body, &oe); err != nil {
			t.Fatalf("omise-go cannot decode the webhook: %v", err)
		}
		if ch, ok := oe.Data.(*omise.Charge); !ok || oe.Key != "charge.complete" || ch.ID != oev.Data.ID || ch.Amount != 12345 || !ch.Paid {
			t.Errorf("omise-go decoded %s with data %#v", oe.Key, oe.Data)
		}
		// The body is the Event object as GET /events/{id} renders it.
		var got map[string]any
		h.getJSON(t, h.SecretTest, "/events/"+oev.ID, &got)
		var sent map[string]any
		json.Unmarshal(od.body, &sent)
		delete(got, "webhook_deliveries")
		delete(sent, "webhook_deliveries")
		if g, s := mustJSON(got), mustJSON(sent); g != s {
			t.Errorf("GET /events/{id}:\n%s\nwebhook body:\n%s", g, s)
		}

		vd := v1Rcv.wait(t, 1, 10*time.Second)[0]
		for name, err := range map[string]error{"standard": verifyStandard(vd, v1Secret, true), "v1": verifyV1(t, vd, v1Secret)} {
			if err != nil {
				t.Errorf("v1 delivery, %s signature: %v", name, err)
			}
		}
		if verifyStandard(vd, omiseSecret, true) == nil || verifyV1(t, vd, omiseSecret) == nil {
			t.Errorf("v1 delivery verifies with another endpoint's secret")
		}
		var vev struct {
			ID, Object, Type, CreatedAt string
			Livemode                    bool
			Data                        struct {
				ID, Object, Status, LinkID string
				Fiat                       struct{ Amount, Currency string }
			}
		}
		if err := json.Unmarshal(vd.body, &vev); err != nil {
			t.Fatal(err)
		}
		if vev.Type != "session.paid" || vev.Livemode || vev.Data.Object != "checkout_session" || vev.Data.Status != "complete" ||
			vev.Data.Fiat.Amount != "123.45" || vev.Data.Fiat.Currency != "THB" || !strings.HasPrefix(vev.ID, "evt_") ||
			vd.header.Get("webhook-id") != vev.ID || vev.CreatedAt == "" {
			t.Errorf("v1 body: %s", vd.body)
		}
		// Filters: each endpoint got its one event only.
		omiseRcv.still(t, 1, 100*time.Millisecond)
		v1Rcv.still(t, 1, 0)
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestRetriesOnTheSchedule: 500, 500, 503 with Retry-After, then 200, on an
// injected clock; each attempt is recorded and shown in Omise's
// webhook_deliveries.
func TestRetriesOnTheSchedule(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		clock := servertest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		h := newHookEnv(t, backend, clock, webhooks.Options{})
		rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			switch n {
			case 0, 1:
				w.WriteHeader(500)
			case 2:
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(503)
			default:
				w.WriteHeader(200)
			}
		})
		_, secret := h.endpoint(t, h.SecretTest, map[string]any{"url": rc.url(), "format": "omise"})
		h.link(t, h.pr, "Retried")

		first := rc.wait(t, 1, 5*time.Second)[0] // at once
		h.waitAttempts(t, 1)
		rc.still(t, 1, 50*time.Millisecond)
		clock.Add(4 * time.Second) // before the 5 s retry
		rc.still(t, 1, 50*time.Millisecond)
		clock.Add(2 * time.Second) // 6 s: past 5 s and its jitter (at most 10 %)
		rc.wait(t, 2, 5*time.Second)
		h.waitAttempts(t, 2)
		clock.Add(5*time.Minute + 31*time.Second) // past 5 min and its jitter
		rc.wait(t, 3, 5*time.Second)
		h.waitAttempts(t, 3)
		clock.Add(119 * time.Second) // Retry-After: 120
		rc.still(t, 3, 50*time.Millisecond)
		clock.Add(2 * time.Second)
		ds := rc.wait(t, 4, 5*time.Second)
		rc.still(t, 4, 50*time.Millisecond)
		for i, d := range ds {
			if d.header.Get("webhook-id") != first.header.Get("webhook-id") || string(d.body) != string(first.body) {
				t.Errorf("attempt %d: webhook-id or body changed across retries", i+1)
			}
			if err := verifyStandard(d, secret, false); err != nil {
				t.Errorf("attempt %d: %v", i+1, err)
			}
			if err := verifyOmise(t, d, secret); err != nil {
				t.Errorf("attempt %d: %v", i+1, err)
			}
		}
		var ev struct {
			ID                string
			WebhookDeliveries []struct {
				Object, Endpoint, URI, Status string
				CreatedAt                     string `json:"created_at"`
				ResponseCode                  int    `json:"response_code"`
			} `json:"webhook_deliveries"`
		}
		json.Unmarshal(first.body, &ev)
		h.getJSON(t, h.SecretTest, "/events/"+ev.ID, &ev)
		var codes []int
		for _, d := range ev.WebhookDeliveries {
			codes = append(codes, d.ResponseCode)
			if d.URI != rc.url() || !strings.HasPrefix(d.Endpoint, "we_") || d.Object != "webhook_delivery" || d.CreatedAt == "" ||
				(d.Status == "success") != (d.ResponseCode == 200) {
				t.Errorf("webhook_delivery %+v", d)
			}
		}
		if mustJSON(codes) != "[500,500,503,200]" {
			t.Errorf("webhook_deliveries' response codes %v, want 500, 500, 503, 200", codes)
		}
		ds2, err := h.Store.WebhookDeliveries(context.Background(), h.Account.ID, false, mustEventID(t, h, ev.ID))
		if err != nil || len(ds2) != 1 || ds2[0].Status != paylinks.DeliveryDelivered || ds2[0].Attempts != 4 {
			t.Errorf("delivery after the 200: %+v %v", ds2, err)
		}
		// An event with no attempt renders webhook_deliveries as [].
		var list struct{ Data []map[string]any }
		h.getJSON(t, h.OtherSecretTest, "/events", &list)
		otherPr, err := h.Service.Authenticate(context.Background(), h.OtherSecretTest)
		if err != nil {
			t.Fatal(err)
		}
		h.link(t, otherPr, "Other's")
		h.getJSON(t, h.OtherSecretTest, "/events", &list)
		if len(list.Data) != 1 || mustJSON(list.Data[0]["webhook_deliveries"]) != "[]" {
			t.Errorf("an event never delivered: %v", list.Data)
		}
	})
}

func mustEventID(t *testing.T, h *hookEnv, omiseID string) paylinks.ID {
	t.Helper()
	evs, _, err := h.Service.ListEvents(context.Background(), h.pr, storeFilter())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if strings.HasSuffix(omiseID, strings.ToLower(paylinks.FormatBase36(e.ID))) {
			return e.ID
		}
	}
	t.Fatalf("no event %s", omiseID)
	return paylinks.ID{}
}

// TestScheduleRunsOut: after the tenth failed attempt the delivery is
// failed, and a redelivery by hand sends it again.
func TestScheduleRunsOut(t *testing.T) {
	clock := servertest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	h := newHookEnv(t, "sqlite", clock, webhooks.Options{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < len(webhooks.Schedule) {
			w.WriteHeader(500)
		}
	})
	h.endpoint(t, h.SecretTest, map[string]any{"url": rc.url()})
	h.link(t, h.pr, "Never")
	for i := range webhooks.Schedule {
		if i > 0 {
			clock.Add(webhooks.Schedule[i] + webhooks.Schedule[i]/10 + time.Second)
		}
		rc.wait(t, i+1, 5*time.Second)
		h.waitAttempts(t, i+1)
	}
	clock.Add(48 * time.Hour)
	rc.still(t, len(webhooks.Schedule), 100*time.Millisecond)
	evs, _, _ := h.Service.ListEvents(context.Background(), h.pr, storeFilter())
	ds, _ := h.Store.WebhookDeliveries(context.Background(), h.Account.ID, false, evs[0].ID)
	if len(ds) != 1 || ds[0].Status != paylinks.DeliveryFailed || ds[0].Attempts != len(webhooks.Schedule) {
		t.Fatalf("after the schedule: %+v", ds)
	}
	if _, err := h.Service.RedeliverEvent(context.Background(), h.pr, evs[0].ID, "evt", nil, ""); err != nil {
		t.Fatal(err)
	}
	rc.wait(t, len(webhooks.Schedule)+1, 5*time.Second)
}

// TestGoneDisablesEndpoint: a 410 disables the endpoint, with an event, and
// it gets nothing more.
func TestGoneDisablesEndpoint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHookEnv(t, backend, nil, webhooks.Options{})
		gone := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
		other := newReceiver(t, nil)
		id, _ := h.endpoint(t, h.SecretTest, map[string]any{"url": gone.url()})
		h.endpoint(t, h.SecretTest, map[string]any{"url": other.url(), "events": []string{"webhook_endpoint.disabled"}})
		h.link(t, h.pr, "First")
		gone.wait(t, 1, 5*time.Second)
		d := other.wait(t, 1, 5*time.Second)[0]
		var ev struct {
			Type string
			Data struct {
				ID       string
				Disabled bool
				Secret   *string
			}
		}
		json.Unmarshal(d.body, &ev)
		if ev.Type != "webhook_endpoint.disabled" || ev.Data.ID != id || !ev.Data.Disabled || ev.Data.Secret != nil {
			t.Errorf("disabled event: %s", d.body)
		}
		var ep struct{ Disabled bool }
		h.getJSON(t, h.SecretTest, "/api/v1/webhook_endpoints/"+id, &ep)
		if !ep.Disabled {
			t.Errorf("endpoint after 410 is not disabled")
		}
		h.link(t, h.pr, "Second")
		gone.still(t, 1, 200*time.Millisecond)
	})
}

// TestHangingEndpointDoesNotDelayOthers: one receiver hangs for 60 s on
// every request; another endpoint's deliveries arrive meanwhile.
func TestHangingEndpointDoesNotDelayOthers(t *testing.T) {
	h := newHookEnv(t, "sqlite", nil, webhooks.Options{Timeout: 90 * time.Second, PerEndpoint: 2, Concurrency: 4})
	release := make(chan struct{})
	hang := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(60 * time.Second):
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // before the receiver closes
	fast := newReceiver(t, nil)
	h.endpoint(t, h.SecretTest, map[string]any{"url": hang.url()})
	h.endpoint(t, h.SecretTest, map[string]any{"url": fast.url()})
	const n = 20
	start := time.Now()
	for i := range n {
		h.link(t, h.pr, "L"+string(rune('a'+i)))
	}
	fast.wait(t, n, 10*time.Second)
	took := time.Since(start)
	if got := len(hang.deliveries()); got != 2 {
		t.Errorf("the hanging endpoint has %d requests in flight, want its limit 2", got)
	}
	t.Logf("%d deliveries to the healthy endpoint in %s while the other hangs", n, took)
}

// TestSecretRotation: during the 24 h overlap both secrets verify every
// delivery; after it only the new one does.
func TestSecretRotation(t *testing.T) {
	clock := servertest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	h := newHookEnv(t, "sqlite", clock, webhooks.Options{})
	rc, v1rc := newReceiver(t, nil), newReceiver(t, nil)
	id, old := h.endpoint(t, h.SecretTest, map[string]any{"url": rc.url(), "format": "omise"})
	v1id, v1old := h.endpoint(t, h.SecretTest, map[string]any{"url": v1rc.url()})
	v1ep, _ := parseEndpointID(v1id)
	v1rot, err := h.Service.RotateWebhookSecret(context.Background(), h.pr, v1ep, v1id)
	if err != nil {
		t.Fatal(err)
	}
	epID, _ := parseEndpointID(id)
	ep, err := h.Service.RotateWebhookSecret(context.Background(), h.pr, epID, id)
	if err != nil {
		t.Fatal(err)
	}
	fresh := ep.Secret
	h.link(t, h.pr, "During")
	d := rc.wait(t, 1, 5*time.Second)[0]
	if n := len(strings.Fields(d.header.Get("webhook-signature"))); n != 2 {
		t.Errorf("webhook-signature has %d entries during the overlap, want 2", n)
	}
	if n := len(strings.Split(d.header.Get("Omise-Signature"), ",")); n != 2 {
		t.Errorf("Omise-Signature has %d values during the overlap, want 2", n)
	}
	for _, s := range []string{old, fresh} {
		if verifyStandard(d, s, false) != nil || verifyOmise(t, d, s) != nil {
			t.Errorf("during the overlap a secret does not verify")
		}
	}
	vd := v1rc.wait(t, 1, 5*time.Second)[0]
	if n := strings.Count(vd.header.Get("X-Webhook-Signature"), "v1="); n != 2 {
		t.Errorf("X-Webhook-Signature has %d v1 entries during the overlap, want 2", n)
	}
	for _, s := range []string{v1old, v1rot.Secret} {
		if verifyV1(t, vd, s) != nil {
			t.Errorf("v1 format: during the overlap a secret does not verify")
		}
	}
	h.waitAttempts(t, 2)
	clock.Add(24*time.Hour + time.Second)
	h.link(t, h.pr, "After")
	d = rc.wait(t, 2, 5*time.Second)[1]
	if verifyStandard(d, fresh, false) != nil || verifyOmise(t, d, fresh) != nil {
		t.Errorf("after the overlap the new secret does not verify")
	}
	if verifyStandard(d, old, false) == nil || verifyOmise(t, d, old) == nil {
		t.Errorf("after the overlap the old secret still verifies")
	}
	vd = v1rc.wait(t, 2, 5*time.Second)[1]
	if verifyV1(t, vd, v1rot.Secret) != nil || verifyV1(t, vd, v1old) == nil {
		t.Errorf("v1 format after the overlap: only the new secret must verify")
	}
}

// TestSSRFRefusedInLiveMode: a live endpoint on a loopback address, by IP
// or by a name resolving to it, is refused when connecting; with
// AllowPrivate, or in test mode, it is delivered.
func TestSSRFRefusedInLiveMode(t *testing.T) {
	for _, allow := range []bool{false, true} {
		h := newHookEnv(t, "sqlite", nil, webhooks.Options{AllowPrivate: allow})
		rc := newReceiver(t, nil)
		port := rc.srv.URL[strings.LastIndex(rc.srv.URL, ":"):]
		h.endpoint(t, h.SecretLive, map[string]any{"url": rc.url()})
		h.endpoint(t, h.SecretLive, map[string]any{"url": "http://localhost" + port + "/hooks"})
		h.link(t, h.live, "Live")
		if allow {
			rc.wait(t, 2, 5*time.Second)
			continue
		}
		evs, _, _ := h.Service.ListEvents(context.Background(), h.live, storeFilter())
		deadline := time.Now().Add(5 * time.Second)
		for {
			atts, _ := h.Store.WebhookAttempts(context.Background(), h.Account.ID, true, []paylinks.ID{evs[0].ID})
			if len(atts[evs[0].ID]) == 2 {
				for _, a := range atts[evs[0].ID] {
					if a.StatusCode != 0 || !strings.Contains(a.Error, "is not public") {
						t.Errorf("live attempt to %s: %d %q, want refused", a.URL, a.StatusCode, a.Error)
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("attempts: %v", atts)
			}
			time.Sleep(10 * time.Millisecond)
		}
		rc.still(t, 0, 50*time.Millisecond)
		// Test mode reaches localhost.
		h.endpoint(t, h.SecretTest, map[string]any{"url": "http://localhost" + port + "/hooks"})
		h.link(t, h.pr, "Test")
		rc.wait(t, 1, 5*time.Second)
	}
}

func TestPublicAddr(t *testing.T) {
	for addr, public := range map[string]bool{
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "224.0.0.1": false, "255.255.255.255": false, "::1": false, "fe80::1": false,
		"fd00:ec2::254": false, "::ffff:127.0.0.1": false, "::": false, "64:ff9b::a00:1": false,
		"93.184.216.34": true, "8.8.8.8": true, "2606:4700::1111": true,
	} {
		if err := webhooks.PublicAddr(netip.MustParseAddr(addr)); (err == nil) != public {
			t.Errorf("PublicAddr(%s) = %v, want public %v", addr, err, public)
		}
	}
}

// TestEventTypeCatalog: every key the service writes is in the catalog, each
// name resolves to its entry, and the README lists them all.
func TestEventTypeCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, et := range paylinks.EventTypes {
		for _, n := range []string{et.Key, et.Omise, et.V1} {
			got, ok := paylinks.EventTypeByName(n)
			if !ok || got.Key != et.Key {
				t.Errorf("EventTypeByName(%q) = %v, want %s", n, got, et.Key)
			}
		}
		if seen[et.V1] || et.Data == "" {
			t.Errorf("catalog entry %+v: duplicate v1 name or no data", et)
		}
		seen[et.V1] = true
	}
	for _, key := range []string{"link.create", "link.update", "link.delete", "session.create", "session.complete",
		"charge.create", "charge.complete", "webhook_endpoint.disabled", "webhook_endpoint.test",
		"session.detected", "session.underpaid", "session.overpaid", "session.paid_late", "session.expired", "session.failed"} {
		if _, ok := paylinks.EventTypeOf(key); !ok {
			t.Errorf("event key %s is not in the catalog", key)
		}
	}
	readme, err := readREADME()
	if err != nil {
		t.Fatal(err)
	}
	for _, et := range paylinks.EventTypes {
		if !strings.Contains(readme, "`"+et.V1+"`") || !strings.Contains(readme, "`"+et.Omise+"`") {
			t.Errorf("README's catalog lacks %s / %s", et.Omise, et.V1)
		}
	}
}

// waitAttempts waits until the store has recorded n attempts in all, so
// that moving the clock cannot expire the lease of one still being
// recorded.
func (h *hookEnv) waitAttempts(t *testing.T, n int) {
	t.Helper()
	evs, _, err := h.Service.ListEvents(context.Background(), h.pr, storeFilter())
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]paylinks.ID, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		atts, err := h.Store.WebhookAttempts(context.Background(), h.Account.ID, false, ids)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, a := range atts {
			got += len(a)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts recorded, want %d", got, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestTestSendAndRedeliver: a test send reaches its endpoint only; a
// redelivery by hand reaches the endpoint named, even one made after the
// event, with the same webhook-id.
func TestTestSendAndRedeliver(t *testing.T) {
	h := newHookEnv(t, "sqlite", nil, webhooks.Options{})
	a, b := newReceiver(t, nil), newReceiver(t, nil)
	ida, secretA := h.endpoint(t, h.SecretTest, map[string]any{"url": a.url()})
	ctx := context.Background()
	epA, _ := parseEndpointID(ida)
	if _, err := h.Service.TestWebhookEndpoint(ctx, h.pr, epA, ida); err != nil {
		t.Fatal(err)
	}
	d := a.wait(t, 1, 5*time.Second)[0]
	var body struct{ Type, Livemode any }
	json.Unmarshal(d.body, &body)
	if body.Type != "webhook_endpoint.test" || verifyV1(t, d, secretA) != nil {
		t.Errorf("test send: %s", d.body)
	}
	l := h.link(t, h.pr, "Before B")
	first := a.wait(t, 2, 5*time.Second)[1]
	idb, secretB := h.endpoint(t, h.SecretTest, map[string]any{"url": b.url()})
	b.still(t, 0, 50*time.Millisecond) // made after the event: not sent it
	epB, _ := parseEndpointID(idb)
	evs, _, _ := h.Service.ListEvents(ctx, h.pr, storeFilter())
	var linkEv paylinks.ID
	for _, e := range evs {
		if e.ObjectID == l.ID {
			linkEv = e.ID
		}
	}
	if n, err := h.Service.RedeliverEvent(ctx, h.pr, linkEv, "evt", &epB, idb); err != nil || n != 1 {
		t.Fatalf("RedeliverEvent: %d %v", n, err)
	}
	got := b.wait(t, 1, 5*time.Second)[0]
	if got.header.Get("webhook-id") != first.header.Get("webhook-id") || verifyStandard(got, secretB, true) != nil {
		t.Errorf("redelivery: webhook-id %q, want %q", got.header.Get("webhook-id"), first.header.Get("webhook-id"))
	}
	a.still(t, 2, 50*time.Millisecond)
}
