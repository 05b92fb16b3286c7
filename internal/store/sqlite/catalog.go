package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const catalogCols = `kind, id, account_id, livemode, active, key, max_redemptions, times_redeemed, redeem_until,
	data, created_at, updated_at`

// CreateCatalogItem inserts a catalog item.
func (db *DB) CreateCatalogItem(ctx context.Context, it *paylinks.CatalogItem, idem *paylinks.IdempotencyRecord) error {
	return wrap("CreateCatalogItem", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO catalog_items (`+catalogCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
			string(it.Kind), idArg(it.ID), idArg(it.AccountID), it.Livemode, it.Active, it.Key, it.MaxRedemptions,
			nullMicro(it.RedeemUntil), it.Data, micro(it.CreatedAt), micro(it.UpdatedAt))
		if err != nil || idem == nil {
			return err
		}
		return markIdempotency(ctx, tx, idem, it.ID)
	}))
}

// GetCatalogItem returns an item of the account, mode and kind.
func (db *DB) GetCatalogItem(ctx context.Context, accountID paylinks.ID, livemode bool, kind paylinks.CatalogKind, id paylinks.ID) (*paylinks.CatalogItem, error) {
	it, err := scanCatalogItem(db.queryRow(ctx, `SELECT `+catalogCols+` FROM catalog_items
		WHERE id = ? AND account_id = ? AND livemode = ? AND kind = ?`, idArg(id), idArg(accountID), livemode, string(kind)))
	return it, wrap("GetCatalogItem", err)
}

// CatalogItemByKey returns the item of the account, mode and kind with the key.
func (db *DB) CatalogItemByKey(ctx context.Context, accountID paylinks.ID, livemode bool, kind paylinks.CatalogKind, key string) (*paylinks.CatalogItem, error) {
	if key == "" {
		return nil, wrap("CatalogItemByKey", sql.ErrNoRows)
	}
	it, err := scanCatalogItem(db.queryRow(ctx, `SELECT `+catalogCols+` FROM catalog_items
		WHERE account_id = ? AND livemode = ? AND kind = ? AND key = ?`, idArg(accountID), livemode, string(kind), key))
	return it, wrap("CatalogItemByKey", err)
}

// ListCatalogItems returns a page of items, newest first, and their number.
func (db *DB) ListCatalogItems(ctx context.Context, f store.CatalogFilter) ([]paylinks.CatalogItem, int, error) {
	where := ` FROM catalog_items WHERE account_id = ? AND livemode = ? AND kind = ?`
	args := []any{idArg(f.AccountID), f.Livemode, string(f.Kind)}
	if f.Active != nil {
		where += ` AND active = ?`
		args = append(args, *f.Active)
	}
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*)`+where, args...).Scan(&total); err != nil {
		return nil, 0, wrap("ListCatalogItems", err)
	}
	q := `SELECT ` + catalogCols + where + ` ORDER BY created_at DESC, id DESC`
	if f.Limit > 0 || f.Offset > 0 {
		limit := f.Limit
		if limit <= 0 {
			limit = -1
		}
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, f.Offset)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, wrap("ListCatalogItems", err)
	}
	defer rows.Close()
	var out []paylinks.CatalogItem
	for rows.Next() {
		it, err := scanCatalogItem(rows)
		if err != nil {
			return nil, 0, wrap("ListCatalogItems", err)
		}
		out = append(out, *it)
	}
	return out, total, wrap("ListCatalogItems", rows.Err())
}

// UpdateCatalogItem writes an item's mutable columns if it is unchanged
// since prev.
func (db *DB) UpdateCatalogItem(ctx context.Context, it *paylinks.CatalogItem, prev time.Time) error {
	return wrap("UpdateCatalogItem", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var updated int64
		if err := tx.QueryRowContext(ctx, `SELECT updated_at FROM catalog_items
			WHERE id = ? AND account_id = ? AND livemode = ? AND kind = ?`,
			idArg(it.ID), idArg(it.AccountID), it.Livemode, string(it.Kind)).Scan(&updated); err != nil {
			return err
		}
		if updated != micro(prev) {
			return fmt.Errorf("the %s changed meanwhile: %w", it.Kind, paylinks.ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `UPDATE catalog_items SET active = ?, max_redemptions = ?, redeem_until = ?,
			data = ?, updated_at = ? WHERE id = ?`,
			it.Active, it.MaxRedemptions, nullMicro(it.RedeemUntil), it.Data, micro(it.UpdatedAt), idArg(it.ID))
		return err
	}))
}

// RedeemCatalogItems redeems each item once, all or none.
func (db *DB) RedeemCatalogItems(ctx context.Context, accountID paylinks.ID, livemode bool, ids []paylinks.ID, now time.Time) ([]paylinks.CatalogItem, error) {
	out := make([]paylinks.CatalogItem, 0, len(ids))
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		out = out[:0]
		for _, id := range ids {
			it, err := scanCatalogItem(tx.QueryRowContext(ctx, `UPDATE catalog_items SET times_redeemed = times_redeemed + 1
				WHERE id = ? AND account_id = ? AND livemode = ? AND active = 1
				AND (max_redemptions = 0 OR times_redeemed < max_redemptions)
				AND (redeem_until IS NULL OR redeem_until > ?)
				RETURNING `+catalogCols, idArg(id), idArg(accountID), livemode, micro(now)))
			if errors.Is(err, sql.ErrNoRows) {
				var one int
				if err := tx.QueryRowContext(ctx, `SELECT 1 FROM catalog_items WHERE id = ? AND account_id = ? AND livemode = ?`,
					idArg(id), idArg(accountID), livemode).Scan(&one); err != nil {
					return err
				}
				return fmt.Errorf("%s may not be redeemed: %w", id, paylinks.ErrConflict)
			}
			if err != nil {
				return err
			}
			out = append(out, *it)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("RedeemCatalogItems", err)
	}
	return out, nil
}

func scanCatalogItem(row scanner) (*paylinks.CatalogItem, error) {
	var it paylinks.CatalogItem
	var kind string
	var until sql.NullInt64
	var created, updated int64
	if err := row.Scan(&kind, &it.ID, &it.AccountID, &it.Livemode, &it.Active, &it.Key, &it.MaxRedemptions,
		&it.TimesRedeemed, &until, &it.Data, &created, &updated); err != nil {
		return nil, err
	}
	it.Kind = paylinks.CatalogKind(kind)
	it.RedeemUntil = fromNullMicro(until)
	it.CreatedAt, it.UpdatedAt = fromMicro(created), fromMicro(updated)
	return &it, nil
}

// CreateCartLink inserts a link, its cart and its event in one transaction.
func (db *DB) CreateCartLink(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) error {
	data, err := json.Marshal(cart)
	if err != nil {
		return fmt.Errorf("sqlite: CreateCartLink: %w", err)
	}
	rows := []tableRow{linkRow(l)}
	if ev != nil {
		rows = append(rows, eventRow(ev))
	}
	insert := insertRowsOneByOne(rows)
	return wrap("CreateCartLink", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if err := insert(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO link_carts (link_id, account_id, livemode, data) VALUES (?, ?, ?, ?)`,
			idArg(l.ID), idArg(l.AccountID), l.Livemode, data); err != nil {
			return err
		}
		if idem != nil {
			return markIdempotency(ctx, tx, idem, l.ID)
		}
		return nil
	}))
}

// UpdateCartLink writes a cart link's mutable fields, limit and cart, and
// its event, in one transaction. See store.CatalogStore.
func (db *DB) UpdateCartLink(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, prev time.Time, ev *paylinks.Event) error {
	data, err := json.Marshal(cart)
	if err != nil {
		return fmt.Errorf("sqlite: UpdateCartLink: %w", err)
	}
	return wrap("UpdateCartLink", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE link_carts SET data = ?1
			WHERE link_id = ?2 AND account_id = ?3 AND livemode = ?4`, data, idArg(l.ID), idArg(l.AccountID), l.Livemode)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return sql.ErrNoRows
		}
		// used follows the payments taken against the (new) limit; a
		// single-use link's used is left as it is.
		res, err = tx.ExecContext(ctx, `UPDATE links SET title = ?1, description = ?2, active = ?3, success_url = ?4,
				cancel_url = ?5, updated_at = ?6, payment_limit = ?7,
				used = CASE WHEN multiple = 0 THEN used WHEN ?7 > 0 THEN payment_count >= ?7 ELSE 0 END,
				used_at = CASE WHEN multiple = 0 THEN used_at WHEN ?7 > 0 AND payment_count >= ?7 THEN coalesce(used_at, ?6) END
			WHERE id = ?8 AND account_id = ?9 AND livemode = ?10 AND deleted_at IS NULL AND updated_at = ?11`,
			l.Title, l.Description, l.Active, l.SuccessURL, l.CancelURL, micro(l.UpdatedAt), l.PaymentLimit,
			idArg(l.ID), idArg(l.AccountID), l.Livemode, micro(prev))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM links WHERE id = ? AND account_id = ? AND livemode = ? AND deleted_at IS NULL`,
				idArg(l.ID), idArg(l.AccountID), l.Livemode).Scan(&one)
			if err != nil {
				return err // sql.ErrNoRows: not found
			}
			return fmt.Errorf("%w: the link changed since it was read", paylinks.ErrConflict)
		}
		return insertEvent(ctx, tx, ev)
	}))
}

// linkCartsQuery reads the carts of a list of links given as one JSON
// array of hex ids: one statement for any number of links, prepared once.
const linkCartsQuery = `SELECT link_id, data FROM link_carts WHERE account_id = ? AND livemode = ?
	AND link_id IN (SELECT unhex(value) FROM json_each(?))`

// linkCartQuery reads the cart of one link.
const linkCartQuery = `SELECT data FROM link_carts WHERE link_id = ? AND account_id = ? AND livemode = ?`

// LinkCarts returns the carts of those of the links that have one.
func (db *DB) LinkCarts(ctx context.Context, accountID paylinks.ID, livemode bool, linkIDs []paylinks.ID) (map[paylinks.ID]*paylinks.LinkCart, error) {
	out := map[paylinks.ID]*paylinks.LinkCart{}
	if len(linkIDs) == 0 {
		return out, nil
	}
	if len(linkIDs) == 1 {
		// One link (a hosted page asks for its link's): a primary-key
		// lookup, which most links answer with no row.
		stmt, err := db.rstmts.prepare(ctx, linkCartQuery)
		if err != nil {
			return nil, wrap("LinkCarts", err)
		}
		var data []byte
		err = stmt.QueryRowContext(ctx, idArg(linkIDs[0]), idArg(accountID), livemode).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, wrap("LinkCarts", err)
		}
		c := new(paylinks.LinkCart)
		if err := json.Unmarshal(data, c); err != nil {
			return nil, wrap("LinkCarts", err)
		}
		out[linkIDs[0]] = c
		return out, nil
	}
	ids := make([]byte, 0, len(linkIDs)*35+2)
	ids = append(ids, '[')
	for i, id := range linkIDs {
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = append(ids, '"')
		ids = hex.AppendEncode(ids, id[:])
		ids = append(ids, '"')
	}
	ids = append(ids, ']')
	stmt, err := db.rstmts.prepare(ctx, linkCartsQuery)
	if err != nil {
		return nil, wrap("LinkCarts", err)
	}
	rows, err := stmt.QueryContext(ctx, idArg(accountID), livemode, string(ids))
	if err != nil {
		return nil, wrap("LinkCarts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id paylinks.ID
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, wrap("LinkCarts", err)
		}
		c := new(paylinks.LinkCart)
		if err := json.Unmarshal(data, c); err != nil {
			return nil, wrap("LinkCarts", err)
		}
		out[id] = c
	}
	return out, wrap("LinkCarts", rows.Err())
}
