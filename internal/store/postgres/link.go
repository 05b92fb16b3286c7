package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
)

// linkRead is linkColumns and the link's number of charges (an index-only
// count on charges by link): what scanLink reads.
const linkRead = linkColumns + `, (SELECT count(*) FROM charges WHERE charges.account_id = links.account_id
	AND charges.livemode = links.livemode AND charges.link_id = links.id)`

// linkReadNoCharges is linkRead with a ChargeCount of 0, for reads that do
// not show charges.
const linkReadNoCharges = linkColumns + `, 0`

const linkColumns = `id, account_id, livemode, slug, title, description, amount, currency,
	multiple, active, used, success_url, cancel_url, created_at, updated_at, used_at, deleted_at, capture_manual,
	payment_limit, payment_count`

// CreateLink inserts a link and its event in one transaction. ErrConflict
// when the slug (or id) is taken, by any link, deleted or not.
func (db *DB) CreateLink(ctx context.Context, l *paylinks.Link, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) (err error) {
	defer wrap(&err, "CreateLink")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := insertLink(ctx, tx, l); err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, ev); err != nil {
		return err
	}
	if idem != nil {
		if err := markIdempotency(ctx, tx, idem, l.ID); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// insertLink inserts l in tx: the one place that lists a link's column
// values, in linkColumns' order, for every kind of link.
func insertLink(ctx context.Context, tx pgx.Tx, l *paylinks.Link) error {
	_, err := tx.Exec(ctx, `INSERT INTO links (`+linkColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		l.ID, l.AccountID, l.Livemode, l.Slug, l.Title, l.Description, l.Amount, l.Currency,
		l.Multiple, l.Active, l.Used, l.SuccessURL, l.CancelURL, ts(l.CreatedAt), ts(l.UpdatedAt), tsp(l.UsedAt), tsp(l.DeletedAt), l.ManualCapture,
		l.PaymentLimit, l.PaymentCount)
	return err
}

// GetLink returns a link of the account and mode, deleted ones included.
func (db *DB) GetLink(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (_ *paylinks.Link, err error) {
	defer wrap(&err, "GetLink")
	return scanLink(db.pool.QueryRow(ctx, `SELECT `+linkRead+` FROM links
		WHERE id = $1 AND account_id = $2 AND livemode = $3`, id, accountID, livemode))
}

// LinkBySlug returns the link with that slug, deleted ones included, with
// no ChargeCount (see store.Store).
func (db *DB) LinkBySlug(ctx context.Context, slug string) (_ *paylinks.Link, err error) {
	defer wrap(&err, "LinkBySlug")
	return scanLink(db.pool.QueryRow(ctx, `SELECT `+linkReadNoCharges+` FROM links WHERE slug = $1`, slug))
}

// ListLinks returns a page of the account's undeleted links in the mode and
// the window [f.From, f.To], ordered by (created_at, id) in f.Order, and the
// number of links in the whole window. With f.After set it pages by keyset
// (f.Offset is ignored) and the total is -1; the After link may be deleted,
// and ErrNotFound means it is not the account's in this mode. f.Limit <= 0
// means no limit.
func (db *DB) ListLinks(ctx context.Context, f paylinks.LinkFilter) (_ []paylinks.Link, total int, err error) {
	defer wrap(&err, "ListLinks")
	where, args := window(`account_id = $1 AND livemode = $2 AND deleted_at IS NULL`,
		[]any{f.AccountID, f.Livemode}, f.From, f.To)
	q := listQuery{countSQL: `SELECT count(*) FROM links WHERE ` + where, countArgs: args}
	if f.SkipTotal {
		q.countSQL = ""
	}
	offset := f.Offset
	if f.After != nil {
		q.countSQL, offset = "", 0
		q.cursorSQL = `SELECT true FROM links WHERE id = $1 AND account_id = $2 AND livemode = $3`
		q.cursorArgs = []any{*f.After, f.AccountID, f.Livemode}
		cmp := ">"
		if f.Order == paylinks.ReverseChronological {
			cmp = "<"
		}
		args = append(args[:len(args):len(args)], *f.After)
		where += fmt.Sprintf(` AND (created_at, id) %s (SELECT created_at, id FROM links
			WHERE id = $%d AND account_id = $1 AND livemode = $2)`, cmp, len(args))
	}
	tail, args := page(args, f.Order, offset, f.Limit)
	cols := linkRead
	if f.SkipChargeCount {
		cols = linkReadNoCharges
	}
	q.pageSQL, q.pageArgs = `SELECT `+cols+` FROM links WHERE `+where+tail, args
	var links []paylinks.Link
	total, err = q.run(ctx, db.pool, func(rows pgx.Rows) error {
		l, err := scanLink(rows)
		if err == nil {
			links = append(links, *l)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return links, total, nil
}

// UpdateLink writes the mutable fields of an undeleted link (title,
// description, amount, currency, multiple, active, success_url, cancel_url,
// updated_at) and its event in one transaction. ErrNotFound when the link is
// missing, deleted, or not the account's in this mode.
func (db *DB) UpdateLink(ctx context.Context, l *paylinks.Link, prev time.Time, ev *paylinks.Event) (err error) {
	defer wrap(&err, "UpdateLink")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE links SET title = $4, description = $5, amount = $6,
		currency = $7, multiple = $8, active = $9, success_url = $10, cancel_url = $11, updated_at = $12
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND deleted_at IS NULL AND updated_at = $13`,
		l.ID, l.AccountID, l.Livemode, l.Title, l.Description, l.Amount,
		l.Currency, l.Multiple, l.Active, l.SuccessURL, l.CancelURL, ts(l.UpdatedAt), ts(prev))
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

// DeleteLink marks an undeleted link deleted at the given time, writes its
// event and returns the deleted link. ErrNotFound when it is missing, already
// deleted, or not the account's in this mode.
func (db *DB) DeleteLink(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID, at time.Time, ev *paylinks.Event) (_ *paylinks.Link, err error) {
	defer wrap(&err, "DeleteLink")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	l, err := scanLink(tx.QueryRow(ctx, `UPDATE links SET deleted_at = $4
		WHERE id = $1 AND account_id = $2 AND livemode = $3 AND deleted_at IS NULL
		RETURNING `+linkRead, id, accountID, livemode, ts(at)))
	if err != nil {
		return nil, err
	}
	if err := insertEvents(ctx, tx, ev); err != nil {
		return nil, err
	}
	return l, tx.Commit(ctx)
}

// ClaimLink reserves a single-use (or limited, payment_limit > 0) link for the payment attempt claimID until
// `until`; the attempt holding the claim may claim again (extending it). The
// claim is one conditional UPDATE, so that across any number of processes at
// most one attempt holds an unexpired claim. ErrConflict when the link is
// used, deleted (multi-use or not), or claimed by another attempt whose
// claim has not expired at now (claim_until >= now); ErrNotFound when it is
// missing. An undeleted multi-use link is never claimed (nil, no write).
func (db *DB) ClaimLink(ctx context.Context, linkID, claimID paylinks.ID, now, until time.Time) (err error) {
	defer wrap(&err, "ClaimLink")
	tag, err := db.pool.Exec(ctx, `UPDATE links SET claim_id = $2, claim_until = $4
		WHERE id = $1 AND (multiple = false OR payment_limit > 0) AND used = false AND deleted_at IS NULL
		AND (claim_id IS NULL OR claim_id = $2 OR claim_until < $3)`, linkID, claimID, ts(now), ts(until))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Not claimed: say why. This read decides only the error, never a write.
	var multiple, used, deleted bool
	err = db.pool.QueryRow(ctx, `SELECT multiple AND payment_limit = 0, used, deleted_at IS NOT NULL FROM links WHERE id = $1`,
		linkID).Scan(&multiple, &used, &deleted)
	switch {
	case err != nil:
		return err
	case deleted:
		return fmt.Errorf("link is deleted: %w", paylinks.ErrConflict)
	case multiple:
		return nil
	case used:
		return fmt.Errorf("link is used: %w", paylinks.ErrConflict)
	}
	return fmt.Errorf("link is claimed by another payment attempt: %w", paylinks.ErrConflict)
}

// ReleaseClaim drops the claim claimID on the link, if it still holds it;
// otherwise it does nothing. ErrNotFound when the link is missing.
func (db *DB) ReleaseClaim(ctx context.Context, linkID, claimID paylinks.ID) (err error) {
	defer wrap(&err, "ReleaseClaim")
	tag, err := db.pool.Exec(ctx, `UPDATE links SET claim_id = NULL, claim_until = NULL
		WHERE id = $1 AND claim_id = $2`, linkID, claimID)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM links WHERE id = $1)`, linkID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return pgx.ErrNoRows
	}
	return nil
}

func scanLink(row rowScanner) (*paylinks.Link, error) {
	var l paylinks.Link
	if err := row.Scan(&l.ID, &l.AccountID, &l.Livemode, &l.Slug, &l.Title, &l.Description, &l.Amount, &l.Currency,
		&l.Multiple, &l.Active, &l.Used, &l.SuccessURL, &l.CancelURL, &l.CreatedAt, &l.UpdatedAt, &l.UsedAt, &l.DeletedAt,
		&l.ManualCapture, &l.PaymentLimit, &l.PaymentCount, &l.ChargeCount,
	); err != nil {
		return nil, err
	}
	l.CreatedAt = l.CreatedAt.UTC()
	l.UpdatedAt = l.UpdatedAt.UTC()
	l.UsedAt = utc(l.UsedAt)
	l.DeletedAt = utc(l.DeletedAt)
	return &l, nil
}
