package chain_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// recordingSink is a chain.Sink that watches a fixed set of addresses and
// records every call.
type recordingSink struct {
	mu       sync.Mutex
	watched  map[string]bool
	asked    [][]string         // the addrs of each Watched call
	observed [][]chain.Activity // each Observe call
	failNext error              // returned (once) by the next Observe
}

var _ chain.Sink = (*recordingSink)(nil)

func newRecordingSink(addrs ...common.Address) *recordingSink {
	s := &recordingSink{watched: make(map[string]bool)}
	for _, a := range addrs {
		s.watched[strings.ToLower(a.Hex())] = true
	}
	return s
}

func (s *recordingSink) Watched(ctx context.Context, chainID uint64, addrs []string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, slices.Clone(addrs))
	out := make(map[string]bool)
	for _, a := range addrs {
		if s.watched[a] {
			out[a] = true
		}
	}
	return out, nil
}

func (s *recordingSink) Observe(ctx context.Context, acts []chain.Activity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failNext; err != nil {
		s.failNext = nil
		return err
	}
	s.observed = append(s.observed, slices.Clone(acts))
	return nil
}

// last returns the activity of addr in the last Observe call that had it.
func (s *recordingSink) last(addr common.Address) (chain.Activity, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := strings.ToLower(addr.Hex())
	for i := len(s.observed) - 1; i >= 0; i-- {
		for _, act := range s.observed[i] {
			if act.Address == a {
				return act, i, true
			}
		}
	}
	return chain.Activity{}, 0, false
}

// askedCount returns how many Watched calls the sink recorded.
func (s *recordingSink) askedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.asked)
}

// calls returns how many Observe calls the sink recorded.
func (s *recordingSink) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.observed)
}

// simChain is a simulated chain with one funded payer.
type simChain struct {
	t       *testing.T
	sim     *simulated.Backend
	node    chain.Node
	key     *ecdsa.PrivateKey
	from    common.Address
	nonce   uint64
	chainID *big.Int
}

// revertingAddr holds code that reverts every call: a payment to it fails.
var revertingAddr = common.HexToAddress("0x00000000000000000000000000000000000000fd")

func newSimChain(t *testing.T) *simChain {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	sim := simulated.NewBackend(types.GenesisAlloc{
		from:          {Balance: new(big.Int).Mul(eth, big.NewInt(1000))},
		revertingAddr: {Code: []byte{0x60, 0x00, 0x60, 0x00, 0xfd}}, // PUSH1 0 PUSH1 0 REVERT
	})
	t.Cleanup(func() { sim.Close() })
	node, ok := sim.Client().(chain.Node)
	if !ok {
		t.Fatal("the simulated backend's client is not a chain.Node")
	}
	id, err := node.ChainID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return &simChain{t: t, sim: sim, node: node, key: key, from: from, chainID: id}
}

// pay sends wei to `to` (not mined until Commit), with the given nonce
// and tip, and returns the transaction.
func (c *simChain) payNonce(to common.Address, wei int64, nonce uint64, tip int64, gas uint64) *types.Transaction {
	c.t.Helper()
	ctx := c.t.Context()
	head, err := c.node.HeaderByNumber(ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), big.NewInt(tip))
	tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{
		ChainID: c.chainID, Nonce: nonce, GasTipCap: big.NewInt(tip), GasFeeCap: feeCap,
		Gas: gas, To: &to, Value: big.NewInt(wei),
	}), types.LatestSignerForChainID(c.chainID), c.key)
	if err != nil {
		c.t.Fatal(err)
	}
	// After a Fork the simulated node's transaction pool resets to the new
	// head in the background: until it has, a nonce the fork made free
	// again is still "too low". Retry for a bounded while.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.sim.Client().SendTransaction(ctx, tx)
		if err == nil {
			return tx
		}
		if !strings.Contains(err.Error(), "nonce too low") || time.Now().After(deadline) {
			c.t.Fatalf("SendTransaction: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pay sends wei to `to` from the payer's next nonce.
func (c *simChain) pay(to common.Address, wei int64) *types.Transaction {
	c.t.Helper()
	tx := c.payNonce(to, wei, c.nonce, 1_000_000_000, 60_000)
	c.nonce++
	return tx
}

// commit mines a block once the pool holds every transaction sent (the
// simulated pool takes them in asynchronously).
func (c *simChain) commit() {
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

// openStore opens (or reopens) the SQLite file at path.
func openStore(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sync runs one Sync and fails the test on error.
func syncOnce(t *testing.T, w *chain.Watcher) uint64 {
	t.Helper()
	n, err := w.Sync(t.Context())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return n
}

func addrOf(s string) common.Address { return common.HexToAddress(s) }

// wantActivity checks the last observed activity of addr: the transfers'
// hashes, wei and confirmations, in order.
func wantActivity(t *testing.T, sink *recordingSink, addr common.Address, head uint64, txs []*types.Transaction, confs []uint64) {
	t.Helper()
	act, _, ok := sink.last(addr)
	if !ok {
		t.Fatalf("%s was never observed", addr.Hex())
	}
	if act.Head != head {
		t.Errorf("%s: Head = %d, want %d", addr.Hex(), act.Head, head)
	}
	if len(act.Transfers) != len(txs) {
		t.Fatalf("%s at head %d: %d transfers %+v, want %d", addr.Hex(), act.Head, len(act.Transfers), act.Transfers, len(txs))
	}
	for i, tx := range txs {
		got := act.Transfers[i]
		if got.TxHash != tx.Hash().Hex() || got.Wei.Cmp(tx.Value()) != 0 || got.Confirmations != confs[i] ||
			got.To != strings.ToLower(addr.Hex()) || got.BlockNumber != head-confs[i]+1 {
			t.Errorf("%s transfer %d: got %+v, want tx %s of %s wei with %d confirmations", addr.Hex(), i, got, tx.Hash().Hex(), tx.Value(), confs[i])
		}
	}
}

// TestWatcherConfirmations: an exact payment is observed with 1, 2 and 3
// confirmations, then up to the depth, and then no more; a transfer to an
// address the sink does not watch is neither kept nor observed; the sink
// is asked once per block that has transfers.
func TestWatcherConfirmations(t *testing.T) {
	c := newSimChain(t)
	deposit, stranger := addrOf("0x1000000000000000000000000000000000000001"), addrOf("0x2000000000000000000000000000000000000002")
	sink := newRecordingSink(deposit)
	w := chain.NewWatcher(c.node, openStore(t, filepath.Join(t.TempDir(), "db")), sink, chain.WatcherConfig{Depth: 4})
	start := syncOnce(t, w)

	pay := c.pay(deposit, 123_456_789_000)
	c.pay(stranger, 5)
	c.commit()
	for conf := uint64(1); conf <= 4; conf++ {
		if got := syncOnce(t, w); got != start+conf {
			t.Fatalf("Sync: head %d, want %d", got, start+conf)
		}
		wantActivity(t, sink, deposit, start+conf, []*types.Transaction{pay}, []uint64{conf})
		if _, i, _ := sink.last(deposit); i != sink.calls()-1 {
			t.Errorf("at %d confirmations the last Observe call did not have the deposit address", conf)
		}
		c.commit()
	}
	// Beyond the depth: no more calls.
	calls := sink.calls()
	syncOnce(t, w)
	c.commit()
	syncOnce(t, w)
	if sink.calls() != calls {
		t.Errorf("Observe called %d more times after the depth was passed, want 0: %+v", sink.calls()-calls, sink.observed[calls:])
	}
	if _, _, ok := sink.last(stranger); ok {
		t.Errorf("the unwatched address was observed")
	}
	// One Watched call, for the one block with transfers, with both
	// recipients.
	if len(sink.asked) != 1 || len(sink.asked[0]) != 2 {
		t.Errorf("Watched calls: %v, want one with the 2 recipients", sink.asked)
	}
}

// TestWatcherTwoTransfers: two transfers to one address, in two blocks,
// are both in its activity, in chain order.
func TestWatcherTwoTransfers(t *testing.T) {
	c := newSimChain(t)
	deposit := addrOf("0x1000000000000000000000000000000000000001")
	sink := newRecordingSink(deposit)
	w := chain.NewWatcher(c.node, openStore(t, filepath.Join(t.TempDir(), "db")), sink, chain.WatcherConfig{})
	start := syncOnce(t, w)
	first := c.pay(deposit, 600)
	c.commit()
	syncOnce(t, w)
	wantActivity(t, sink, deposit, start+1, []*types.Transaction{first}, []uint64{1})
	c.commit()
	second := c.pay(deposit, 400)
	third := c.pay(deposit, 1)
	c.commit()
	syncOnce(t, w)
	wantActivity(t, sink, deposit, start+3, []*types.Transaction{first, second, third}, []uint64{3, 1, 1})
}

// TestWatcherReverted: a payment whose transaction reverted moves no ETH
// and is ignored.
func TestWatcherReverted(t *testing.T) {
	c := newSimChain(t)
	deposit := addrOf("0x1000000000000000000000000000000000000001")
	sink := newRecordingSink(deposit, revertingAddr)
	w := chain.NewWatcher(c.node, openStore(t, filepath.Join(t.TempDir(), "db")), sink, chain.WatcherConfig{})
	start := syncOnce(t, w)
	failed := c.pay(revertingAddr, 1000)
	ok := c.pay(deposit, 1000)
	c.commit()
	r, err := c.node.(interface {
		TransactionReceipt(context.Context, common.Hash) (*types.Receipt, error)
	}).TransactionReceipt(t.Context(), failed.Hash())
	if err != nil || r.Status != types.ReceiptStatusFailed {
		t.Fatalf("the payment to the reverting contract: receipt %+v, %v; want a failed one", r, err)
	}
	syncOnce(t, w)
	wantActivity(t, sink, deposit, start+1, []*types.Transaction{ok}, []uint64{1})
	if act, _, seen := sink.last(revertingAddr); seen {
		t.Errorf("the reverted payment was observed: %+v", act)
	}
}

// TestWatcherReorg: a reorganisation (Fork) replaces the block of a
// payment with one where the payer spent the same nonce elsewhere; the
// address is observed again with no transfer.
func TestWatcherReorg(t *testing.T) {
	c := newSimChain(t)
	deposit, elsewhere := addrOf("0x1000000000000000000000000000000000000001"), addrOf("0x3000000000000000000000000000000000000003")
	sink := newRecordingSink(deposit)
	w := chain.NewWatcher(c.node, openStore(t, filepath.Join(t.TempDir(), "db")), sink, chain.WatcherConfig{})
	start := syncOnce(t, w)
	parent, err := c.node.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pay := c.pay(deposit, 777)
	c.commit()
	c.commit()
	syncOnce(t, w)
	wantActivity(t, sink, deposit, start+2, []*types.Transaction{pay}, []uint64{2})

	if err := c.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	// The double spend: the same nonce, a higher tip, to another address.
	c.payNonce(elsewhere, 777, 0, 10_000_000_000, 60_000)
	for range 3 {
		c.commit()
	}
	tip, err := c.node.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tip.Number.Uint64() != start+3 {
		t.Fatalf("after the fork the head is %d, want %d", tip.Number, start+3)
	}
	if _, err := c.node.(interface {
		TransactionReceipt(context.Context, common.Hash) (*types.Receipt, error)
	}).TransactionReceipt(t.Context(), pay.Hash()); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("the replaced payment's receipt: %v, want not found (the test's fork did not remove it)", err)
	}
	if got := syncOnce(t, w); got != start+3 {
		t.Fatalf("Sync after the fork: head %d, want %d", got, start+3)
	}
	wantActivity(t, sink, deposit, start, nil, nil)
}

// TestWatcherRestart: a watcher stopped mid-way and a new one on the
// reopened database resume at the next block: payments mined while none
// ran are found, none is counted twice, and every block with transfers is
// looked at exactly once.
func TestWatcherRestart(t *testing.T) {
	c := newSimChain(t)
	deposit := addrOf("0x1000000000000000000000000000000000000001")
	path := filepath.Join(t.TempDir(), "db")
	sink := newRecordingSink(deposit)
	db := openStore(t, path)
	w := chain.NewWatcher(c.node, db, sink, chain.WatcherConfig{})
	start := syncOnce(t, w)
	var txs []*types.Transaction
	txs = append(txs, c.pay(deposit, 1))
	c.commit()
	txs = append(txs, c.pay(deposit, 2))
	c.commit()
	syncOnce(t, w)
	db.Close()

	// Mined while no watcher runs.
	txs = append(txs, c.pay(deposit, 3))
	c.commit()
	c.commit()
	txs = append(txs, c.pay(deposit, 4))
	c.commit()

	w2 := chain.NewWatcher(c.node, openStore(t, path), sink, chain.WatcherConfig{})
	if got := syncOnce(t, w2); got != start+5 {
		t.Fatalf("restarted Sync: head %d, want %d", got, start+5)
	}
	wantActivity(t, sink, deposit, start+5, txs, []uint64{5, 4, 3, 1})
	if sink.askedCount() != 4 {
		t.Errorf("Watched called %d times for 4 blocks with transfers, want 4 (a block processed twice or missed)", sink.askedCount())
	}
}

// TestWatcherObserveRetried: when the sink fails, the activity is given
// to it again by the next Sync, even with no new block.
func TestWatcherObserveRetried(t *testing.T) {
	c := newSimChain(t)
	deposit := addrOf("0x1000000000000000000000000000000000000001")
	sink := newRecordingSink(deposit)
	w := chain.NewWatcher(c.node, openStore(t, filepath.Join(t.TempDir(), "db")), sink, chain.WatcherConfig{Depth: 1})
	start := syncOnce(t, w)
	pay := c.pay(deposit, 9)
	c.commit()
	sink.failNext = errors.New("sink down")
	if _, err := w.Sync(t.Context()); err == nil {
		t.Fatal("Sync with a failing sink: got nil error")
	}
	if _, _, ok := sink.last(deposit); ok {
		t.Fatal("observed although the sink failed")
	}
	syncOnce(t, w)
	wantActivity(t, sink, deposit, start+1, []*types.Transaction{pay}, []uint64{1})
}
