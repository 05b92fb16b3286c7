package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

func scanChainBlock(row pgx.Row) (*store.ChainBlock, error) {
	var b store.ChainBlock
	var n int64
	if err := row.Scan(&n, &b.Hash, &b.ParentHash); err != nil {
		return nil, err
	}
	b.Number = uint64(n)
	return &b, nil
}

// ChainHead returns the newest processed block of chainID.
func (db *DB) ChainHead(ctx context.Context, chainID uint64) (_ *store.ChainBlock, err error) {
	defer wrap(&err, "ChainHead")
	return scanChainBlock(db.pool.QueryRow(ctx,
		`SELECT number, hash, parent_hash FROM chain_blocks WHERE chain_id = $1 ORDER BY number DESC LIMIT 1`, int64(chainID)))
}

// ChainBlock returns a processed block of chainID.
func (db *DB) ChainBlock(ctx context.Context, chainID, number uint64) (_ *store.ChainBlock, err error) {
	defer wrap(&err, "ChainBlock")
	return scanChainBlock(db.pool.QueryRow(ctx,
		`SELECT number, hash, parent_hash FROM chain_blocks WHERE chain_id = $1 AND number = $2`, int64(chainID), int64(number)))
}

// ChainAdvance records b and its transfers if b follows the stored head. The
// head is read FOR UPDATE, and the block's primary key refuses a second
// block of one number, so two writers never both advance.
func (db *DB) ChainAdvance(ctx context.Context, chainID uint64, b store.ChainBlock, transfers []store.ChainTransfer, keep uint64) (err error) {
	defer wrap(&err, "ChainAdvance")
	cid := int64(chainID)
	for _, t := range transfers {
		if t.Wei == nil || t.Wei.Sign() <= 0 {
			return fmt.Errorf("transfer %s: wei must be positive", t.TxHash)
		}
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var n int64
		var hash string
		err := tx.QueryRow(ctx, `SELECT number, hash FROM chain_blocks WHERE chain_id = $1 ORDER BY number DESC LIMIT 1 FOR UPDATE`, cid).Scan(&n, &hash)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case uint64(n)+1 != b.Number || hash != b.ParentHash:
			return fmt.Errorf("block %d (parent %s) does not follow head %d (%s): %w", b.Number, b.ParentHash, n, hash, paylinks.ErrConflict)
		}
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO chain_blocks (chain_id, number, hash, parent_hash) VALUES ($1, $2, $3, $4)`,
			cid, int64(b.Number), b.Hash, b.ParentHash)
		if b.Number > keep {
			batch.Queue(`DELETE FROM chain_blocks WHERE chain_id = $1 AND number < $2`, cid, int64(b.Number-keep))
		}
		for _, t := range transfers {
			batch.Queue(`INSERT INTO chain_transfers (chain_id, tx_hash, to_address, wei, block_number, block_hash, block_time, tx_index)
				VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8)`,
				cid, t.TxHash, t.To, t.Wei.String(), int64(t.BlockNumber), t.BlockHash, ts(t.BlockTime), int64(t.TxIndex))
			batch.Queue(`INSERT INTO chain_unobserved (chain_id, address) VALUES ($1, $2) ON CONFLICT DO NOTHING`, cid, t.To)
		}
		return tx.SendBatch(ctx, batch).Close()
	})
}

// ChainRewind forgets the blocks above number and their transfers.
func (db *DB) ChainRewind(ctx context.Context, chainID, number uint64) (err error) {
	defer wrap(&err, "ChainRewind")
	cid, n := int64(chainID), int64(number)
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO chain_unobserved (chain_id, address)
			SELECT DISTINCT chain_id, to_address FROM chain_transfers WHERE chain_id = $1 AND block_number > $2
			ON CONFLICT DO NOTHING`, cid, n)
		batch.Queue(`DELETE FROM chain_transfers WHERE chain_id = $1 AND block_number > $2`, cid, n)
		batch.Queue(`DELETE FROM chain_blocks WHERE chain_id = $1 AND number > $2`, cid, n)
		return tx.SendBatch(ctx, batch).Close()
	})
}

// ChainActivity returns the transfers of the unobserved addresses and of
// those with a transfer at block since or later, in one query.
func (db *DB) ChainActivity(ctx context.Context, chainID, since uint64) (_ map[string][]store.ChainTransfer, err error) {
	defer wrap(&err, "ChainActivity")
	cid := int64(chainID)
	rows, err := db.pool.Query(ctx, `WITH a AS (
			SELECT address FROM chain_unobserved WHERE chain_id = $1
			UNION SELECT to_address FROM chain_transfers WHERE chain_id = $1 AND block_number >= $2)
		SELECT a.address, t.tx_hash, t.wei::text, t.block_number, t.block_hash, t.block_time, t.tx_index
		FROM a LEFT JOIN chain_transfers t ON t.chain_id = $1 AND t.to_address = a.address
		ORDER BY a.address, t.block_number, t.tx_index`, cid, int64(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]store.ChainTransfer)
	for rows.Next() {
		var addr string
		var hash, wei, blockHash *string
		var n, idx *int64
		var at *time.Time
		var t store.ChainTransfer
		if err := rows.Scan(&addr, &hash, &wei, &n, &blockHash, &at, &idx); err != nil {
			return nil, err
		}
		if hash == nil {
			out[addr] = []store.ChainTransfer{}
			continue
		}
		var ok bool
		if t.Wei, ok = new(big.Int).SetString(*wei, 10); !ok {
			return nil, fmt.Errorf("transfer %s: bad wei %q", *hash, *wei)
		}
		t.TxHash, t.To, t.BlockNumber, t.BlockHash, t.TxIndex = *hash, addr, uint64(*n), *blockHash, uint(*idx)
		t.BlockTime = at.UTC()
		out[addr] = append(out[addr], t)
	}
	return out, rows.Err()
}

// ChainObserved clears the unobserved mark of addrs.
func (db *DB) ChainObserved(ctx context.Context, chainID uint64, addrs []string) (err error) {
	defer wrap(&err, "ChainObserved")
	if len(addrs) == 0 {
		return nil
	}
	_, err = db.pool.Exec(ctx, `DELETE FROM chain_unobserved WHERE chain_id = $1 AND address = ANY($2)`, int64(chainID), addrs)
	return err
}
