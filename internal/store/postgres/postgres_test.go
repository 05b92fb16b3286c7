package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
	"github.com/paylinks/paylinks/internal/store/storetest"
)

// TestStore runs the shared conformance suite, each test on a schema of its
// own. It skips without $PAYLINKS_TEST_POSTGRES.
func TestStore(t *testing.T) {
	postgres.TestDSN(t) // skip early, with the reason, when there is no database
	storetest.Run(t, func(t *testing.T) store.Store { return postgres.OpenTest(t) })
}

// Focused tests of what the conformance suite does not pin down on
// PostgreSQL: exact JSON bytes, refused writes leaving no event, keyset
// pages with ties, migrations racing.

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgres.OpenTest(t)
	a := mustAccount(t, db)

	got, err := db.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := t0.Truncate(time.Microsecond).UTC()
	if got.CreatedAt != want || got.CreatedAt.Location() != time.UTC {
		t.Errorf("account CreatedAt = %v, want %v in UTC", got.CreatedAt, want)
	}
	if n, err := db.CountAccounts(ctx); err != nil || n != 1 {
		t.Errorf("CountAccounts = %d, %v; want 1, nil", n, err)
	}
	if _, err := db.AccountByName(ctx, a.Name); err != nil {
		t.Errorf("AccountByName: %v", err)
	}
	if err := db.CreateAccount(ctx, &paylinks.Account{ID: newID(t), Name: a.Name, CreatedAt: t0}); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("CreateAccount(same name) = %v, want ErrConflict", err)
	}

	l, ev := linkFor(t, a, false, t0)
	if err := db.CreateLink(ctx, l, ev, nil); err != nil {
		t.Fatal(err)
	}
	gotL, err := db.GetLink(ctx, a.ID, false, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantL := *l
	wantL.CreatedAt, wantL.UpdatedAt = want, want
	if !reflect.DeepEqual(*gotL, wantL) {
		t.Errorf("GetLink = %+v\nwant %+v", *gotL, wantL)
	}
	if _, err := db.GetLink(ctx, a.ID, true, l.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("GetLink(live) = %v, want ErrNotFound", err)
	}
	dup, dupEv := linkFor(t, a, false, t0)
	dup.Slug = l.Slug
	if err := db.CreateLink(ctx, dup, dupEv, nil); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("CreateLink(same slug) = %v, want ErrConflict", err)
	}
	if _, err := db.GetEvent(ctx, a.ID, false, dupEv.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("event of a refused link: GetEvent = %v, want ErrNotFound", err)
	}
	gotEv, err := db.GetEvent(ctx, a.ID, false, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(gotEv.Data) != string(ev.Data) {
		t.Errorf("event data = %s, want the exact bytes %s", gotEv.Data, ev.Data)
	}

	// Update, delete.
	prev := l.UpdatedAt
	l.Title, l.UpdatedAt = "Coffee", t0.Add(time.Minute)
	if err := db.UpdateLink(ctx, l, prev, eventFor(t, a, "link.update", "link", l.ID, t0)); err != nil {
		t.Fatal(err)
	}
	del, err := db.DeleteLink(ctx, a.ID, false, l.ID, t0.Add(2*time.Minute), eventFor(t, a, "link.destroy", "link", l.ID, t0))
	if err != nil {
		t.Fatal(err)
	}
	if del.Title != "Coffee" || del.DeletedAt == nil || !del.DeletedAt.Equal(t0.Add(2*time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("DeleteLink = %+v", del)
	}
	if _, err := db.DeleteLink(ctx, a.ID, false, l.ID, t0, nil); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("DeleteLink again = %v, want ErrNotFound", err)
	}
	if err := db.UpdateLink(ctx, l, l.UpdatedAt, nil); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UpdateLink(deleted) = %v, want ErrNotFound", err)
	}
	evs, total, err := db.ListEvents(ctx, store.EventFilter{AccountID: a.ID, Order: paylinks.ReverseChronological, Limit: 2})
	if err != nil || total != 3 || len(evs) != 2 {
		t.Errorf("ListEvents = %d events, total %d, %v; want 2, 3, nil", len(evs), total, err)
	}
}

func TestChargeAndToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgres.OpenTest(t)
	a := mustAccount(t, db)
	l := mustLink(t, db, a, false)

	tok := &paylinks.Token{ID: newID(t), AccountID: a.ID, CardID: newID(t), ProcessorRef: "ok", CreatedAt: t0}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	used, err := db.UseToken(ctx, a.ID, false, tok.ID)
	if err != nil || !used.Used || used.ChargeStatus != "unknown" {
		t.Fatalf("UseToken = %+v, %v", used, err)
	}
	if _, err := db.UseToken(ctx, a.ID, false, tok.ID); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("UseToken again = %v, want ErrConflict", err)
	}
	if _, err := db.UseToken(ctx, a.ID, true, tok.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseToken(live) = %v, want ErrNotFound", err)
	}

	claim, other := newID(t), newID(t)
	if err := db.ClaimLink(ctx, l.ID, claim, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.ClaimLink(ctx, l.ID, other, t0.Add(time.Second), t0.Add(time.Minute)); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("ClaimLink(held) = %v, want ErrConflict", err)
	}
	// A charge with someone else's claim writes nothing.
	bad := chargeFor(t, a, l, paylinks.ChargeSuccessful, t0)
	if err := db.CreateCharge(ctx, store.ChargeWrite{Charge: bad, ClaimID: &other, TokenID: &tok.ID}); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("CreateCharge(other claim) = %v, want ErrConflict", err)
	}
	if _, err := db.GetCharge(ctx, a.ID, false, bad.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("GetCharge(refused) = %v, want ErrNotFound", err)
	}

	c := chargeFor(t, a, l, paylinks.ChargeSuccessful, t0.Add(time.Second))
	ev := eventFor(t, a, "charge.create", "charge", c.ID, c.CreatedAt)
	if err := db.CreateCharge(ctx, store.ChargeWrite{Charge: c, Events: []paylinks.Event{*ev}, ClaimID: &claim, TokenID: &tok.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetCharge(ctx, a.ID, false, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *c
	want.CreatedAt = c.CreatedAt.Truncate(time.Microsecond).UTC()
	want.PaidAt = &want.CreatedAt
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("GetCharge = %+v\nwant %+v", *got, want)
	}
	gotL, err := db.GetLink(ctx, a.ID, false, l.ID)
	if err != nil || !gotL.Used || gotL.UsedAt == nil || !gotL.UsedAt.Equal(want.CreatedAt) {
		t.Errorf("link after charge = %+v, %v; want used at %v", gotL, err, want.CreatedAt)
	}
	if gotTok, _ := db.GetToken(ctx, a.ID, false, tok.ID); gotTok.ChargeStatus != "successful" {
		t.Errorf("token charge_status = %q, want successful", gotTok.ChargeStatus)
	}
	if err := db.ClaimLink(ctx, l.ID, other, t0.Add(time.Hour), t0.Add(2*time.Hour)); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("ClaimLink(used) = %v, want ErrConflict", err)
	}
	cs, total, err := db.ListCharges(ctx, paylinks.ChargeFilter{AccountID: a.ID, LinkID: &l.ID})
	if err != nil || total != 1 || len(cs) != 1 {
		t.Errorf("ListCharges = %d, total %d, %v; want 1, 1", len(cs), total, err)
	}
	if err := db.ClaimLink(ctx, newID(t), claim, t0, t0); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("ClaimLink(missing) = %v, want ErrNotFound", err)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgres.OpenTest(t)
	a := mustAccount(t, db)
	k := &paylinks.APIKey{ID: newID(t), AccountID: a.ID, Kind: paylinks.KeyRestricted,
		Scopes: []paylinks.Scope{paylinks.ScopeLinksRead}, Prefix: "rkey_test_ab", Hash: []byte("h1"), CreatedAt: t0}
	if err := db.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := db.KeyByHash(ctx, []byte("h1"))
	if err != nil || !reflect.DeepEqual(got.Scopes, k.Scopes) {
		t.Fatalf("KeyByHash = %+v, %v", got, err)
	}
	k2 := *k
	k2.ID, k2.Hash = newID(t), []byte("h2")
	if err := db.CreateKey(ctx, &k2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokeKey(ctx, "rkey_test_ab", t0); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("RevokeKey(ambiguous) = %v, want ErrConflict", err)
	}
	if _, err := db.RevokeKey(ctx, "nope", t0); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("RevokeKey(none) = %v, want ErrNotFound", err)
	}
	keys, err := db.ListKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Errorf("ListKeys = %d, %v", len(keys), err)
	}
}

func TestListLinksKeyset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgres.OpenTest(t)
	a := mustAccount(t, db)
	var ids []paylinks.ID
	for i := range 7 {
		l, ev := linkFor(t, a, true, t0.Add(time.Duration(i%3)*time.Second)) // ties on created_at
		if err := db.CreateLink(ctx, l, ev, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	for _, order := range []paylinks.Order{paylinks.Chronological, paylinks.ReverseChronological} {
		all, total, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Order: order})
		if err != nil || total != 7 || len(all) != 7 {
			t.Fatalf("ListLinks = %d, %d, %v", len(all), total, err)
		}
		var paged []paylinks.Link
		var after *paylinks.ID
		for {
			page, total, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Order: order, Limit: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if after != nil && total != -1 {
				t.Errorf("keyset total = %d, want -1", total)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			after = &page[len(page)-1].ID
		}
		if !reflect.DeepEqual(paged, all) {
			t.Errorf("order %v: keyset pages differ from the whole list", order)
		}
		byOffset, _, _ := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Order: order, Offset: 3, Limit: 3})
		if !reflect.DeepEqual(byOffset, all[3:6]) {
			t.Errorf("order %v: offset page differs", order)
		}
	}
	win, total, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, From: t0.Add(time.Second), To: t0.Add(time.Second)})
	if err != nil || total != 2 || len(win) != 2 {
		t.Errorf("window = %d, total %d, %v; want 2, 2", len(win), total, err)
	}
}

// Two processes starting at once on an empty schema both succeed: the
// migration runs once, under the advisory lock.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	dsn := postgres.TestDSN(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := postgres.Open(context.Background(), dsn, 2)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if err := postgres.Migrate(context.Background(), dsn); err != nil {
		t.Error(err)
	}
}
