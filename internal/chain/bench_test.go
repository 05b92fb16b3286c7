package chain_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// fakeNode is a chain.Node serving prepared blocks up to its tip, for the
// benchmark: the watcher's own cost without a node's.
type fakeNode struct {
	mu       sync.Mutex
	blocks   []*types.Block
	receipts map[common.Hash][]*types.Receipt
	tip      uint64
}

var _ chain.Node = (*fakeNode)(nil)

func (n *fakeNode) ChainID(context.Context) (*big.Int, error) { return big.NewInt(1337), nil }

func (n *fakeNode) HeaderByNumber(ctx context.Context, num *big.Int) (*types.Header, error) {
	b, err := n.BlockByNumber(ctx, num)
	if err != nil {
		return nil, err
	}
	return b.Header(), nil
}

func (n *fakeNode) BlockByNumber(_ context.Context, num *big.Int) (*types.Block, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	i := n.tip
	if num != nil {
		i = num.Uint64()
	}
	if i > n.tip {
		return nil, ethereum.NotFound
	}
	return n.blocks[i], nil
}

func (n *fakeNode) BlockReceipts(_ context.Context, h rpc.BlockNumberOrHash) ([]*types.Receipt, error) {
	hash, _ := h.Hash()
	return n.receipts[hash], nil
}

// benchAddr is the i-th address of the benchmark's kind k.
func benchAddr(k byte, i int) common.Address {
	var a common.Address
	a[0] = k
	binary.BigEndian.PutUint64(a[12:], uint64(i))
	return a
}

// BenchmarkWatcherBlock is the watcher's time per block with 10,000 open
// sessions' addresses watched and 200 transactions per block, 20 of them
// paying a session (the others to strangers, one of the 200 a contract
// creation), on a real SQLite store and on PostgreSQL (when
// $PAYLINKS_TEST_POSTGRES is set); one op is one block synced.
func BenchmarkWatcherBlock(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchmarkWatcherBlock(b, openStore(b, filepath.Join(b.TempDir(), "db")))
	})
	b.Run("postgres", func(b *testing.B) { benchmarkWatcherBlock(b, postgres.OpenTest(b)) })
}

func benchmarkWatcherBlock(b *testing.B, st store.ChainStore) {
	const sessions, perBlock, paying = 10_000, 200, 20
	watched := make(map[string]bool, sessions)
	for i := range sessions {
		watched[strings.ToLower(benchAddr(0xaa, i).Hex())] = true
	}
	sink := &mapSink{watched: watched}
	node := &fakeNode{receipts: make(map[common.Hash][]*types.Receipt)}
	parent := common.Hash{}
	nonce := uint64(0)
	for n := 0; n <= b.N; n++ {
		var txs []*types.Transaction
		var rs []*types.Receipt
		for i := range perBlock {
			var to *common.Address
			switch {
			case i < paying:
				a := benchAddr(0xaa, (n*paying+i)%sessions)
				to = &a
			case i == perBlock-1: // a contract creation
			default:
				a := benchAddr(0xbb, n*perBlock+i)
				to = &a
			}
			tx := types.NewTx(&types.LegacyTx{Nonce: nonce, To: to, Value: big.NewInt(int64(1e15 + i)), Gas: 21000, GasPrice: big.NewInt(1e9)})
			nonce++
			txs = append(txs, tx)
			rs = append(rs, &types.Receipt{TxHash: tx.Hash(), Status: types.ReceiptStatusSuccessful})
		}
		h := &types.Header{Number: big.NewInt(int64(n)), ParentHash: parent, Time: uint64(1_700_000_000 + 12*n), Difficulty: big.NewInt(0)}
		blk := types.NewBlockWithHeader(h).WithBody(types.Body{Transactions: txs})
		node.blocks = append(node.blocks, blk)
		node.receipts[blk.Hash()] = rs
		parent = blk.Hash()
	}
	w := chain.NewWatcher(node, st, sink, chain.WatcherConfig{})
	ctx := context.Background()
	if _, err := w.Sync(ctx); err != nil { // block 0, the start
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		node.mu.Lock()
		node.tip = uint64(i)
		node.mu.Unlock()
		if got, err := w.Sync(ctx); err != nil || got != uint64(i) {
			b.Fatalf("Sync: %d, %v; want %d", got, err, i)
		}
	}
	b.StopTimer()
	if sink.observed == 0 {
		b.Fatal("nothing observed")
	}
	b.ReportMetric(float64(sink.observed)/float64(b.N), "activities/block")
}

// mapSink watches a fixed set of addresses and counts activities.
type mapSink struct {
	watched  map[string]bool
	observed int
}

func (s *mapSink) Watched(_ context.Context, _ uint64, addrs []string) (map[string]bool, error) {
	out := make(map[string]bool)
	for _, a := range addrs {
		if s.watched[a] {
			out[a] = true
		}
	}
	return out, nil
}

func (s *mapSink) Observe(_ context.Context, acts []chain.Activity) error {
	for _, a := range acts {
		if len(a.Transfers) == 0 {
			return fmt.Errorf("empty activity of %s", a.Address)
		}
	}
	s.observed += len(acts)
	return nil
}
