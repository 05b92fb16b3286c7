package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// sessionCart is a cart as a payment records it, with every field set.
func (f *fixture) sessionCart(t *testing.T) *paylinks.SessionCart {
	t.Helper()
	coupon, promo, ship := f.id(t), f.id(t), f.id(t)
	return &paylinks.SessionCart{
		Lines: []paylinks.SessionLine{
			{PriceID: f.id(t), ProductID: f.id(t), ProductName: "Mug", UnitAmount: 1500, Quantity: 3, Amount: 4500, Discount: 450, Tax: 283, Total: 4333},
			{PriceID: f.id(t), ProductID: f.id(t), ProductName: "Tee", UnitAmount: 2000, Quantity: 1, Amount: 2000, Discount: 200, Tax: 126, Total: 1926},
		},
		Breakdown:       paylinks.CartBreakdown{Subtotal: 6500, Discount: 650, Shipping: 500, Tax: 444, InclusiveTax: 0, Total: 6794},
		CouponID:        &coupon,
		PromotionCodeID: &promo, PromotionCode: "SAVE10",
		ShippingRateID: &ship, ShippingName: "Standard",
		ShippingAddress:   &paylinks.Address{Name: "A Payer", Line1: "1 Road", City: "Bangkok", PostalCode: "10110", Country: "TH"},
		BillingAddress:    &paylinks.Address{Name: "A Payer", Line1: "2 Street", City: "Austin", State: "TX", Country: "US"},
		TaxIDs:            []paylinks.TaxID{{Type: "eu_vat", Value: "DE123456789"}},
		Consent:           &paylinks.Consent{TermsOfService: true},
		CustomFields:      []paylinks.CustomFieldValue{{Key: "engraving", Label: "Engraving", Type: "text", Value: "hi"}},
		ClientReferenceID: "order-7",
	}
}

// testAttemptCart: an attempt keeps its cart and redemptions; a session
// keeps its cart; BeginAttempt redeems the attempt's items in its own
// write, and a declined charge or a void gives them back; a used-up item
// refuses the attempt with nothing written.
func testAttemptCart(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, nil)
	coupon := f.newCatalogItem(t, a, false, paylinks.CatalogCoupon, 0, func(it *paylinks.CatalogItem) { it.MaxRedemptions = 1 })
	promo := f.newCatalogItem(t, a, false, paylinks.CatalogPromotionCode, 0, func(it *paylinks.CatalogItem) { it.Key = "SAVE10" })
	times := func(what string, it *paylinks.CatalogItem, want int) {
		t.Helper()
		got, err := f.s.GetCatalogItem(ctx, a.ID, false, it.Kind, it.ID)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.TimesRedeemed != want {
			t.Errorf("%s: %s times redeemed %d, want %d", what, it.Kind, got.TimesRedeemed, want)
		}
	}
	cart := f.sessionCart(t)
	newAttempt := func(sec int) *store.PaymentAttempt {
		return f.attempt(t, a, store.AttemptLink, sec, func(pa *store.PaymentAttempt) {
			pa.LinkID, pa.Cart, pa.Redeems = &l.ID, cart, []paylinks.ID{promo.ID, coupon.ID}
		})
	}

	pa := newAttempt(1)
	wantErr(t, "BeginAttempt with redemptions", f.s.BeginAttempt(ctx, pa, nil, at(1), at(10)), nil)
	f.wantAttempt(t, "after BeginAttempt", pa, store.AttemptPending, nil)
	times("after BeginAttempt", coupon, 1)
	times("after BeginAttempt", promo, 1)

	used := newAttempt(2)
	wantErr(t, "BeginAttempt with a used-up coupon", f.s.BeginAttempt(ctx, used, nil, at(2), at(10)), store.ErrRedemptionRefused)
	if _, err := f.s.GetAttempt(ctx, used.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("GetAttempt of a refused attempt: %v, want ErrNotFound", err)
	}
	times("after a refused attempt", promo, 1)

	// A declined charge gives the redemptions back.
	sess := f.session(t, a, false, 3, func(s *paylinks.CheckoutSession) { s.LinkID = &l.ID })
	c := f.attemptCharge(t, a, pa, paylinks.ChargeFailed, 3)
	c.SessionID = &sess.ID
	w := store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), AttemptID: &pa.ID}, NewSession: sess}
	wantErr(t, "PaySession (declined)", f.s.PaySession(ctx, w), nil)
	times("after a declined charge", coupon, 0)
	times("after a declined charge", promo, 0)

	// A void gives them back too.
	pa = newAttempt(4)
	wantErr(t, "BeginAttempt again", f.s.BeginAttempt(ctx, pa, nil, at(4), at(10)), nil)
	times("after BeginAttempt again", coupon, 1)
	wantErr(t, "VoidAttempt", f.s.VoidAttempt(ctx, pa.ID), nil)
	times("after VoidAttempt", coupon, 0)
	times("after VoidAttempt", promo, 0)

	// A successful charge keeps them, and the session keeps the cart.
	pa = newAttempt(5)
	wantErr(t, "BeginAttempt a third time", f.s.BeginAttempt(ctx, pa, nil, at(5), at(10)), nil)
	sess = f.session(t, a, false, 6, func(s *paylinks.CheckoutSession) {
		s.LinkID, s.Cart, s.Status, s.CompletedAt = &l.ID, cart, paylinks.SessionComplete, ptr(at(6))
	})
	c = f.attemptCharge(t, a, pa, paylinks.ChargeSuccessful, 6)
	c.SessionID = &sess.ID
	sess.ChargeID = &c.ID
	w = store.SessionChargeWrite{ChargeWrite: store.ChargeWrite{Charge: c, Events: f.chargeEvents(t, c), AttemptID: &pa.ID}, NewSession: sess}
	wantErr(t, "PaySession", f.s.PaySession(ctx, w), nil)
	f.wantAttempt(t, "after its charge", pa, store.AttemptSucceeded, &c.ID)
	times("after a successful charge", coupon, 1)
	times("after a successful charge", promo, 1)
	got, err := f.s.GetSession(ctx, a.ID, false, sess.ID)
	wantErr(t, "GetSession", err, nil)
	if err == nil {
		check(t, "GetSession", got, sess)
	}
	list, err := f.s.ListSessions(ctx, paylinks.SessionFilter{AccountID: a.ID})
	wantErr(t, "ListSessions", err, nil)
	for _, s := range list {
		if s.ID == sess.ID {
			check(t, "ListSessions", &s, sess)
		}
	}
}

// testAttemptRedeemConcurrent: 30 attempts redeeming one promotion code of
// max_redemptions 5 at once: exactly 5 are written.
func testAttemptRedeemConcurrent(t *testing.T, f *fixture) {
	const payers, limit = 30, 5
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, nil)
	promo := f.newCatalogItem(t, a, false, paylinks.CatalogPromotionCode, 0, func(it *paylinks.CatalogItem) {
		it.Key, it.MaxRedemptions = "FIVE", limit
	})
	attempts := make([]*store.PaymentAttempt, payers)
	for i := range attempts {
		attempts[i] = f.attempt(t, a, store.AttemptLink, 1, func(pa *store.PaymentAttempt) {
			pa.LinkID, pa.Redeems = &l.ID, []paylinks.ID{promo.ID}
		})
	}
	errs := make([]error, payers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range payers {
		wg.Go(func() {
			<-start
			errs[i] = f.s.BeginAttempt(ctx, attempts[i], nil, at(2), at(10))
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrRedemptionRefused):
			t.Errorf("payer %d: got %v, want nil or ErrRedemptionRefused", i, err)
		}
	}
	if won != limit {
		t.Errorf("concurrent attempts: %d written, want %d", won, limit)
	}
	got, err := f.s.GetCatalogItem(ctx, a.ID, false, paylinks.CatalogPromotionCode, promo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TimesRedeemed != limit {
		t.Errorf("times redeemed: got %d, want %d", got.TimesRedeemed, limit)
	}
}
