package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// PutCryptoConfig inserts or replaces the account's crypto settings for
// the mode, keeping its deposit index counter.
func (db *DB) PutCryptoConfig(ctx context.Context, c *paylinks.CryptoConfig) (err error) {
	defer wrap(&err, "PutCryptoConfig")
	_, err = db.pool.Exec(ctx, `INSERT INTO crypto_configs (account_id, livemode, xpub, chain_id, confirmations,
			spread_bps, tolerance_bps, quote_window_s, late_grace_s, methods, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (account_id, livemode) DO UPDATE SET xpub = excluded.xpub, chain_id = excluded.chain_id,
			confirmations = excluded.confirmations, spread_bps = excluded.spread_bps,
			tolerance_bps = excluded.tolerance_bps, quote_window_s = excluded.quote_window_s,
			late_grace_s = excluded.late_grace_s, methods = excluded.methods, updated_at = excluded.updated_at`,
		c.AccountID, c.Livemode, c.XPub, int64(c.ChainID), c.Confirmations, c.SpreadBps, c.ToleranceBps,
		int64(c.QuoteWindow/time.Second), int64(c.LateGrace/time.Second), joinMethods(c.Methods), ts(c.UpdatedAt))
	return err
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
func (db *DB) GetCryptoConfig(ctx context.Context, accountID paylinks.ID, livemode bool) (_ *paylinks.CryptoConfig, err error) {
	defer wrap(&err, "GetCryptoConfig")
	c := &paylinks.CryptoConfig{AccountID: accountID, Livemode: livemode}
	var chainID, window, grace, next int64
	var methods string
	err = db.pool.QueryRow(ctx, `SELECT xpub, chain_id, confirmations, spread_bps, tolerance_bps, quote_window_s,
			late_grace_s, methods, next_index, updated_at
		FROM crypto_configs WHERE account_id = $1 AND livemode = $2`, accountID, livemode).
		Scan(&c.XPub, &chainID, &c.Confirmations, &c.SpreadBps, &c.ToleranceBps, &window, &grace, &methods, &next, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	c.ChainID, c.NextIndex = uint64(chainID), uint32(next)
	c.QuoteWindow, c.LateGrace = time.Duration(window)*time.Second, time.Duration(grace)*time.Second
	c.Methods, c.UpdatedAt = splitMethods(methods), c.UpdatedAt.UTC()
	return c, nil
}

// AllocateDepositIndex hands out the account's next deposit index for the
// mode: one UPDATE … RETURNING, which holds the row's lock until it
// commits, so concurrent replicas get distinct indexes.
func (db *DB) AllocateDepositIndex(ctx context.Context, accountID paylinks.ID, livemode bool) (_ uint32, err error) {
	defer wrap(&err, "AllocateDepositIndex")
	var idx int64
	err = db.pool.QueryRow(ctx, `UPDATE crypto_configs SET next_index = next_index + 1
		WHERE account_id = $1 AND livemode = $2 RETURNING next_index - 1`, accountID, livemode).Scan(&idx)
	return uint32(idx), err
}

func insertSessionCrypto(ctx context.Context, tx pgx.Tx, s *paylinks.CheckoutSession) error {
	c := s.Crypto
	transfers, err := json.Marshal(transfersOrEmpty(c.Transfers))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO session_crypto (session_id, account_id, livemode, deposit_index, address,
			address_key, chain_id, quote_wei, eth_price, rate_sources, rate_at, rate_fixed, spread_bps, tolerance_bps,
			confirmations, late_grace_s, status, received_wei, transfers, paid_at, watch_until, version, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18::numeric,
			$19::jsonb, $20, $21, $22, $23)`,
		s.ID, s.AccountID, s.Livemode, int64(c.Index), c.Address, strings.ToLower(c.Address),
		int64(c.ChainID), c.QuoteWei, c.EthPrice, strings.Join(c.RateSources, ","), ts(c.RateAt), c.RateFixed,
		c.SpreadBps, c.ToleranceBps, c.Confirmations, int64(c.LateGrace/time.Second), string(c.Status),
		weiOrZero(c.ReceivedWei), string(transfers), tsp(c.PaidAt), ts(c.WatchUntil), c.Version, ts(c.UpdatedAt))
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

const sessionCryptoColumns = `deposit_index, address, chain_id, quote_wei::text, eth_price, rate_sources, rate_at,
	rate_fixed, spread_bps, tolerance_bps, confirmations, late_grace_s, status, received_wei::text, transfers::text,
	paid_at, watch_until, version, updated_at`

func scanSessionCrypto(row pgx.Row) (*paylinks.SessionCrypto, error) {
	c := &paylinks.SessionCrypto{}
	var idx, chainID, grace int64
	var sources, status, transfers string
	err := row.Scan(&idx, &c.Address, &chainID, &c.QuoteWei, &c.EthPrice, &sources, &c.RateAt, &c.RateFixed,
		&c.SpreadBps, &c.ToleranceBps, &c.Confirmations, &grace, &status, &c.ReceivedWei, &transfers, &c.PaidAt,
		&c.WatchUntil, &c.Version, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	c.Index, c.ChainID = uint32(idx), uint64(chainID)
	c.RateSources, c.RateAt = splitList(sources), c.RateAt.UTC()
	c.LateGrace, c.Status = time.Duration(grace)*time.Second, paylinks.CryptoStatus(status)
	if err := json.Unmarshal([]byte(transfers), &c.Transfers); err != nil {
		return nil, fmt.Errorf("session crypto transfers: %w", err)
	}
	if len(c.Transfers) == 0 {
		c.Transfers = nil
	}
	for i := range c.Transfers {
		c.Transfers[i].BlockTime = c.Transfers[i].BlockTime.UTC()
	}
	c.PaidAt, c.WatchUntil, c.UpdatedAt = utc(c.PaidAt), c.WatchUntil.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// SessionCrypto returns the crypto state of a session.
func (db *DB) SessionCrypto(ctx context.Context, sessionID paylinks.ID) (_ *paylinks.SessionCrypto, err error) {
	defer wrap(&err, "SessionCrypto")
	return scanSessionCrypto(db.pool.QueryRow(ctx, `SELECT `+sessionCryptoColumns+` FROM session_crypto
		WHERE session_id = $1`, sessionID))
}

// WatchedAddresses returns which of addrs are deposit addresses on chainID
// of sessions still watched at now.
func (db *DB) WatchedAddresses(ctx context.Context, chainID uint64, addrs []string, now time.Time) (_ []string, err error) {
	defer wrap(&err, "WatchedAddresses")
	if len(addrs) == 0 {
		return nil, nil
	}
	keys := make([]string, len(addrs))
	for i, a := range addrs {
		keys[i] = strings.ToLower(a)
	}
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT address_key FROM session_crypto
		WHERE chain_id = $1 AND address_key = ANY($2) AND watch_until > $3`, int64(chainID), keys, ts(now))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// SessionsByAddress returns the sessions, with their Crypto, whose deposit
// address on chainID is addr.
func (db *DB) SessionsByAddress(ctx context.Context, chainID uint64, addr string) (_ []paylinks.CheckoutSession, err error) {
	defer wrap(&err, "SessionsByAddress")
	rows, err := db.pool.Query(ctx, `SELECT session_id FROM session_crypto WHERE chain_id = $1 AND address_key = $2
		ORDER BY session_id`, int64(chainID), strings.ToLower(addr))
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[paylinks.ID])
	if err != nil {
		return nil, err
	}
	return db.sessionsWithCrypto(ctx, ids)
}

// ExpiredCryptoSessions returns pending ETH sessions whose quote expired
// at or before now.
func (db *DB) ExpiredCryptoSessions(ctx context.Context, now time.Time, limit int) (_ []paylinks.CheckoutSession, err error) {
	defer wrap(&err, "ExpiredCryptoSessions")
	rows, err := db.pool.Query(ctx, `SELECT c.id FROM session_crypto s JOIN checkout_sessions c ON c.id = s.session_id
		WHERE s.status = 'pending' AND c.expires_at <= $1 ORDER BY c.expires_at, c.id LIMIT $2`, ts(now), limit)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[paylinks.ID])
	if err != nil {
		return nil, err
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
func (db *DB) UpdateSessionCrypto(ctx context.Context, w store.CryptoWrite) (err error) {
	defer wrap(&err, "UpdateSessionCrypto")
	c := w.State
	transfers, err := json.Marshal(transfersOrEmpty(c.Transfers))
	if err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE session_crypto SET status = $1, received_wei = $2::numeric, transfers = $3::jsonb,
			paid_at = $4, version = version + 1, updated_at = $5
		WHERE session_id = $6 AND version = $7`,
		string(c.Status), weiOrZero(c.ReceivedWei), string(transfers), tsp(c.PaidAt), ts(c.UpdatedAt), w.SessionID, c.Version)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %s's crypto state changed meanwhile: %w", w.SessionID, paylinks.ErrConflict)
	}
	if ch := w.Charge; ch != nil {
		if ch.SessionID == nil || *ch.SessionID != w.SessionID {
			return errors.New("the charge is not the session's")
		}
		if _, err := tx.Exec(ctx, `UPDATE checkout_sessions SET status = 'complete', completed_at = $1, charge_id = $2
			WHERE id = $3 AND status = 'open' AND (claim_id IS NULL OR claim_until <= $4)`,
			ts(ch.CreatedAt), ch.ID, w.SessionID, ts(w.Now)); err != nil {
			return err
		}
		if ch.LinkID != nil {
			if _, err := tx.Exec(ctx, `UPDATE links SET used = true, used_at = $1
				WHERE id = $2 AND multiple = false AND used = false AND (claim_id IS NULL OR claim_until <= $3)`,
				ts(ch.CreatedAt), *ch.LinkID, ts(w.Now)); err != nil {
				return err
			}
		}
		meta, err := jsonMap(ch.Metadata)
		if err != nil {
			return err
		}
		if err := createCharge(ctx, tx, store.ChargeWrite{Charge: ch, Events: w.Events}, meta); err != nil {
			return err
		}
	} else if err := insertEvents(ctx, tx, eventPtrs(w.Events)...); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
