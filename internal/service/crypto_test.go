package service_test

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// The BIP39 test mnemonic's account xpub and its first addresses (see
// internal/hdwallet).
const testXPub = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt"

var testAddresses = []string{"0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"}

func TestQuoteWei(t *testing.T) {
	for _, tt := range []struct {
		amount   int64
		currency string
		price    string
		spread   int
		want     string
		eth      string
	}{
		{9900, "USD", "3000", 0, "33000000000000000", "0.033"},
		{9900, "USD", "3000", 150, "33495000000000000", "0.033495"},
		{1, "USD", "3", 0, "3333333333333334", "0.003333333333333334"}, // rounded up
		{1000, "JPY", "450000.5", 0, "2222219753089164", "0.002222219753089164"},
		{1000, "KWD", "1000", 0, "1000000000000000", "0.001"},
		{300000, "USD", "3000", 0, "1000000000000000000", "1"},
		{9900, "THB", "101234.56", 250, "1002375078234153", "0.001002375078234153"},
	} {
		got, err := service.QuoteWei(tt.amount, tt.currency, tt.price, tt.spread)
		if err != nil {
			t.Fatalf("QuoteWei(%d %s at %s): %v", tt.amount, tt.currency, tt.price, err)
		}
		if got.String() != tt.want || service.FormatEther(got) != tt.eth {
			t.Errorf("QuoteWei(%d %s at %s, %d bps) = %s (%s ETH), want %s (%s)", tt.amount, tt.currency, tt.price, tt.spread,
				got, service.FormatEther(got), tt.want, tt.eth)
		}
	}
	for _, bad := range []string{"", "0", "0.0", "-1", "1e3", "abc", "1.2.3", " 3000", "3,000"} {
		if _, err := service.QuoteWei(100, "USD", bad, 0); err == nil {
			t.Errorf("QuoteWei at price %q: no error", bad)
		}
	}
}

// cryptoEnv is a payEnv whose test mode offers ETH at a fixed 3000 per
// ETH, with a clock the test moves.
type cryptoEnv struct {
	*payEnv
	clock *clock
}

func newCryptoEnv(t *testing.T, backend string, opt service.Options) *cryptoEnv {
	t.Helper()
	c := newClock()
	opt.Now = c.now
	if opt.EthTestRate == "" && opt.Rates == nil {
		opt.EthTestRate = "3000"
	}
	e := &cryptoEnv{payEnv: newPayEnv(t, backend, opt), clock: c}
	if _, err := e.svc.ConfigureCrypto(context.Background(), service.CryptoSettings{AccountID: e.secret.AccountID,
		XPub: testXPub, ChainID: 1337, ToleranceBps: 0}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *cryptoEnv) session(t *testing.T, p service.SessionParams) *paylinks.CheckoutSession {
	t.Helper()
	if p.LinkID == nil && p.Amount == 0 {
		p.Amount, p.Currency = 9900, "USD"
	}
	s, err := e.svc.CreateSession(context.Background(), e.secret, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pay sends a simulated payment through the test helper.
func (e *cryptoEnv) pay(t *testing.T, s *paylinks.CheckoutSession, p service.SimulatedPayment) *paylinks.CheckoutSession {
	t.Helper()
	e.clock.add(time.Second) // events in order
	got, err := e.svc.SimulateCryptoPayment(context.Background(), e.secret, s.ID, s.ID.String(), p)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// events returns the keys of the test events about object id, oldest first.
func (e *cryptoEnv) events(t *testing.T, id paylinks.ID) []string {
	t.Helper()
	evs, _, err := e.svc.ListEvents(context.Background(), e.secret, store.EventFilter{Limit: 100, Order: paylinks.Chronological})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ev := range evs {
		if ev.ObjectID == id {
			keys = append(keys, ev.Key)
		}
	}
	return keys
}

func wantStatus(t *testing.T, s *paylinks.CheckoutSession, want paylinks.CryptoStatus, received string) {
	t.Helper()
	if s.Crypto == nil {
		t.Fatal("the session has no crypto state")
	}
	if s.Crypto.Status != want || s.Crypto.ReceivedWei != received {
		t.Errorf("crypto status %s, received %s; want %s, %s", s.Crypto.Status, s.Crypto.ReceivedWei, want, received)
	}
}

func TestCryptoSessionQuote(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e := newCryptoEnv(t, backend, service.Options{})
		now := e.clock.now()
		s := e.session(t, service.SessionParams{})
		c := s.Crypto
		if c == nil {
			t.Fatal("no quote")
		}
		if c.Address != testAddresses[0] || c.Index != 0 || c.ChainID != 1337 || c.QuoteWei != "33000000000000000" ||
			c.EthPrice != "3000" || !c.RateFixed || c.Status != paylinks.CryptoPending || c.Confirmations != 3 {
			t.Errorf("quote = %+v", c)
		}
		if !s.ExpiresAt.Equal(now.Add(15 * time.Minute)) {
			t.Errorf("expiresAt = %v, want the quote window's end %v", s.ExpiresAt, now.Add(15*time.Minute))
		}
		got, err := e.svc.GetSession(ctx, e.secret, s.ID, "x")
		if err != nil {
			t.Fatal(err)
		}
		if got.Crypto == nil || got.Crypto.Address != c.Address || got.Crypto.QuoteWei != c.QuoteWei {
			t.Errorf("GetSession's crypto = %+v", got.Crypto)
		}
		if s2 := e.session(t, service.SessionParams{}); s2.Crypto.Address != testAddresses[1] {
			t.Errorf("second session's address = %s, want %s", s2.Crypto.Address, testAddresses[1])
		}
		// The quote window is expiresAt when one is given.
		exp := now.Add(time.Hour)
		if s3 := e.session(t, service.SessionParams{ExpiresAt: exp}); !s3.ExpiresAt.Equal(exp) || s3.Crypto == nil {
			t.Errorf("expiresAt given: %v, crypto %v", s3.ExpiresAt, s3.Crypto != nil)
		}
		// Live mode without a chain watcher offers no ETH.
		if _, err := e.svc.ConfigureCrypto(ctx, service.CryptoSettings{AccountID: e.secret.AccountID, Livemode: true,
			XPub: testXPub, ChainID: 1}); err != nil {
			t.Fatal(err)
		}
		live, err := e.svc.CreateSession(ctx, e.liveSecr, service.SessionParams{Amount: 9900, Currency: "USD"})
		if err != nil {
			t.Fatal(err)
		}
		if live.Crypto != nil {
			t.Error("a live session without a node offers ETH")
		}
	})
}

func TestCryptoSessionNoRate(t *testing.T) {
	ctx := context.Background()
	e := newCryptoEnv(t, "sqlite", service.Options{Rates: failingFeed{}})
	_, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{Amount: 9900, Currency: "USD"})
	wantKind(t, "CreateSession without a fresh rate", err, paylinks.KindUnavailable, "rate_unavailable", "")
	if e := paylinks.AsError(err); e != nil && !strings.Contains(e.Message, "no fresh ETH price in USD") {
		t.Errorf("message %q", e.Message)
	}
	// Nothing written, no index spent on a session.
	if p, err := e.svc.SessionPage(ctx, e.secret, service.CursorPage{Limit: 10}); err != nil || len(p.Items) != 0 {
		t.Errorf("sessions after the refusal: %v, %v", p, err)
	}
	// A payer-chosen amount cannot be quoted: the session is card only.
	l := e.link(t, e.secret, service.LinkParams{Amount: 0, Currency: "USD", Multiple: true})
	s, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
	if err != nil || s.Crypto != nil {
		t.Errorf("session of an amount-0 link: %v, crypto %v", err, s != nil && s.Crypto != nil)
	}
}

type failingFeed struct{}

func (failingFeed) Rate(context.Context, string) (paylinks.EthRate, error) {
	return paylinks.EthRate{}, errors.Join(service.ErrNoFreshRate, errors.New("coinbase: stale"))
}

func TestConfigureCryptoRefuses(t *testing.T) {
	ctx := context.Background()
	e := newCryptoEnv(t, "sqlite", service.Options{})
	id := e.secret.AccountID
	for _, tt := range []struct {
		name  string
		in    service.CryptoSettings
		code  string
		param string
	}{
		{"xprv", service.CryptoSettings{XPub: "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM", ChainID: 1}, "xprv_refused", "xpub"},
		{"garbage", service.CryptoSettings{XPub: "xpub123", ChainID: 1}, "invalid_xpub", "xpub"},
		{"no chain", service.CryptoSettings{XPub: testXPub}, "invalid_chain_id", "chain_id"},
		{"window too short", service.CryptoSettings{XPub: testXPub, ChainID: 1, QuoteWindow: time.Minute}, "invalid_quote_window", "quote_window"},
		{"window too long", service.CryptoSettings{XPub: testXPub, ChainID: 1, QuoteWindow: 25 * time.Hour}, "invalid_quote_window", "quote_window"},
		{"spread", service.CryptoSettings{XPub: testXPub, ChainID: 1, SpreadBps: -1}, "invalid_spread", "spread"},
		{"method", service.CryptoSettings{XPub: testXPub, ChainID: 1, Methods: []paylinks.PaymentMethod{"btc"}}, "invalid_method", "methods"},
	} {
		tt.in.AccountID = id
		_, err := e.svc.ConfigureCrypto(ctx, tt.in)
		wantKind(t, tt.name, err, paylinks.KindInvalid, tt.code, tt.param)
	}
}

// TestCryptoStateMachine walks sessions through the state machine by the
// test helper and by the sink, as the watcher calls it, on both stores.
func TestCryptoStateMachine(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e := newCryptoEnv(t, backend, service.Options{})
		sink := e.svc.CryptoSink()

		t.Run("detected then paid", func(t *testing.T) {
			l := e.link(t, e.secret, service.LinkParams{Amount: 9900, Currency: "USD"}) // single-use
			s := e.session(t, service.SessionParams{LinkID: &l.ID})
			addr := strings.ToLower(s.Crypto.Address)
			watched, err := sink.Watched(ctx, 1337, []string{addr, "0x0000000000000000000000000000000000000001"})
			if err != nil || len(watched) != 1 || !watched[addr] {
				t.Fatalf("Watched = %v, %v", watched, err)
			}
			e.clock.add(time.Second)
			tx := chain.Transfer{TxHash: "0xAB01", To: addr, Wei: big.NewInt(33000000000000000), BlockNumber: 10,
				BlockTime: e.clock.now(), Confirmations: 1}
			act := chain.Activity{ChainID: 1337, Address: addr, Head: 10, Transfers: []chain.Transfer{tx}}
			if err := sink.Observe(ctx, []chain.Activity{act}); err != nil {
				t.Fatal(err)
			}
			got, _ := e.svc.GetSession(ctx, e.secret, s.ID, "x")
			wantStatus(t, got, paylinks.CryptoDetected, "33000000000000000")
			if got.Status != paylinks.SessionOpen || got.Crypto.Transfers[0].TxHash != "0xab01" {
				t.Errorf("session %s, transfers %+v", got.Status, got.Crypto.Transfers)
			}
			// The same activity again changes nothing.
			if err := sink.Observe(ctx, []chain.Activity{act}); err != nil {
				t.Fatal(err)
			}
			tx.Confirmations, act.Head = 3, 12
			act.Transfers = []chain.Transfer{tx}
			e.clock.add(30 * time.Second)
			for range 2 { // twice: one charge, one event
				if err := sink.Observe(ctx, []chain.Activity{act}); err != nil {
					t.Fatal(err)
				}
			}
			got, _ = e.svc.GetSession(ctx, e.secret, s.ID, "x")
			wantStatus(t, got, paylinks.CryptoPaid, "33000000000000000")
			if got.Status != paylinks.SessionComplete || got.ChargeID == nil || got.Crypto.PaidAt == nil {
				t.Fatalf("session %s, charge %v, paidAt %v", got.Status, got.ChargeID, got.Crypto.PaidAt)
			}
			c, err := e.svc.SessionCharge(ctx, got)
			if err != nil {
				t.Fatal(err)
			}
			if c.SourceType != "crypto" || c.Amount != 9900 || c.Currency != "USD" || c.Status != paylinks.ChargeSuccessful ||
				c.LinkID == nil || *c.LinkID != l.ID {
				t.Errorf("charge = %+v", c)
			}
			if keys := strings.Join(e.events(t, s.ID), " "); keys != "session.create session.detected session.complete" {
				t.Errorf("session events: %s", keys)
			}
			ckeys := e.events(t, c.ID) // written at one instant: in any order
			slices.Sort(ckeys)
			if keys := strings.Join(ckeys, " "); keys != "charge.complete charge.create" {
				t.Errorf("charge events: %s", keys)
			}
			// The single-use link is used, as by a card payment.
			gl, err := e.svc.GetLink(ctx, e.secret, l.ID, "x")
			if err != nil || !gl.Used {
				t.Errorf("link used = %v, %v", gl != nil && gl.Used, err)
			}
			_, err = e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
			wantKind(t, "a session of the used link", err, paylinks.KindConflict, "link_used", "link_id")
			// A card payment of the paid session is refused.
			_, _, err = e.svc.PaySession(ctx, service.PaySessionParams{SessionID: s.ID, Card: goodCard("4242424242424242")})
			wantKind(t, "card payment of a paid session", err, paylinks.KindGone, "session_complete", "")
		})

		t.Run("reorg back to pending", func(t *testing.T) {
			s := e.session(t, service.SessionParams{})
			got := e.pay(t, s, service.SimulatedPayment{Confirmations: 1})
			wantStatus(t, got, paylinks.CryptoDetected, s.Crypto.QuoteWei)
			// The watcher reports the address's activity without the transfer.
			act := chain.Activity{ChainID: 1337, Address: strings.ToLower(s.Crypto.Address), Head: 1_000_005}
			e.clock.add(time.Second)
			if err := sink.Observe(ctx, []chain.Activity{act}); err != nil {
				t.Fatal(err)
			}
			got, _ = e.svc.GetSession(ctx, e.secret, s.ID, "x")
			wantStatus(t, got, paylinks.CryptoPending, "0")
			if keys := strings.Join(e.events(t, s.ID), " "); keys != "session.create session.detected session.pending" {
				t.Errorf("events: %s", keys)
			}
		})

		t.Run("underpaid then completed", func(t *testing.T) {
			s := e.session(t, service.SessionParams{})
			got := e.pay(t, s, service.SimulatedPayment{Wei: big.NewInt(13000000000000000)})
			wantStatus(t, got, paylinks.CryptoUnderpaid, "13000000000000000")
			if got.Status != paylinks.SessionOpen {
				t.Errorf("underpaid session is %s", got.Status)
			}
			got = e.pay(t, s, service.SimulatedPayment{}) // the rest
			wantStatus(t, got, paylinks.CryptoPaid, "33000000000000000")
			if len(got.Crypto.Transfers) != 2 || got.Status != paylinks.SessionComplete {
				t.Errorf("transfers %d, session %s", len(got.Crypto.Transfers), got.Status)
			}
		})

		t.Run("overpaid", func(t *testing.T) {
			s := e.session(t, service.SessionParams{})
			got := e.pay(t, s, service.SimulatedPayment{Wei: big.NewInt(40000000000000000)})
			wantStatus(t, got, paylinks.CryptoOverpaid, "40000000000000000")
			if got.Status != paylinks.SessionComplete {
				t.Errorf("overpaid session is %s", got.Status)
			}
		})

		t.Run("confirmations through the helper", func(t *testing.T) {
			s := e.session(t, service.SessionParams{})
			wantStatus(t, e.pay(t, s, service.SimulatedPayment{Confirmations: 2}), paylinks.CryptoDetected, s.Crypto.QuoteWei)
			wantStatus(t, e.pay(t, s, service.SimulatedPayment{Wei: new(big.Int), Confirmations: 3}), paylinks.CryptoPaid, s.Crypto.QuoteWei)
		})

		t.Run("late", func(t *testing.T) {
			s := e.session(t, service.SessionParams{})
			e.clock.add(16 * time.Minute)
			got, err := e.svc.GetSession(ctx, e.secret, s.ID, "x")
			if err != nil {
				t.Fatal(err)
			}
			if st := service.CryptoStatusAt(got, e.clock.now()); st != paylinks.CryptoExpired {
				t.Errorf("unpaid after the window: %s", st)
			}
			got = e.pay(t, s, service.SimulatedPayment{Late: true})
			wantStatus(t, got, paylinks.CryptoPaidLate, s.Crypto.QuoteWei)
			if got.ChargeID == nil {
				t.Error("a late payment within the grace records no charge")
			}
		})

		t.Run("after the grace", func(t *testing.T) {
			s := e.session(t, service.SessionParams{})
			e.clock.add(26 * time.Minute)
			got := e.pay(t, s, service.SimulatedPayment{})
			wantStatus(t, got, paylinks.CryptoFailed, s.Crypto.QuoteWei)
			if got.ChargeID != nil {
				t.Error("a payment after the grace records a charge")
			}
		})

		t.Run("live keys refused", func(t *testing.T) {
			s := e.session(t, service.SessionParams{})
			_, err := e.svc.SimulateCryptoPayment(ctx, e.liveSecr, s.ID, "x", service.SimulatedPayment{})
			wantKind(t, "SimulateCryptoPayment with a live key", err, paylinks.KindForbidden, "test_mode_only", "")
		})
	})
}

// TestCryptoSessionsConcurrent creates 200 ETH sessions at once: every
// one gets its own deposit index and address.
func TestCryptoSessionsConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newCryptoEnv(t, backend, service.Options{})
		const n = 200
		addrs := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				s, err := e.svc.CreateSession(context.Background(), e.secret, service.SessionParams{Amount: 100, Currency: "USD"})
				if err == nil {
					addrs[i] = s.Crypto.Address
				}
				errs[i] = err
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if seen[addrs[i]] {
				t.Fatalf("address %s given twice", addrs[i])
			}
			seen[addrs[i]] = true
		}
	})
}

// TestCryptoExpiry: the sweep expires each unpaid quote once, with its
// event, however often (and by however many replicas) it runs; a paid one
// is left alone, and a late payment still reaches an expired session.
func TestCryptoExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e := newCryptoEnv(t, backend, service.Options{})
		a, b, paid := e.session(t, service.SessionParams{}), e.session(t, service.SessionParams{}), e.session(t, service.SessionParams{})
		e.pay(t, paid, service.SimulatedPayment{})
		if n, err := e.svc.ExpireCryptoSessions(ctx); err != nil || n != 0 {
			t.Fatalf("before the window's end: %d, %v", n, err)
		}
		e.clock.add(15*time.Minute + time.Second)
		var wg sync.WaitGroup
		counts := make([]int, 4)
		for i := range counts { // four replicas at once
			wg.Go(func() {
				n, err := e.svc.ExpireCryptoSessions(ctx)
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		if total := counts[0] + counts[1] + counts[2] + counts[3]; total != 2 {
			t.Errorf("expired %v, want 2 in all", counts)
		}
		for _, s := range []*paylinks.CheckoutSession{a, b} {
			got, err := e.svc.GetSession(ctx, e.secret, s.ID, "x")
			if err != nil {
				t.Fatal(err)
			}
			wantStatus(t, got, paylinks.CryptoExpired, "0")
			if keys := strings.Join(e.events(t, s.ID), " "); keys != "session.create session.expired" {
				t.Errorf("events: %s", keys)
			}
		}
		got, _ := e.svc.GetSession(ctx, e.secret, paid.ID, "x")
		wantStatus(t, got, paylinks.CryptoPaid, paid.Crypto.QuoteWei)
		wantStatus(t, e.pay(t, a, service.SimulatedPayment{Late: true}), paylinks.CryptoPaidLate, a.Crypto.QuoteWei)
	})
}
