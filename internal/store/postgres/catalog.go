package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

const catalogColumns = `kind, id, account_id, livemode, active, key, max_redemptions, times_redeemed, redeem_until,
	data, created_at, updated_at`

// CreateCatalogItem inserts a catalog item.
func (db *DB) CreateCatalogItem(ctx context.Context, it *paylinks.CatalogItem, idem *paylinks.IdempotencyRecord) (err error) {
	defer wrap(&err, "CreateCatalogItem")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO catalog_items (`+catalogColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11)`,
		string(it.Kind), it.ID, it.AccountID, it.Livemode, it.Active, it.Key, it.MaxRedemptions,
		tsp(it.RedeemUntil), string(it.Data), ts(it.CreatedAt), ts(it.UpdatedAt)); err != nil {
		return err
	}
	if idem != nil {
		if err := markIdempotency(ctx, tx, idem, it.ID); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// GetCatalogItem returns an item of the account, mode and kind.
func (db *DB) GetCatalogItem(ctx context.Context, accountID paylinks.ID, livemode bool, kind paylinks.CatalogKind, id paylinks.ID) (_ *paylinks.CatalogItem, err error) {
	defer wrap(&err, "GetCatalogItem")
	return scanCatalogItem(db.pool.QueryRow(ctx, `SELECT `+catalogColumns+` FROM catalog_items
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4`, id, accountID, livemode, string(kind)))
}

// CatalogItemByKey returns the item of the account, mode and kind with the key.
func (db *DB) CatalogItemByKey(ctx context.Context, accountID paylinks.ID, livemode bool, kind paylinks.CatalogKind, key string) (_ *paylinks.CatalogItem, err error) {
	defer wrap(&err, "CatalogItemByKey")
	if key == "" {
		return nil, pgx.ErrNoRows
	}
	return scanCatalogItem(db.pool.QueryRow(ctx, `SELECT `+catalogColumns+` FROM catalog_items
		WHERE account_id = $1 AND livemode = $2 AND kind = $3 AND key = $4`, accountID, livemode, string(kind), key))
}

// ListCatalogItems returns a page of items, newest first, and their number.
func (db *DB) ListCatalogItems(ctx context.Context, f store.CatalogFilter) (_ []paylinks.CatalogItem, total int, err error) {
	defer wrap(&err, "ListCatalogItems")
	where := ` FROM catalog_items WHERE account_id = $1 AND livemode = $2 AND kind = $3`
	args := []any{f.AccountID, f.Livemode, string(f.Kind)}
	if f.Active != nil {
		args = append(args, *f.Active)
		where += ` AND active = $4`
	}
	order, pageArgs := page(append([]any(nil), args...), paylinks.ReverseChronological, f.Offset, f.Limit)
	var out []paylinks.CatalogItem
	total, err = listQuery{pageSQL: `SELECT ` + catalogColumns + where + order, pageArgs: pageArgs,
		countSQL: `SELECT count(*)` + where, countArgs: args}.run(ctx, db.pool, func(rows pgx.Rows) error {
		it, err := scanCatalogItem(rows)
		if err != nil {
			return err
		}
		out = append(out, *it)
		return nil
	})
	return out, total, err
}

// UpdateCatalogItem writes an item's mutable columns if it is unchanged
// since prev.
func (db *DB) UpdateCatalogItem(ctx context.Context, it *paylinks.CatalogItem, prev time.Time) (err error) {
	defer wrap(&err, "UpdateCatalogItem")
	tag, err := db.pool.Exec(ctx, `UPDATE catalog_items SET active = $1, max_redemptions = $2, redeem_until = $3,
		data = $4, updated_at = $5 WHERE id = $6 AND account_id = $7 AND livemode = $8 AND kind = $9 AND updated_at = $10`,
		it.Active, it.MaxRedemptions, tsp(it.RedeemUntil), string(it.Data), ts(it.UpdatedAt), it.ID, it.AccountID,
		it.Livemode, string(it.Kind), ts(prev))
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	var one int
	if err := db.pool.QueryRow(ctx, `SELECT 1 FROM catalog_items WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4`,
		it.ID, it.AccountID, it.Livemode, string(it.Kind)).Scan(&one); err != nil {
		return err
	}
	return fmt.Errorf("the %s changed meanwhile: %w", it.Kind, paylinks.ErrConflict)
}

// RedeemCatalogItems redeems each item once, all or none.
func (db *DB) RedeemCatalogItems(ctx context.Context, accountID paylinks.ID, livemode bool, ids []paylinks.ID, now time.Time) (_ []paylinks.CatalogItem, err error) {
	defer wrap(&err, "RedeemCatalogItems")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	out := make([]paylinks.CatalogItem, 0, len(ids))
	for _, id := range ids {
		// The row lock the UPDATE takes makes concurrent redeemers wait and
		// re-check the condition on the committed count.
		it, err := scanCatalogItem(tx.QueryRow(ctx, `UPDATE catalog_items SET times_redeemed = times_redeemed + 1
			WHERE id = $1 AND account_id = $2 AND livemode = $3 AND active
			AND (max_redemptions = 0 OR times_redeemed < max_redemptions)
			AND (redeem_until IS NULL OR redeem_until > $4)
			RETURNING `+catalogColumns, id, accountID, livemode, ts(now)))
		if errors.Is(err, pgx.ErrNoRows) {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM catalog_items WHERE id = $1 AND account_id = $2 AND livemode = $3`,
				id, accountID, livemode).Scan(&one); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%s may not be redeemed: %w", id, paylinks.ErrConflict)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *it)
	}
	return out, tx.Commit(ctx)
}

func scanCatalogItem(row pgx.Row) (*paylinks.CatalogItem, error) {
	var it paylinks.CatalogItem
	var kind, data string
	if err := row.Scan(&kind, &it.ID, &it.AccountID, &it.Livemode, &it.Active, &it.Key, &it.MaxRedemptions,
		&it.TimesRedeemed, &it.RedeemUntil, &data, &it.CreatedAt, &it.UpdatedAt); err != nil {
		return nil, err
	}
	it.Kind, it.Data = paylinks.CatalogKind(kind), []byte(data)
	it.RedeemUntil = utc(it.RedeemUntil)
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	return &it, nil
}

// CreateCartLink inserts a link, its cart and its event in one transaction.
func (db *DB) CreateCartLink(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) (err error) {
	defer wrap(&err, "CreateCartLink")
	data, err := json.Marshal(cart)
	if err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := insertLink(ctx, tx, l); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO link_carts (link_id, account_id, livemode, data) VALUES ($1, $2, $3, $4)`,
		l.ID, l.AccountID, l.Livemode, string(data)); err != nil {
		return err
	}
	if ev != nil {
		if err := insertEvents(ctx, tx, ev); err != nil {
			return err
		}
	}
	if idem != nil {
		if err := markIdempotency(ctx, tx, idem, l.ID); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// UpdateCartLink writes a cart link's mutable fields, limit and cart, and
// its event, in one transaction. See store.CatalogStore.
func (db *DB) UpdateCartLink(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, prev time.Time, ev *paylinks.Event) (err error) {
	defer wrap(&err, "UpdateCartLink")
	data, err := json.Marshal(cart)
	if err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE link_carts SET data = $4 WHERE link_id = $1 AND account_id = $2 AND livemode = $3`,
		l.ID, l.AccountID, l.Livemode, string(data))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	// used follows the payments taken against the (new) limit; a
	// single-use link's used is left as it is.
	tag, err = tx.Exec(ctx, `UPDATE links SET title = $4, description = $5, active = $6, success_url = $7,
			cancel_url = $8, updated_at = $9, payment_limit = $10,
			used = CASE WHEN NOT multiple THEN used WHEN $10 > 0 THEN payment_count >= $10 ELSE false END,
			used_at = CASE WHEN NOT multiple THEN used_at WHEN $10 > 0 AND payment_count >= $10 THEN coalesce(used_at, $9) END
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND deleted_at IS NULL AND updated_at = $11`,
		l.ID, l.AccountID, l.Livemode, l.Title, l.Description, l.Active, l.SuccessURL, l.CancelURL, ts(l.UpdatedAt),
		l.PaymentLimit, ts(prev))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM links WHERE id = $1 AND account_id = $2 AND livemode = $3 AND deleted_at IS NULL`,
			l.ID, l.AccountID, l.Livemode).Scan(&one); err != nil {
			return err // pgx.ErrNoRows: not found
		}
		return fmt.Errorf("%w: the link changed since it was read", paylinks.ErrConflict)
	}
	if err := insertEvents(ctx, tx, ev); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// LinkCarts returns the carts of those of the links that have one.
func (db *DB) LinkCarts(ctx context.Context, accountID paylinks.ID, livemode bool, linkIDs []paylinks.ID) (_ map[paylinks.ID]*paylinks.LinkCart, err error) {
	defer wrap(&err, "LinkCarts")
	out := map[paylinks.ID]*paylinks.LinkCart{}
	if len(linkIDs) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT link_id, data FROM link_carts WHERE account_id = $1 AND livemode = $2
		AND link_id = ANY($3)`, accountID, livemode, linkIDs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id paylinks.ID
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		c := new(paylinks.LinkCart)
		if err := json.Unmarshal([]byte(data), c); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}
