package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// UserStore keeps the dashboard's users and their sessions (in the
// database, so that every replica serves them).
type UserStore interface {
	// CreateUser inserts a user. ErrConflict when the email is taken (by a
	// user of any account).
	CreateUser(ctx context.Context, u *paylinks.User) error
	// GetUser returns a user by id.
	GetUser(ctx context.Context, id paylinks.ID) (*paylinks.User, error)
	// UserByEmail returns the user with that (lower-case) email.
	UserByEmail(ctx context.Context, email string) (*paylinks.User, error)
	// UseSetupToken sets the password hash of the user whose setup token
	// hash is setupHash and whose setup link has not expired at now, and
	// clears the setup token, in one write: a token sets a password once.
	// ErrNotFound when no user has that unexpired token.
	UseSetupToken(ctx context.Context, setupHash []byte, passwordHash string, now time.Time) (*paylinks.User, error)

	// CreateUserSession inserts a session.
	CreateUserSession(ctx context.Context, s *paylinks.UserSession) error
	// UserSessionByHash returns the session whose token hash is hash,
	// expired or not (the caller decides, with its clock).
	UserSessionByHash(ctx context.Context, hash []byte) (*paylinks.UserSession, error)
	// TouchUserSession sets the session's LastSeenAt to at if at is later.
	// ErrNotFound when the session does not exist.
	TouchUserSession(ctx context.Context, id paylinks.ID, at time.Time) error
	// DeleteUserSession deletes a session (sign-out). ErrNotFound when it
	// does not exist.
	DeleteUserSession(ctx context.Context, id paylinks.ID) error
	// DeleteUserSessions deletes every session of the user (sign out
	// everywhere) and returns how many there were.
	DeleteUserSessions(ctx context.Context, userID paylinks.ID) (int, error)
}
