package service_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/service"
)

// The crypto state machine end to end: the real chain.Watcher reads
// go-ethereum's simulated backend and feeds the real service's CryptoSink,
// on a real SQLite store. (internal/chain's tests use a recording sink;
// crypto_test.go feeds the state machine synthetic activities.)

// simPayer is a simulated chain (chain id 1337, as newCryptoEnv's
// settings) with one funded payer.
type simPayer struct {
	t       *testing.T
	sim     *simulated.Backend
	node    chain.Node
	key     *ecdsa.PrivateKey
	from    common.Address
	nonce   uint64
	chainID *big.Int
}

func newSimPayer(t *testing.T) *simPayer {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	sim := simulated.NewBackend(types.GenesisAlloc{from: {Balance: new(big.Int).Mul(eth, big.NewInt(1000))}})
	t.Cleanup(func() { sim.Close() })
	node, ok := sim.Client().(chain.Node)
	if !ok {
		t.Fatal("the simulated backend's client is not a chain.Node")
	}
	id, err := node.ChainID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if id.Uint64() != 1337 {
		t.Fatalf("the simulated chain's id is %s; newCryptoEnv quotes on 1337", id)
	}
	return &simPayer{t: t, sim: sim, node: node, key: key, from: from, chainID: id}
}

// sendNonce sends wei to `to` with the given nonce and tip (mined at the
// next commit).
func (c *simPayer) sendNonce(to string, wei *big.Int, nonce uint64, tip int64) *types.Transaction {
	c.t.Helper()
	ctx := c.t.Context()
	head, err := c.node.HeaderByNumber(ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	addr := common.HexToAddress(to)
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), big.NewInt(tip))
	tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{
		ChainID: c.chainID, Nonce: nonce, GasTipCap: big.NewInt(tip), GasFeeCap: feeCap,
		Gas: 60_000, To: &addr, Value: wei,
	}), types.LatestSignerForChainID(c.chainID), c.key)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.sim.Client().SendTransaction(ctx, tx); err != nil {
		c.t.Fatalf("SendTransaction: %v", err)
	}
	return tx
}

// sendNonceWhenReset is sendNonce retried while the pool (resetting to a
// forked head in the background) refuses the nonce as too low.
func (c *simPayer) sendNonceWhenReset(to common.Address, wei *big.Int, nonce uint64, tip int64) {
	c.t.Helper()
	ctx := c.t.Context()
	head, err := c.node.HeaderByNumber(ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), big.NewInt(tip))
	tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{
		ChainID: c.chainID, Nonce: nonce, GasTipCap: big.NewInt(tip), GasFeeCap: feeCap,
		Gas: 60_000, To: &to, Value: wei,
	}), types.LatestSignerForChainID(c.chainID), c.key)
	if err != nil {
		c.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		err := c.sim.Client().SendTransaction(ctx, tx)
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "nonce too low") || time.Now().After(deadline) {
			c.t.Fatalf("SendTransaction: %v", err)
		}
	}
}

// send sends wei to `to` from the payer's next nonce.
func (c *simPayer) send(to string, wei *big.Int) *types.Transaction {
	c.t.Helper()
	tx := c.sendNonce(to, wei, c.nonce, 1_000_000_000)
	c.nonce++
	return tx
}

// commit mines a block once the pool holds every transaction sent.
func (c *simPayer) commit() {
	c.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		n, err := c.sim.Client().PendingNonceAt(c.t.Context(), c.from)
		if err != nil {
			c.t.Fatal(err)
		}
		if n >= c.nonce {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the pool holds transactions up to nonce %d, want %d", n, c.nonce)
		}
	}
	c.sim.Commit()
}

// chainEnv is a cryptoEnv (SQLite) whose sessions are paid on a simulated
// chain watched by a real watcher feeding the service.
type chainEnv struct {
	*cryptoEnv
	c *simPayer
	w *chain.Watcher
}

func newChainEnv(t *testing.T) *chainEnv {
	t.Helper()
	e := &chainEnv{cryptoEnv: newCryptoEnv(t, "sqlite", service.Options{}), c: newSimPayer(t)}
	e.restartWatcher()
	return e
}

// restartWatcher replaces the watcher with a new one on the same database
// (a process restart: only the database's progress carries over).
func (e *chainEnv) restartWatcher() {
	e.w = chain.NewWatcher(e.c.node, e.st, e.svc.CryptoSink(), chain.WatcherConfig{})
}

// sync runs one Sync and returns the head it reached.
func (e *chainEnv) sync(t *testing.T) uint64 {
	t.Helper()
	n, err := e.w.Sync(t.Context())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return n
}

// want checks the stored crypto state of session id.
func (e *chainEnv) want(t *testing.T, what string, id paylinks.ID, status paylinks.CryptoStatus, received *big.Int) {
	t.Helper()
	s, err := e.svc.GetSession(context.Background(), e.secret, id, "x")
	if err != nil {
		t.Fatal(err)
	}
	if s.Crypto == nil {
		t.Fatalf("%s: the session has no crypto state", what)
	}
	if s.Crypto.Status != status || s.Crypto.ReceivedWei != received.String() {
		t.Errorf("%s: crypto status %s, received %s; want %s, %s", what, s.Crypto.Status, s.Crypto.ReceivedWei, status, received)
	}
}

func quoteOf(t *testing.T, s *paylinks.CheckoutSession) *big.Int {
	t.Helper()
	q, ok := new(big.Int).SetString(s.Crypto.QuoteWei, 10)
	if !ok || q.Sign() <= 0 {
		t.Fatalf("quote %q", s.Crypto.QuoteWei)
	}
	return q
}

func addWei(q *big.Int, d int64) *big.Int { return new(big.Int).Add(q, big.NewInt(d)) }

// TestCryptoOnSimulatedChain: exact payment → detected after 1 block (and
// 2) → paid at 3 confirmations; 1 wei short → underpaid; 1 wei over →
// overpaid; two transfers in different blocks summing to the quote →
// detected until the second has 3 confirmations, then paid. The watcher is
// restarted mid-way: nothing is missed or counted twice (the received sums
// are exact).
func TestCryptoOnSimulatedChain(t *testing.T) {
	e := newChainEnv(t)
	exact, under, over, split := e.session(t, service.SessionParams{}), e.session(t, service.SessionParams{}),
		e.session(t, service.SessionParams{}), e.session(t, service.SessionParams{})
	q := quoteOf(t, exact)
	for _, s := range []*paylinks.CheckoutSession{under, over, split} {
		if s.Crypto.QuoteWei != q.String() || s.Crypto.Confirmations != 3 || s.Crypto.ChainID != 1337 {
			t.Fatalf("session %s: quote %+v", s.ID, s.Crypto)
		}
	}
	start := e.sync(t)

	// Block start+1: every payment but the split's second half.
	first := new(big.Int).Div(q, big.NewInt(3))
	e.c.send(exact.Crypto.Address, q)
	e.c.send(under.Crypto.Address, addWei(q, -1))
	e.c.send(over.Crypto.Address, addWei(q, 1))
	e.c.send(split.Crypto.Address, first)
	e.c.commit()
	if got := e.sync(t); got != start+1 {
		t.Fatalf("Sync: head %d, want %d", got, start+1)
	}
	e.want(t, "exact after 1 block", exact.ID, paylinks.CryptoDetected, q)
	e.want(t, "underpaid after 1 block", under.ID, paylinks.CryptoDetected, addWei(q, -1))
	e.want(t, "overpaid after 1 block", over.ID, paylinks.CryptoDetected, addWei(q, 1))
	e.want(t, "split after 1 block", split.ID, paylinks.CryptoDetected, first)

	// Block start+2, then a restart.
	e.c.commit()
	e.sync(t)
	e.want(t, "exact after 2 blocks", exact.ID, paylinks.CryptoDetected, q)
	e.restartWatcher()

	// Block start+3 (mined while no watcher runs): the split's second half.
	second := new(big.Int).Sub(q, first)
	e.c.send(split.Crypto.Address, second)
	e.c.commit()
	if got := e.sync(t); got != start+3 {
		t.Fatalf("restarted Sync: head %d, want %d", got, start+3)
	}
	e.want(t, "exact at 3 confirmations", exact.ID, paylinks.CryptoPaid, q)
	e.want(t, "1 wei short at 3 confirmations", under.ID, paylinks.CryptoUnderpaid, addWei(q, -1))
	e.want(t, "1 wei over at 3 confirmations", over.ID, paylinks.CryptoOverpaid, addWei(q, 1))
	e.want(t, "split, second half 1 confirmation", split.ID, paylinks.CryptoDetected, q)

	e.c.commit()
	e.c.commit()
	e.sync(t)
	e.want(t, "split, both confirmed", split.ID, paylinks.CryptoPaid, q)
	e.want(t, "exact, later", exact.ID, paylinks.CryptoPaid, q)

	// The accepted sessions are complete, with one crypto charge each.
	for _, s := range []*paylinks.CheckoutSession{exact, over, split} {
		got, err := e.svc.GetSession(context.Background(), e.secret, s.ID, "x")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != paylinks.SessionComplete {
			t.Errorf("session %s: status %s, want complete", s.ID, got.Status)
		}
	}
	// Each change once, although the watcher gave every address to the
	// service at each block up to its depth. (The test clock stands
	// still: the events are at one instant, in any order.)
	for _, s := range []*paylinks.CheckoutSession{exact, split} {
		keys := e.events(t, s.ID)
		slices.Sort(keys)
		if keys := strings.Join(keys, " "); keys != "session.complete session.create session.detected" {
			t.Errorf("session %s events: %s", s.ID, keys)
		}
	}
	if got, err := e.svc.GetSession(context.Background(), e.secret, under.ID, "x"); err != nil || got.Status == paylinks.SessionComplete {
		t.Errorf("underpaid session: %v, status %v; want not complete", err, got)
	}
}

// TestCryptoOnSimulatedChainReorg: a reorganisation (Fork) that replaces
// the block of a still unconfirmed payment with one where the payer spent
// the same nonce elsewhere moves the session back from detected to pending.
func TestCryptoOnSimulatedChainReorg(t *testing.T) {
	e := newChainEnv(t)
	s := e.session(t, service.SessionParams{})
	q := quoteOf(t, s)
	e.sync(t)
	parent, err := e.c.node.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pay := e.c.send(s.Crypto.Address, q)
	e.c.commit()
	e.c.commit()
	e.sync(t)
	e.want(t, "before the fork (2 confirmations)", s.ID, paylinks.CryptoDetected, q)

	if err := e.c.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	// The double spend: the same nonce, a higher tip, to another address.
	// The pool resets to the forked head in the background: until it has,
	// it refuses nonce 0 as too low.
	e.c.sendNonceWhenReset(common.HexToAddress("0x3000000000000000000000000000000000000003"), q, 0, 10_000_000_000)
	for range 3 {
		e.c.commit()
	}
	if _, err := e.c.node.(interface {
		TransactionReceipt(context.Context, common.Hash) (*types.Receipt, error)
	}).TransactionReceipt(t.Context(), pay.Hash()); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("the replaced payment's receipt: %v, want not found (the test's fork did not remove it)", err)
	}
	e.sync(t)
	e.want(t, "after the fork", s.ID, paylinks.CryptoPending, new(big.Int))
	keys := e.events(t, s.ID)
	slices.Sort(keys)
	if keys := strings.Join(keys, " "); keys != "session.create session.detected session.pending" {
		t.Errorf("events: %s", keys)
	}
}

// TestCryptoOnSimulatedChainLate: a payment mined after expiresAt (the
// chain's time moved with AdjustTime) but within the late grace is
// paid_late once confirmed; one mined after the grace is failed.
func TestCryptoOnSimulatedChainLate(t *testing.T) {
	e := newChainEnv(t)
	late, tooLate := e.session(t, service.SessionParams{}), e.session(t, service.SessionParams{})
	q := quoteOf(t, late)
	e.sync(t)
	// The quote window is 15 minutes, the default grace 10: the next
	// blocks are 20 minutes after the sessions were made. (The genesis
	// block's time is 0: a first block at the wall clock's time, then one
	// 20 minutes after it; later blocks follow it a second apart.)
	e.c.commit()
	if err := e.c.sim.AdjustTime(20 * time.Minute); err != nil {
		t.Fatal(err)
	}
	e.c.send(late.Crypto.Address, q)
	e.c.commit()
	e.c.commit()
	e.c.commit()
	e.sync(t)
	e.want(t, "paid 20 minutes after creation", late.ID, paylinks.CryptoPaidLate, q)
	e.want(t, "no payment yet", tooLate.ID, paylinks.CryptoPending, new(big.Int))

	if err := e.c.sim.AdjustTime(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	e.c.send(tooLate.Crypto.Address, q)
	e.c.commit()
	e.c.commit()
	e.c.commit()
	e.sync(t)
	e.want(t, "paid 30 minutes after creation", tooLate.ID, paylinks.CryptoFailed, q)
}
