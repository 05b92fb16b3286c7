package chain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Node is the part of an Ethereum JSON-RPC client the watcher uses.
// go-ethereum's *ethclient.Client implements it, whatever node it speaks to.
type Node interface {
	ChainID(ctx context.Context) (*big.Int, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	BlockByNumber(ctx context.Context, number *big.Int) (*types.Block, error)
	BlockReceipts(ctx context.Context, blockNrOrHash rpc.BlockNumberOrHash) ([]*types.Receipt, error)
}

// Defaults of WatcherConfig.
const (
	DefaultDepth = 12
	DefaultPoll  = 2 * time.Second
	DefaultKeep  = 128
)

// WatcherConfig tunes a Watcher. The zero value is the defaults.
type WatcherConfig struct {
	// Depth is how many confirmations a transfer is followed to: while the
	// newest transfer to an address has at most Depth confirmations, every
	// new block gives the address's activity to the sink again.
	// 0 is DefaultDepth.
	Depth uint64
	// Start is the first block processed on a chain the database has no
	// progress of; nil is the node's head at that first start.
	Start *uint64
	// Poll is how often the node is asked for new blocks. 0 is DefaultPoll.
	Poll time.Duration
	// Keep is how many processed blocks are remembered, the deepest
	// reorganisation the watcher can follow. 0 is DefaultKeep; at least
	// Depth.
	Keep uint64
	// Logger receives the watcher's progress and errors; nil discards.
	Logger *slog.Logger
}

// Watcher follows one node's canonical chain, keeps the native ETH
// transfers to the addresses its Sink watches, and tells the sink of every
// change of their activity. Its progress is in the database (ChainStore),
// so a restarted watcher, or another replica's, resumes at the next block:
// none is missed or counted twice. Run one watcher per chain at a time
// (RunExclusive).
type Watcher struct {
	node    Node
	store   store.ChainStore
	sink    Sink
	cfg     WatcherConfig
	log     *slog.Logger
	chainID uint64
}

// NewWatcher returns a watcher of node's chain that keeps its progress in
// st and reports to sink.
func NewWatcher(node Node, st store.ChainStore, sink Sink, cfg WatcherConfig) *Watcher {
	if cfg.Depth == 0 {
		cfg.Depth = DefaultDepth
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Keep == 0 {
		cfg.Keep = DefaultKeep
	}
	cfg.Keep = max(cfg.Keep, cfg.Depth)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{node: node, store: st, sink: sink, cfg: cfg, log: log}
}

// ChainID asks the node for its chain id (once; later calls reuse it).
func (w *Watcher) ChainID(ctx context.Context) (uint64, error) {
	if w.chainID != 0 {
		return w.chainID, nil
	}
	id, err := w.node.ChainID(ctx)
	if err != nil {
		return 0, fmt.Errorf("chain: ChainID: %w", err)
	}
	if !id.IsUint64() || id.Sign() == 0 {
		return 0, fmt.Errorf("chain: ChainID: unusable chain id %s", id)
	}
	w.chainID = id.Uint64()
	return w.chainID, nil
}

// Run syncs every Poll until ctx ends, logging and retrying failures. It
// first gives the sink the activity a previous run may have left
// unobserved (a crash between a block's write and the sink's call).
func (w *Watcher) Run(ctx context.Context) error {
	chainID, err := w.ChainID(ctx)
	for err != nil {
		w.log.Error("chain watcher: no chain id", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.cfg.Poll):
		}
		chainID, err = w.ChainID(ctx)
	}
	w.log.Info("chain watcher started", "chain_id", chainID, "depth", w.cfg.Depth)
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := w.Sync(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("chain watcher", "chain_id", chainID, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sync processes the blocks from the stored head to the node's head, one
// by one, following any reorganisation, and returns the number of the head
// it reached. Each block is written (with its transfers) before the sink
// hears of it; what the sink has not taken yet is given to it again by the
// next Sync.
func (w *Watcher) Sync(ctx context.Context) (uint64, error) {
	chainID, err := w.ChainID(ctx)
	if err != nil {
		return 0, err
	}
	tip, err := w.node.HeaderByNumber(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("chain: head: %w", err)
	}
	head, err := w.store.ChainHead(ctx, chainID)
	if errors.Is(err, paylinks.ErrNotFound) {
		start := tip.Number.Uint64()
		if w.cfg.Start != nil {
			start = *w.cfg.Start
		}
		blk, err := w.node.BlockByNumber(ctx, new(big.Int).SetUint64(start))
		if err != nil {
			return 0, fmt.Errorf("chain: start block %d: %w", start, err)
		}
		if head, err = w.process(ctx, blk); err != nil {
			return 0, err
		}
		w.log.Info("chain watcher: first block", "chain_id", chainID, "block", start)
	} else if err != nil {
		return 0, err
	}
	// The node's chain may have changed below (or at) our head without
	// growing past it.
	if head, err = w.checkCanonical(ctx, head, min(head.Number, tip.Number.Uint64())); err != nil {
		return 0, err
	}
	// What a previous Sync left unobserved (a failed Observe, a crash, a
	// reorganisation just followed): no transfer is above the head, so
	// only the unobserved addresses are given.
	if err := w.observe(ctx, head.Number, head.Number+1); err != nil {
		return head.Number, err
	}
	for head.Number < tip.Number.Uint64() {
		if err := ctx.Err(); err != nil {
			return head.Number, err
		}
		blk, err := w.node.BlockByNumber(ctx, new(big.Int).SetUint64(head.Number+1))
		if err != nil {
			return head.Number, fmt.Errorf("chain: block %d: %w", head.Number+1, err)
		}
		if hex(blk.ParentHash()) != head.Hash {
			if head, err = w.rewind(ctx, head.Number); err != nil {
				return 0, err
			}
			continue
		}
		if head, err = w.process(ctx, blk); err != nil {
			return 0, err
		}
		if err := w.observe(ctx, head.Number, w.window(head.Number)); err != nil {
			return head.Number, err
		}
	}
	// A reorganisation to a shorter chain leaves no next block to observe
	// the rewound addresses with.
	if err := w.observe(ctx, head.Number, head.Number+1); err != nil {
		return head.Number, err
	}
	return head.Number, nil
}

// checkCanonical rewinds to the common ancestor when the node's block n
// is not the stored one (or head is above the node's head).
func (w *Watcher) checkCanonical(ctx context.Context, head *store.ChainBlock, n uint64) (*store.ChainBlock, error) {
	if n == head.Number {
		h, err := w.node.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			return nil, fmt.Errorf("chain: header %d: %w", n, err)
		}
		if hex(h.Hash()) == head.Hash {
			return head, nil
		}
	}
	return w.rewind(ctx, head.Number)
}

// rewind walks back from block n to the newest processed block that is
// still canonical, forgets the blocks above it with their transfers (their
// addresses are marked unobserved in the same transaction), and returns
// it.
func (w *Watcher) rewind(ctx context.Context, n uint64) (*store.ChainBlock, error) {
	for m := n; ; m-- {
		stored, err := w.store.ChainBlock(ctx, w.chainID, m)
		if errors.Is(err, paylinks.ErrNotFound) {
			return nil, fmt.Errorf("chain: reorganisation deeper than the %d blocks kept (below block %d): %w", w.cfg.Keep, m+1, err)
		}
		if err != nil {
			return nil, err
		}
		h, err := w.node.HeaderByNumber(ctx, new(big.Int).SetUint64(m))
		if err != nil && !errors.Is(err, ethereum.NotFound) {
			return nil, fmt.Errorf("chain: header %d: %w", m, err)
		}
		if h != nil && hex(h.Hash()) == stored.Hash {
			if err := w.store.ChainRewind(ctx, w.chainID, m); err != nil {
				return nil, err
			}
			w.log.Warn("chain watcher: reorganisation", "chain_id", w.chainID, "from", n, "ancestor", m)
			return stored, nil
		}
		if m == 0 {
			return nil, fmt.Errorf("chain: no common ancestor with the node's chain")
		}
	}
}

// process keeps blk's native ETH transfers to watched addresses from
// successful transactions, and records the block with them.
func (w *Watcher) process(ctx context.Context, blk *types.Block) (*store.ChainBlock, error) {
	type candidate struct {
		i    int
		to   string
		hash common.Hash
		wei  *big.Int
	}
	var cands []candidate
	var addrs []string
	seen := make(map[string]bool)
	for i, tx := range blk.Transactions() {
		to := tx.To()
		if to == nil || tx.Value().Sign() <= 0 {
			continue
		}
		a := strings.ToLower(to.Hex())
		cands = append(cands, candidate{i: i, to: a, hash: tx.Hash(), wei: tx.Value()})
		if !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	var transfers []store.ChainTransfer
	if len(addrs) > 0 {
		watched, err := w.sink.Watched(ctx, w.chainID, addrs)
		if err != nil {
			return nil, fmt.Errorf("chain: block %d: Watched: %w", blk.NumberU64(), err)
		}
		cands = slices.DeleteFunc(cands, func(c candidate) bool { return !watched[c.to] })
		if len(cands) > 0 {
			// A reverted transaction moves no ETH: keep only successful
			// ones. The receipts are asked for by the block's hash, so
			// they are this block's even if a reorganisation happens now.
			rs, err := w.node.BlockReceipts(ctx, rpc.BlockNumberOrHashWithHash(blk.Hash(), false))
			if err != nil {
				return nil, fmt.Errorf("chain: block %d: receipts: %w", blk.NumberU64(), err)
			}
			if len(rs) != len(blk.Transactions()) {
				return nil, fmt.Errorf("chain: block %d: %d receipts for %d transactions", blk.NumberU64(), len(rs), len(blk.Transactions()))
			}
			for _, c := range cands {
				r := rs[c.i]
				if r.TxHash != c.hash {
					return nil, fmt.Errorf("chain: block %d: receipt %d is of %s, want %s", blk.NumberU64(), c.i, r.TxHash, c.hash)
				}
				if r.Status != types.ReceiptStatusSuccessful {
					continue
				}
				transfers = append(transfers, store.ChainTransfer{
					TxHash: hex(c.hash), To: c.to, Wei: new(big.Int).Set(c.wei),
					BlockNumber: blk.NumberU64(), BlockHash: hex(blk.Hash()),
					BlockTime: time.Unix(int64(blk.Time()), 0).UTC(), TxIndex: uint(c.i),
				})
			}
		}
	}
	b := store.ChainBlock{Number: blk.NumberU64(), Hash: hex(blk.Hash()), ParentHash: hex(blk.ParentHash())}
	if err := w.store.ChainAdvance(ctx, w.chainID, b, transfers, w.cfg.Keep); err != nil {
		return nil, err
	}
	return &b, nil
}

// window is the lowest block whose transfers have at most Depth
// confirmations at head.
func (w *Watcher) window(head uint64) uint64 {
	if head+1 > w.cfg.Depth {
		return head + 1 - w.cfg.Depth
	}
	return 0
}

// observe gives the sink, at head, the whole activity of every address
// that is unobserved or has a transfer in block since or later, then
// clears their unobserved marks.
func (w *Watcher) observe(ctx context.Context, head, since uint64) error {
	byAddr, err := w.store.ChainActivity(ctx, w.chainID, since)
	if err != nil || len(byAddr) == 0 {
		return err
	}
	acts := make([]Activity, 0, len(byAddr))
	addrs := make([]string, 0, len(byAddr))
	for a, ts := range byAddr {
		act := Activity{ChainID: w.chainID, Address: a, Head: head, Transfers: make([]Transfer, 0, len(ts))}
		for _, t := range ts {
			act.Transfers = append(act.Transfers, Transfer{
				TxHash: t.TxHash, To: t.To, Wei: t.Wei, BlockNumber: t.BlockNumber,
				BlockHash: t.BlockHash, BlockTime: t.BlockTime, Confirmations: head - t.BlockNumber + 1,
			})
		}
		acts = append(acts, act)
		addrs = append(addrs, a)
	}
	slices.SortFunc(acts, func(a, b Activity) int { return cmp.Compare(a.Address, b.Address) })
	if err := w.sink.Observe(ctx, acts); err != nil {
		return fmt.Errorf("chain: Observe at block %d: %w", head, err)
	}
	return w.store.ChainObserved(ctx, w.chainID, addrs)
}

// hex is h as the store and the sink keep it: 0x-prefixed lower-case hex.
func hex(h common.Hash) string { return h.Hex() }
