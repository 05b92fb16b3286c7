package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// cryptoConfig returns an account's crypto settings for the mode.
func cryptoConfig(a *paylinks.Account, livemode bool, sec int) *paylinks.CryptoConfig {
	return &paylinks.CryptoConfig{AccountID: a.ID, Livemode: livemode,
		XPub:    "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj",
		ChainID: 1337, Confirmations: 3, SpreadBps: 150, ToleranceBps: 10, QuoteWindow: 15 * time.Minute,
		LateGrace: 10 * time.Minute, Methods: []paylinks.PaymentMethod{paylinks.MethodCard, paylinks.MethodETH},
		UpdatedAt: at(sec)}
}

// cryptoSession returns an unsaved open session with a crypto quote at the
// deposit index idx.
func (f *fixture) cryptoSession(t *testing.T, a *paylinks.Account, livemode bool, sec int, idx uint32, edit func(*paylinks.CheckoutSession)) *paylinks.CheckoutSession {
	t.Helper()
	return f.session(t, a, livemode, sec, func(s *paylinks.CheckoutSession) {
		s.Crypto = &paylinks.SessionCrypto{Index: idx, Address: fmt.Sprintf("0xAbC%037x", idx), ChainID: 1337,
			QuoteWei: "32860000000000000001", EthPrice: "3012.45", RateSources: []string{"coinbase", "kraken"},
			RateAt: at(sec - 5), SpreadBps: 150, ToleranceBps: 10, Confirmations: 3, LateGrace: 10 * time.Minute,
			Status: paylinks.CryptoPending, ReceivedWei: "0", WatchUntil: at(sec + 1800 + 600 + 86400), UpdatedAt: at(sec)}
		if edit != nil {
			edit(s)
		}
	})
}

func testCryptoConfig(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	_, err := f.s.GetCryptoConfig(ctx, a.ID, false)
	wantErr(t, "GetCryptoConfig before", err, paylinks.ErrNotFound)
	_, err = f.s.AllocateDepositIndex(ctx, a.ID, false)
	wantErr(t, "AllocateDepositIndex without settings", err, paylinks.ErrNotFound)

	c := cryptoConfig(a, false, 1)
	wantErr(t, "PutCryptoConfig", f.s.PutCryptoConfig(ctx, c), nil)
	got, err := f.s.GetCryptoConfig(ctx, a.ID, false)
	wantErr(t, "GetCryptoConfig", err, nil)
	check(t, "GetCryptoConfig", got, c)
	_, err = f.s.GetCryptoConfig(ctx, a.ID, true)
	wantErr(t, "GetCryptoConfig of the other mode", err, paylinks.ErrNotFound)
	_, err = f.s.GetCryptoConfig(ctx, b.ID, false)
	wantErr(t, "GetCryptoConfig of another account", err, paylinks.ErrNotFound)

	for want := uint32(0); want < 3; want++ {
		idx, err := f.s.AllocateDepositIndex(ctx, a.ID, false)
		wantErr(t, "AllocateDepositIndex", err, nil)
		if idx != want {
			t.Errorf("AllocateDepositIndex = %d, want %d", idx, want)
		}
	}
	// New settings keep the counter: an index is never handed out twice.
	c2 := cryptoConfig(a, false, 2)
	c2.Confirmations, c2.Methods, c2.ChainID = 6, []paylinks.PaymentMethod{paylinks.MethodETH}, 1
	wantErr(t, "PutCryptoConfig again", f.s.PutCryptoConfig(ctx, c2), nil)
	got, err = f.s.GetCryptoConfig(ctx, a.ID, false)
	wantErr(t, "GetCryptoConfig after", err, nil)
	c2.NextIndex = 3
	check(t, "GetCryptoConfig after", got, c2)
	if idx, err := f.s.AllocateDepositIndex(ctx, a.ID, false); err != nil || idx != 3 {
		t.Errorf("AllocateDepositIndex after new settings = %d, %v; want 3", idx, err)
	}
}

func testAllocateDepositIndexConcurrent(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	wantErr(t, "PutCryptoConfig", f.s.PutCryptoConfig(ctx, cryptoConfig(a, true, 1)), nil)
	const n = 200
	got := make([]uint32, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = f.s.AllocateDepositIndex(ctx, a.ID, true) })
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("AllocateDepositIndex %d: %v", i, errs[i])
		}
		if seen[got[i]] || got[i] >= n {
			t.Fatalf("index %d handed out twice or beyond %d", got[i], n)
		}
		seen[got[i]] = true
	}
}

func testSessionCrypto(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	l := f.newLink(t, a, false, 0, nil) // single-use
	s := f.cryptoSession(t, a, false, 10, 0, func(s *paylinks.CheckoutSession) { s.LinkID = &l.ID })
	wantErr(t, "CreateSession", f.s.CreateSession(ctx, s, f.event(t, a.ID, false, "session.create", s.ID, 10), nil), nil)
	plain := f.newSession(t, a, false, 11, nil)
	_, err := f.s.SessionCrypto(ctx, plain.ID)
	wantErr(t, "SessionCrypto of a card session", err, paylinks.ErrNotFound)
	got, err := f.s.SessionCrypto(ctx, s.ID)
	wantErr(t, "SessionCrypto", err, nil)
	check(t, "SessionCrypto", got, s.Crypto)
	// A second session may not take the same index.
	dup := f.cryptoSession(t, a, false, 12, 0, nil)
	wantErr(t, "CreateSession with a used index", f.s.CreateSession(ctx, dup, f.event(t, a.ID, false, "session.create", dup.ID, 12), nil), paylinks.ErrConflict)

	addr := s.Crypto.Address
	w, err := f.s.WatchedAddresses(ctx, 1337, []string{"0x0000000000000000000000000000000000000001", addr}, at(20))
	wantErr(t, "WatchedAddresses", err, nil)
	check(t, "WatchedAddresses", w, []string{toLower(addr)})
	w, err = f.s.WatchedAddresses(ctx, 1, []string{addr}, at(20))
	wantErr(t, "WatchedAddresses on another chain", err, nil)
	check(t, "WatchedAddresses on another chain", len(w), 0)
	w, err = f.s.WatchedAddresses(ctx, 1337, []string{addr}, s.Crypto.WatchUntil)
	wantErr(t, "WatchedAddresses when no longer watched", err, nil)
	check(t, "WatchedAddresses when no longer watched", len(w), 0)

	byAddr, err := f.s.SessionsByAddress(ctx, 1337, toLower(addr))
	wantErr(t, "SessionsByAddress", err, nil)
	check(t, "SessionsByAddress", byAddr, []paylinks.CheckoutSession{*s})

	// detected: a state change and its event.
	next := *s.Crypto
	next.Status, next.ReceivedWei, next.UpdatedAt = paylinks.CryptoDetected, "32860000000000000001", at(30)
	next.Transfers = []paylinks.CryptoTransfer{{TxHash: "0xaa", Wei: "32860000000000000001", BlockNumber: 7, BlockTime: at(29), Confirmations: 1}}
	ev := f.event(t, a.ID, false, "session.detected", s.ID, 30)
	wantErr(t, "UpdateSessionCrypto", f.s.UpdateSessionCrypto(ctx, store.CryptoWrite{SessionID: s.ID, State: &next,
		Events: []paylinks.Event{*ev}, Now: at(30)}), nil)
	got, err = f.s.SessionCrypto(ctx, s.ID)
	wantErr(t, "SessionCrypto after", err, nil)
	next.Version = 1
	check(t, "SessionCrypto after", got, &next)
	gotEv, err := f.s.GetEvent(ctx, a.ID, false, ev.ID)
	wantErr(t, "GetEvent", err, nil)
	check(t, "GetEvent", gotEv, ev)

	// A write from a stale read is refused, with nothing written.
	stale := next
	stale.Version, stale.Status = 0, paylinks.CryptoUnderpaid
	ev2 := f.event(t, a.ID, false, "session.underpaid", s.ID, 31)
	wantErr(t, "UpdateSessionCrypto from a stale read", f.s.UpdateSessionCrypto(ctx, store.CryptoWrite{SessionID: s.ID,
		State: &stale, Events: []paylinks.Event{*ev2}, Now: at(31)}), paylinks.ErrConflict)
	_, err = f.s.GetEvent(ctx, a.ID, false, ev2.ID)
	wantErr(t, "GetEvent of the refused write", err, paylinks.ErrNotFound)

	// paid: the charge is recorded, the session completed, the link used.
	paid := next
	paid.Status, paid.PaidAt, paid.UpdatedAt = paylinks.CryptoPaid, ptr(at(40)), at(40)
	paid.Transfers[0].Confirmations = 3
	c := f.charge(t, a, false, 40, func(c *paylinks.Charge) {
		c.LinkID, c.SessionID, c.Amount, c.Currency, c.Card, c.IP = &l.ID, &s.ID, s.Amount, s.Currency, paylinks.Card{}, ""
	})
	cw := store.CryptoWrite{SessionID: s.ID, State: &paid, Charge: c, Now: at(40),
		Events: []paylinks.Event{*f.event(t, a.ID, false, "session.paid", s.ID, 40)}}
	wantErr(t, "UpdateSessionCrypto paid", f.s.UpdateSessionCrypto(ctx, cw), nil)
	wantCharge(t, f, "crypto charge", store.ChargeWrite{Charge: c, Events: cw.Events}, true)
	sess, err := f.s.GetSession(ctx, a.ID, false, s.ID)
	wantErr(t, "GetSession", err, nil)
	if sess.Status != paylinks.SessionComplete || sess.ChargeID == nil || *sess.ChargeID != c.ID || !sess.CompletedAt.Equal(at(40)) {
		t.Errorf("session after the crypto payment: %s, charge %v, completed %v", sess.Status, sess.ChargeID, sess.CompletedAt)
	}
	gotLink, err := f.s.GetLink(ctx, a.ID, false, l.ID)
	wantErr(t, "GetLink", err, nil)
	if !gotLink.Used || gotLink.UsedAt == nil || !gotLink.UsedAt.Equal(at(40)) {
		t.Errorf("link after the crypto payment: used %v at %v", gotLink.Used, gotLink.UsedAt)
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func testExpiredCryptoSessions(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	s1 := f.cryptoSession(t, a, false, 10, 0, nil) // expires at 1810
	s2 := f.cryptoSession(t, a, true, 20, 0, nil)  // 1820
	s3 := f.cryptoSession(t, a, false, 30, 1, func(s *paylinks.CheckoutSession) { s.Crypto.Status = paylinks.CryptoDetected })
	for _, s := range []*paylinks.CheckoutSession{s1, s2, s3} {
		wantErr(t, "CreateSession", f.s.CreateSession(ctx, s, f.event(t, a.ID, s.Livemode, "session.create", s.ID, 10), nil), nil)
	}
	f.newSession(t, a, false, 5, nil) // no crypto
	for _, tt := range []struct {
		now   int
		limit int
		want  []paylinks.CheckoutSession
	}{
		{1809, 10, []paylinks.CheckoutSession{}},
		{1810, 10, []paylinks.CheckoutSession{*s1}},
		{5000, 10, []paylinks.CheckoutSession{*s1, *s2}},
		{5000, 1, []paylinks.CheckoutSession{*s1}},
	} {
		got, err := f.s.ExpiredCryptoSessions(ctx, at(tt.now), tt.limit)
		wantErr(t, "ExpiredCryptoSessions", err, nil)
		check(t, fmt.Sprintf("ExpiredCryptoSessions at %d", tt.now), got, tt.want)
	}
}
