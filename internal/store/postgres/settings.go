package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paylinks/paylinks"
)

const settingsColumns = `account_id, business_name, brand_color, support_email, support_url, default_currency, logo_type, logo_updated_at, updated_at`

// AccountSettings returns the account's settings, without the logo bytes.
func (db *DB) AccountSettings(ctx context.Context, accountID paylinks.ID) (_ *paylinks.AccountSettings, err error) {
	defer wrap(&err, "AccountSettings")
	var s paylinks.AccountSettings
	err = db.pool.QueryRow(ctx, `SELECT `+settingsColumns+` FROM account_settings WHERE account_id = $1`, accountID).
		Scan(&s.AccountID, &s.BusinessName, &s.BrandColor, &s.SupportEmail, &s.SupportURL, &s.DefaultCurrency, &s.LogoType, &s.LogoUpdatedAt, &s.UpdatedAt)
	if err != nil {
		return nil, err
	}
	s.LogoUpdatedAt, s.UpdatedAt = utc(s.LogoUpdatedAt), s.UpdatedAt.UTC()
	return &s, nil
}

// SaveAccountSettings upserts the text fields of the account's settings.
func (db *DB) SaveAccountSettings(ctx context.Context, s *paylinks.AccountSettings) (err error) {
	defer wrap(&err, "SaveAccountSettings")
	_, err = db.pool.Exec(ctx, `INSERT INTO account_settings (account_id, business_name, brand_color, support_email, support_url, default_currency, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (account_id) DO UPDATE SET business_name = excluded.business_name, brand_color = excluded.brand_color,
			support_email = excluded.support_email, support_url = excluded.support_url,
			default_currency = excluded.default_currency, updated_at = excluded.updated_at`,
		s.AccountID, s.BusinessName, s.BrandColor, s.SupportEmail, s.SupportURL, s.DefaultCurrency, ts(s.UpdatedAt))
	return err
}

// SetAccountLogo stores (or, with nil data, removes) the account's logo.
func (db *DB) SetAccountLogo(ctx context.Context, accountID paylinks.ID, contentType string, data []byte, at time.Time) (err error) {
	defer wrap(&err, "SetAccountLogo")
	if data == nil {
		contentType = ""
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO account_settings (account_id, logo_type, logo, logo_updated_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (account_id) DO UPDATE SET logo_type = excluded.logo_type, logo = excluded.logo,
			logo_updated_at = excluded.logo_updated_at, updated_at = excluded.updated_at`,
		accountID, contentType, data, ts(at))
	return err
}

// AccountLogo returns the account's logo.
func (db *DB) AccountLogo(ctx context.Context, accountID paylinks.ID) (_ string, _ []byte, err error) {
	defer wrap(&err, "AccountLogo")
	var typ string
	var data []byte
	err = db.pool.QueryRow(ctx, `SELECT logo_type, logo FROM account_settings WHERE account_id = $1 AND logo IS NOT NULL`, accountID).
		Scan(&typ, &data)
	if err != nil {
		return "", nil, err
	}
	return typ, data, nil
}

// AccountKeys returns the account's keys in the mode, newest first.
func (db *DB) AccountKeys(ctx context.Context, accountID paylinks.ID, livemode bool) (_ []paylinks.APIKey, err error) {
	defer wrap(&err, "AccountKeys")
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE account_id = $1 AND livemode = $2
		ORDER BY created_at DESC, id DESC`, accountID, livemode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []paylinks.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, *k)
	}
	return keys, rows.Err()
}

// RevokeAccountKey revokes the account's key id in the mode.
func (db *DB) RevokeAccountKey(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID, at time.Time) (_ *paylinks.APIKey, err error) {
	defer wrap(&err, "RevokeAccountKey")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	var revoked *time.Time
	if err := tx.QueryRow(ctx, `SELECT revoked_at FROM api_keys WHERE id = $1 AND account_id = $2 AND livemode = $3 FOR UPDATE`,
		id, accountID, livemode).Scan(&revoked); err != nil {
		return nil, err
	}
	if revoked != nil {
		return nil, fmt.Errorf("the key is revoked already: %w", paylinks.ErrConflict)
	}
	k, err := scanKey(tx.QueryRow(ctx, `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 RETURNING `+keyColumns, id, ts(at)))
	if err != nil {
		return nil, err
	}
	return k, tx.Commit(ctx)
}

// BeginUserTOTP stores a pending TOTP secret, replacing a pending one.
func (db *DB) BeginUserTOTP(ctx context.Context, t *paylinks.UserTOTP) (err error) {
	defer wrap(&err, "BeginUserTOTP")
	tag, err := db.pool.Exec(ctx, `INSERT INTO user_totp (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at, last_step = 0
		WHERE user_totp.confirmed_at IS NULL`, t.UserID, t.SecretSealed, ts(t.CreatedAt))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("the user has a confirmed second factor: %w", paylinks.ErrConflict)
	}
	return nil
}

// UserTOTP returns the user's TOTP and the count of unused recovery codes.
func (db *DB) UserTOTP(ctx context.Context, userID paylinks.ID) (_ *paylinks.UserTOTP, err error) {
	defer wrap(&err, "UserTOTP")
	var t paylinks.UserTOTP
	err = db.pool.QueryRow(ctx, `SELECT user_id, secret_sealed, confirmed_at, last_step, created_at,
		(SELECT count(*) FROM user_recovery_codes c WHERE c.user_id = t.user_id AND c.used_at IS NULL)
		FROM user_totp t WHERE user_id = $1`, userID).
		Scan(&t.UserID, &t.SecretSealed, &t.ConfirmedAt, &t.LastStep, &t.CreatedAt, &t.RecoveryCodesLeft)
	if err != nil {
		return nil, err
	}
	t.ConfirmedAt, t.CreatedAt = utc(t.ConfirmedAt), t.CreatedAt.UTC()
	return &t, nil
}

// ConfirmUserTOTP confirms a pending TOTP and replaces the recovery codes.
func (db *DB) ConfirmUserTOTP(ctx context.Context, userID paylinks.ID, step int64, codeHashes [][]byte, at time.Time) (err error) {
	defer wrap(&err, "ConfirmUserTOTP")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var got paylinks.ID
	if err := tx.QueryRow(ctx, `UPDATE user_totp SET confirmed_at = $2, last_step = $3
		WHERE user_id = $1 AND confirmed_at IS NULL RETURNING user_id`, userID, ts(at), step).Scan(&got); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, h := range codeHashes {
		b.Queue(`INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// UseTOTPStep records step as the last used one if it is later.
func (db *DB) UseTOTPStep(ctx context.Context, userID paylinks.ID, step int64) (err error) {
	defer wrap(&err, "UseTOTPStep")
	tag, err := db.pool.Exec(ctx, `UPDATE user_totp SET last_step = $2
		WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2`, userID, step)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT true FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL`, userID).Scan(&exists); err != nil {
		return err
	}
	return fmt.Errorf("time step %d is not after the last one used: %w", step, paylinks.ErrConflict)
}

// UseRecoveryCode spends one unused recovery code.
func (db *DB) UseRecoveryCode(ctx context.Context, userID paylinks.ID, codeHash []byte, at time.Time) (err error) {
	defer wrap(&err, "UseRecoveryCode")
	var got paylinks.ID
	return db.pool.QueryRow(ctx, `UPDATE user_recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id`, userID, codeHash, ts(at)).Scan(&got)
}

// DeleteUserTOTP removes the user's TOTP and recovery codes.
func (db *DB) DeleteUserTOTP(ctx context.Context, userID paylinks.ID) (err error) {
	defer wrap(&err, "DeleteUserTOTP")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	var got paylinks.ID
	if err := tx.QueryRow(ctx, `DELETE FROM user_totp WHERE user_id = $1 RETURNING user_id`, userID).Scan(&got); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
