package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

func testAccounts(t *testing.T, f *fixture) {
	ctx := t.Context()
	n, err := f.s.CountAccounts(ctx)
	if err != nil || n != 0 {
		t.Fatalf("CountAccounts on a new store: got %d, %v; want 0, nil", n, err)
	}
	a1, a2 := f.account(t), f.account(t)
	for _, want := range []*paylinks.Account{a1, a2} {
		got, err := f.s.GetAccount(ctx, want.ID)
		wantErr(t, "GetAccount", err, nil)
		check(t, "GetAccount", got, want)
		got, err = f.s.AccountByName(ctx, want.Name)
		wantErr(t, "AccountByName", err, nil)
		check(t, "AccountByName", got, want)
	}

	errs := []struct {
		name string
		call func() error
		want error
	}{
		{"GetAccount missing", func() error { _, err := f.s.GetAccount(ctx, f.id(t)); return err }, paylinks.ErrNotFound},
		{"AccountByName missing", func() error { _, err := f.s.AccountByName(ctx, "nobody"); return err }, paylinks.ErrNotFound},
		{"CreateAccount taken name", func() error {
			return f.s.CreateAccount(ctx, &paylinks.Account{ID: f.id(t), Name: a1.Name, CreatedAt: base})
		}, paylinks.ErrConflict},
		{"CreateAccount taken id", func() error {
			return f.s.CreateAccount(ctx, &paylinks.Account{ID: a1.ID, Name: "other", CreatedAt: base})
		}, paylinks.ErrConflict},
	}
	for _, tt := range errs {
		wantErr(t, tt.name, tt.call(), tt.want)
	}
	if n, err := f.s.CountAccounts(ctx); n != 2 || err != nil {
		t.Errorf("CountAccounts: got %d, %v; want 2, nil", n, err)
	}
}

// key returns an unsaved key of the account with a hash and prefix of its own.
func (f *fixture) key(t *testing.T, a *paylinks.Account, livemode bool, kind paylinks.KeyKind, prefix string, sec int) *paylinks.APIKey {
	t.Helper()
	id := f.id(t)
	h := sha256.Sum256(id[:])
	return &paylinks.APIKey{ID: id, AccountID: a.ID, Livemode: livemode, Kind: kind, Prefix: prefix, Hash: h[:], CreatedAt: at(sec)}
}

func testKeys(t *testing.T, f *fixture) {
	ctx := t.Context()
	a1, a2 := f.account(t), f.account(t)
	secret := f.key(t, a1, false, paylinks.KeySecret, "skey_test_aaaa", 20)
	restricted := f.key(t, a2, true, paylinks.KeyRestricted, "rkey_live_bbbb", 10)
	restricted.Scopes = []paylinks.Scope{paylinks.ScopeLinksRead, paylinks.ScopeEventsRead}
	revoked := f.key(t, a1, false, paylinks.KeyPublic, "pkey_test_cccc", 30)
	revoked.RevokedAt = ptr(at(40))
	tie := f.key(t, a2, false, paylinks.KeySecret, "skey_test_dddd", 20) // same created_at as secret
	keys := []*paylinks.APIKey{secret, restricted, revoked, tie}
	for _, k := range keys {
		if err := f.s.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey(%s): %v", k.Prefix, err)
		}
	}
	for _, want := range keys {
		got, err := f.s.KeyByHash(ctx, want.Hash)
		wantErr(t, "KeyByHash", err, nil)
		check(t, "KeyByHash", got, want)
	}

	wantList, _ := page(keys, func(*paylinks.APIKey) bool { return true },
		func(k *paylinks.APIKey) (time.Time, paylinks.ID) { return k.CreatedAt, k.ID }, time.Time{}, time.Time{}, paylinks.Chronological, 0, 0)
	got, err := f.s.ListKeys(ctx)
	wantErr(t, "ListKeys", err, nil)
	want := make([]paylinks.APIKey, len(wantList))
	for i, k := range wantList {
		want[i] = *k
	}
	check(t, "ListKeys", got, want)

	other := sha256.Sum256([]byte("no such key"))
	errs := []struct {
		name string
		call func() error
		want error
	}{
		{"KeyByHash missing", func() error { _, err := f.s.KeyByHash(ctx, other[:]); return err }, paylinks.ErrNotFound},
		{"CreateKey taken hash", func() error {
			k := f.key(t, a1, false, paylinks.KeySecret, "skey_test_eeee", 50)
			k.Hash = secret.Hash
			return f.s.CreateKey(ctx, k)
		}, paylinks.ErrConflict},
		{"CreateKey taken id", func() error {
			k := f.key(t, a1, false, paylinks.KeySecret, "skey_test_ffff", 50)
			k.ID = secret.ID
			return f.s.CreateKey(ctx, k)
		}, paylinks.ErrConflict},
	}
	for _, tt := range errs {
		wantErr(t, tt.name, tt.call(), tt.want)
	}
	if got, err := f.s.ListKeys(ctx); err != nil || len(got) != len(keys) {
		t.Errorf("ListKeys after refused writes: got %d keys, %v; want %d", len(got), err, len(keys))
	}
}

func testRevokeKey(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	create := func(prefix string, revokedAt *time.Time) *paylinks.APIKey {
		t.Helper()
		k := f.key(t, a, false, paylinks.KeySecret, prefix, 1)
		k.RevokedAt = revokedAt
		if err := f.s.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
		return k
	}
	unique := create("skey_test_uniq", nil)
	dup1, dup2 := create("skey_test_dupl", nil), create("skey_test_dupl", nil)
	create("skey_test_half", ptr(at(5)))
	half := create("skey_test_half", nil)

	tests := []struct {
		name    string
		prefix  string
		want    *paylinks.APIKey // the key revoked, when no error
		wantErr error
	}{
		{"no such prefix", "skey_test_none", nil, paylinks.ErrNotFound},
		{"ambiguous", "skey_test_dupl", nil, paylinks.ErrConflict},
		{"unique", "skey_test_uniq", unique, nil},
		{"already revoked", "skey_test_uniq", nil, paylinks.ErrNotFound},
		{"one of two unrevoked", "skey_test_half", half, nil},
	}
	for i, tt := range tests {
		revokeAt := at(100 + i)
		got, err := f.s.RevokeKey(ctx, tt.prefix, revokeAt)
		wantErr(t, "RevokeKey("+tt.name+")", err, tt.wantErr)
		if tt.want == nil {
			continue
		}
		want := *tt.want
		want.RevokedAt = &revokeAt
		check(t, "RevokeKey("+tt.name+")", got, &want)
		stored, err := f.s.KeyByHash(ctx, want.Hash)
		wantErr(t, "KeyByHash", err, nil)
		check(t, "KeyByHash after RevokeKey("+tt.name+")", stored, &want)
	}
	for _, k := range []*paylinks.APIKey{dup1, dup2} {
		got, err := f.s.KeyByHash(ctx, k.Hash)
		if err != nil || got.RevokedAt != nil {
			t.Errorf("an ambiguous RevokeKey revoked %s: got RevokedAt %v, %v; want nil", k.ID, got.RevokedAt, err)
		}
	}
}
