package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/store"
)

// The crypto state machine. A session's state is derived from the WHOLE
// list of transfers the chain holds for its deposit address, every time
// (never by adding to a counter), so the watcher may repeat itself:
//
//   - no transfer: pending (shown expired once the quote's window is over;
//     a reorganisation that removes every transfer moves detected back to
//     pending);
//   - some transfer has fewer confirmations than the session requires:
//     detected;
//   - all confirmed, the last one mined after expiresAt + late grace:
//     failed (too late; for the merchant to refund);
//   - the sum below the quote less the tolerance: underpaid;
//   - the sum above the quote plus the tolerance: overpaid (accepted);
//   - the last one mined after expiresAt (within the grace): paid_late;
//   - otherwise paid.
//
// paid, paid_late and overpaid accept the payment: the first time a
// session reaches one of them, a charge is recorded for its fiat amount
// (with a source of type crypto), the session is completed and a
// single-use link used, in the transaction that writes the state and its
// events. An accepted state is final: a reorganisation deeper than the
// confirmations (which the confirmations are there to make improbable) is
// logged for the operator, not undone, as money the merchant was told of
// has been recorded.

// deriveCryptoState returns the state of a session quoted as c, expiring
// at expiresAt, whose address holds transfers.
func deriveCryptoState(c *paylinks.SessionCrypto, expiresAt time.Time, transfers []paylinks.CryptoTransfer) (paylinks.CryptoStatus, *big.Int, *time.Time) {
	sum := new(big.Int)
	if len(transfers) == 0 {
		return paylinks.CryptoPending, sum, nil
	}
	var last time.Time
	confirmed := true
	for _, t := range transfers {
		w, ok := new(big.Int).SetString(t.Wei, 10)
		if ok && w.Sign() > 0 {
			sum.Add(sum, w)
		}
		if t.Confirmations < uint64(max(c.Confirmations, 1)) {
			confirmed = false
		}
		if t.BlockTime.After(last) {
			last = t.BlockTime
		}
	}
	if !confirmed {
		return paylinks.CryptoDetected, sum, nil
	}
	quote, _ := new(big.Int).SetString(c.QuoteWei, 10)
	if quote == nil {
		quote = new(big.Int)
	}
	tol := big.NewInt(int64(c.ToleranceBps))
	// low = ceil(quote × (10000 − tol) / 10000), high = floor(quote × (10000 + tol) / 10000)
	low := new(big.Int).Mul(quote, new(big.Int).Sub(big.NewInt(10000), tol))
	low.Add(low, big.NewInt(9999)).Quo(low, big.NewInt(10000))
	high := new(big.Int).Mul(quote, new(big.Int).Add(big.NewInt(10000), tol))
	high.Quo(high, big.NewInt(10000))
	at := last.UTC()
	switch {
	case last.After(expiresAt.Add(c.LateGrace)):
		return paylinks.CryptoFailed, sum, nil
	case sum.Cmp(low) < 0:
		return paylinks.CryptoUnderpaid, sum, nil
	case sum.Cmp(high) > 0:
		return paylinks.CryptoOverpaid, sum, &at
	case last.After(expiresAt):
		return paylinks.CryptoPaidLate, sum, &at
	}
	return paylinks.CryptoPaid, sum, &at
}

// CryptoStatusAt is the session's crypto status as shown at now: a
// pending session whose quote window is over is expired.
func CryptoStatusAt(sess *paylinks.CheckoutSession, now time.Time) paylinks.CryptoStatus {
	if sess.Crypto == nil {
		return ""
	}
	if sess.Crypto.Status == paylinks.CryptoPending && !now.Before(sess.ExpiresAt) {
		return paylinks.CryptoExpired
	}
	return sess.Crypto.Status
}

// CryptoSink is the service as the chain watcher's chain.Sink.
type CryptoSink struct{ s *Service }

var _ chain.Sink = CryptoSink{}

// CryptoSink returns the service as the chain watcher's sink.
func (s *Service) CryptoSink() CryptoSink { return CryptoSink{s} }

// Watched reports which of addrs are deposit addresses on chainID of
// sessions that still take payments. One indexed lookup.
func (k CryptoSink) Watched(ctx context.Context, chainID uint64, addrs []string) (map[string]bool, error) {
	got, err := k.s.store.WatchedAddresses(ctx, chainID, addrs, k.s.Now())
	if err != nil {
		return nil, fmt.Errorf("Watched: %w", err)
	}
	out := make(map[string]bool, len(got))
	for _, a := range got {
		out[a] = true
	}
	return out, nil
}

// Observe derives the state of the sessions of each address from its
// whole activity, and writes each change with its events.
func (k CryptoSink) Observe(ctx context.Context, acts []chain.Activity) error {
	for _, act := range acts {
		sessions, err := k.s.store.SessionsByAddress(ctx, act.ChainID, act.Address)
		if err != nil {
			return fmt.Errorf("Observe: %w", err)
		}
		for i := range sessions {
			if err := k.s.observeSession(ctx, &sessions[i], act); err != nil {
				return fmt.Errorf("Observe: session %s: %w", sessions[i].ID, err)
			}
		}
	}
	return nil
}

func toTransfers(ts []chain.Transfer) []paylinks.CryptoTransfer {
	out := make([]paylinks.CryptoTransfer, 0, len(ts))
	for _, t := range ts {
		w := "0"
		if t.Wei != nil {
			w = t.Wei.String()
		}
		out = append(out, paylinks.CryptoTransfer{TxHash: strings.ToLower(t.TxHash), Wei: w, BlockNumber: t.BlockNumber,
			BlockTime: t.BlockTime.UTC().Truncate(time.Microsecond), Confirmations: t.Confirmations})
	}
	slices.SortFunc(out, func(a, b paylinks.CryptoTransfer) int {
		return cmp.Or(cmp.Compare(a.BlockNumber, b.BlockNumber), strings.Compare(a.TxHash, b.TxHash))
	})
	return out
}

// observeSession applies one address's activity to one session, retrying
// when another writer changed the session meanwhile.
func (s *Service) observeSession(ctx context.Context, sess *paylinks.CheckoutSession, act chain.Activity) error {
	transfers := toTransfers(act.Transfers)
	for attempt := 0; ; attempt++ {
		err := s.applyTransfers(ctx, sess, transfers)
		if !errors.Is(err, paylinks.ErrConflict) || attempt == 4 {
			return err
		}
		cur, err := s.store.SessionByID(ctx, sess.ID)
		if err != nil {
			return err
		}
		if cur.Crypto, err = s.store.SessionCrypto(ctx, sess.ID); err != nil {
			return err
		}
		*sess = *cur
	}
}

func sameTransfers(a, b []paylinks.CryptoTransfer) bool {
	return slices.EqualFunc(a, b, func(x, y paylinks.CryptoTransfer) bool {
		return x.TxHash == y.TxHash && x.Wei == y.Wei && x.BlockNumber == y.BlockNumber &&
			x.BlockTime.Equal(y.BlockTime) && x.Confirmations == y.Confirmations
	})
}

// applyTransfers writes the state transfers give the session, with the
// event of a status change and the charge of an accepted payment.
func (s *Service) applyTransfers(ctx context.Context, sess *paylinks.CheckoutSession, transfers []paylinks.CryptoTransfer) error {
	old := sess.Crypto
	now := s.Now()
	status, sum, paidAt := deriveCryptoState(old, sess.ExpiresAt, transfers)
	if status == paylinks.CryptoPending && !now.Before(sess.ExpiresAt) {
		status = paylinks.CryptoExpired // nothing (left) on chain after the window
	}
	if old.Status.Accepted() && !status.Accepted() {
		// Final: see the comment at the top of this file.
		s.log.WarnContext(ctx, "crypto: a paid session's transfers changed after it was accepted; kept as paid",
			"session", sess.ID, "status", old.Status, "derived", status, "received_wei", sum.String())
		status, paidAt = old.Status, old.PaidAt
	}
	if status == old.Status && sum.String() == old.ReceivedWei && sameTransfers(transfers, old.Transfers) {
		return nil
	}
	next := *old
	next.Status, next.ReceivedWei, next.Transfers, next.UpdatedAt = status, sum.String(), transfers, now
	if len(transfers) == 0 {
		next.Transfers = nil
	}
	if old.PaidAt != nil && status.Accepted() {
		paidAt = old.PaidAt
	}
	next.PaidAt = paidAt
	pr := paylinks.Principal{AccountID: sess.AccountID, Livemode: sess.Livemode}
	after := *sess
	after.Crypto = &next
	w := store.CryptoWrite{SessionID: sess.ID, State: &next, Now: now}
	if status.Accepted() && !old.Status.Accepted() {
		c, events, err := s.cryptoCharge(ctx, pr, &after, now)
		if err != nil {
			return err
		}
		w.Charge, w.Events = c, events
		if after.Status == paylinks.SessionOpen {
			after.Status, after.ChargeID, after.CompletedAt = paylinks.SessionComplete, &c.ID, &now
		}
	}
	if status != old.Status {
		ev, err := s.newEvent(pr, cryptoEventKey(status), "session", sess.ID, &after, now)
		if err != nil {
			return err
		}
		w.Events = append(w.Events, *ev)
	}
	if err := s.store.UpdateSessionCrypto(ctx, w); err != nil {
		return err
	}
	*sess = after
	return nil
}

// cryptoEventKey is the stored key of the event of a session's move to
// status: session.<status>, except paid, which is session.complete, the
// event a card payment writes (v1 type session.paid, Omise key
// session.complete), so that an endpoint subscribed to session.paid hears
// of ETH payments too. Each is in paylinks.EventTypes but pending (a
// reorganisation took the transfer away): v1 names session.create
// session.pending already, so it is written as session.pending and listed,
// but a type filter or an endpoint of session.pending matches
// session.create only.
func cryptoEventKey(status paylinks.CryptoStatus) string {
	if status == paylinks.CryptoPaid {
		return "session.complete"
	}
	return "session." + string(status)
}

// Crypto expiry sweep defaults.
const (
	DefaultCryptoExpiryEvery = 5 * time.Second
	cryptoExpiryBatch        = 100
)

// ExpireCryptoSessions moves pending ETH sessions whose quote window is
// over to expired, each with its session.expired event. Every process may
// run it: each change is a write conditional on the version read, so a
// session expires once whichever replica gets there first (or the watcher,
// when a late transfer arrives meanwhile). It returns how many it expired.
func (s *Service) ExpireCryptoSessions(ctx context.Context) (int, error) {
	n := 0
	for {
		due, err := s.store.ExpiredCryptoSessions(ctx, s.Now(), cryptoExpiryBatch)
		if err != nil {
			return n, fmt.Errorf("ExpireCryptoSessions: %w", err)
		}
		done := 0
		for i := range due {
			if due[i].Crypto == nil || due[i].Crypto.Status != paylinks.CryptoPending {
				// Another sweep (or the watcher) changed it between the
				// store's read of the due ids and of their states: it is
				// not this sweep's to count.
				continue
			}
			err := s.applyTransfers(ctx, &due[i], due[i].Crypto.Transfers)
			switch {
			case errors.Is(err, paylinks.ErrConflict):
				// changed meanwhile: the next round reads it again
			case err != nil:
				return n, fmt.Errorf("ExpireCryptoSessions: session %s: %w", due[i].ID, err)
			default:
				done++
			}
		}
		n += done
		if len(due) < cryptoExpiryBatch || done == 0 {
			return n, nil
		}
	}
}

// RunCryptoExpiry runs ExpireCryptoSessions every `every` (0: the
// default) until ctx ends.
func (s *Service) RunCryptoExpiry(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultCryptoExpiryEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.ExpireCryptoSessions(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "crypto expiry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CryptoSourceType is the type of the source of a charge paid in ETH.
const CryptoSourceType = "crypto"

// cryptoCharge builds the charge that records a session's accepted ETH
// payment, and its events: charge.create, charge.complete, and a
// single-use link's link.update.
func (s *Service) cryptoCharge(ctx context.Context, pr paylinks.Principal, sess *paylinks.CheckoutSession, now time.Time) (*paylinks.Charge, []paylinks.Event, error) {
	id, err := s.newID(now)
	if err != nil {
		return nil, nil, err
	}
	cardID, err := s.newID(now)
	if err != nil {
		return nil, nil, err
	}
	description := "Checkout session"
	var l *paylinks.Link
	if sess.LinkID != nil {
		if l, err = s.store.GetLink(ctx, sess.AccountID, sess.Livemode, *sess.LinkID); err != nil {
			return nil, nil, fmt.Errorf("link: %w", err)
		}
		description = l.Title
	}
	sid := sess.ID
	c := &paylinks.Charge{ID: id, AccountID: sess.AccountID, Livemode: sess.Livemode, LinkID: sess.LinkID, SessionID: &sid,
		Amount: sess.Amount, Currency: sess.Currency, Description: description, Status: paylinks.ChargeSuccessful,
		Capture: true, CardID: cardID, Email: sess.Email, Metadata: sess.Metadata, CreatedAt: now, PaidAt: &now,
		AuthorizedAmount: sess.Amount, CapturedAmount: sess.Amount, SourceType: CryptoSourceType}
	var events []paylinks.Event
	for _, key := range []string{"charge.create", "charge.complete"} {
		ev, err := s.newEvent(pr, key, "charge", c.ID, c, now)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, *ev)
	}
	if l != nil && !l.Multiple && !l.Used {
		u := *l
		u.Used, u.UsedAt, u.UpdatedAt = true, &now, now
		ev, err := s.newEvent(pr, "link.update", "link", l.ID, &u, now)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, *ev)
	}
	return c, events, nil
}

// SimulatedPayment is one test-mode crypto payment (the test helper).
type SimulatedPayment struct {
	// Wei is the amount sent; nil sends what is still missing of the
	// quote. Zero sends nothing and only confirms what was sent before.
	Wei *big.Int
	// Confirmations the transfer has (0: as many as the session needs).
	Confirmations int
	// Late mines the transfer after the quote expired, within the grace.
	Late bool
}

// SimulateCryptoPayment feeds a test-mode session's state machine a
// simulated transfer to its deposit address, through the same Observe the
// chain watcher calls, and returns the session after it. Test mode only.
func (s *Service) SimulateCryptoPayment(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, p SimulatedPayment) (*paylinks.CheckoutSession, error) {
	if err := require(pr, paylinks.ScopeSessionsWrite); err != nil {
		return nil, err
	}
	if pr.Livemode {
		return nil, &paylinks.Error{Kind: paylinks.KindForbidden, Code: "test_mode_only",
			Message: "crypto payments can be simulated with test keys only"}
	}
	sess, err := s.GetSession(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	if err := s.simulate(ctx, sess, display, p); err != nil {
		return nil, err
	}
	return s.GetSession(ctx, pr, id, display)
}

// SimulatePagePayment is the test-mode page's "Simulate payment" button:
// the quote, fully confirmed, sent to a test session's address (see
// SimulateCryptoPayment). The session id is the page's capability.
func (s *Service) SimulatePagePayment(ctx context.Context, id paylinks.ID) error {
	info, err := s.SessionCheckout(ctx, id)
	if err != nil {
		return err
	}
	if info.Session.Livemode {
		return &paylinks.Error{Kind: paylinks.KindForbidden, Code: "test_mode_only",
			Message: "crypto payments can be simulated in test mode only"}
	}
	return s.simulate(ctx, info.Session, paylinks.FormatSessionID(id), SimulatedPayment{})
}

// simulate feeds sess's state machine one simulated transfer.
func (s *Service) simulate(ctx context.Context, sess *paylinks.CheckoutSession, display string, p SimulatedPayment) error {
	if sess.Crypto == nil {
		return &paylinks.Error{Kind: paylinks.KindConflict, Code: "not_crypto",
			Message: fmt.Sprintf("checkout session %s offers no ETH payment", display)}
	}
	if p.Wei != nil && p.Wei.Sign() < 0 {
		return paylinks.Invalid("invalid_wei", "wei", "wei must be a non-negative integer")
	}
	if p.Confirmations < 0 || p.Confirmations > 1_000_000 {
		return paylinks.Invalid("invalid_confirmations", "confirmations", "confirmations must be between 0 and 1000000")
	}
	c := sess.Crypto
	conf := uint64(p.Confirmations)
	if conf == 0 {
		conf = uint64(c.Confirmations)
	}
	var act chain.Activity
	act.ChainID, act.Address = c.ChainID, strings.ToLower(c.Address)
	var block uint64 = 1_000_000
	for _, t := range c.Transfers {
		w, _ := new(big.Int).SetString(t.Wei, 10)
		ct := chain.Transfer{TxHash: t.TxHash, To: act.Address, Wei: w, BlockNumber: t.BlockNumber,
			BlockTime: t.BlockTime, Confirmations: t.Confirmations}
		if p.Wei != nil && p.Wei.Sign() == 0 {
			ct.Confirmations = max(ct.Confirmations, conf)
		}
		act.Transfers = append(act.Transfers, ct)
		block = max(block, t.BlockNumber)
	}
	if p.Wei == nil || p.Wei.Sign() > 0 {
		wei := p.Wei
		if wei == nil {
			quote, _ := new(big.Int).SetString(c.QuoteWei, 10)
			received, _ := new(big.Int).SetString(c.ReceivedWei, 10)
			if received == nil {
				received = new(big.Int)
			}
			wei = new(big.Int).Sub(quote, received)
			if wei.Sign() <= 0 {
				return &paylinks.Error{Kind: paylinks.KindConflict, Code: "already_paid",
					Message: "the session has received its quote; give wei to send more"}
			}
		}
		now := s.Now()
		at := now
		if p.Late {
			at = sess.ExpiresAt.Add(min(time.Minute, c.LateGrace/2))
		} else if !now.Before(sess.ExpiresAt) {
			at = now
		}
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", sess.ID, len(c.Transfers), now.UnixNano()))
		block++
		act.Transfers = append(act.Transfers, chain.Transfer{TxHash: "0x" + hex.EncodeToString(h[:]), To: act.Address,
			Wei: wei, BlockNumber: block, BlockTime: at, Confirmations: conf})
	} else if len(act.Transfers) == 0 {
		return &paylinks.Error{Kind: paylinks.KindConflict, Code: "nothing_to_confirm",
			Message: "the session has received nothing to confirm; give a positive wei"}
	}
	act.Head = block + conf - 1
	if err := s.CryptoSink().Observe(ctx, []chain.Activity{act}); err != nil {
		return fmt.Errorf("SimulateCryptoPayment: %w", err)
	}
	return nil
}
