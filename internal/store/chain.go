package store

import (
	"context"
	"math/big"
	"time"
)

// ChainStore keeps the chain watcher's progress on each chain: the blocks
// it has processed (the newest ones, to find the common ancestor after a
// reorganisation), the native ETH transfers it kept from them, and the
// addresses whose activity changed and has not been given to the sink yet.
// One watcher writes a chain at a time (see Locker); the conditions below
// make a second one fail rather than write a block twice.
type ChainStore interface {
	// ChainHead returns the newest processed block of chainID, or
	// ErrNotFound when the watcher never processed one.
	ChainHead(ctx context.Context, chainID uint64) (*ChainBlock, error)
	// ChainBlock returns the processed block number of chainID, or
	// ErrNotFound when it was not processed or is older than the blocks
	// kept.
	ChainBlock(ctx context.Context, chainID, number uint64) (*ChainBlock, error)
	// ChainAdvance records b as processed, with the transfers kept from it,
	// in one transaction, and marks their addresses unobserved. b must
	// follow the head (b.Number = head+1 and b.ParentHash = head's hash),
	// or be the first block of the chain; otherwise nothing is written and
	// the error is ErrConflict. Processed blocks older than keep blocks
	// below b are forgotten (their transfers stay).
	ChainAdvance(ctx context.Context, chainID uint64, b ChainBlock, transfers []ChainTransfer, keep uint64) error
	// ChainRewind forgets the processed blocks above number and deletes
	// their transfers, in one transaction, and marks those transfers'
	// addresses unobserved: a reorganisation replaced those blocks.
	ChainRewind(ctx context.Context, chainID, number uint64) error
	// ChainActivity returns every transfer (in chain order) of each address
	// that is unobserved or has a transfer in a block numbered since or
	// higher. An unobserved address without transfers maps to an empty
	// list.
	ChainActivity(ctx context.Context, chainID, since uint64) (map[string][]ChainTransfer, error)
	// ChainObserved clears the unobserved mark of the addresses, once the
	// sink has taken their activity.
	ChainObserved(ctx context.Context, chainID uint64, addrs []string) error
}

// ChainBlock is a processed block: its number, its hash and its parent's
// (0x-prefixed lower-case hex).
type ChainBlock struct {
	Number     uint64
	Hash       string
	ParentHash string
}

// ChainTransfer is a native ETH transfer the watcher kept: a successful
// transaction with a value to a watched address.
type ChainTransfer struct {
	TxHash      string // 0x-prefixed lower-case hex, unique on its chain
	To          string // 0x-prefixed lower-case hex address
	Wei         *big.Int
	BlockNumber uint64
	BlockHash   string
	BlockTime   time.Time
	TxIndex     uint
}

// Locker is implemented by stores that several processes share
// (PostgreSQL): it elects the one process that runs a background job such
// as a chain's watcher. A store without it belongs to one process, which
// runs the job itself.
type Locker interface {
	// TryLock tries once, without waiting, to take the lock called name.
	// It returns nil, nil when another process holds it. The lock lives
	// as long as the returned Lock: it is lost when its connection breaks
	// (Lost is closed then) or released by Release.
	TryLock(ctx context.Context, name string) (Lock, error)
}

// Lock is a lock taken by Locker.TryLock.
type Lock interface {
	// Lost is closed when the lock may have been lost (its connection to
	// the database failed); the holder must stop the job.
	Lost() <-chan struct{}
	// Release gives the lock up; another process may take it at once.
	Release() error
}
