package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/paylinks/paylinks"
)

// Dashboard user and session limits.
const (
	// SetupLinkTTL is how long a user's one-time setup link works.
	SetupLinkTTL = 24 * time.Hour
	// SessionIdleTTL ends a dashboard session not used for this long.
	SessionIdleTTL = 2 * time.Hour
	// SessionMaxTTL ends a dashboard session this long after sign-in,
	// however busy.
	SessionMaxTTL = 12 * time.Hour
	// sessionTouchEvery: a session's last use is written at most this
	// often, so that a page view is not a write.
	sessionTouchEvery = time.Minute
	// MinPasswordLen and MaxPasswordLen bound a password, in bytes.
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// argon2id parameters (RFC 9106's second recommendation, scaled to the
// OWASP minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// UserParams describe a new dashboard user.
type UserParams struct {
	Account string // the account's name
	Email   string
	Role    paylinks.Role // default owner
}

// CreateUser adds a dashboard user to an existing account and returns it
// with its one-time setup token (shown once: only its hash is kept), which
// sets the user's password within SetupLinkTTL. Errors: KindInvalid
// (email, role), KindNotFound (account), KindConflict (email taken).
func (s *Service) CreateUser(ctx context.Context, p UserParams) (*paylinks.User, string, error) {
	email := strings.ToLower(strings.TrimSpace(p.Email))
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") {
		return nil, "", paylinks.Invalid("invalid_email", "email", "email must be an address like name@example.com")
	}
	role := p.Role
	if role == "" {
		role = paylinks.RoleOwner
	}
	if role != paylinks.RoleOwner && role != paylinks.RoleViewer {
		return nil, "", paylinks.Invalid("invalid_role", "role", "role must be owner or viewer")
	}
	a, err := s.store.AccountByName(ctx, strings.TrimSpace(p.Account))
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, "", &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "account",
			Message: fmt.Sprintf("no account is named %q", p.Account)}
	}
	if err != nil {
		return nil, "", fmt.Errorf("CreateUser: %w", err)
	}
	token, err := s.randomToken()
	if err != nil {
		return nil, "", err
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, "", err
	}
	exp := now.Add(SetupLinkTTL)
	u := &paylinks.User{ID: id, AccountID: a.ID, Email: email, Role: role, SetupHash: tokenHash(token),
		SetupExpiresAt: &exp, CreatedAt: now}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, paylinks.ErrConflict) {
			return nil, "", &paylinks.Error{Kind: paylinks.KindConflict, Code: "email_taken", Param: "email",
				Message: "a user with this email exists"}
		}
		return nil, "", fmt.Errorf("CreateUser: %w", err)
	}
	return u, token, nil
}

// SetPassword sets the password of the user whose setup token is token and
// spends the token. Errors: KindInvalid (password too short or long),
// KindGone (setup_expired) when the token is unknown, used or expired.
func (s *Service) SetPassword(ctx context.Context, token, password string) (*paylinks.User, error) {
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UseSetupToken(ctx, tokenHash(token), hash, s.Now())
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, setupExpired()
	}
	if err != nil {
		return nil, fmt.Errorf("SetPassword: %w", err)
	}
	return u, nil
}

func setupExpired() error {
	return &paylinks.Error{Kind: paylinks.KindGone, Code: "setup_expired", Param: "token",
		Message: "this setup link has expired or was already used; ask for a new one"}
}

func checkPassword(pw string) error {
	if len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return paylinks.Invalid("invalid_password", "password", "password must be %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// SignIn checks an email and password and starts a session, returning the
// user, the session and its token (for the cookie; only its hash is kept).
// When the user has a second factor, the right password starts no
// session: the error is a *SecondFactorRequired whose ticket goes to
// SignInSecondFactor with the code.
// A wrong email and a wrong password are the same KindUnauthenticated
// error, and take the same time: an unknown email is checked against a
// dummy hash.
func (s *Service) SignIn(ctx context.Context, email, password string) (*paylinks.User, *paylinks.UserSession, string, error) {
	refused := &paylinks.Error{Kind: paylinks.KindUnauthenticated, Code: "bad_credentials",
		Message: "the email or password is not right"}
	if len(password) > MaxPasswordLen {
		return nil, nil, "", refused
	}
	u, err := s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil && !errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil, "", fmt.Errorf("SignIn: %w", err)
	}
	encoded := dummyPasswordHash
	if u != nil && u.PasswordHash != "" {
		encoded = u.PasswordHash
	}
	ok := verifyPassword(encoded, password)
	if u == nil || u.PasswordHash == "" || !ok {
		return nil, nil, "", refused
	}
	if t, err := s.store.UserTOTP(ctx, u.ID); err == nil && t.ConfirmedAt != nil {
		ticket, err := s.secondFactorTicket(ctx, u)
		if err != nil {
			return nil, nil, "", fmt.Errorf("SignIn: %w", err)
		}
		return u, nil, "", &SecondFactorRequired{Ticket: ticket}
	} else if err != nil && !errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil, "", fmt.Errorf("SignIn: %w", err)
	}
	sess, token, err := s.startSession(ctx, u)
	if err != nil {
		return nil, nil, "", err
	}
	return u, sess, token, nil
}

// startSession starts a dashboard session of u and returns it with its
// token.
func (s *Service) startSession(ctx context.Context, u *paylinks.User) (*paylinks.UserSession, string, error) {
	token, err := s.randomToken()
	if err != nil {
		return nil, "", err
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, "", err
	}
	sess := &paylinks.UserSession{ID: id, UserID: u.ID, TokenHash: tokenHash(token), CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(SessionMaxTTL)}
	if err := s.store.CreateUserSession(ctx, sess); err != nil {
		return nil, "", fmt.Errorf("start session: %w", err)
	}
	return sess, token, nil
}

// UserSession returns the user and session of a session token, moving its
// idle expiry forward. A session past its idle or absolute expiry is
// deleted and refused (KindUnauthenticated, session_expired), as is an
// unknown token.
func (s *Service) UserSession(ctx context.Context, token string) (*paylinks.User, *paylinks.UserSession, error) {
	expired := &paylinks.Error{Kind: paylinks.KindUnauthenticated, Code: "session_expired",
		Message: "your session has ended; sign in again"}
	if token == "" {
		return nil, nil, expired
	}
	sess, err := s.store.UserSessionByHash(ctx, tokenHash(token))
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil, expired
	}
	if err != nil {
		return nil, nil, fmt.Errorf("UserSession: %w", err)
	}
	now := s.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= SessionIdleTTL {
		if err := s.store.DeleteUserSession(ctx, sess.ID); err != nil && !errors.Is(err, paylinks.ErrNotFound) {
			s.log.WarnContext(ctx, "delete expired dashboard session", "err", err)
		}
		return nil, nil, expired
	}
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, nil, fmt.Errorf("UserSession: %w", err)
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.store.TouchUserSession(ctx, sess.ID, now); err != nil {
			return nil, nil, fmt.Errorf("UserSession: %w", err)
		}
		sess.LastSeenAt = now
	}
	return u, sess, nil
}

// SignOut ends one session (nothing when it has already ended).
func (s *Service) SignOut(ctx context.Context, sess *paylinks.UserSession) error {
	if err := s.store.DeleteUserSession(ctx, sess.ID); err != nil && !errors.Is(err, paylinks.ErrNotFound) {
		return fmt.Errorf("SignOut: %w", err)
	}
	return nil
}

// SignOutEverywhere ends every session of the user.
func (s *Service) SignOutEverywhere(ctx context.Context, u *paylinks.User) error {
	if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return fmt.Errorf("SignOutEverywhere: %w", err)
	}
	return nil
}

// UserPrincipal is the access of a dashboard user in a mode: an owner has
// every scope of a secret key; a viewer only the read scopes, so that every
// write the service guards (links, refunds, captures, webhooks) refuses a
// viewer, whatever the page shows.
func UserPrincipal(u *paylinks.User, livemode bool) paylinks.Principal {
	if u.Role == paylinks.RoleOwner {
		return paylinks.Principal{AccountID: u.AccountID, Livemode: livemode, Kind: paylinks.KeySecret}
	}
	return paylinks.Principal{AccountID: u.AccountID, Livemode: livemode, Kind: paylinks.KeyRestricted,
		Scopes: []paylinks.Scope{paylinks.ScopeLinksRead, paylinks.ScopeSessionsRead, paylinks.ScopeWebhooksRead, paylinks.ScopeEventsRead}}
}

// randomToken returns 32 random bytes, base64url.
func (s *Service) randomToken() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// hashPassword returns the PHC-encoded argon2id hash of pw with a fresh salt.
func (s *Service) hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(s.rand, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	return encodeArgon2id(pw, salt, argonTime, argonMemory, argonThreads), nil
}

func encodeArgon2id(pw string, salt []byte, t, m uint32, p uint8) string {
	key := argon2.IDKey([]byte(pw), salt, t, m, p, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verifyPassword reports whether pw matches the encoded argon2id hash,
// comparing in constant time.
func verifyPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyPasswordHash is checked when the email is unknown, so that a wrong
// email takes as long as a wrong password.
var dummyPasswordHash = encodeArgon2id("not a password of anyone", []byte("paylinks-dummy-salt"), argonTime, argonMemory, argonThreads)
