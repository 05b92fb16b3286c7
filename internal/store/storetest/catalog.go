package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// catalogItem returns an unsaved active item of the account, mode and kind
// created at sec, changed by edit when it is not nil.
func (f *fixture) catalogItem(t *testing.T, a *paylinks.Account, livemode bool, kind paylinks.CatalogKind, sec int, edit func(*paylinks.CatalogItem)) *paylinks.CatalogItem {
	t.Helper()
	it := &paylinks.CatalogItem{Kind: kind, ID: f.id(t), AccountID: a.ID, Livemode: livemode, Active: true,
		Data: []byte(fmt.Sprintf(`{"name": "item %d", "n": %d}`, sec, f.rng.Uint64()%1000)), CreatedAt: at(sec), UpdatedAt: at(sec)}
	if edit != nil {
		edit(it)
	}
	return it
}

// newCatalogItem makes and saves an item; see catalogItem.
func (f *fixture) newCatalogItem(t *testing.T, a *paylinks.Account, livemode bool, kind paylinks.CatalogKind, sec int, edit func(*paylinks.CatalogItem)) *paylinks.CatalogItem {
	t.Helper()
	it := f.catalogItem(t, a, livemode, kind, sec, edit)
	if err := f.s.CreateCatalogItem(t.Context(), it, nil); err != nil {
		t.Fatalf("CreateCatalogItem: %v", err)
	}
	return it
}

// sameJSON reports whether two JSON documents hold the same values (stores
// may re-encode JSON).
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("stored data %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("data %q: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func wantItem(t *testing.T, got, want *paylinks.CatalogItem) {
	t.Helper()
	if !sameJSON(t, got.Data, want.Data) {
		t.Errorf("item %s data: got %s, want %s", want.ID, got.Data, want.Data)
	}
	g, w := *got, *want
	g.Data, w.Data = nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("item:\n got %+v\nwant %+v", g, w)
	}
}

func testCatalogItems(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	p := f.newCatalogItem(t, a, false, paylinks.CatalogProduct, 1, nil)
	c := f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 2, func(it *paylinks.CatalogItem) {
		it.MaxRedemptions, it.RedeemUntil, it.TimesRedeemed = 5, ptr(at(100)), 3 // the count starts at 0 whatever is passed
	})
	got, err := f.s.GetCatalogItem(ctx, a.ID, false, paylinks.CatalogProduct, p.ID)
	if err != nil {
		t.Fatalf("GetCatalogItem: %v", err)
	}
	wantItem(t, got, p)
	got, err = f.s.GetCatalogItem(ctx, a.ID, false, paylinks.CatalogCoupon, c.ID)
	if err != nil {
		t.Fatalf("GetCatalogItem(coupon): %v", err)
	}
	want := *c
	want.TimesRedeemed = 0
	wantItem(t, got, &want)

	// Another account, the other mode or the other kind finds nothing.
	for _, q := range []struct {
		acct paylinks.ID
		live bool
		kind paylinks.CatalogKind
	}{{b.ID, false, paylinks.CatalogProduct}, {a.ID, true, paylinks.CatalogProduct}, {a.ID, false, paylinks.CatalogPrice}} {
		if _, err := f.s.GetCatalogItem(ctx, q.acct, q.live, q.kind, p.ID); !errors.Is(err, paylinks.ErrNotFound) {
			t.Errorf("GetCatalogItem(%v): got %v, want ErrNotFound", q, err)
		}
	}
	if err := f.s.CreateCatalogItem(ctx, p, nil); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("CreateCatalogItem twice: got %v, want ErrConflict", err)
	}
}

func testCatalogKeys(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	code := func(key string) func(*paylinks.CatalogItem) { return func(it *paylinks.CatalogItem) { it.Key = key } }
	pc := f.newCatalogItem(t, a, false, paylinks.CatalogPromotionCode, 1, code("SUMMER"))
	got, err := f.s.CatalogItemByKey(ctx, a.ID, false, paylinks.CatalogPromotionCode, "SUMMER")
	if err != nil {
		t.Fatalf("CatalogItemByKey: %v", err)
	}
	wantItem(t, got, pc)
	if err := f.s.CreateCatalogItem(ctx, f.catalogItem(t, a, false, paylinks.CatalogPromotionCode, 2, code("SUMMER")), nil); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("CreateCatalogItem with a taken key: got %v, want ErrConflict", err)
	}
	// The same key is free in another account, the other mode and another kind.
	f.newCatalogItem(t, b, false, paylinks.CatalogPromotionCode, 3, code("SUMMER"))
	f.newCatalogItem(t, a, true, paylinks.CatalogPromotionCode, 4, code("SUMMER"))
	f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 5, code("SUMMER"))
	// Items without a key never conflict.
	f.newCatalogItem(t, a, false, paylinks.CatalogPromotionCode, 6, nil)
	f.newCatalogItem(t, a, false, paylinks.CatalogPromotionCode, 7, nil)
	for _, key := range []string{"", "summer", "WINTER"} {
		if _, err := f.s.CatalogItemByKey(ctx, a.ID, false, paylinks.CatalogPromotionCode, key); !errors.Is(err, paylinks.ErrNotFound) {
			t.Errorf("CatalogItemByKey(%q): got %v, want ErrNotFound", key, err)
		}
	}
}

func testListCatalogItems(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	var prices []*paylinks.CatalogItem // newest first
	for i := range 7 {
		it := f.newCatalogItem(t, a, false, paylinks.CatalogPrice, 10+i, func(it *paylinks.CatalogItem) { it.Active = i%3 != 0 })
		prices = append([]*paylinks.CatalogItem{it}, prices...)
	}
	// Two at the same time are ordered by id.
	twin := f.newCatalogItem(t, a, false, paylinks.CatalogPrice, 16, nil)
	if twin.ID.String() > prices[0].ID.String() {
		prices = append([]*paylinks.CatalogItem{twin}, prices...)
	} else {
		prices = append([]*paylinks.CatalogItem{prices[0], twin}, prices[1:]...)
	}
	f.newCatalogItem(t, a, false, paylinks.CatalogProduct, 20, nil)
	f.newCatalogItem(t, a, true, paylinks.CatalogPrice, 21, nil)
	f.newCatalogItem(t, b, false, paylinks.CatalogPrice, 22, nil)

	ids := func(items []paylinks.CatalogItem) []paylinks.ID {
		out := []paylinks.ID{}
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	idsOf := func(items []*paylinks.CatalogItem) []paylinks.ID {
		out := []paylinks.ID{}
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	var active, inactive []*paylinks.CatalogItem
	for _, it := range prices {
		if it.Active {
			active = append(active, it)
		} else {
			inactive = append(inactive, it)
		}
	}
	for _, tt := range []struct {
		name      string
		f         store.CatalogFilter
		want      []*paylinks.CatalogItem
		wantTotal int
	}{
		{"all", store.CatalogFilter{}, prices, 8},
		{"page 1", store.CatalogFilter{Limit: 3}, prices[:3], 8},
		{"page 3", store.CatalogFilter{Offset: 6, Limit: 3}, prices[6:], 8},
		{"past the end", store.CatalogFilter{Offset: 9, Limit: 3}, nil, 8},
		{"offset only", store.CatalogFilter{Offset: 5}, prices[5:], 8},
		{"active", store.CatalogFilter{Active: ptr(true)}, active, len(active)},
		{"inactive", store.CatalogFilter{Active: ptr(false), Limit: 2}, inactive[:2], len(inactive)},
	} {
		tt.f.AccountID, tt.f.Kind = a.ID, paylinks.CatalogPrice
		got, total, err := f.s.ListCatalogItems(ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: ListCatalogItems: %v", tt.name, err)
		}
		if !reflect.DeepEqual(ids(got), idsOf(tt.want)) || total != tt.wantTotal {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tt.name, ids(got), total, idsOf(tt.want), tt.wantTotal)
		}
		for i := range got {
			wantItem(t, &got[i], tt.want[i])
		}
	}
}

func testUpdateCatalogItem(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	c := f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 1, func(it *paylinks.CatalogItem) { it.MaxRedemptions = 2 })
	if _, err := f.s.RedeemCatalogItems(ctx, a.ID, false, []paylinks.ID{c.ID}, at(2)); err != nil {
		t.Fatalf("RedeemCatalogItems: %v", err)
	}
	up := *c
	up.Active, up.MaxRedemptions, up.RedeemUntil, up.Data, up.UpdatedAt = false, 9, ptr(at(50)), []byte(`{"name": "renamed"}`), at(3)
	up.Key, up.TimesRedeemed, up.CreatedAt = "IGNORED", 100, at(99) // never written by an update
	if err := f.s.UpdateCatalogItem(ctx, &up, c.UpdatedAt); err != nil {
		t.Fatalf("UpdateCatalogItem: %v", err)
	}
	got, err := f.s.GetCatalogItem(ctx, a.ID, false, paylinks.CatalogCoupon, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := up
	want.Key, want.TimesRedeemed, want.CreatedAt = "", 1, at(1)
	wantItem(t, got, &want)

	// A writer that read the old version loses, and writes nothing.
	stale := up
	stale.Data, stale.UpdatedAt = []byte(`{"name": "stale"}`), at(4)
	if err := f.s.UpdateCatalogItem(ctx, &stale, at(1)); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("UpdateCatalogItem with a stale prev: got %v, want ErrConflict", err)
	}
	if got, _ := f.s.GetCatalogItem(ctx, a.ID, false, paylinks.CatalogCoupon, c.ID); !sameJSON(t, got.Data, up.Data) {
		t.Errorf("after a refused update: data %s, want %s", got.Data, up.Data)
	}
	missing := up
	missing.ID = f.id(t)
	if err := f.s.UpdateCatalogItem(ctx, &missing, up.UpdatedAt); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UpdateCatalogItem of a missing item: got %v, want ErrNotFound", err)
	}
	other := up
	other.Livemode = true
	if err := f.s.UpdateCatalogItem(ctx, &other, up.UpdatedAt); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UpdateCatalogItem in the other mode: got %v, want ErrNotFound", err)
	}
}

func testRedeemCatalogItems(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	redeem := func(now int, ids ...paylinks.ID) ([]paylinks.CatalogItem, error) {
		return f.s.RedeemCatalogItems(ctx, a.ID, false, ids, at(now))
	}
	limited := f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 1, func(it *paylinks.CatalogItem) { it.MaxRedemptions = 2 })
	dated := f.newCatalogItem(t, a, false, paylinks.CatalogPromotionCode, 1, func(it *paylinks.CatalogItem) { it.RedeemUntil = ptr(at(10)) })
	free := f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 1, nil)
	off := f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 1, func(it *paylinks.CatalogItem) { it.Active = false })

	got, err := redeem(2, dated.ID, limited.ID)
	if err != nil {
		t.Fatalf("RedeemCatalogItems: %v", err)
	}
	if len(got) != 2 || got[0].ID != dated.ID || got[0].TimesRedeemed != 1 || got[1].ID != limited.ID || got[1].TimesRedeemed != 1 {
		t.Errorf("RedeemCatalogItems: got %+v, want both redeemed once, in order", got)
	}
	if _, err := redeem(3, limited.ID); err != nil {
		t.Fatalf("second redemption: %v", err)
	}
	// The limit is reached: the whole call is refused, the other item unchanged.
	if _, err := redeem(4, free.ID, limited.ID); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("redeeming past the limit: got %v, want ErrConflict", err)
	}
	for _, tt := range []struct {
		name string
		now  int
		id   paylinks.ID
		want error
	}{
		{"at the end time", 10, dated.ID, paylinks.ErrConflict},
		{"inactive", 5, off.ID, paylinks.ErrConflict},
		{"missing", 5, f.id(t), paylinks.ErrNotFound},
	} {
		if _, err := redeem(tt.now, tt.id); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := f.s.RedeemCatalogItems(ctx, b.ID, false, []paylinks.ID{free.ID}, at(5)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("another account's item: got %v, want ErrNotFound", err)
	}
	for _, w := range []struct {
		it   *paylinks.CatalogItem
		want int
	}{{limited, 2}, {dated, 1}, {free, 0}, {off, 0}} {
		got, err := f.s.GetCatalogItem(ctx, a.ID, false, w.it.Kind, w.it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.TimesRedeemed != w.want {
			t.Errorf("item %s redeemed %d times, want %d", w.it.ID, got.TimesRedeemed, w.want)
		}
	}
}

// testRedeemConcurrent: 30 payers redeem a coupon limited to 5 at once;
// exactly 5 succeed, and the count is 5.
func testRedeemConcurrent(t *testing.T, f *fixture) {
	const payers, limit = 30, 5
	ctx := t.Context()
	a := f.account(t)
	c := f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 1, func(it *paylinks.CatalogItem) { it.MaxRedemptions = limit })
	errs := make([]error, payers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range payers {
		wg.Go(func() {
			<-start
			_, errs[i] = f.s.RedeemCatalogItems(ctx, a.ID, false, []paylinks.ID{c.ID}, at(2))
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, paylinks.ErrConflict):
			t.Errorf("payer %d: got %v, want nil or ErrConflict", i, err)
		}
	}
	if won != limit {
		t.Errorf("concurrent redemptions: %d succeeded, want %d", won, limit)
	}
	got, err := f.s.GetCatalogItem(ctx, a.ID, false, paylinks.CatalogCoupon, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TimesRedeemed != limit {
		t.Errorf("times redeemed: got %d, want %d", got.TimesRedeemed, limit)
	}
}

func testCartLinks(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	until := at(500)
	coupon := f.id(t)
	cart := &paylinks.LinkCart{LineItems: []paylinks.CartItem{{PriceID: f.id(t), ProductID: f.id(t), Quantity: 2,
		Adjustable: &paylinks.AdjustableQuantity{Enabled: true, Minimum: 1, Maximum: 9}}, {PriceID: f.id(t), ProductID: f.id(t), Quantity: 1}},
		CouponID: &coupon, AllowPromotionCodes: true, TaxRateIDs: []paylinks.ID{f.id(t)}, ShippingRateIDs: []paylinks.ID{f.id(t), f.id(t)},
		BillingAddressCollection: "required", ShippingCountries: []string{"TH", "US"}, CustomerEmail: "a@example.com",
		SubmitType: "book", ExpiresAt: &until, Metadata: map[string]string{"k": "v"},
		DynamicTaxRateIDs: []paylinks.ID{f.id(t)}, AutomaticTax: true, TaxIDCollection: true,
		ConsentCollection: &paylinks.ConsentCollection{Promotions: "auto", TermsOfService: "required"},
		CustomFields: []paylinks.CustomField{{Key: "size", Label: "Size", Type: "dropdown", Optional: true,
			Options: []paylinks.CustomFieldOption{{Value: "s", Label: "Small"}, {Value: "l", Label: "Large"}}},
			{Key: "note", Label: "Note", Type: "text"}},
		Recovery: &paylinks.ExpirationRecovery{Enabled: true, AllowPromotionCodes: true}}
	l := f.link(t, a, false, 1, nil)
	ev := f.event(t, a.ID, false, "link.create", l.ID, 1)
	if err := f.s.CreateCartLink(ctx, l, cart, ev, nil); err != nil {
		t.Fatalf("CreateCartLink: %v", err)
	}
	plain := f.newLink(t, a, false, 2, nil)
	if got, err := f.s.GetLink(ctx, a.ID, false, l.ID); err != nil || got.Slug != l.Slug || got.Amount != l.Amount {
		t.Fatalf("GetLink of a cart link: %+v, %v", got, err)
	}
	if _, err := f.s.GetEvent(ctx, a.ID, false, ev.ID); err != nil {
		t.Errorf("the link's event: %v", err)
	}
	carts, err := f.s.LinkCarts(ctx, a.ID, false, []paylinks.ID{plain.ID, l.ID, f.id(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(carts) != 1 || !reflect.DeepEqual(carts[l.ID], cart) {
		t.Errorf("LinkCarts: got %+v, want only %+v", carts, cart)
	}
	for _, q := range []struct {
		acct paylinks.ID
		live bool
	}{{b.ID, false}, {a.ID, true}} {
		if carts, err := f.s.LinkCarts(ctx, q.acct, q.live, []paylinks.ID{l.ID}); err != nil || len(carts) != 0 {
			t.Errorf("LinkCarts(%v): %v, %v", q, carts, err)
		}
	}
	if carts, err := f.s.LinkCarts(ctx, a.ID, false, nil); err != nil || len(carts) != 0 {
		t.Errorf("LinkCarts(none): %v, %v", carts, err)
	}
	// A taken slug writes nothing: no link, no cart, no event.
	dup := f.link(t, a, false, 3, func(d *paylinks.Link) { d.Slug = l.Slug })
	dupEv := f.event(t, a.ID, false, "link.create", dup.ID, 3)
	if err := f.s.CreateCartLink(ctx, dup, cart, dupEv, nil); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("CreateCartLink with a taken slug: got %v, want ErrConflict", err)
	}
	if carts, _ := f.s.LinkCarts(ctx, a.ID, false, []paylinks.ID{dup.ID}); len(carts) != 0 {
		t.Errorf("a refused link left its cart")
	}
	if _, err := f.s.GetEvent(ctx, a.ID, false, dupEv.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("a refused link left its event: %v", err)
	}
}

// testCatalogIdempotency: a create records its item on the Idempotency-Key
// record in its transaction; a record that lost its key writes nothing.
func testCatalogIdempotency(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	first := idemRecord(a, "k", "hash-1", 0)
	if old, err := f.s.BeginIdempotency(ctx, first, at(0)); err != nil || old != nil {
		t.Fatalf("BeginIdempotency = %+v, %v", old, err)
	}
	it := f.catalogItem(t, a, false, paylinks.CatalogProduct, 0, nil)
	if err := f.s.CreateCatalogItem(ctx, it, first); err != nil {
		t.Fatalf("CreateCatalogItem with the record: %v", err)
	}
	again := idemRecord(a, "k", "hash-1", 61)
	if old, err := f.s.BeginIdempotency(ctx, again, at(61)); err != nil || old != nil || again.ObjectID == nil || *again.ObjectID != it.ID {
		t.Fatalf("the same request after the lapse: %+v, %v, object %v; want %s", old, err, again.ObjectID, it.ID)
	}
	late := f.catalogItem(t, a, false, paylinks.CatalogProduct, 1, nil)
	if err := f.s.CreateCatalogItem(ctx, late, first); !errors.Is(err, store.ErrKeyLost) {
		t.Errorf("CreateCatalogItem with a record that lost its key: got %v, want ErrKeyLost", err)
	}
	if _, err := f.s.GetCatalogItem(ctx, a.ID, false, paylinks.CatalogProduct, late.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("the refused create wrote its item: %v", err)
	}
}
