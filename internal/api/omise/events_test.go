package omise_test

import (
	"net/url"
	"strings"
	"testing"

	omisego "github.com/omise/omise-go"
	"github.com/omise/omise-go/operations"

	"github.com/paylinks/paylinks/internal/servertest"
)

// TestEvents lists and retrieves the events a link's life emits, with the
// official client, and checks their isolation.
func TestEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := omiseClient(t, env)
		link := &omisego.Link{}
		if err := c.Do(link, &operations.CreateLink{Amount: 5000, Currency: "thb", Title: "Evented", Description: "d"}); err != nil {
			t.Fatal(err)
		}
		raw := client{t: t, base: env.URL, key: env.SecretTest}
		if r := raw.do("DELETE", "/links/"+link.ID, "", ""); r.status != 200 {
			t.Fatalf("delete: %s", r.raw)
		}

		list := &omisego.EventList{}
		if err := c.Do(list, &operations.ListEvents{List: operations.List{Order: omisego.Chronological}}); err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if list.Total != 2 || len(list.Data) != 2 {
			t.Fatalf("events: total %d, %d items", list.Total, len(list.Data))
		}
		wantKeys := []string{"link.create", "link.delete"}
		for i, ev := range list.Data {
			if ev.Key != wantKeys[i] || !strings.HasPrefix(ev.ID, "evnt_test_") || ev.Live {
				t.Errorf("event %d = %s %s", i, ev.Key, ev.ID)
			}
			switch data := ev.Data.(type) {
			case map[string]interface{}: // omise-go has no Link type for events
				if i != 0 || data["object"] != "link" || data["id"] != link.ID || data["title"] != "Evented" || data["deleted"] != false {
					t.Errorf("event %d data = %#v", i, data)
				}
			case *omisego.Deletion: // omise-go decodes any deleted object so
				if i != 1 || data.Object != "link" || data.ID != link.ID || !data.Deleted {
					t.Errorf("event %d data = %#v", i, data)
				}
			default:
				t.Errorf("event %d data = %#v", i, ev.Data)
			}
		}
		one := &omisego.Event{}
		if err := c.Do(one, &operations.RetrieveEvent{EventID: list.Data[0].ID}); err != nil || one.ID != list.Data[0].ID || one.Key != "link.create" {
			t.Errorf("RetrieveEvent: %v %+v", err, one)
		}

		// Another account, another mode and a public key see none of them.
		for name, key := range map[string]string{"other account": env.OtherSecretTest, "live": env.SecretLive} {
			r := client{t: t, base: env.URL, key: key}.do("GET", "/events", "", "")
			if r.status != 200 || r.body["total"] != 0.0 {
				t.Errorf("%s: %d %s", name, r.status, r.raw)
			}
			client{t: t, base: env.URL, key: key}.do("GET", "/events/"+list.Data[0].ID, "", "").wantError(t, 404, "not_found", "was not found")
		}
		client{t: t, base: env.URL, key: env.PublicTest}.do("GET", "/events", "", "").wantError(t, 401, "authentication_failure", "secret key")

		// A failed create writes no event.
		raw.form("POST", "/links", url.Values{"amount": {"1"}, "currency": {"thb"}, "title": {"x"}, "description": {"y"}}).wantError(t, 400, "invalid_amount", "amount")
		if r := raw.do("GET", "/events", "", ""); r.body["total"] != 2.0 {
			t.Errorf("events after a refused create: %v", r.body["total"])
		}
	})
}
