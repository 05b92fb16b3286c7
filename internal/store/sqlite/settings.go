package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
)

const settingsCols = `account_id, business_name, brand_color, support_email, support_url, default_currency, logo_type, logo_updated_at, updated_at`

// AccountSettings returns the account's settings, without the logo bytes.
func (db *DB) AccountSettings(ctx context.Context, accountID paylinks.ID) (*paylinks.AccountSettings, error) {
	var s paylinks.AccountSettings
	var logoAt sql.NullInt64
	var updated int64
	err := db.queryRow(ctx, `SELECT `+settingsCols+` FROM account_settings WHERE account_id = ?`, idArg(accountID)).
		Scan(&s.AccountID, &s.BusinessName, &s.BrandColor, &s.SupportEmail, &s.SupportURL, &s.DefaultCurrency, &s.LogoType, &logoAt, &updated)
	if err != nil {
		return nil, wrap("AccountSettings", err)
	}
	s.LogoUpdatedAt, s.UpdatedAt = fromNullMicro(logoAt), fromMicro(updated)
	return &s, nil
}

// SaveAccountSettings upserts the text fields of the account's settings.
func (db *DB) SaveAccountSettings(ctx context.Context, s *paylinks.AccountSettings) error {
	return wrap("SaveAccountSettings", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO account_settings (account_id, business_name, brand_color, support_email, support_url, default_currency, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET business_name = excluded.business_name, brand_color = excluded.brand_color,
				support_email = excluded.support_email, support_url = excluded.support_url,
				default_currency = excluded.default_currency, updated_at = excluded.updated_at`,
			idArg(s.AccountID), s.BusinessName, s.BrandColor, s.SupportEmail, s.SupportURL, s.DefaultCurrency, micro(s.UpdatedAt))
		return err
	}))
}

// SetAccountLogo stores (or, with nil data, removes) the account's logo.
func (db *DB) SetAccountLogo(ctx context.Context, accountID paylinks.ID, contentType string, data []byte, at time.Time) error {
	if data == nil {
		contentType = ""
	}
	return wrap("SetAccountLogo", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO account_settings (account_id, logo_type, logo, logo_updated_at, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET logo_type = excluded.logo_type, logo = excluded.logo,
				logo_updated_at = excluded.logo_updated_at, updated_at = excluded.updated_at`,
			idArg(accountID), contentType, data, micro(at), micro(at))
		return err
	}))
}

// AccountLogo returns the account's logo.
func (db *DB) AccountLogo(ctx context.Context, accountID paylinks.ID) (string, []byte, error) {
	var typ string
	var data []byte
	err := db.queryRow(ctx, `SELECT logo_type, logo FROM account_settings WHERE account_id = ? AND logo IS NOT NULL`, idArg(accountID)).
		Scan(&typ, &data)
	if err != nil {
		return "", nil, wrap("AccountLogo", err)
	}
	return typ, data, nil
}

// AccountKeys returns the account's keys in the mode, newest first.
func (db *DB) AccountKeys(ctx context.Context, accountID paylinks.ID, livemode bool) ([]paylinks.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE account_id = ? AND livemode = ?
		ORDER BY created_at DESC, id DESC`, idArg(accountID), livemode)
	if err != nil {
		return nil, wrap("AccountKeys", err)
	}
	defer rows.Close()
	var keys []paylinks.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, wrap("AccountKeys", err)
		}
		keys = append(keys, *k)
	}
	return keys, wrap("AccountKeys", rows.Err())
}

// RevokeAccountKey revokes the account's key id in the mode.
func (db *DB) RevokeAccountKey(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID, at time.Time) (*paylinks.APIKey, error) {
	var k *paylinks.APIKey
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM api_keys WHERE id = ? AND account_id = ? AND livemode = ?`,
			idArg(id), idArg(accountID), livemode).Scan(&revoked)
		if err != nil {
			return err
		}
		if revoked.Valid {
			return fmt.Errorf("%w: the key is revoked already", paylinks.ErrConflict)
		}
		k, err = scanKey(tx.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? RETURNING `+keyCols, micro(at), idArg(id)))
		return err
	})
	if err != nil {
		return nil, wrap("RevokeAccountKey", err)
	}
	return k, nil
}

// BeginUserTOTP stores a pending TOTP secret, replacing a pending one.
func (db *DB) BeginUserTOTP(ctx context.Context, t *paylinks.UserTOTP) error {
	return wrap("BeginUserTOTP", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO user_totp (user_id, secret_sealed, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at, last_step = 0
			WHERE user_totp.confirmed_at IS NULL`, idArg(t.UserID), t.SecretSealed, micro(t.CreatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%w: the user has a confirmed second factor", paylinks.ErrConflict)
		}
		return nil
	}))
}

// UserTOTP returns the user's TOTP and the count of unused recovery codes.
func (db *DB) UserTOTP(ctx context.Context, userID paylinks.ID) (*paylinks.UserTOTP, error) {
	var t paylinks.UserTOTP
	var confirmed sql.NullInt64
	var created int64
	err := db.queryRow(ctx, `SELECT user_id, secret_sealed, confirmed_at, last_step, created_at,
		(SELECT count(*) FROM user_recovery_codes c WHERE c.user_id = t.user_id AND c.used_at IS NULL)
		FROM user_totp t WHERE user_id = ?`, idArg(userID)).
		Scan(&t.UserID, &t.SecretSealed, &confirmed, &t.LastStep, &created, &t.RecoveryCodesLeft)
	if err != nil {
		return nil, wrap("UserTOTP", err)
	}
	t.ConfirmedAt, t.CreatedAt = fromNullMicro(confirmed), fromMicro(created)
	return &t, nil
}

// ConfirmUserTOTP confirms a pending TOTP and replaces the recovery codes.
func (db *DB) ConfirmUserTOTP(ctx context.Context, userID paylinks.ID, step int64, codeHashes [][]byte, at time.Time) error {
	return wrap("ConfirmUserTOTP", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var got []byte
		if err := tx.QueryRowContext(ctx, `UPDATE user_totp SET confirmed_at = ?, last_step = ?
			WHERE user_id = ? AND confirmed_at IS NULL RETURNING user_id`, micro(at), step, idArg(userID)).Scan(&got); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ?`, idArg(userID)); err != nil {
			return err
		}
		for _, h := range codeHashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (?, ?)`, idArg(userID), h); err != nil {
				return err
			}
		}
		return nil
	}))
}

// UseTOTPStep records step as the last used one if it is later.
func (db *DB) UseTOTPStep(ctx context.Context, userID paylinks.ID, step int64) error {
	return wrap("UseTOTPStep", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT last_step FROM user_totp WHERE user_id = ? AND confirmed_at IS NOT NULL`, idArg(userID)).Scan(&last)
		if err != nil {
			return err
		}
		if step <= last {
			return fmt.Errorf("%w: time step %d is not after the last one used", paylinks.ErrConflict, step)
		}
		_, err = tx.ExecContext(ctx, `UPDATE user_totp SET last_step = ? WHERE user_id = ?`, step, idArg(userID))
		return err
	}))
}

// UseRecoveryCode spends one unused recovery code.
func (db *DB) UseRecoveryCode(ctx context.Context, userID paylinks.ID, codeHash []byte, at time.Time) error {
	return wrap("UseRecoveryCode", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var got []byte
		return tx.QueryRowContext(ctx, `UPDATE user_recovery_codes SET used_at = ?
			WHERE user_id = ? AND code_hash = ? AND used_at IS NULL RETURNING user_id`, micro(at), idArg(userID), codeHash).Scan(&got)
	}))
}

// DeleteUserTOTP removes the user's TOTP and recovery codes.
func (db *DB) DeleteUserTOTP(ctx context.Context, userID paylinks.ID) error {
	return wrap("DeleteUserTOTP", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ?`, idArg(userID)); err != nil {
			return err
		}
		var got []byte
		return tx.QueryRowContext(ctx, `DELETE FROM user_totp WHERE user_id = ? RETURNING user_id`, idArg(userID)).Scan(&got)
	}))
}
