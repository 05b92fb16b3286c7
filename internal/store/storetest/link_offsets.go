package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/paylinks/paylinks"
)

// testListLinksOffsets checks pages at every offset of a list of a few
// hundred links (long enough for a store to page deep offsets its own way,
// as SQLite does from checkpoints), in both orders, through creates before
// and after the last link and deletes.
func testListLinksOffsets(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	var all []*paylinks.Link
	for i := range 300 {
		all = append(all, f.newLink(t, a, false, i/3, nil)) // ties on created_at
		if i%40 == 0 {
			all = append(all, f.newLink(t, b, false, i/3, nil), f.newLink(t, a, true, i/3, nil))
		}
	}
	del := func(l *paylinks.Link) {
		t.Helper()
		if _, err := f.s.DeleteLink(ctx, l.AccountID, l.Livemode, l.ID, at(1000), nil); err != nil {
			t.Fatalf("DeleteLink: %v", err)
		}
		l.DeletedAt = ptr(at(1000))
	}
	del(all[5])
	del(all[150])
	checkAll := func(what string) {
		t.Helper()
		// Twice: a store may read what it pages from on the first pass.
		for range 2 {
			for _, order := range []paylinks.Order{paylinks.Chronological, paylinks.ReverseChronological} {
				for offset := 300 + 2; offset >= 0; offset-- { // deep ones first, right after a change
					lf := paylinks.LinkFilter{AccountID: a.ID, Order: order, Offset: offset, Limit: 20}
					got, total, err := f.s.ListLinks(ctx, lf)
					wantErr(t, "ListLinks", err, nil)
					want, wantTotal := page(all, func(l *paylinks.Link) bool {
						return l.AccountID == a.ID && !l.Livemode && l.DeletedAt == nil
					}, linkKey, lf.From, lf.To, lf.Order, lf.Offset, lf.Limit)
					wantIDs := ids(want, func(l *paylinks.Link) paylinks.ID { return l.ID })
					if g := ids(got, linkID); total != wantTotal || !slices.Equal(g, wantIDs) {
						t.Fatalf("%s: ListLinks(offset %d, order %d): got %v of %d, want %v of %d",
							what, offset, order, g, total, wantIDs, wantTotal)
					}
				}
			}
		}
	}
	checkAll("created")
	for i, change := range []func(){
		func() { all = append(all, f.newLink(t, a, false, 30, nil)) }, // before the last link
		func() { del(all[0]) },
		func() { all = append(all, f.newLink(t, a, false, 200, nil), f.newLink(t, a, false, 201, nil)) }, // after it
		func() { all = append(all, f.newLink(t, b, false, 7, nil), f.newLink(t, a, true, 7, nil)) },      // other lists
	} {
		change()
		checkAll(fmt.Sprintf("change %d", i))
	}
}
