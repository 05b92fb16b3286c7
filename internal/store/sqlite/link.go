package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
)

const linkCols = `id, account_id, livemode, slug, title, description, amount, currency,
	multiple, active, used, used_at, success_url, cancel_url, created_at, updated_at, deleted_at, capture_manual,
	payment_limit, payment_count`

// linkRead is linkCols and the link's number of charges, kept on the link
// by a trigger on charges (migration 00007): what scanLink reads.
const linkRead = linkCols + `, charge_count`

// linkReadNoCharges is linkRead with a ChargeCount of 0, for lists that
// skip the count (LinkFilter.SkipChargeCount).
const linkReadNoCharges = linkCols + `, 0`

// CreateLink inserts a link and its event. ErrConflict when the slug (of any
// link, deleted or not) or the id is taken; then no event is written either.
// The writer inserts the links created in one batch together (rows.go).
func (db *DB) CreateLink(ctx context.Context, l *paylinks.Link, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) error {
	rows := []tableRow{linkRow(l)}
	if ev != nil {
		rows = append(rows, eventRow(ev))
	}
	if idem != nil {
		// Not groupable: the rows and the record's update, one write.
		insert := insertRowsOneByOne(rows)
		return wrap("CreateLink", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
			if err := insert(ctx, tx); err != nil {
				return err
			}
			return markIdempotency(ctx, tx, idem, l.ID)
		}))
	}
	return wrap("CreateLink", db.execRows(ctx, rows))
}

const linkInsertInto = `links (` + linkCols + `)`

// linkRow is the row of links that inserts l, in linkCols' order: the one
// place that lists a link's column values, for every kind of link.
func linkRow(l *paylinks.Link) tableRow {
	return tableRow{into: linkInsertInto, values: []any{
		idArg(l.ID), idArg(l.AccountID), l.Livemode, l.Slug, l.Title, l.Description, l.Amount, l.Currency,
		l.Multiple, l.Active, l.Used, nullMicro(l.UsedAt), l.SuccessURL, l.CancelURL,
		micro(l.CreatedAt), micro(l.UpdatedAt), nullMicro(l.DeletedAt), l.ManualCapture, l.PaymentLimit, l.PaymentCount}}
}

// GetLink returns a link of the account and mode, deleted ones included.
func (db *DB) GetLink(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.Link, error) {
	l, err := scanLink(db.queryRow(ctx,
		`SELECT `+linkRead+` FROM links WHERE id = ? AND account_id = ? AND livemode = ?`,
		idArg(id), idArg(accountID), livemode))
	return l, wrap("GetLink", err)
}

// LinkBySlug returns the link with that slug, deleted ones included, with
// no ChargeCount (see store.Store).
func (db *DB) LinkBySlug(ctx context.Context, slug string) (*paylinks.Link, error) {
	l, err := scanLink(db.queryRow(ctx, `SELECT `+linkReadNoCharges+` FROM links WHERE slug = ?`, slug))
	return l, wrap("LinkBySlug", err)
}

// ListLinks returns a page of the account's undeleted links in the mode and
// window, and the number in the window (-1 when paging with f.After).
// ErrNotFound when f.After is not a link of the account and mode; a deleted
// link is a good cursor.
func (db *DB) ListLinks(ctx context.Context, f paylinks.LinkFilter) ([]paylinks.Link, int, error) {
	from, to := bounds(f.From, f.To)
	cols := linkRead
	if f.SkipChargeCount {
		cols = linkReadNoCharges
	}
	q := listQuery{
		cols:  cols,
		table: "links",
		where: `account_id = ? AND livemode = ? AND deleted_at IS NULL`,
		args:  []any{idArg(f.AccountID), f.Livemode},
		from:  from, to: to,
		order:  f.Order,
		offset: f.Offset, limit: f.Limit,
		noCount: f.SkipTotal,
	}
	if from == nil && to == nil {
		// The whole history: the triggers of link_counts keep its total.
		q.totalSQL = `SELECT n FROM link_counts WHERE account_id = ? AND livemode = ?`
		q.totalArgs = q.args
	}
	if f.After != nil {
		q.after = &cursor{id: idArg(*f.After), accountID: idArg(f.AccountID), livemode: f.Livemode}
	} else if from == nil && to == nil && f.Offset >= checkpointStep {
		// A deep offset of the whole history: from a checkpoint
		// (checkpoint.go) when the process has them for this version of
		// the list.
		list := listID{accountID: f.AccountID, livemode: f.Livemode}
		order, offset := f.Order, f.Offset
		q.seek = func(n int, v int64) (listKey, int, bool) {
			return db.checkpoints.seek(db, list, int64(n), v, offset, order)
		}
		q.versionSQL = `SELECT v FROM link_counts WHERE account_id = ? AND livemode = ?`
		q.guess = func() (int, int64, bool) { return db.checkpoints.lastSeen(list) }
	}
	links, total, err := list(ctx, db, q, newLinkScan().into)
	if err != nil {
		return nil, 0, wrap("ListLinks", err)
	}
	return links, total, nil
}

// UpdateLink writes the mutable fields of an undeleted link and its event.
// ErrNotFound when the link is missing, deleted, or of another account or
// mode.
func (db *DB) UpdateLink(ctx context.Context, l *paylinks.Link, prev time.Time, ev *paylinks.Event) error {
	return wrap("UpdateLink", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE links SET title = ?, description = ?, amount = ?, currency = ?,
				multiple = ?, active = ?, success_url = ?, cancel_url = ?, updated_at = ?
			WHERE id = ? AND account_id = ? AND livemode = ? AND deleted_at IS NULL AND updated_at = ?`,
			l.Title, l.Description, l.Amount, l.Currency, l.Multiple, l.Active, l.SuccessURL, l.CancelURL,
			micro(l.UpdatedAt), idArg(l.ID), idArg(l.AccountID), l.Livemode, micro(prev))
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

// DeleteLink marks an undeleted link deleted at at, writes its event and
// returns the deleted link. ErrNotFound when it is missing, already deleted,
// or of another account or mode.
func (db *DB) DeleteLink(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID, at time.Time, ev *paylinks.Event) (*paylinks.Link, error) {
	var l *paylinks.Link
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var err error
		l, err = scanLink(tx.QueryRowContext(ctx, `UPDATE links SET deleted_at = ?
			WHERE id = ? AND account_id = ? AND livemode = ? AND deleted_at IS NULL
			RETURNING `+linkRead, micro(at), idArg(id), idArg(accountID), livemode))
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return nil, wrap("DeleteLink", err)
	}
	return l, nil
}

// ClaimLink reserves a single-use (or limited, payment_limit > 0) link for the payment attempt claimID until
// until. ErrConflict when the link is used, deleted, or held by another
// attempt whose claim is still valid at now; ErrNotFound when it is missing.
// A multi-use link is not claimed (nil). The same attempt may claim again,
// moving its expiry.
func (db *DB) ClaimLink(ctx context.Context, linkID, claimID paylinks.ID, now, until time.Time) error {
	return wrap("ClaimLink", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE links SET claim_id = ?, claim_until = ?
			WHERE id = ? AND (multiple = 0 OR payment_limit > 0) AND used = 0 AND deleted_at IS NULL
			AND (claim_id IS NULL OR claim_id = ? OR claim_until <= ?)`,
			idArg(claimID), micro(until), idArg(linkID), idArg(claimID), micro(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		// Not claimed: say why.
		var multiple, used, deleted bool
		err = tx.QueryRowContext(ctx, `SELECT multiple AND payment_limit = 0, used, deleted_at IS NOT NULL FROM links WHERE id = ?`,
			idArg(linkID)).Scan(&multiple, &used, &deleted)
		switch {
		case err != nil:
			return err
		case deleted:
			return fmt.Errorf("%w: link is deleted", paylinks.ErrConflict)
		case multiple:
			return nil
		case used:
			return fmt.Errorf("%w: link is used", paylinks.ErrConflict)
		}
		return fmt.Errorf("%w: link is claimed by another payment", paylinks.ErrConflict)
	}))
}

// ReleaseClaim drops the claim claimID on the link if it still holds it.
// ErrNotFound when the link is missing.
func (db *DB) ReleaseClaim(ctx context.Context, linkID, claimID paylinks.ID) error {
	return wrap("ReleaseClaim", db.releaseClaim(ctx, "links", linkID, claimID))
}

// releaseClaim drops the claim claimID on the row id of table (links or
// checkout_sessions) if it still holds it; sql.ErrNoRows when the row is
// missing.
func (db *DB) releaseClaim(ctx context.Context, table string, id, claimID paylinks.ID) error {
	return db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, idArg(id)).Scan(&one); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET claim_id = NULL, claim_until = NULL WHERE id = ? AND claim_id = ?`,
			idArg(id), idArg(claimID))
		return err
	})
}

func scanLink(row scanner) (*paylinks.Link, error) {
	s := newLinkScan()
	if err := s.into(row, &s.l); err != nil {
		return nil, err
	}
	return &s.l, nil // one allocation for the scan and the link
}

// linkScan scans the rows of linkRead. Its destinations are made once for
// all the rows of a list: a row then costs only its strings.
type linkScan struct {
	l                 paylinks.Link
	created, updated  int64
	usedAt, deletedAt sql.NullInt64
	dest              []any
}

func newLinkScan() *linkScan {
	s := &linkScan{}
	l := &s.l
	// Room for the columns a list adds after the link's (listAtOnce), so
	// that adding them allocates nothing.
	s.dest = make([]any, 0, 25)
	s.dest = append(s.dest, &l.ID, &l.AccountID, &l.Livemode, &l.Slug, &l.Title, &l.Description, &l.Amount, &l.Currency,
		&l.Multiple, &l.Active, &l.Used, &s.usedAt, &l.SuccessURL, &l.CancelURL, &s.created, &s.updated, &s.deletedAt,
		&l.ManualCapture, &l.PaymentLimit, &l.PaymentCount, &l.ChargeCount)
	return s
}

func (s *linkScan) into(row scanner, l *paylinks.Link) error {
	s.l = paylinks.Link{}
	if err := row.Scan(s.dest...); err != nil {
		return err
	}
	*l = s.l
	l.CreatedAt, l.UpdatedAt = fromMicro(s.created), fromMicro(s.updated)
	l.UsedAt, l.DeletedAt = fromNullMicro(s.usedAt), fromNullMicro(s.deletedAt)
	return nil
}
