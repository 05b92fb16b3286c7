package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const chainBlockCols = `number, hash, parent_hash`

func scanChainBlock(row *sql.Row) (*store.ChainBlock, error) {
	var b store.ChainBlock
	var n int64
	if err := row.Scan(&n, &b.Hash, &b.ParentHash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, paylinks.ErrNotFound
		}
		return nil, err
	}
	b.Number = uint64(n)
	return &b, nil
}

// ChainHead returns the newest processed block of chainID.
func (db *DB) ChainHead(ctx context.Context, chainID uint64) (*store.ChainBlock, error) {
	b, err := scanChainBlock(db.queryRow(ctx,
		`SELECT `+chainBlockCols+` FROM chain_blocks WHERE chain_id = ? ORDER BY number DESC LIMIT 1`, int64(chainID)))
	if err != nil {
		return nil, wrap("ChainHead", err)
	}
	return b, nil
}

// ChainBlock returns a processed block of chainID.
func (db *DB) ChainBlock(ctx context.Context, chainID, number uint64) (*store.ChainBlock, error) {
	b, err := scanChainBlock(db.queryRow(ctx,
		`SELECT `+chainBlockCols+` FROM chain_blocks WHERE chain_id = ? AND number = ?`, int64(chainID), int64(number)))
	if err != nil {
		return nil, wrap("ChainBlock", err)
	}
	return b, nil
}

// ChainAdvance records b and its transfers if b follows the stored head
// (read in the write transaction, so the check and the write are one).
func (db *DB) ChainAdvance(ctx context.Context, chainID uint64, b store.ChainBlock, transfers []store.ChainTransfer, keep uint64) error {
	cid := int64(chainID)
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var n int64
		var hash string
		err := tx.QueryRowContext(ctx, `SELECT number, hash FROM chain_blocks WHERE chain_id = ? ORDER BY number DESC LIMIT 1`, cid).Scan(&n, &hash)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case uint64(n)+1 != b.Number || hash != b.ParentHash:
			return fmt.Errorf("block %d (parent %s) does not follow head %d (%s): %w", b.Number, b.ParentHash, n, hash, paylinks.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_blocks (chain_id, number, hash, parent_hash) VALUES (?, ?, ?, ?)`,
			cid, int64(b.Number), b.Hash, b.ParentHash); err != nil {
			return err
		}
		if b.Number > keep {
			if _, err := tx.ExecContext(ctx, `DELETE FROM chain_blocks WHERE chain_id = ? AND number < ?`, cid, int64(b.Number-keep)); err != nil {
				return err
			}
		}
		for _, t := range transfers {
			if t.Wei == nil || t.Wei.Sign() <= 0 {
				return fmt.Errorf("transfer %s: wei must be positive", t.TxHash)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO chain_transfers (chain_id, tx_hash, to_address, wei, block_number, block_hash, block_time, tx_index)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				cid, t.TxHash, t.To, t.Wei.String(), int64(t.BlockNumber), t.BlockHash, micro(t.BlockTime), int64(t.TxIndex)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO chain_unobserved (chain_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING`, cid, t.To); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrap("ChainAdvance", err)
	}
	return nil
}

// ChainRewind forgets the blocks above number and their transfers.
func (db *DB) ChainRewind(ctx context.Context, chainID, number uint64) error {
	cid, n := int64(chainID), int64(number)
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_unobserved (chain_id, address)
			SELECT DISTINCT chain_id, to_address FROM chain_transfers WHERE chain_id = ? AND block_number > ?
			ON CONFLICT DO NOTHING`, cid, n); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM chain_transfers WHERE chain_id = ? AND block_number > ?`, cid, n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM chain_blocks WHERE chain_id = ? AND number > ?`, cid, n)
		return err
	})
	if err != nil {
		return wrap("ChainRewind", err)
	}
	return nil
}

// ChainActivity returns the transfers of the unobserved addresses and of
// those with a transfer at block since or later.
func (db *DB) ChainActivity(ctx context.Context, chainID, since uint64) (map[string][]store.ChainTransfer, error) {
	cid := int64(chainID)
	out := make(map[string][]store.ChainTransfer)
	rows, err := db.read.QueryContext(ctx, `SELECT address FROM chain_unobserved WHERE chain_id = ?
		UNION SELECT to_address FROM chain_transfers WHERE chain_id = ? AND block_number >= ?`, cid, cid, int64(since))
	if err != nil {
		return nil, wrap("ChainActivity", err)
	}
	var addrs []any
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return nil, wrap("ChainActivity", err)
		}
		out[a] = []store.ChainTransfer{}
		addrs = append(addrs, a)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, wrap("ChainActivity", err)
	}
	// In chunks, well under SQLite's limit of bound parameters.
	for len(addrs) > 0 {
		chunk := addrs[:min(len(addrs), 500)]
		addrs = addrs[len(chunk):]
		args := append([]any{cid}, chunk...)
		rows, err := db.read.QueryContext(ctx, `SELECT tx_hash, to_address, wei, block_number, block_hash, block_time, tx_index
			FROM chain_transfers WHERE chain_id = ? AND to_address IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)
			ORDER BY block_number, tx_index`, args...)
		if err != nil {
			return nil, wrap("ChainActivity", err)
		}
		for rows.Next() {
			var t store.ChainTransfer
			var wei string
			var n, at, idx int64
			if err := rows.Scan(&t.TxHash, &t.To, &wei, &n, &t.BlockHash, &at, &idx); err != nil {
				rows.Close()
				return nil, wrap("ChainActivity", err)
			}
			var ok bool
			if t.Wei, ok = new(big.Int).SetString(wei, 10); !ok {
				rows.Close()
				return nil, wrap("ChainActivity", fmt.Errorf("transfer %s: bad wei %q", t.TxHash, wei))
			}
			t.BlockNumber, t.BlockTime, t.TxIndex = uint64(n), fromMicro(at), uint(idx)
			out[t.To] = append(out[t.To], t)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, wrap("ChainActivity", err)
		}
	}
	return out, nil
}

// ChainObserved clears the unobserved mark of addrs.
func (db *DB) ChainObserved(ctx context.Context, chainID uint64, addrs []string) error {
	if len(addrs) == 0 {
		return nil
	}
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		for _, a := range addrs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM chain_unobserved WHERE chain_id = ? AND address = ?`, int64(chainID), a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrap("ChainObserved", err)
	}
	return nil
}
