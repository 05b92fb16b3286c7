package storetest

import (
	"testing"

	"github.com/paylinks/paylinks"
)

// testListLinksTotals checks the total of the whole-history window (which a
// store may keep as a running count rather than count each time) through
// creates, refused creates and deletes, per account and mode, and SkipTotal.
func testListLinksTotals(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	total := func(acc *paylinks.Account, livemode bool) int {
		t.Helper()
		_, n, err := f.s.ListLinks(ctx, paylinks.LinkFilter{AccountID: acc.ID, Livemode: livemode, Limit: 1})
		wantErr(t, "ListLinks", err, nil)
		return n
	}
	want := func(what string, acc *paylinks.Account, livemode bool, n int) {
		t.Helper()
		if got := total(acc, livemode); got != n {
			t.Errorf("%s: total = %d, want %d", what, got, n)
		}
	}
	want("new account", a, false, 0)

	var links []*paylinks.Link
	for i := range 5 {
		links = append(links, f.newLink(t, a, false, i, nil))
	}
	f.newLink(t, a, true, 1, nil)
	f.newLink(t, b, false, 1, nil)
	want("after 5 creates", a, false, 5)
	want("live mode", a, true, 1)
	want("other account", b, false, 1)

	// A refused create (a taken slug) changes nothing.
	dup := f.link(t, a, false, 9, func(l *paylinks.Link) { l.Slug = links[0].Slug })
	ev := f.event(t, a.ID, false, "link.create", dup.ID, 9)
	wantErr(t, "CreateLink of a taken slug", f.s.CreateLink(ctx, dup, ev, nil), paylinks.ErrConflict)
	want("after a refused create", a, false, 5)

	for _, l := range links[:2] {
		dev := f.event(t, a.ID, false, "link.delete", l.ID, 20)
		if _, err := f.s.DeleteLink(ctx, a.ID, false, l.ID, at(20), dev); err != nil {
			t.Fatal(err)
		}
	}
	// Deleting again is refused and counts nothing.
	_, err := f.s.DeleteLink(ctx, a.ID, false, links[0].ID, at(21), f.event(t, a.ID, false, "link.delete", links[0].ID, 21))
	wantErr(t, "DeleteLink twice", err, paylinks.ErrNotFound)
	want("after 2 deletes", a, false, 3)
	want("live mode after deletes", a, true, 1)

	// The same whole window given as explicit bounds counts the same.
	_, n, err := f.s.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, From: at(0), To: at(100), Limit: 1})
	if err != nil || n != 3 {
		t.Errorf("bounded total = %d, %v; want 3", n, err)
	}
	_, n, err = f.s.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 1, SkipTotal: true})
	if err != nil || n != -1 {
		t.Errorf("SkipTotal total = %d, %v; want -1", n, err)
	}
}
