package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// endpoint inserts a webhook endpoint of the account and mode made at sec.
func (f *fixture) endpoint(t *testing.T, a *paylinks.Account, livemode bool, sec int, events ...string) *paylinks.WebhookEndpoint {
	t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	e := &paylinks.WebhookEndpoint{ID: f.id(t), AccountID: a.ID, Livemode: livemode, URL: "https://example.com/hook",
		Format: paylinks.WebhookFormatV1, Events: events, Secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
		CreatedAt: at(sec), UpdatedAt: at(sec)}
	if err := f.s.CreateWebhookEndpoint(t.Context(), e); err != nil {
		t.Fatalf("CreateWebhookEndpoint: %v", err)
	}
	return e
}

func testWebhookEndpoints(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	e1 := f.endpoint(t, a, false, 1)
	e2 := f.endpoint(t, a, false, 2, "link.create", "session.paid")
	f.endpoint(t, a, true, 3)
	f.endpoint(t, b, false, 4)

	got, err := f.s.GetWebhookEndpoint(ctx, a.ID, false, e2.ID)
	wantErr(t, "GetWebhookEndpoint", err, nil)
	check(t, "GetWebhookEndpoint", got, e2)
	for _, tt := range []struct {
		name    string
		account paylinks.ID
		live    bool
	}{{"other account", b.ID, false}, {"other mode", a.ID, true}} {
		_, err := f.s.GetWebhookEndpoint(ctx, tt.account, tt.live, e2.ID)
		wantErr(t, "GetWebhookEndpoint("+tt.name+")", err, paylinks.ErrNotFound)
	}

	list, err := f.s.ListWebhookEndpoints(ctx, a.ID, false, nil, 0)
	wantErr(t, "ListWebhookEndpoints", err, nil)
	check(t, "ListWebhookEndpoints", ids(list, endpointID), ids([]paylinks.WebhookEndpoint{*e2, *e1}, endpointID))
	list, err = f.s.ListWebhookEndpoints(ctx, a.ID, false, &e2.ID, 1)
	wantErr(t, "ListWebhookEndpoints(after)", err, nil)
	check(t, "ListWebhookEndpoints(after)", ids(list, endpointID), ids([]paylinks.WebhookEndpoint{*e1}, endpointID))
	_, err = f.s.ListWebhookEndpoints(ctx, b.ID, false, &e2.ID, 1)
	wantErr(t, "ListWebhookEndpoints(after of another account)", err, paylinks.ErrNotFound)

	u := *e2
	u.URL, u.Description, u.Events, u.Secret, u.PrevSecret = "https://example.org/x", "d", []string{"*"}, "whsec_bmV3", e2.Secret
	u.PrevSecretUntil, u.DisabledAt, u.UpdatedAt = ptr(at(100)), ptr(at(10)), at(10)
	wantErr(t, "UpdateWebhookEndpoint", f.s.UpdateWebhookEndpoint(ctx, &u), nil)
	got, err = f.s.GetWebhookEndpoint(ctx, a.ID, false, e2.ID)
	wantErr(t, "GetWebhookEndpoint(updated)", err, nil)
	check(t, "GetWebhookEndpoint(updated)", got, &u)
	other := u
	other.AccountID = b.ID
	wantErr(t, "UpdateWebhookEndpoint(other account)", f.s.UpdateWebhookEndpoint(ctx, &other), paylinks.ErrNotFound)

	wantErr(t, "DeleteWebhookEndpoint(other account)", f.s.DeleteWebhookEndpoint(ctx, b.ID, false, e1.ID), paylinks.ErrNotFound)
	wantErr(t, "DeleteWebhookEndpoint", f.s.DeleteWebhookEndpoint(ctx, a.ID, false, e1.ID), nil)
	_, err = f.s.GetWebhookEndpoint(ctx, a.ID, false, e1.ID)
	wantErr(t, "GetWebhookEndpoint(deleted)", err, paylinks.ErrNotFound)
}

func endpointID(e paylinks.WebhookEndpoint) paylinks.ID { return e.ID }

// testWebhookFanout: an event gets one pending delivery per enabled endpoint
// of its account and mode whose filter matches, made in its transaction.
func testWebhookFanout(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	all := f.endpoint(t, a, false, 1)
	links := f.endpoint(t, a, false, 1, "payment_link.created")
	f.endpoint(t, a, false, 1, "session.paid")
	f.endpoint(t, a, true, 1)
	f.endpoint(t, b, false, 1)
	disabled := f.endpoint(t, a, false, 1)
	disabled.DisabledAt = ptr(at(1))
	wantErr(t, "UpdateWebhookEndpoint", f.s.UpdateWebhookEndpoint(ctx, disabled), nil)

	ev := f.createLink(t, f.link(t, a, false, 5, nil))
	ds, err := f.s.WebhookDeliveries(ctx, a.ID, false, ev.ID)
	wantErr(t, "WebhookDeliveries", err, nil)
	want := []string{all.ID.String(), links.ID.String()}
	slices.Sort(want)
	var got []string
	for _, d := range ds {
		got = append(got, d.EndpointID.String())
		if d.Status != paylinks.DeliveryPending || !d.NextAttemptAt.Equal(ev.CreatedAt) || d.Attempts != 0 {
			t.Errorf("delivery %+v: want pending, due at the event's time, no attempt", d)
		}
	}
	check(t, "deliveries' endpoints", got, want)
	ds, err = f.s.WebhookDeliveries(ctx, b.ID, false, ev.ID)
	wantErr(t, "WebhookDeliveries(other account)", err, nil)
	if len(ds) != 0 {
		t.Errorf("another account sees %d deliveries", len(ds))
	}
	// An endpoint made after the event does not get it, unless redelivered.
	late := f.endpoint(t, a, false, 6)
	n, err := f.s.RedeliverEvent(ctx, a.ID, false, ev.ID, &late.ID, at(7))
	wantErr(t, "RedeliverEvent", err, nil)
	if n != 1 {
		t.Errorf("RedeliverEvent to one endpoint: %d deliveries, want 1", n)
	}
	n, err = f.s.RedeliverEvent(ctx, a.ID, false, ev.ID, nil, at(7))
	wantErr(t, "RedeliverEvent(all)", err, nil)
	if n != 3 {
		t.Errorf("RedeliverEvent to every matching endpoint: %d, want 3 (all, links, late)", n)
	}
	_, err = f.s.RedeliverEvent(ctx, b.ID, false, ev.ID, nil, at(7))
	wantErr(t, "RedeliverEvent(other account)", err, paylinks.ErrNotFound)

	test := f.event(t, a.ID, false, "webhook_endpoint.test", all.ID, 8)
	wantErr(t, "CreateWebhookTestEvent", f.s.CreateWebhookTestEvent(ctx, test, all.ID), nil)
	ds, err = f.s.WebhookDeliveries(ctx, a.ID, false, test.ID)
	wantErr(t, "WebhookDeliveries(test)", err, nil)
	if len(ds) != 1 || ds[0].EndpointID != all.ID {
		t.Errorf("test event deliveries %+v, want one to %s", ds, all.ID)
	}
}

// testWebhookLease: leases are exclusive until they expire, oldest due
// first; finishing records the attempt and, with the lease, the outcome.
func testWebhookLease(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	e := f.endpoint(t, a, false, 1)
	busy := f.endpoint(t, a, false, 1, "link.update")
	var evs []*paylinks.Event
	for _, sec := range []int{12, 10, 11} {
		evs = append(evs, f.createLink(t, f.link(t, a, false, sec, nil)))
	}
	due, err := f.s.WebhookDeliveriesDue(ctx, at(9))
	wantErr(t, "WebhookDeliveriesDue(before)", err, nil)
	if due {
		t.Errorf("WebhookDeliveriesDue before the events: true")
	}
	due, err = f.s.WebhookDeliveriesDue(ctx, at(10))
	wantErr(t, "WebhookDeliveriesDue", err, nil)
	if !due {
		t.Errorf("WebhookDeliveriesDue at the first event: false")
	}
	got, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: "A", Now: at(11), Until: at(41), Limit: 10, Skip: []paylinks.ID{busy.ID}})
	wantErr(t, "LeaseWebhookDeliveries", err, nil)
	var keys []string
	for _, ld := range got {
		keys = append(keys, ld.Event.ID.String())
		if ld.Endpoint.ID != e.ID || ld.Endpoint.Secret != e.Secret || ld.Event.AccountID != a.ID {
			t.Errorf("leased %+v: want the endpoint and event with it", ld)
		}
	}
	check(t, "leased, oldest due first", keys, []string{evs[1].ID.String(), evs[2].ID.String()})
	again, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: "B", Now: at(12), Until: at(42), Limit: 10})
	wantErr(t, "LeaseWebhookDeliveries(B)", err, nil)
	if len(again) != 1 || again[0].Event.ID != evs[0].ID {
		t.Fatalf("B leased %d deliveries, want only the one A did not hold", len(again))
	}
	// A's lease expires: B takes the delivery, and A's late finish is recorded as an attempt only.
	taken, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: "B", Now: at(41), Until: at(71), Limit: 1})
	wantErr(t, "LeaseWebhookDeliveries(expired)", err, nil)
	if len(taken) != 1 || taken[0].Event.ID != evs[1].ID {
		t.Fatalf("B took %d deliveries after A's lease expired, want evs[1]", len(taken))
	}
	att := paylinks.WebhookAttempt{EventID: evs[1].ID, EndpointID: e.ID, URL: e.URL, Owner: "A", At: at(42), StatusCode: 500, Error: "HTTP 500", Duration: time.Millisecond}
	held, err := f.finish(t, store.DeliveryOutcome{Owner: "A", Attempt: att, Status: paylinks.DeliveryPending, NextAttemptAt: at(50)})
	wantErr(t, "FinishWebhookDeliveries(A, lost)", err, nil)
	if held {
		t.Errorf("A's finish after B took the lease: held")
	}
	att2 := att
	att2.At, att2.StatusCode, att2.Error, att2.Success, att2.Owner = at(43), 200, "", true, "B"
	held, err = f.finish(t, store.DeliveryOutcome{Owner: "B", Attempt: att2, Status: paylinks.DeliveryDelivered})
	wantErr(t, "FinishWebhookDeliveries(B)", err, nil)
	if !held {
		t.Errorf("B's finish: lease not held")
	}
	ds, err := f.s.WebhookDeliveries(ctx, a.ID, false, evs[1].ID)
	wantErr(t, "WebhookDeliveries", err, nil)
	if len(ds) != 1 || ds[0].Status != paylinks.DeliveryDelivered || ds[0].Attempts != 1 || ds[0].DeliveredAt == nil || !ds[0].DeliveredAt.Equal(at(43)) || ds[0].LastStatusCode != 200 {
		t.Errorf("delivery after B's success: %+v", ds)
	}
	atts, err := f.s.WebhookAttempts(ctx, a.ID, false, []paylinks.ID{evs[1].ID, evs[2].ID})
	wantErr(t, "WebhookAttempts", err, nil)
	check(t, "attempts", atts[evs[1].ID], []paylinks.WebhookAttempt{att, att2})
	if len(atts[evs[2].ID]) != 0 {
		t.Errorf("attempts of an event not attempted: %v", atts[evs[2].ID])
	}
	// Release: the delivery is due again for anyone.
	wantErr(t, "ReleaseWebhookDeliveries", f.s.ReleaseWebhookDeliveries(ctx, "A", []store.DeliveryKey{{EventID: evs[2].ID, EndpointID: e.ID}}), nil)
	rel, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: "C", Now: at(13), Until: at(43), Limit: 10})
	wantErr(t, "LeaseWebhookDeliveries(released)", err, nil)
	if len(rel) != 1 || rel[0].Event.ID != evs[2].ID {
		t.Errorf("after release C leased %d, want evs[2]", len(rel))
	}
	// 410: the endpoint is disabled with an event, and nothing more is leased for it.
	dis := f.event(t, a.ID, false, "webhook_endpoint.disabled", e.ID, 44)
	gone := paylinks.WebhookAttempt{EventID: evs[2].ID, EndpointID: e.ID, URL: e.URL, At: at(44), StatusCode: 410, Error: "HTTP 410"}
	held, err = f.finish(t, store.DeliveryOutcome{Owner: "C", Attempt: gone, Status: paylinks.DeliveryFailed, Disable: dis})
	wantErr(t, "FinishWebhookDeliveries(410)", err, nil)
	if !held {
		t.Errorf("C's finish: lease not held")
	}
	ep, err := f.s.GetWebhookEndpoint(ctx, a.ID, false, e.ID)
	wantErr(t, "GetWebhookEndpoint", err, nil)
	if ep.DisabledAt == nil || !ep.DisabledAt.Equal(at(44)) {
		t.Errorf("endpoint after 410: disabled_at %v, want %v", ep.DisabledAt, at(44))
	}
	if _, err := f.s.GetEvent(ctx, a.ID, false, dis.ID); err != nil {
		t.Errorf("the disabling event: %v", err)
	}
	left, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: "D", Now: at(1000), Until: at(1030), Limit: 10})
	wantErr(t, "LeaseWebhookDeliveries(disabled)", err, nil)
	if len(left) != 0 {
		t.Errorf("leased %d deliveries of a disabled endpoint", len(left))
	}
}

// testWebhookLeaseConcurrent: many owners leasing at once never share a
// delivery.
func testWebhookLeaseConcurrent(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	f.endpoint(t, a, false, 1)
	const n = 60
	for i := range n {
		f.createLink(t, f.link(t, a, false, 2+i%5, nil))
	}
	var mu sync.Mutex
	seen := map[paylinks.ID]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for {
				got, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: owner, Now: at(100), Until: at(200), Limit: 3})
				if err != nil {
					t.Errorf("LeaseWebhookDeliveries: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, ld := range got {
					if prev, ok := seen[ld.Event.ID]; ok {
						t.Errorf("delivery of %s leased by %s and %s", ld.Event.ID, prev, owner)
					}
					seen[ld.Event.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("leased %d deliveries, want %d", len(seen), n)
	}
}

func testEventPage(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	var all []*paylinks.Event
	for _, sec := range []int{3, 1, 2, 2, 4} {
		all = append(all, f.createLink(t, f.link(t, a, false, sec, nil)))
	}
	f.createLink(t, f.link(t, b, false, 2, nil))
	f.createLink(t, f.link(t, a, true, 2, nil))
	want := slices.Clone(all)
	slices.SortFunc(want, func(x, y *paylinks.Event) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(y.ID[:], x.ID[:])
	})
	var got []paylinks.Event
	var after *paylinks.ID
	for {
		page, err := f.s.EventPage(ctx, store.EventCursor{AccountID: a.ID, After: after, Limit: 2})
		wantErr(t, "EventPage", err, nil)
		got = append(got, page...)
		if len(page) < 2 {
			break
		}
		after = &page[len(page)-1].ID
	}
	wantIDs := make([]paylinks.Event, len(want))
	for i, e := range want {
		wantIDs[i] = *e
	}
	check(t, "EventPage, paged by 2", ids(got, eventID), ids(wantIDs, eventID))
	page, err := f.s.EventPage(ctx, store.EventCursor{AccountID: a.ID, Keys: []string{"link.update"}, Limit: 10})
	wantErr(t, "EventPage(keys)", err, nil)
	if len(page) != 0 {
		t.Errorf("EventPage(link.update): %d events, want 0", len(page))
	}
	_, err = f.s.EventPage(ctx, store.EventCursor{AccountID: b.ID, After: &all[0].ID, Limit: 10})
	wantErr(t, "EventPage(after another account's)", err, paylinks.ErrNotFound)
}

// finish records one outcome with FinishWebhookDeliveries.
func (f *fixture) finish(t *testing.T, o store.DeliveryOutcome) (bool, error) {
	t.Helper()
	held, err := f.s.FinishWebhookDeliveries(t.Context(), []store.DeliveryOutcome{o})
	if err != nil {
		return false, err
	}
	if len(held) != 1 {
		t.Fatalf("FinishWebhookDeliveries of one outcome: %d answers", len(held))
	}
	return held[0], nil
}

// testWebhookFinishBatch: one call records many outcomes, each by its own
// lease.
func testWebhookFinishBatch(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	e := f.endpoint(t, a, false, 1)
	var evs []*paylinks.Event
	for i := range 5 {
		evs = append(evs, f.createLink(t, f.link(t, a, false, 2+i, nil)))
	}
	leased, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: "A", Now: at(10), Until: at(40), Limit: 4})
	wantErr(t, "LeaseWebhookDeliveries", err, nil)
	if len(leased) != 4 {
		t.Fatalf("leased %d, want 4", len(leased))
	}
	var outs []store.DeliveryOutcome
	for i, ev := range evs {
		o := store.DeliveryOutcome{Owner: "A", Attempt: paylinks.WebhookAttempt{EventID: ev.ID, EndpointID: e.ID, URL: e.URL,
			Owner: "A", At: at(11), StatusCode: 200, Success: true}, Status: paylinks.DeliveryDelivered, NextAttemptAt: at(11)}
		if i == 1 {
			o.Attempt.StatusCode, o.Attempt.Success, o.Attempt.Error = 500, false, "HTTP 500"
			o.Status, o.NextAttemptAt = paylinks.DeliveryPending, at(16)
		}
		outs = append(outs, o)
	}
	held, err := f.s.FinishWebhookDeliveries(ctx, outs)
	wantErr(t, "FinishWebhookDeliveries", err, nil)
	check(t, "held", held, []bool{true, true, true, true, false}) // the fifth was never leased
	for i, ev := range evs {
		ds, err := f.s.WebhookDeliveries(ctx, a.ID, false, ev.ID)
		wantErr(t, "WebhookDeliveries", err, nil)
		want := map[int]string{1: paylinks.DeliveryPending, 4: paylinks.DeliveryPending}[i]
		if want == "" {
			want = paylinks.DeliveryDelivered
		}
		if len(ds) != 1 || ds[0].Status != want || (i < 4) != (ds[0].Attempts == 1) {
			t.Errorf("delivery %d: %+v, want %s", i, ds, want)
		}
	}
	atts, err := f.s.WebhookAttempts(ctx, a.ID, false, []paylinks.ID{evs[4].ID})
	wantErr(t, "WebhookAttempts", err, nil)
	if len(atts[evs[4].ID]) != 1 {
		t.Errorf("the unleased delivery's attempt was not recorded: %v", atts)
	}
	// The failed one is due again at 16, for anyone.
	again, err := f.s.LeaseWebhookDeliveries(ctx, store.LeaseRequest{Owner: "B", Now: at(16), Until: at(46), Limit: 10})
	wantErr(t, "LeaseWebhookDeliveries(again)", err, nil)
	var got []string
	for _, ld := range again {
		got = append(got, ld.Event.ID.String())
	}
	slices.Sort(got)
	want := []string{evs[1].ID.String(), evs[4].ID.String()}
	slices.Sort(want)
	check(t, "due again", got, want)
}
