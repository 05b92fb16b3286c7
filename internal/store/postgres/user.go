package postgres

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

const userColumns = `id, account_id, email, role, password_hash, setup_hash, setup_expires_at, created_at`

// CreateUser inserts a dashboard user. ErrConflict when the email is taken.
func (db *DB) CreateUser(ctx context.Context, u *paylinks.User) (err error) {
	defer wrap(&err, "CreateUser")
	_, err = db.pool.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.AccountID, u.Email, string(u.Role), u.PasswordHash, u.SetupHash, tsp(u.SetupExpiresAt), ts(u.CreatedAt))
	return err
}

// GetUser returns a user by id.
func (db *DB) GetUser(ctx context.Context, id paylinks.ID) (_ *paylinks.User, err error) {
	defer wrap(&err, "GetUser")
	return scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// UserByEmail returns the user with that email.
func (db *DB) UserByEmail(ctx context.Context, email string) (_ *paylinks.User, err error) {
	defer wrap(&err, "UserByEmail")
	return scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
}

// UseSetupToken sets the password of the user holding the unexpired setup
// token and clears the token, in one conditional write.
func (db *DB) UseSetupToken(ctx context.Context, setupHash []byte, passwordHash string, now time.Time) (_ *paylinks.User, err error) {
	defer wrap(&err, "UseSetupToken")
	return scanUser(db.pool.QueryRow(ctx, `UPDATE users SET password_hash = $1, setup_hash = NULL, setup_expires_at = NULL
		WHERE setup_hash = $2 AND setup_expires_at > $3 RETURNING `+userColumns, passwordHash, setupHash, ts(now)))
}

func scanUser(row rowScanner) (*paylinks.User, error) {
	var u paylinks.User
	var role string
	if err := row.Scan(&u.ID, &u.AccountID, &u.Email, &role, &u.PasswordHash, &u.SetupHash, &u.SetupExpiresAt, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.Role = paylinks.Role(role)
	u.SetupExpiresAt = utc(u.SetupExpiresAt)
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

const userSessionColumns = `id, user_id, token_hash, created_at, last_seen_at, expires_at`

// CreateUserSession inserts a dashboard session.
func (db *DB) CreateUserSession(ctx context.Context, s *paylinks.UserSession) (err error) {
	defer wrap(&err, "CreateUserSession")
	_, err = db.pool.Exec(ctx, `INSERT INTO user_sessions (`+userSessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.UserID, s.TokenHash, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt))
	return err
}

// UserSessionByHash returns the session whose token hash is hash.
func (db *DB) UserSessionByHash(ctx context.Context, hash []byte) (_ *paylinks.UserSession, err error) {
	defer wrap(&err, "UserSessionByHash")
	var s paylinks.UserSession
	err = db.pool.QueryRow(ctx, `SELECT `+userSessionColumns+` FROM user_sessions WHERE token_hash = $1`, hash).
		Scan(&s.ID, &s.UserID, &s.TokenHash, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return &s, nil
}

// TouchUserSession moves the session's last use forward to at.
func (db *DB) TouchUserSession(ctx context.Context, id paylinks.ID, at time.Time) (err error) {
	defer wrap(&err, "TouchUserSession")
	var got paylinks.ID
	return db.pool.QueryRow(ctx, `UPDATE user_sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE id = $1 RETURNING id`,
		id, ts(at)).Scan(&got)
}

// DeleteUserSession deletes one session.
func (db *DB) DeleteUserSession(ctx context.Context, id paylinks.ID) (err error) {
	defer wrap(&err, "DeleteUserSession")
	var got paylinks.ID
	return db.pool.QueryRow(ctx, `DELETE FROM user_sessions WHERE id = $1 RETURNING id`, id).Scan(&got)
}

// DeleteUserSessions deletes every session of the user.
func (db *DB) DeleteUserSessions(ctx context.Context, userID paylinks.ID) (_ int, err error) {
	defer wrap(&err, "DeleteUserSessions")
	tag, err := db.pool.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
