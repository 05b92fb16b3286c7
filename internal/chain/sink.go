// Package chain follows an Ethereum node's canonical chain and tells
// paylinks which native ETH transfers reached which deposit addresses, and
// how deeply each is confirmed. It holds no key and moves no money: what a
// transfer means for a checkout session is the Sink's business (the
// service layer's crypto state machine).
package chain

import (
	"context"
	"math/big"
	"time"
)

// Transfer is one native ETH transfer to a watched address, as the
// canonical chain holds it now.
type Transfer struct {
	TxHash        string // 0x-prefixed, lower-case hex
	To            string // 0x-prefixed, lower-case hex address
	Wei           *big.Int
	BlockNumber   uint64
	BlockHash     string    // 0x-prefixed, lower-case hex
	BlockTime     time.Time // the block's timestamp
	Confirmations uint64    // head − BlockNumber + 1
}

// Activity is everything the canonical chain holds, at block Head, for one
// watched address on one chain: every transfer to it, however old. A
// Transfers list that is empty (or shorter than before) means a
// reorganisation removed what was seen.
type Activity struct {
	ChainID   uint64
	Address   string // 0x-prefixed, lower-case hex
	Head      uint64
	Transfers []Transfer
}

// Sink receives what the watcher sees. Both methods are called by the one
// watcher that holds the chain's lease, block after block.
type Sink interface {
	// Watched reports which of addrs (lower-case) are deposit addresses of
	// sessions on chainID that still take payments (open, within the late
	// payment grace, or being monitored after payment). It is called with
	// a block's transfer recipients: one indexed lookup, whatever the
	// number of open sessions.
	Watched(ctx context.Context, chainID uint64, addrs []string) (map[string]bool, error)

	// Observe gives the whole current Activity of each address whose
	// activity changed: a new transfer, a new confirmation while its
	// newest transfer is within the watcher's depth, or a reorganisation
	// that removed or moved a transfer. It must be idempotent: the watcher
	// repeats calls after a restart, and the sink derives the session's
	// state from the whole list each time, never by adding to a counter.
	Observe(ctx context.Context, acts []Activity) error
}
