package storetest

import (
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// authorization is a charge authorized at sec, uncaptured, expiring at
// expires.
func (f *fixture) authorization(t *testing.T, a *paylinks.Account, sec, expires int) *paylinks.Charge {
	t.Helper()
	c := f.charge(t, a, false, sec, func(c *paylinks.Charge) {
		c.Status, c.Capture, c.PaidAt = paylinks.ChargePending, false, nil
		c.AuthorizedAmount, c.ExpiresAt = c.Amount, ptr(at(expires))
	})
	wantErr(t, "CreateCharge(authorization)", f.s.CreateCharge(t.Context(), store.ChargeWrite{Charge: c}), nil)
	return c
}

func testChargeOps(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	c := f.authorization(t, a, 1, 100)
	op := f.id(t)
	wantErr(t, "BeginChargeOp(other account)", f.s.BeginChargeOp(ctx, b.ID, false, c.ID, store.OpCapture, op, 5000, at(10)), paylinks.ErrNotFound)
	wantErr(t, "BeginChargeOp(past expires_at)", f.s.BeginChargeOp(ctx, a.ID, false, c.ID, store.OpCapture, op, 5000, at(100)), paylinks.ErrConflict)
	wantErr(t, "BeginChargeOp", f.s.BeginChargeOp(ctx, a.ID, false, c.ID, store.OpCapture, op, 5000, at(10)), nil)
	wantErr(t, "BeginChargeOp(another, while pending)", f.s.BeginChargeOp(ctx, a.ID, false, c.ID, store.OpReverse, f.id(t), 0, at(11)), paylinks.ErrConflict)
	if got, err := f.s.GetCharge(ctx, a.ID, false, c.ID); err != nil || got.PendingOp != store.OpCapture {
		t.Fatalf("charge with a capture pending: %+v, %v", got, err)
	}
	// Leased once, not again until the lease ends.
	ops, err := f.s.LeaseChargeOps(ctx, at(9), at(20), at(30), 10)
	if err != nil || len(ops) != 0 {
		t.Errorf("LeaseChargeOps(before the op) = %d, %v; want none", len(ops), err)
	}
	ops, err = f.s.LeaseChargeOps(ctx, at(10), at(20), at(30), 10)
	if err != nil || len(ops) != 1 || ops[0].OpID != op || ops[0].Amount != 5000 || ops[0].Op != store.OpCapture || ops[0].Charge.ID != c.ID {
		t.Fatalf("LeaseChargeOps = %+v, %v; want the capture", ops, err)
	}
	if ops, err := f.s.LeaseChargeOps(ctx, at(10), at(29), at(40), 10); err != nil || len(ops) != 0 {
		t.Errorf("LeaseChargeOps while leased = %d, %v; want none", len(ops), err)
	}
	u := *c
	u.Status, u.CapturedAmount, u.PaidAt, u.TransactionID = paylinks.ChargeSuccessful, 5000, ptr(at(12)), ptr(f.id(t))
	ev := f.event(t, a.ID, false, "charge.capture", c.ID, 12)
	wantErr(t, "FinishChargeOp(other op)", f.s.FinishChargeOp(ctx, &u, f.id(t), []paylinks.Event{*ev}), store.ErrAttemptSettled)
	wantErr(t, "FinishChargeOp", f.s.FinishChargeOp(ctx, &u, op, []paylinks.Event{*ev}), nil)
	wantErr(t, "FinishChargeOp(again)", f.s.FinishChargeOp(ctx, &u, op, nil), store.ErrAttemptSettled)
	got, err := f.s.GetCharge(ctx, a.ID, false, c.ID)
	wantErr(t, "GetCharge", err, nil)
	check(t, "captured charge", got, &u)
	if _, err := f.s.GetEvent(ctx, a.ID, false, ev.ID); err != nil {
		t.Errorf("capture event: %v", err)
	}
	wantErr(t, "BeginChargeOp(captured)", f.s.BeginChargeOp(ctx, a.ID, false, c.ID, store.OpReverse, f.id(t), 0, at(13)), paylinks.ErrConflict)

	// An operation that moved no money is aborted: the charge is capturable again.
	d := f.authorization(t, a, 2, 100)
	op2 := f.id(t)
	wantErr(t, "BeginChargeOp(reverse)", f.s.BeginChargeOp(ctx, a.ID, false, d.ID, store.OpReverse, op2, 0, at(10)), nil)
	wantErr(t, "AbortChargeOp(other op)", f.s.AbortChargeOp(ctx, d.ID, f.id(t)), store.ErrAttemptSettled)
	wantErr(t, "AbortChargeOp", f.s.AbortChargeOp(ctx, d.ID, op2), nil)
	wantErr(t, "BeginChargeOp(after abort)", f.s.BeginChargeOp(ctx, a.ID, false, d.ID, store.OpReverse, f.id(t), 0, at(11)), nil)
}

func testExpireCharge(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	due := f.authorization(t, a, 1, 50)
	later := f.authorization(t, a, 2, 500)
	captured := f.charge(t, a, false, 3, func(c *paylinks.Charge) { c.AuthorizedAmount, c.CapturedAmount = c.Amount, c.Amount })
	wantErr(t, "CreateCharge", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: captured}), nil)

	cs, err := f.s.DueAuthorizations(ctx, at(60), 10)
	if err != nil || len(cs) != 1 || cs[0].ID != due.ID {
		t.Fatalf("DueAuthorizations = %d, %v; want the due one", len(cs), err)
	}
	u := *later
	u.Status, u.ExpiredAt = paylinks.ChargeExpired, ptr(at(60))
	wantErr(t, "ExpireCharge(not due, dueOnly)", f.s.ExpireCharge(ctx, &u, true, nil), paylinks.ErrConflict)
	wantErr(t, "ExpireCharge(not due, by the merchant)", f.s.ExpireCharge(ctx, &u, false, nil), nil)
	v := *due
	v.Status, v.ExpiredAt = paylinks.ChargeExpired, ptr(at(60))
	ev := f.event(t, a.ID, false, "charge.expire", due.ID, 60)
	wantErr(t, "ExpireCharge(due)", f.s.ExpireCharge(ctx, &v, true, []paylinks.Event{*ev}), nil)
	wantErr(t, "ExpireCharge(again)", f.s.ExpireCharge(ctx, &v, true, nil), paylinks.ErrConflict)
	got, err := f.s.GetCharge(ctx, a.ID, false, due.ID)
	wantErr(t, "GetCharge", err, nil)
	check(t, "expired charge", got, &v)
	w := *captured
	w.ExpiredAt = ptr(at(60))
	wantErr(t, "ExpireCharge(captured)", f.s.ExpireCharge(ctx, &w, false, nil), paylinks.ErrConflict)
	if cs, err := f.s.DueAuthorizations(ctx, at(1000), 10); err != nil || len(cs) != 0 {
		t.Errorf("DueAuthorizations after expiry = %d, %v; want none", len(cs), err)
	}
	upd := *captured
	upd.Description, upd.Metadata = "Order 7", map[string]string{"k": "v"}
	wantErr(t, "UpdateChargeDetails", f.s.UpdateChargeDetails(ctx, &upd, f.event(t, a.ID, false, "charge.update", captured.ID, 61)), nil)
	got, err = f.s.GetCharge(ctx, a.ID, false, captured.ID)
	wantErr(t, "GetCharge", err, nil)
	check(t, "updated charge", got, &upd)
}

func testRefunds(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	c := f.charge(t, a, false, 1, func(c *paylinks.Charge) { c.Amount, c.AuthorizedAmount, c.CapturedAmount = 10000, 10000, 10000 })
	wantErr(t, "CreateCharge", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c}), nil)
	refund := func(amount int64, sec int) *paylinks.Refund {
		return &paylinks.Refund{ID: f.id(t), AccountID: a.ID, ChargeID: c.ID, Amount: amount, Currency: "THB",
			Status: paylinks.RefundPending, Metadata: map[string]string{"why": "test"}, CreatedAt: at(sec)}
	}
	r1, r2, r3 := refund(6000, 2), refund(5000, 3), refund(4000, 4)
	wantErr(t, "BeginRefund", f.s.BeginRefund(ctx, r1, nil), nil)
	wantErr(t, "BeginRefund(beyond the captured amount)", f.s.BeginRefund(ctx, r2, nil), paylinks.ErrConflict)
	other := *r3
	other.AccountID = b.ID
	wantErr(t, "BeginRefund(other account)", f.s.BeginRefund(ctx, &other, nil), paylinks.ErrNotFound)
	if _, err := f.s.GetRefund(ctx, a.ID, false, r2.ID); err == nil {
		t.Error("a refused refund was written")
	}
	// r1 fails: its amount is refundable again, and r2 fits.
	failed := *r1
	failed.Status, failed.FailureCode, failed.FailureMessage = paylinks.RefundFailed, "failed_refund", "no"
	wantErr(t, "FinishRefund(failed)", f.s.FinishRefund(ctx, &failed, nil), nil)
	wantErr(t, "FinishRefund(again)", f.s.FinishRefund(ctx, &failed, nil), store.ErrAttemptSettled)
	wantErr(t, "BeginRefund(after a failed one)", f.s.BeginRefund(ctx, r2, nil), nil)
	wantErr(t, "BeginRefund(the rest)", f.s.BeginRefund(ctx, r3, nil), nil)
	if got, err := f.s.GetCharge(ctx, a.ID, false, c.ID); err != nil || got.RefundedAmount != 9000 {
		t.Errorf("refunded_amount = %+v, %v; want 9000", got, err)
	}
	rs, err := f.s.LeaseRefunds(ctx, at(3), at(10), at(20), 10)
	if err != nil || len(rs) != 1 || rs[0].ID != r2.ID {
		t.Errorf("LeaseRefunds = %d, %v; want r2 (r3 is newer, r1 settled)", len(rs), err)
	}
	closed := *r2
	closed.Status, closed.TransactionID = paylinks.RefundClosed, ptr(f.id(t))
	ev := f.event(t, a.ID, false, "refund.create", r2.ID, 5)
	wantErr(t, "FinishRefund(closed)", f.s.FinishRefund(ctx, &closed, []paylinks.Event{*ev}), nil)
	got, err := f.s.GetRefund(ctx, a.ID, false, r2.ID)
	wantErr(t, "GetRefund", err, nil)
	check(t, "closed refund", got, &closed)
	_, err = f.s.GetRefund(ctx, b.ID, false, r2.ID)
	wantErr(t, "GetRefund(other account)", err, paylinks.ErrNotFound)
	list, total, err := f.s.ListRefunds(ctx, paylinks.RefundFilter{AccountID: a.ID, ChargeID: &c.ID, Limit: 10})
	if err != nil || total != 3 || len(list) != 3 || list[0].ID != r1.ID || list[2].ID != r3.ID {
		t.Errorf("ListRefunds(charge) = %d of %d, %v; want r1, r2, r3", len(list), total, err)
	}
	list, total, err = f.s.ListRefunds(ctx, paylinks.RefundFilter{AccountID: a.ID, Order: paylinks.ReverseChronological, Limit: 1})
	if err != nil || total != 3 || len(list) != 1 || list[0].ID != r3.ID {
		t.Errorf("ListRefunds(all, newest) = %d of %d, %v; want r3 of 3", len(list), total, err)
	}
}

func testSearch(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	var links []*paylinks.Link
	for i := range 6 {
		links = append(links, f.newLink(t, a, false, i, func(l *paylinks.Link) {
			l.Used, l.Multiple, l.Amount = i%3 == 0, i%2 == 0, int64(1000*(i+1))
			if i == 4 {
				l.Title = "Special 100% teapot"
			}
		}))
	}
	yes, no := true, false
	for _, tt := range []struct {
		name string
		s    store.Search
		want []int
	}{
		{"used", store.Search{Used: &yes}, []int{0, 3}},
		{"unused", store.Search{Used: &no}, []int{1, 2, 4, 5}},
		{"multiple", store.Search{Multiple: &yes}, []int{0, 2, 4}},
		{"used, single", store.Search{Used: &yes, Multiple: &no}, []int{3}},
		{"amount 20..40", store.Search{Amount: []store.AmountBand{{Currencies: []string{"THB"}, Lo: 2000, Hi: 4000}}}, []int{1, 2, 3}},
		{"query with %", store.Search{Query: "100%"}, []int{4}},
		{"created 2..3", store.Search{From: at(2), To: at(3)}, []int{2, 3}},
		{"page 2 of 2, newest first", store.Search{Order: paylinks.ReverseChronological, Offset: 2, Limit: 2}, []int{3, 2}},
	} {
		tt.s.AccountID = a.ID
		if tt.s.Limit == 0 {
			tt.s.Limit = 10
		}
		got, total, err := f.s.SearchLinks(ctx, tt.s)
		var ids []paylinks.ID
		for _, l := range got {
			ids = append(ids, l.ID)
		}
		var want []paylinks.ID
		for _, i := range tt.want {
			want = append(want, links[i].ID)
		}
		wantTotal := len(want)
		if tt.s.Offset > 0 {
			wantTotal = len(links)
		}
		if err != nil || total != wantTotal {
			t.Errorf("SearchLinks(%s): total %d, %v; want %d", tt.name, total, err, wantTotal)
		}
		check(t, "SearchLinks("+tt.name+")", ids, want)
	}
	c1 := f.charge(t, a, false, 10, func(c *paylinks.Charge) { c.Description = "Blue mug" })
	c2 := f.charge(t, a, false, 11, func(c *paylinks.Charge) {
		c.Status, c.Card.LastDigits, c.PaidAt = paylinks.ChargeFailed, "0011", nil
	})
	for _, c := range []*paylinks.Charge{c1, c2} {
		wantErr(t, "CreateCharge", f.s.CreateCharge(ctx, store.ChargeWrite{Charge: c}), nil)
	}
	for _, tt := range []struct {
		name string
		s    store.Search
		want *paylinks.Charge
	}{
		{"failed", store.Search{Status: []paylinks.ChargeStatus{paylinks.ChargeFailed}}, c2},
		{"successful", store.Search{Status: []paylinks.ChargeStatus{paylinks.ChargeSuccessful}}, c1},
		{"last digits", store.Search{CardLastDigits: "0011"}, c2},
		{"query text", store.Search{Query: "blue"}, nil}, // LIKE is case-sensitive on PostgreSQL: checked below
		{"query id", store.Search{Query: "x", QueryID: &c2.ID}, c2},
		{"query last 4", store.Search{Query: "0011", QueryLast4: "0011"}, c2},
	} {
		tt.s.AccountID, tt.s.Limit = a.ID, 10
		got, total, err := f.s.SearchCharges(ctx, tt.s)
		if tt.want == nil {
			continue
		}
		if err != nil || total != 1 || len(got) != 1 || got[0].ID != tt.want.ID {
			t.Errorf("SearchCharges(%s) = %d of %d, %v; want one", tt.name, len(got), total, err)
		}
	}
	if got, total, err := f.s.SearchCharges(ctx, store.Search{AccountID: a.ID, Query: "Blue", Limit: 10}); err != nil || total != 1 || got[0].ID != c1.ID {
		t.Errorf("SearchCharges(description) = %d, %v; want c1", total, err)
	}
}
