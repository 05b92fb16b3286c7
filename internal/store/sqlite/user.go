package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/paylinks/paylinks"
)

const userCols = `id, account_id, email, role, password_hash, setup_hash, setup_expires_at, created_at`

// CreateUser inserts a dashboard user. ErrConflict when the email is taken.
func (db *DB) CreateUser(ctx context.Context, u *paylinks.User) error {
	return wrap("CreateUser", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(u.ID), idArg(u.AccountID), u.Email, string(u.Role), u.PasswordHash, u.SetupHash,
			nullMicro(u.SetupExpiresAt), micro(u.CreatedAt))
		return err
	}))
}

// GetUser returns a user by id.
func (db *DB) GetUser(ctx context.Context, id paylinks.ID) (*paylinks.User, error) {
	u, err := scanUser(db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, idArg(id)))
	return u, wrap("GetUser", err)
}

// UserByEmail returns the user with that email.
func (db *DB) UserByEmail(ctx context.Context, email string) (*paylinks.User, error) {
	u, err := scanUser(db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	return u, wrap("UserByEmail", err)
}

// UseSetupToken sets the password of the user holding the unexpired setup
// token and clears the token, in one conditional write.
func (db *DB) UseSetupToken(ctx context.Context, setupHash []byte, passwordHash string, now time.Time) (*paylinks.User, error) {
	var u *paylinks.User
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ?, setup_hash = NULL, setup_expires_at = NULL
			WHERE setup_hash = ? AND setup_expires_at > ? RETURNING `+userCols, passwordHash, setupHash, micro(now)))
		return err
	})
	if err != nil {
		return nil, wrap("UseSetupToken", err)
	}
	return u, nil
}

func scanUser(row scanner) (*paylinks.User, error) {
	var u paylinks.User
	var role string
	var created int64
	var expires sql.NullInt64
	if err := row.Scan(&u.ID, &u.AccountID, &u.Email, &role, &u.PasswordHash, &u.SetupHash, &expires, &created); err != nil {
		return nil, err
	}
	u.Role = paylinks.Role(role)
	u.SetupExpiresAt = fromNullMicro(expires)
	u.CreatedAt = fromMicro(created)
	return &u, nil
}

const userSessionCols = `id, user_id, token_hash, created_at, last_seen_at, expires_at`

// CreateUserSession inserts a dashboard session.
func (db *DB) CreateUserSession(ctx context.Context, s *paylinks.UserSession) error {
	return wrap("CreateUserSession", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO user_sessions (`+userSessionCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			idArg(s.ID), idArg(s.UserID), s.TokenHash, micro(s.CreatedAt), micro(s.LastSeenAt), micro(s.ExpiresAt))
		return err
	}))
}

// UserSessionByHash returns the session whose token hash is hash.
func (db *DB) UserSessionByHash(ctx context.Context, hash []byte) (*paylinks.UserSession, error) {
	var s paylinks.UserSession
	var created, seen, expires int64
	err := db.queryRow(ctx, `SELECT `+userSessionCols+` FROM user_sessions WHERE token_hash = ?`, hash).
		Scan(&s.ID, &s.UserID, &s.TokenHash, &created, &seen, &expires)
	if err != nil {
		return nil, wrap("UserSessionByHash", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicro(created), fromMicro(seen), fromMicro(expires)
	return &s, nil
}

// TouchUserSession moves the session's last use forward to at.
func (db *DB) TouchUserSession(ctx context.Context, id paylinks.ID, at time.Time) error {
	return wrap("TouchUserSession", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var got []byte
		return tx.QueryRowContext(ctx, `UPDATE user_sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ? RETURNING id`,
			micro(at), idArg(id)).Scan(&got)
	}))
}

// DeleteUserSession deletes one session.
func (db *DB) DeleteUserSession(ctx context.Context, id paylinks.ID) error {
	return wrap("DeleteUserSession", db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		var got []byte
		return tx.QueryRowContext(ctx, `DELETE FROM user_sessions WHERE id = ? RETURNING id`, idArg(id)).Scan(&got)
	}))
}

// DeleteUserSessions deletes every session of the user.
func (db *DB) DeleteUserSessions(ctx context.Context, userID paylinks.ID) (int, error) {
	var n int64
	err := db.exec(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = ?`, idArg(userID))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), wrap("DeleteUserSessions", err)
}
