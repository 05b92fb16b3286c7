package paylinks

import "time"

// Role is what a dashboard user may do in their account.
type Role string

// The roles: an owner may do everything; a viewer only reads (no refunds,
// keys or settings).
const (
	RoleOwner  Role = "owner"
	RoleViewer Role = "viewer"
)

// User is a person who signs in to the merchant dashboard of one account.
// Only an argon2id hash of the password is kept (PasswordHash, empty until
// the user sets one through their setup link), and only the SHA-256 hash
// of the one-time setup token.
type User struct {
	ID           ID
	AccountID    ID
	Email        string // lower case; unique across accounts
	Role         Role
	PasswordHash string // encoded argon2id hash; "" until set
	// SetupHash is the SHA-256 hash of the setup token, nil once used.
	SetupHash      []byte
	SetupExpiresAt *time.Time
	CreatedAt      time.Time
}

// UserSession is a signed-in dashboard session. The browser holds the
// token; only its SHA-256 hash is stored, so a read of the database does
// not yield a usable session.
type UserSession struct {
	ID        ID
	UserID    ID
	TokenHash []byte
	CreatedAt time.Time
	// LastSeenAt is when the session was last used (idle expiry counts
	// from it); ExpiresAt is its absolute end.
	LastSeenAt time.Time
	ExpiresAt  time.Time
}
