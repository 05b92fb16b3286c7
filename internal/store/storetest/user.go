package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

// user returns an unsaved owner of the account with a setup token hash
// that expires a day after base.
func (f *fixture) user(t *testing.T, a *paylinks.Account, email string) *paylinks.User {
	t.Helper()
	return &paylinks.User{ID: f.id(t), AccountID: a.ID, Email: email, Role: paylinks.RoleOwner,
		SetupHash: []byte("setup-" + email), SetupExpiresAt: ptr(at(86400)), CreatedAt: base}
}

// testUsers covers CreateUser, GetUser, UserByEmail and UseSetupToken.
func testUsers(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	u := f.user(t, a, "owner@example.com")
	if err := f.s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	v := f.user(t, b, "viewer@example.com")
	v.Role = paylinks.RoleViewer
	if err := f.s.CreateUser(ctx, v); err != nil {
		t.Fatalf("CreateUser(viewer): %v", err)
	}
	// One email, one user, whichever account.
	dup := f.user(t, b, "owner@example.com")
	dup.SetupHash = []byte("another")
	if err := f.s.CreateUser(ctx, dup); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("CreateUser with a taken email: got %v, want ErrConflict", err)
	}

	got, err := f.s.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if got.AccountID != a.ID || got.Email != u.Email || got.Role != paylinks.RoleOwner || got.PasswordHash != "" ||
		!bytes.Equal(got.SetupHash, u.SetupHash) || got.SetupExpiresAt == nil || !got.SetupExpiresAt.Equal(at(86400)) ||
		!got.CreatedAt.Equal(base) {
		t.Errorf("GetUser: got %+v, want %+v", got, u)
	}
	if got, err := f.s.UserByEmail(ctx, "viewer@example.com"); err != nil || got.ID != v.ID || got.Role != paylinks.RoleViewer || got.AccountID != b.ID {
		t.Errorf("UserByEmail(viewer): got %+v, %v; want the viewer of the second account", got, err)
	}
	if _, err := f.s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UserByEmail(unknown): got %v, want ErrNotFound", err)
	}
	if _, err := f.s.GetUser(ctx, f.id(t)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("GetUser(unknown): got %v, want ErrNotFound", err)
	}

	// An expired setup token sets nothing (expiry is exclusive: a token
	// whose end equals now has expired).
	if _, err := f.s.UseSetupToken(ctx, u.SetupHash, "hash-late", at(86400)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseSetupToken at its expiry: got %v, want ErrNotFound", err)
	}
	if _, err := f.s.UseSetupToken(ctx, []byte("wrong"), "hash", at(10)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseSetupToken(unknown token): got %v, want ErrNotFound", err)
	}
	set, err := f.s.UseSetupToken(ctx, u.SetupHash, "hash-1", at(86399))
	if err != nil {
		t.Fatalf("UseSetupToken: %v", err)
	}
	if set.ID != u.ID || set.PasswordHash != "hash-1" || set.SetupHash != nil || set.SetupExpiresAt != nil {
		t.Errorf("UseSetupToken: got %+v, want the user with password hash-1 and no setup token", set)
	}
	// A token sets a password once.
	if _, err := f.s.UseSetupToken(ctx, u.SetupHash, "hash-2", at(20)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseSetupToken a second time: got %v, want ErrNotFound", err)
	}
	if got, _ := f.s.GetUser(ctx, u.ID); got == nil || got.PasswordHash != "hash-1" {
		t.Errorf("after a reused setup token: got %+v, want password hash-1 kept", got)
	}
	// The other user's token is untouched.
	if got, _ := f.s.GetUser(ctx, v.ID); got == nil || got.SetupHash == nil || got.PasswordHash != "" {
		t.Errorf("the other user after UseSetupToken: got %+v, want their setup token kept", got)
	}
}

// testUserSessions covers the dashboard sessions: create, find by hash,
// touch (only forward), delete one, delete all of a user's.
func testUserSessions(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	u, w := f.user(t, a, "u@example.com"), f.user(t, a, "w@example.com")
	w.SetupHash = []byte("w")
	for _, x := range []*paylinks.User{u, w} {
		if err := f.s.CreateUser(ctx, x); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	mk := func(user *paylinks.User, token string) *paylinks.UserSession {
		s := &paylinks.UserSession{ID: f.id(t), UserID: user.ID, TokenHash: []byte(token), CreatedAt: at(1),
			LastSeenAt: at(1), ExpiresAt: at(1).Add(12 * time.Hour)}
		if err := f.s.CreateUserSession(ctx, s); err != nil {
			t.Fatalf("CreateUserSession: %v", err)
		}
		return s
	}
	s1, s2, s3 := mk(u, "t1"), mk(u, "t2"), mk(w, "t3")
	got, err := f.s.UserSessionByHash(ctx, []byte("t1"))
	if err != nil {
		t.Fatalf("UserSessionByHash: %v", err)
	}
	if got.ID != s1.ID || got.UserID != u.ID || !got.CreatedAt.Equal(at(1)) || !got.LastSeenAt.Equal(at(1)) || !got.ExpiresAt.Equal(s1.ExpiresAt) {
		t.Errorf("UserSessionByHash: got %+v, want %+v", got, s1)
	}
	if _, err := f.s.UserSessionByHash(ctx, []byte("nope")); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UserSessionByHash(unknown): got %v, want ErrNotFound", err)
	}
	if err := f.s.TouchUserSession(ctx, s1.ID, at(60)); err != nil {
		t.Fatalf("TouchUserSession: %v", err)
	}
	// An older time (a slower replica) never moves it back.
	if err := f.s.TouchUserSession(ctx, s1.ID, at(30)); err != nil {
		t.Fatalf("TouchUserSession(older): %v", err)
	}
	if got, _ := f.s.UserSessionByHash(ctx, []byte("t1")); got == nil || !got.LastSeenAt.Equal(at(60)) {
		t.Errorf("after touches at 60 then 30: got %+v, want last seen at 60", got)
	}
	if err := f.s.TouchUserSession(ctx, f.id(t), at(60)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("TouchUserSession(unknown): got %v, want ErrNotFound", err)
	}
	if err := f.s.DeleteUserSession(ctx, s2.ID); err != nil {
		t.Fatalf("DeleteUserSession: %v", err)
	}
	if err := f.s.DeleteUserSession(ctx, s2.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("DeleteUserSession twice: got %v, want ErrNotFound", err)
	}
	if _, err := f.s.UserSessionByHash(ctx, []byte("t2")); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("a deleted session: got %v, want ErrNotFound", err)
	}
	mk(u, "t4")
	n, err := f.s.DeleteUserSessions(ctx, u.ID)
	if err != nil || n != 2 {
		t.Errorf("DeleteUserSessions: got %d, %v; want 2 (t1 and t4)", n, err)
	}
	if _, err := f.s.UserSessionByHash(ctx, []byte("t1")); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("after DeleteUserSessions: got %v, want ErrNotFound", err)
	}
	if got, err := f.s.UserSessionByHash(ctx, []byte("t3")); err != nil || got.ID != s3.ID {
		t.Errorf("another user's session after DeleteUserSessions: got %+v, %v; want it kept", got, err)
	}
}
