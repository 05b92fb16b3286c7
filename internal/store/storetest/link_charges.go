package storetest

import (
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

func testLinkCharges(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	multi := func(l *paylinks.Link) { l.Multiple = true }
	busy := f.newLink(t, a, false, 0, multi)  // 5 charges
	quiet := f.newLink(t, a, false, 0, multi) // 1 charge
	empty := f.newLink(t, a, false, 0, multi) // none
	other := f.newLink(t, b, false, 0, multi) // another account's, 1 charge
	live := f.newLink(t, a, true, 0, multi)   // another mode's, 1 charge

	var busyCharges []paylinks.Charge
	// Written newest first, so the store must order them.
	for sec := 5; sec >= 1; sec-- {
		c := f.charge(t, a, false, sec, func(c *paylinks.Charge) { c.LinkID = &busy.ID })
		if err := f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c}); err != nil {
			t.Fatal(err)
		}
		busyCharges = append([]paylinks.Charge{*c}, busyCharges...)
	}
	single := func(acc *paylinks.Account, livemode bool, l *paylinks.Link) *paylinks.Charge {
		c := f.charge(t, acc, livemode, 7, func(c *paylinks.Charge) { c.LinkID = &l.ID; c.Status = paylinks.ChargeFailed; c.PaidAt = nil })
		if err := f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	quietCharge := single(a, false, quiet)
	single(b, false, other)
	single(a, true, live)

	ids := []paylinks.ID{busy.ID, quiet.ID, empty.ID, other.ID, live.ID}
	charges, totals, err := f.s.LinkCharges(ctx, a.ID, false, ids, 3)
	wantErr(t, "LinkCharges", err, nil)
	check(t, "busy link's first 3 charges", charges[busy.ID], busyCharges[:3])
	check(t, "quiet link's charges", charges[quiet.ID], []paylinks.Charge{*quietCharge})
	wantTotals := map[paylinks.ID]int{busy.ID: 5, quiet.ID: 1}
	if len(totals) != len(wantTotals) || totals[busy.ID] != 5 || totals[quiet.ID] != 1 {
		t.Errorf("totals = %v, want %v", totals, wantTotals)
	}
	for name, id := range map[string]paylinks.ID{"empty": empty.ID, "other account": other.ID, "other mode": live.ID} {
		if _, ok := charges[id]; ok {
			t.Errorf("%s link has charges in the result", name)
		}
	}
	// Links read back carry their number of charges.
	got, err := f.s.GetLink(ctx, a.ID, false, busy.ID)
	if err != nil || got.ChargeCount != 5 {
		t.Errorf("GetLink(busy).ChargeCount = %v, %v; want 5", got, err)
	}
	// The hosted pages' read does not count them.
	if got, err := f.s.LinkBySlug(ctx, other.Slug); err != nil || got.ChargeCount != 0 {
		t.Errorf("LinkBySlug(other).ChargeCount = %v, %v; want 0 (not read)", got, err)
	}
	listed, _, err := f.s.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID})
	wantErr(t, "ListLinks", err, nil)
	counts := map[paylinks.ID]int{}
	for _, l := range listed {
		counts[l.ID] = l.ChargeCount
	}
	if counts[busy.ID] != 5 || counts[quiet.ID] != 1 || counts[empty.ID] != 0 || len(counts) != 3 {
		t.Errorf("listed charge counts = %v", counts)
	}
	// SkipChargeCount: the same links, each with ChargeCount 0.
	skipped, _, err := f.s.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, SkipChargeCount: true})
	wantErr(t, "ListLinks(SkipChargeCount)", err, nil)
	if len(skipped) != len(listed) {
		t.Errorf("ListLinks(SkipChargeCount): got %d links, want %d", len(skipped), len(listed))
	}
	for i, l := range skipped {
		if i < len(listed) && l.ID != listed[i].ID {
			t.Errorf("ListLinks(SkipChargeCount): link %d is %v, want %v", i, l.ID, listed[i].ID)
		}
		if l.ChargeCount != 0 {
			t.Errorf("ListLinks(SkipChargeCount): link %v has ChargeCount %d, want 0", l.ID, l.ChargeCount)
		}
	}
	charges, totals, err = f.s.LinkCharges(ctx, a.ID, false, nil, 3)
	if err != nil || len(charges) != 0 || len(totals) != 0 {
		t.Errorf("no links: %v %v %v", charges, totals, err)
	}
}
