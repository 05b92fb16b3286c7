package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

func testEvents(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l := f.link(t, a, false, 1, nil)
	ev := f.event(t, a.ID, false, "link.create", l.ID, 1)
	ev.Data = []byte(`{"id": "x", "nested": {"list": [1, 2.5, "three", null, true]}, "text": "ünïcode \u2713"}`)
	if err := f.s.CreateLink(ctx, l, ev, nil); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	got, err := f.s.GetEvent(ctx, a.ID, false, ev.ID)
	wantErr(t, "GetEvent", err, nil)
	check(t, "GetEvent", got, ev)

	tests := []struct {
		name     string
		account  paylinks.ID
		livemode bool
		id       paylinks.ID
	}{
		{"missing", a.ID, false, f.id(t)},
		{"other account", b.ID, false, ev.ID},
		{"other mode", a.ID, true, ev.ID},
	}
	for _, tt := range tests {
		_, err := f.s.GetEvent(ctx, tt.account, tt.livemode, tt.id)
		wantErr(t, "GetEvent("+tt.name+")", err, paylinks.ErrNotFound)
	}
}

func eventKey(e *paylinks.Event) (time.Time, paylinks.ID) { return e.CreatedAt, e.ID }
func eventID(e paylinks.Event) paylinks.ID                { return e.ID }

func testListEvents(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	var all []*paylinks.Event
	add := func(acct *paylinks.Account, live bool, sec int) {
		l := f.link(t, acct, live, sec, nil)
		ev := f.createLink(t, l)
		all = append(all, ev)
	}
	for _, sec := range []int{4, 1, 3, 3, 2, 5, 3, 6, 7, 3} {
		add(a, false, sec)
	}
	add(b, false, 3)
	add(a, true, 3)

	rev := paylinks.ReverseChronological
	tests := []struct {
		name string
		f    store.EventFilter
	}{
		{"all", store.EventFilter{AccountID: a.ID}},
		{"all, reverse", store.EventFilter{AccountID: a.ID, Order: rev}},
		{"window", store.EventFilter{AccountID: a.ID, From: at(3), To: at(5)}},
		{"window, reverse, paged", store.EventFilter{AccountID: a.ID, From: at(2), To: at(6), Order: rev, Offset: 1, Limit: 3}},
		{"paged", store.EventFilter{AccountID: a.ID, Offset: 3, Limit: 4}},
		{"offset past the end", store.EventFilter{AccountID: a.ID, Offset: 30, Limit: 4}},
		{"live", store.EventFilter{AccountID: a.ID, Livemode: true}},
		{"other account", store.EventFilter{AccountID: b.ID}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("ListEvents(%s)", tt.name)
		got, total, err := f.s.ListEvents(ctx, tt.f)
		wantErr(t, name, err, nil)
		p, wantTotal := page(all, func(e *paylinks.Event) bool {
			return e.AccountID == tt.f.AccountID && e.Livemode == tt.f.Livemode
		}, eventKey, tt.f.From, tt.f.To, tt.f.Order, tt.f.Offset, tt.f.Limit)
		want := make([]paylinks.Event, len(p))
		for i, e := range p {
			want[i] = *e
		}
		if total != wantTotal {
			t.Errorf("%s: got total %d, want %d", name, total, wantTotal)
		}
		if g, w := ids(got, eventID), ids(want, eventID); !slices.Equal(g, w) {
			t.Errorf("%s: got ids %v, want %v", name, g, w)
			continue
		}
		check(t, name, got, want)
	}
}
