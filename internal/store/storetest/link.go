package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

func testCreateLink(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	tests := []struct {
		name string
		link *paylinks.Link
	}{
		{"single-use test", f.link(t, a, false, 1, nil)},
		{"multi-use live", f.link(t, a, true, 2, func(l *paylinks.Link) { l.Multiple = true })},
		{"payer chooses amount, empty optionals", f.link(t, b, false, 3, func(l *paylinks.Link) {
			l.Amount, l.Description, l.SuccessURL, l.CancelURL, l.Active = 0, "", "", "", false
		})},
		{"used", f.link(t, a, false, 4, func(l *paylinks.Link) { l.Used, l.UsedAt = true, ptr(at(5)) })},
	}
	for _, tt := range tests {
		ev := f.createLink(t, tt.link)
		got, err := f.s.GetLink(ctx, tt.link.AccountID, tt.link.Livemode, tt.link.ID)
		wantErr(t, "GetLink("+tt.name+")", err, nil)
		check(t, "GetLink("+tt.name+")", got, tt.link)
		got, err = f.s.LinkBySlug(ctx, tt.link.Slug)
		wantErr(t, "LinkBySlug("+tt.name+")", err, nil)
		check(t, "LinkBySlug("+tt.name+")", got, tt.link)
		gotEv, err := f.s.GetEvent(ctx, ev.AccountID, ev.Livemode, ev.ID)
		wantErr(t, "GetEvent of CreateLink("+tt.name+")", err, nil)
		check(t, "GetEvent of CreateLink("+tt.name+")", gotEv, ev)
	}

	taken := tests[0].link
	deleted := f.newLink(t, a, false, 6, nil)
	if _, err := f.s.DeleteLink(ctx, a.ID, false, deleted.ID, at(7), nil); err != nil {
		t.Fatalf("DeleteLink: %v", err)
	}
	conflicts := []struct {
		name string
		edit func(*paylinks.Link)
	}{
		{"slug taken in the account", func(l *paylinks.Link) { l.Slug = taken.Slug }},
		{"slug taken by another account", func(l *paylinks.Link) { l.AccountID, l.Slug = b.ID, taken.Slug }},
		{"slug taken in the other mode", func(l *paylinks.Link) { l.Livemode, l.Slug = true, taken.Slug }},
		{"slug of a deleted link", func(l *paylinks.Link) { l.Slug = deleted.Slug }},
		{"id taken", func(l *paylinks.Link) { l.ID = taken.ID }},
	}
	for _, tt := range conflicts {
		l := f.link(t, a, false, 8, tt.edit)
		ev := f.event(t, l.AccountID, l.Livemode, "link.create", l.ID, 8)
		err := f.s.CreateLink(ctx, l, ev, nil)
		wantErr(t, "CreateLink("+tt.name+")", err, paylinks.ErrConflict)
		_, err = f.s.GetEvent(ctx, ev.AccountID, ev.Livemode, ev.ID)
		wantErr(t, "GetEvent of a refused CreateLink("+tt.name+")", err, paylinks.ErrNotFound)
	}
	got, err := f.s.LinkBySlug(ctx, taken.Slug)
	wantErr(t, "LinkBySlug after refused writes", err, nil)
	check(t, "LinkBySlug after refused writes", got, taken)
}

func testGetLink(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l := f.newLink(t, a, false, 1, nil)
	live := f.newLink(t, a, true, 1, nil)
	deleted := f.newLink(t, a, false, 2, nil)
	if _, err := f.s.DeleteLink(ctx, a.ID, false, deleted.ID, at(3), nil); err != nil {
		t.Fatalf("DeleteLink: %v", err)
	}
	deleted.DeletedAt = ptr(at(3))

	tests := []struct {
		name     string
		account  paylinks.ID
		livemode bool
		id       paylinks.ID
		want     *paylinks.Link
		wantErr  error
	}{
		{"own", a.ID, false, l.ID, l, nil},
		{"own live", a.ID, true, live.ID, live, nil},
		{"deleted", a.ID, false, deleted.ID, deleted, nil},
		{"missing", a.ID, false, f.id(t), nil, paylinks.ErrNotFound},
		{"other account", b.ID, false, l.ID, nil, paylinks.ErrNotFound},
		{"other mode", a.ID, true, l.ID, nil, paylinks.ErrNotFound},
		{"live link in test mode", a.ID, false, live.ID, nil, paylinks.ErrNotFound},
	}
	for _, tt := range tests {
		got, err := f.s.GetLink(ctx, tt.account, tt.livemode, tt.id)
		wantErr(t, "GetLink("+tt.name+")", err, tt.wantErr)
		if tt.want != nil {
			check(t, "GetLink("+tt.name+")", got, tt.want)
		}
	}

	slugs := []struct {
		name    string
		slug    string
		want    *paylinks.Link
		wantErr error
	}{
		{"own", l.Slug, l, nil},
		{"deleted", deleted.Slug, deleted, nil},
		{"missing", "no-such-slug", nil, paylinks.ErrNotFound},
	}
	for _, tt := range slugs {
		got, err := f.s.LinkBySlug(ctx, tt.slug)
		wantErr(t, "LinkBySlug("+tt.name+")", err, tt.wantErr)
		if tt.want != nil {
			check(t, "LinkBySlug("+tt.name+")", got, tt.want)
		}
	}
}

// linkSet is a store filled for list tests, and its model.
type linkSet struct {
	a, b *paylinks.Account
	all  []*paylinks.Link // every link written, deletions applied
}

// fillLinks writes links of account a in test mode at the given seconds
// (repeats make ties on created_at), deletes some, and adds links of
// another account and of live mode in the same window.
func fillLinks(t *testing.T, f *fixture) *linkSet {
	t.Helper()
	ctx := t.Context()
	ls := &linkSet{a: f.account(t), b: f.account(t)}
	for i, sec := range []int{5, 1, 3, 3, 3, 7, 2, 9, 4, 6, 3, 8, 10} {
		ls.all = append(ls.all, f.newLink(t, ls.a, false, sec, nil))
		if i == 2 || i == 7 { // one of the ties, and the one at 9
			l := ls.all[i]
			if _, err := f.s.DeleteLink(ctx, l.AccountID, l.Livemode, l.ID, at(20), nil); err != nil {
				t.Fatalf("DeleteLink: %v", err)
			}
			l.DeletedAt = ptr(at(20))
		}
	}
	for _, sec := range []int{3, 6} {
		ls.all = append(ls.all, f.newLink(t, ls.b, false, sec, nil), f.newLink(t, ls.a, true, sec, nil))
	}
	return ls
}

// want returns the page and total that ListLinks(lf) should return.
func (ls *linkSet) want(lf paylinks.LinkFilter) ([]paylinks.Link, int) {
	p, total := page(ls.all, func(l *paylinks.Link) bool {
		return l.AccountID == lf.AccountID && l.Livemode == lf.Livemode && l.DeletedAt == nil
	}, linkKey, lf.From, lf.To, lf.Order, lf.Offset, lf.Limit)
	out := make([]paylinks.Link, len(p))
	for i, l := range p {
		out[i] = *l
	}
	return out, total
}

func linkKey(l *paylinks.Link) (time.Time, paylinks.ID) { return l.CreatedAt, l.ID }
func linkID(l paylinks.Link) paylinks.ID                { return l.ID }

func testListLinks(t *testing.T, f *fixture) {
	ls := fillLinks(t, f)
	a, b := ls.a.ID, ls.b.ID
	empty := f.account(t).ID
	rev := paylinks.ReverseChronological
	tests := []struct {
		name string
		f    paylinks.LinkFilter
	}{
		{"all, chronological", paylinks.LinkFilter{AccountID: a}},
		{"all, reverse", paylinks.LinkFilter{AccountID: a, Order: rev}},
		{"window inclusive", paylinks.LinkFilter{AccountID: a, From: at(3), To: at(6)}},
		{"window inclusive, reverse", paylinks.LinkFilter{AccountID: a, From: at(3), To: at(6), Order: rev}},
		{"from only", paylinks.LinkFilter{AccountID: a, From: at(7)}},
		{"to only", paylinks.LinkFilter{AccountID: a, To: at(3)}},
		{"one instant", paylinks.LinkFilter{AccountID: a, From: at(3), To: at(3)}},
		{"empty window", paylinks.LinkFilter{AccountID: a, From: at(11), To: at(19)}},
		{"offset and limit", paylinks.LinkFilter{AccountID: a, Offset: 2, Limit: 3}},
		{"offset and limit, reverse", paylinks.LinkFilter{AccountID: a, Offset: 2, Limit: 3, Order: rev}},
		{"offset and limit in a window", paylinks.LinkFilter{AccountID: a, From: at(2), To: at(8), Offset: 1, Limit: 4}},
		{"limit only", paylinks.LinkFilter{AccountID: a, Limit: 1}},
		{"last page short", paylinks.LinkFilter{AccountID: a, Offset: 9, Limit: 5}},
		{"offset past the end", paylinks.LinkFilter{AccountID: a, Offset: 50, Limit: 5}},
		{"live mode", paylinks.LinkFilter{AccountID: a, Livemode: true}},
		{"other account", paylinks.LinkFilter{AccountID: b}},
		{"account without links", paylinks.LinkFilter{AccountID: empty}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("ListLinks(%s)", tt.name)
		got, total, err := f.s.ListLinks(t.Context(), tt.f)
		wantErr(t, name, err, nil)
		want, wantTotal := ls.want(tt.f)
		if total != wantTotal {
			t.Errorf("%s: got total %d, want %d", name, total, wantTotal)
		}
		if g, w := ids(got, linkID), ids(want, linkID); !slices.Equal(g, w) {
			t.Errorf("%s: got ids %v, want %v", name, g, w)
			continue
		}
		check(t, name, got, want)
	}
}

func testListLinksAfter(t *testing.T, f *fixture) {
	ctx := t.Context()
	ls := fillLinks(t, f)
	a := ls.a.ID
	tests := []struct {
		name string
		f    paylinks.LinkFilter // After is set by the test
	}{
		{"chronological", paylinks.LinkFilter{AccountID: a, Limit: 3}},
		{"reverse", paylinks.LinkFilter{AccountID: a, Limit: 3, Order: paylinks.ReverseChronological}},
		{"pages of one", paylinks.LinkFilter{AccountID: a, Limit: 1}},
		{"window", paylinks.LinkFilter{AccountID: a, Limit: 2, From: at(3), To: at(7)}},
		{"offset is ignored", paylinks.LinkFilter{AccountID: a, Limit: 4, Offset: 2, Order: paylinks.ReverseChronological}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("ListLinks(%s) by After", tt.name)
		all := tt.f
		all.Offset, all.Limit = 0, 0
		want, _ := ls.want(all)

		var got []paylinks.Link
		lf := tt.f
		lf.Offset = 0 // the first page starts at the start
		for range 50 {
			p, total, err := f.s.ListLinks(ctx, lf)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if lf.After != nil && total != -1 {
				t.Errorf("%s: got total %d with After, want -1", name, total)
			}
			if len(p) > lf.Limit {
				t.Fatalf("%s: got %d links, want at most %d", name, len(p), lf.Limit)
			}
			if len(p) == 0 {
				break
			}
			got = append(got, p...)
			lf.After = &p[len(p)-1].ID
			lf.Offset = tt.f.Offset
		}
		if g, w := ids(got, linkID), ids(want, linkID); !slices.Equal(g, w) {
			t.Errorf("%s: pages joined: got ids %v, want %v", name, g, w)
			continue
		}
		check(t, name, got, want)
	}

	t.Run("deleted cursor", func(t *testing.T) {
		lf := paylinks.LinkFilter{AccountID: a, Limit: 3}
		before, _ := ls.want(paylinks.LinkFilter{AccountID: a})
		p, _, err := f.s.ListLinks(ctx, lf)
		if err != nil || len(p) != 3 {
			t.Fatalf("ListLinks: got %d links, %v; want 3", len(p), err)
		}
		cursor := p[2].ID
		if _, err := f.s.DeleteLink(ctx, a, false, cursor, at(30), nil); err != nil {
			t.Fatalf("DeleteLink: %v", err)
		}
		lf.After = &cursor
		got, total, err := f.s.ListLinks(ctx, lf)
		wantErr(t, "ListLinks after a deleted cursor", err, nil)
		if total != -1 {
			t.Errorf("ListLinks after a deleted cursor: got total %d, want -1", total)
		}
		if g, w := ids(got, linkID), ids(before[3:6], linkID); !slices.Equal(g, w) {
			t.Errorf("ListLinks after a deleted cursor: got ids %v, want %v", g, w)
		}
	})

	other := f.newLink(t, ls.b, false, 3, nil)
	live := f.newLink(t, ls.a, true, 3, nil)
	cursors := []struct {
		name  string
		after paylinks.ID
	}{
		{"missing", f.id(t)},
		{"of another account", other.ID},
		{"of the other mode", live.ID},
	}
	for _, tt := range cursors {
		_, _, err := f.s.ListLinks(ctx, paylinks.LinkFilter{AccountID: a, Limit: 3, After: &tt.after})
		wantErr(t, "ListLinks(After a link "+tt.name+")", err, paylinks.ErrNotFound)
	}
}

func testUpdateLink(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l := f.newLink(t, a, false, 1, nil)

	upd := *l
	upd.Title, upd.Description, upd.Amount, upd.Currency = "New title", "", 500, "JPY"
	upd.Multiple, upd.Active, upd.SuccessURL, upd.CancelURL = true, false, "https://example.com/new", ""
	upd.UpdatedAt = at(10)
	// Not mutable: these must be ignored.
	upd.Slug, upd.CreatedAt, upd.Used, upd.UsedAt = "changed-slug", at(9), true, ptr(at(9))
	ev := f.event(t, a.ID, false, "link.update", l.ID, 10)
	if err := f.s.UpdateLink(ctx, &upd, l.UpdatedAt, ev); err != nil {
		t.Fatalf("UpdateLink: %v", err)
	}
	want := upd
	want.Slug, want.CreatedAt, want.Used, want.UsedAt = l.Slug, l.CreatedAt, false, nil
	got, err := f.s.GetLink(ctx, a.ID, false, l.ID)
	wantErr(t, "GetLink after UpdateLink", err, nil)
	check(t, "GetLink after UpdateLink", got, &want)
	gotEv, err := f.s.GetEvent(ctx, a.ID, false, ev.ID)
	wantErr(t, "GetEvent of UpdateLink", err, nil)
	check(t, "GetEvent of UpdateLink", gotEv, ev)
	if _, err := f.s.LinkBySlug(ctx, "changed-slug"); err == nil {
		t.Errorf("UpdateLink changed the slug")
	}

	deleted := f.newLink(t, a, false, 2, nil)
	if _, err := f.s.DeleteLink(ctx, a.ID, false, deleted.ID, at(3), nil); err != nil {
		t.Fatalf("DeleteLink: %v", err)
	}
	tests := []struct {
		name string
		edit func(*paylinks.Link)
	}{
		{"missing", func(l *paylinks.Link) { l.ID = f.id(t) }},
		{"deleted", func(l *paylinks.Link) { l.ID = deleted.ID }},
		{"other account", func(l *paylinks.Link) { l.AccountID = b.ID }},
		{"other mode", func(l *paylinks.Link) { l.Livemode = true }},
	}
	for _, tt := range tests {
		u := want
		u.Title = "refused"
		tt.edit(&u)
		ev := f.event(t, u.AccountID, u.Livemode, "link.update", u.ID, 11)
		err := f.s.UpdateLink(ctx, &u, want.UpdatedAt, ev)
		wantErr(t, "UpdateLink("+tt.name+")", err, paylinks.ErrNotFound)
		_, err = f.s.GetEvent(ctx, ev.AccountID, ev.Livemode, ev.ID)
		wantErr(t, "GetEvent of a refused UpdateLink("+tt.name+")", err, paylinks.ErrNotFound)
	}
	// A stale read: the link changed since (its updated_at moved on), so
	// the update is refused and writes nothing.
	stale := want
	stale.Title, stale.UpdatedAt = "lost update", at(12)
	staleEv := f.event(t, a.ID, false, "link.update", l.ID, 12)
	wantErr(t, "UpdateLink from a stale read", f.s.UpdateLink(ctx, &stale, l.UpdatedAt, staleEv), paylinks.ErrConflict)
	_, err = f.s.GetEvent(ctx, a.ID, false, staleEv.ID)
	wantErr(t, "GetEvent of a stale UpdateLink", err, paylinks.ErrNotFound)
	got, err = f.s.GetLink(ctx, a.ID, false, l.ID)
	wantErr(t, "GetLink after refused updates", err, nil)
	check(t, "GetLink after refused updates", got, &want)
}

func testDeleteLink(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	l := f.newLink(t, a, false, 1, nil)
	other := f.newLink(t, a, false, 2, nil)

	ev := f.event(t, a.ID, false, "link.destroy", l.ID, 5)
	got, err := f.s.DeleteLink(ctx, a.ID, false, l.ID, at(5), ev)
	wantErr(t, "DeleteLink", err, nil)
	want := *l
	want.DeletedAt = ptr(at(5))
	check(t, "DeleteLink", got, &want)
	stored, err := f.s.GetLink(ctx, a.ID, false, l.ID)
	wantErr(t, "GetLink after DeleteLink", err, nil)
	check(t, "GetLink after DeleteLink", stored, &want)
	gotEv, err := f.s.GetEvent(ctx, a.ID, false, ev.ID)
	wantErr(t, "GetEvent of DeleteLink", err, nil)
	check(t, "GetEvent of DeleteLink", gotEv, ev)

	tests := []struct {
		name     string
		account  paylinks.ID
		livemode bool
		id       paylinks.ID
	}{
		{"already deleted", a.ID, false, l.ID},
		{"missing", a.ID, false, f.id(t)},
		{"other account", b.ID, false, other.ID},
		{"other mode", a.ID, true, other.ID},
	}
	for _, tt := range tests {
		ev := f.event(t, tt.account, tt.livemode, "link.destroy", tt.id, 6)
		_, err := f.s.DeleteLink(ctx, tt.account, tt.livemode, tt.id, at(6), ev)
		wantErr(t, "DeleteLink("+tt.name+")", err, paylinks.ErrNotFound)
		_, err = f.s.GetEvent(ctx, ev.AccountID, ev.Livemode, ev.ID)
		wantErr(t, "GetEvent of a refused DeleteLink("+tt.name+")", err, paylinks.ErrNotFound)
	}
	for _, want := range []*paylinks.Link{&want, other} {
		got, err := f.s.GetLink(ctx, a.ID, false, want.ID)
		wantErr(t, "GetLink after refused deletes", err, nil)
		check(t, "GetLink after refused deletes", got, want)
	}
}

// testTimes checks that times are kept to the microsecond (truncated) and
// come back in UTC, whatever zone they were written in.
func testTimes(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	bangkok := time.FixedZone("ICT", 7*3600)
	newYork := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name string
		t    time.Time
	}{
		{"UTC, whole seconds", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"nanoseconds", time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)},
		{"999ns below a microsecond", time.Date(2025, 1, 2, 3, 4, 5, 999, time.UTC)},
		{"east of UTC", time.Date(2025, 1, 2, 3, 4, 5, 654321000, bangkok)},
		{"west of UTC", time.Date(2025, 12, 31, 23, 59, 59, 999999999, newYork)},
		{"before 1970", time.Date(1969, 7, 20, 20, 17, 40, 500000000, time.UTC)},
		{"far future", time.Date(2199, 12, 31, 0, 0, 0, 1000, time.UTC)},
	}
	for _, tt := range tests {
		l := f.link(t, a, false, 0, func(l *paylinks.Link) {
			l.CreatedAt, l.UpdatedAt = tt.t, tt.t.Add(time.Microsecond)
			l.Used, l.UsedAt = true, ptr(tt.t.Add(time.Hour))
		})
		f.createLink(t, l)
		deletedAt := tt.t.Add(2 * time.Hour)
		got, err := f.s.DeleteLink(ctx, a.ID, false, l.ID, deletedAt, nil)
		wantErr(t, "DeleteLink("+tt.name+")", err, nil)
		want := *l
		want.DeletedAt = &deletedAt
		check(t, "DeleteLink("+tt.name+")", got, &want)
		got, err = f.s.GetLink(ctx, a.ID, false, l.ID)
		wantErr(t, "GetLink("+tt.name+")", err, nil)
		check(t, "GetLink("+tt.name+")", got, &want)
		if got != nil && got.CreatedAt.Nanosecond()%1000 != 0 {
			t.Errorf("GetLink(%s).CreatedAt: got %v, want whole microseconds", tt.name, got.CreatedAt)
		}
	}
}
