package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// PutCryptoConfig inserts or replaces the account's crypto settings for
// the mode, keeping its deposit index counter.
func (db *DB) PutCryptoConfig(ctx context.Context, c *paylinks.CryptoConfig) error {
	return wrap("PutCryptoConfig", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO crypto_configs (account_id, livemode, xpub, chain_id, confirmations,
				spread_bps, tolerance_bps, quote_window_s, late_grace_s, methods, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id, livemode) DO UPDATE SET xpub = excluded.xpub, chain_id = excluded.chain_id,
				confirmations = excluded.confirmations, spread_bps = excluded.spread_bps,
				tolerance_bps = excluded.tolerance_bps, quote_window_s = excluded.quote_window_s,
				late_grace_s = excluded.late_grace_s, methods = excluded.methods, updated_at = excluded.updated_at`,
			idArg(c.AccountID), c.Livemode, c.XPub, int64(c.ChainID), c.Confirmations, c.SpreadBps, c.ToleranceBps,
			int64(c.QuoteWindow/time.Second), int64(c.LateGrace/time.Second), joinMethods(c.Methods), micro(c.UpdatedAt))
		return err
	}))
}

func joinMethods(ms []paylinks.PaymentMethod) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ",")
}

func splitMethods(s string) []paylinks.PaymentMethod {
	var out []paylinks.PaymentMethod
	for _, m := range strings.Split(s, ",") {
		if m != "" {
			out = append(out, paylinks.PaymentMethod(m))
		}
	}
	return out
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// GetCryptoConfig returns the account's crypto settings for the mode.
func (db *DB) GetCryptoConfig(ctx context.Context, accountID paylinks.ID, livemode bool) (*paylinks.CryptoConfig, error) {
	c := &paylinks.CryptoConfig{AccountID: accountID, Livemode: livemode}
	var chainID, window, grace, next, updated int64
	var methods string
	err := db.queryRow(ctx, `SELECT xpub, chain_id, confirmations, spread_bps, tolerance_bps, quote_window_s,
			late_grace_s, methods, next_index, updated_at
		FROM crypto_configs WHERE account_id = ? AND livemode = ?`, idArg(accountID), livemode).
		Scan(&c.XPub, &chainID, &c.Confirmations, &c.SpreadBps, &c.ToleranceBps, &window, &grace, &methods, &next, &updated)
	if err != nil {
		return nil, wrap("GetCryptoConfig", err)
	}
	c.ChainID, c.NextIndex = uint64(chainID), uint32(next)
	c.QuoteWindow, c.LateGrace = time.Duration(window)*time.Second, time.Duration(grace)*time.Second
	c.Methods, c.UpdatedAt = splitMethods(methods), fromMicro(updated)
	return c, nil
}

// AllocateDepositIndex hands out the account's next deposit index for the
// mode in a transaction of its own.
func (db *DB) AllocateDepositIndex(ctx context.Context, accountID paylinks.ID, livemode bool) (uint32, error) {
	var idx int64
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		return tx.QueryRowContext(ctx, `UPDATE crypto_configs SET next_index = next_index + 1
			WHERE account_id = ? AND livemode = ? RETURNING next_index - 1`, idArg(accountID), livemode).Scan(&idx)
	})
	return uint32(idx), wrap("AllocateDepositIndex", err)
}

func insertSessionCrypto(ctx context.Context, tx *writeTx, s *paylinks.CheckoutSession) error {
	c := s.Crypto
	transfers, err := json.Marshal(transfersOrEmpty(c.Transfers))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO session_crypto (session_id, account_id, livemode, deposit_index, address,
			address_key, chain_id, quote_wei, eth_price, rate_sources, rate_at, rate_fixed, spread_bps, tolerance_bps,
			confirmations, late_grace_s, status, received_wei, transfers, paid_at, watch_until, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idArg(s.ID), idArg(s.AccountID), s.Livemode, int64(c.Index), c.Address, strings.ToLower(c.Address),
		int64(c.ChainID), c.QuoteWei, c.EthPrice, strings.Join(c.RateSources, ","), micro(c.RateAt), c.RateFixed,
		c.SpreadBps, c.ToleranceBps, c.Confirmations, int64(c.LateGrace/time.Second), string(c.Status),
		weiOrZero(c.ReceivedWei), string(transfers), nullMicro(c.PaidAt), micro(c.WatchUntil), c.Version, micro(c.UpdatedAt))
	return err
}

func transfersOrEmpty(t []paylinks.CryptoTransfer) []paylinks.CryptoTransfer {
	if t == nil {
		return []paylinks.CryptoTransfer{}
	}
	return t
}

func weiOrZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

const sessionCryptoCols = `deposit_index, address, chain_id, quote_wei, eth_price, rate_sources, rate_at, rate_fixed,
	spread_bps, tolerance_bps, confirmations, late_grace_s, status, received_wei, transfers, paid_at, watch_until,
	version, updated_at`

func scanSessionCrypto(row scanner) (*paylinks.SessionCrypto, error) {
	c := &paylinks.SessionCrypto{}
	var idx, chainID, rateAt, grace, watch, updated int64
	var sources, status, transfers string
	var paid sql.NullInt64
	err := row.Scan(&idx, &c.Address, &chainID, &c.QuoteWei, &c.EthPrice, &sources, &rateAt, &c.RateFixed,
		&c.SpreadBps, &c.ToleranceBps, &c.Confirmations, &grace, &status, &c.ReceivedWei, &transfers, &paid, &watch,
		&c.Version, &updated)
	if err != nil {
		return nil, err
	}
	c.Index, c.ChainID = uint32(idx), uint64(chainID)
	c.RateSources, c.RateAt = splitList(sources), fromMicro(rateAt)
	c.LateGrace, c.Status = time.Duration(grace)*time.Second, paylinks.CryptoStatus(status)
	if err := json.Unmarshal([]byte(transfers), &c.Transfers); err != nil {
		return nil, fmt.Errorf("session crypto transfers: %w", err)
	}
	if len(c.Transfers) == 0 {
		c.Transfers = nil
	}
	c.PaidAt, c.WatchUntil, c.UpdatedAt = fromNullMicro(paid), fromMicro(watch), fromMicro(updated)
	return c, nil
}

// SessionCrypto returns the crypto state of a session.
func (db *DB) SessionCrypto(ctx context.Context, sessionID paylinks.ID) (*paylinks.SessionCrypto, error) {
	c, err := scanSessionCrypto(db.queryRow(ctx, `SELECT `+sessionCryptoCols+` FROM session_crypto WHERE session_id = ?`,
		idArg(sessionID)))
	return c, wrap("SessionCrypto", err)
}

// WatchedAddresses returns which of addrs are deposit addresses on chainID
// of sessions still watched at now.
func (db *DB) WatchedAddresses(ctx context.Context, chainID uint64, addrs []string, now time.Time) ([]string, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	args := []any{int64(chainID), micro(now)}
	for _, a := range addrs {
		args = append(args, strings.ToLower(a))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT address_key FROM session_crypto
		WHERE chain_id = ? AND watch_until > ? AND address_key IN (?`+strings.Repeat(", ?", len(addrs)-1)+`)`, args...)
	if err != nil {
		return nil, wrap("WatchedAddresses", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, wrap("WatchedAddresses", err)
		}
		out = append(out, a)
	}
	return out, wrap("WatchedAddresses", rows.Err())
}

// SessionsByAddress returns the sessions, with their Crypto, whose deposit
// address on chainID is addr.
func (db *DB) SessionsByAddress(ctx context.Context, chainID uint64, addr string) ([]paylinks.CheckoutSession, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.session_id FROM session_crypto s
		WHERE s.chain_id = ? AND s.address_key = ? ORDER BY s.session_id`, int64(chainID), strings.ToLower(addr))
	if err != nil {
		return nil, wrap("SessionsByAddress", err)
	}
	var ids []paylinks.ID
	for rows.Next() {
		var id paylinks.ID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap("SessionsByAddress", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("SessionsByAddress", err)
	}
	return db.sessionsWithCrypto(ctx, ids)
}

// ExpiredCryptoSessions returns pending ETH sessions whose quote expired
// at or before now.
func (db *DB) ExpiredCryptoSessions(ctx context.Context, now time.Time, limit int) ([]paylinks.CheckoutSession, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT c.id FROM session_crypto s JOIN checkout_sessions c ON c.id = s.session_id
		WHERE s.status = 'pending' AND c.expires_at <= ? ORDER BY c.expires_at, c.id LIMIT ?`, micro(now), limit)
	if err != nil {
		return nil, wrap("ExpiredCryptoSessions", err)
	}
	var ids []paylinks.ID
	for rows.Next() {
		var id paylinks.ID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap("ExpiredCryptoSessions", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("ExpiredCryptoSessions", err)
	}
	return db.sessionsWithCrypto(ctx, ids)
}

func (db *DB) sessionsWithCrypto(ctx context.Context, ids []paylinks.ID) ([]paylinks.CheckoutSession, error) {
	out := make([]paylinks.CheckoutSession, 0, len(ids))
	for _, id := range ids {
		s, err := db.SessionByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if s.Crypto, err = db.SessionCrypto(ctx, id); err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}

// UpdateSessionCrypto writes a session's new crypto state, its events and
// the charge it accepts, in one transaction. See store.CryptoWrite.
func (db *DB) UpdateSessionCrypto(ctx context.Context, w store.CryptoWrite) error {
	c := w.State
	transfers, err := json.Marshal(transfersOrEmpty(c.Transfers))
	if err != nil {
		return wrap("UpdateSessionCrypto", err)
	}
	var chargeMeta any
	if w.Charge != nil {
		if chargeMeta, err = jsonText(w.Charge.Metadata); err != nil {
			return wrap("UpdateSessionCrypto", err)
		}
	}
	return wrap("UpdateSessionCrypto", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE session_crypto SET status = ?, received_wei = ?, transfers = ?, paid_at = ?,
				version = version + 1, updated_at = ?
			WHERE session_id = ? AND version = ?`,
			string(c.Status), weiOrZero(c.ReceivedWei), string(transfers), nullMicro(c.PaidAt), micro(c.UpdatedAt),
			idArg(w.SessionID), c.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%w: session %s's crypto state changed meanwhile", paylinks.ErrConflict, w.SessionID)
		}
		if ch := w.Charge; ch != nil {
			if ch.SessionID == nil || *ch.SessionID != w.SessionID {
				return errors.New("the charge is not the session's")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET status = 'complete', completed_at = ?,
					charge_id = ?
				WHERE id = ? AND status = 'open' AND (claim_id IS NULL OR claim_until <= ?)`,
				micro(ch.CreatedAt), idArg(ch.ID), idArg(w.SessionID), micro(w.Now)); err != nil {
				return err
			}
			if ch.LinkID != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE links SET used = 1, used_at = ?
					WHERE id = ? AND multiple = 0 AND used = 0 AND (claim_id IS NULL OR claim_until <= ?)`,
					micro(ch.CreatedAt), idArg(*ch.LinkID), micro(w.Now)); err != nil {
					return err
				}
			}
			return createCharge(ctx, tx, store.ChargeWrite{Charge: ch, Events: w.Events}, chargeMeta)
		}
		for i := range w.Events {
			if err := insertEvent(ctx, tx, &w.Events[i]); err != nil {
				return err
			}
		}
		return nil
	}))
}
