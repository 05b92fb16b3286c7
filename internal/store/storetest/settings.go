package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
)

// testAccountSettings covers SaveAccountSettings, AccountSettings,
// SetAccountLogo and AccountLogo.
func testAccountSettings(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	if _, err := f.s.AccountSettings(ctx, a.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("AccountSettings before any save: got %v, want ErrNotFound", err)
	}
	if _, _, err := f.s.AccountLogo(ctx, a.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("AccountLogo before any: got %v, want ErrNotFound", err)
	}
	s := &paylinks.AccountSettings{AccountID: a.ID, BusinessName: "Acme Coffee", BrandColor: "#0a7d5a",
		SupportEmail: "help@acme.example", SupportURL: "https://acme.example/help", DefaultCurrency: "JPY", UpdatedAt: at(10)}
	if err := f.s.SaveAccountSettings(ctx, s); err != nil {
		t.Fatalf("SaveAccountSettings: %v", err)
	}
	got, err := f.s.AccountSettings(ctx, a.ID)
	if err != nil || *got != *s {
		t.Fatalf("AccountSettings: got %+v, %v; want %+v", got, err, s)
	}
	// A logo leaves the text fields; saving them again leaves the logo.
	png := []byte("\x89PNG\r\n\x1a\nfake")
	if err := f.s.SetAccountLogo(ctx, a.ID, "image/png", png, at(20)); err != nil {
		t.Fatalf("SetAccountLogo: %v", err)
	}
	s.BusinessName, s.UpdatedAt = "Acme Roasters", at(30)
	if err := f.s.SaveAccountSettings(ctx, s); err != nil {
		t.Fatalf("SaveAccountSettings again: %v", err)
	}
	got, err = f.s.AccountSettings(ctx, a.ID)
	if err != nil || got.BusinessName != "Acme Roasters" || got.LogoType != "image/png" || got.LogoUpdatedAt == nil ||
		!got.LogoUpdatedAt.Equal(at(20)) || got.BrandColor != "#0a7d5a" || !got.UpdatedAt.Equal(at(30)) {
		t.Errorf("AccountSettings after a logo and a save: got %+v, %v", got, err)
	}
	if typ, data, err := f.s.AccountLogo(ctx, a.ID); err != nil || typ != "image/png" || !bytes.Equal(data, png) {
		t.Errorf("AccountLogo: got %q %q %v", typ, data, err)
	}
	// Another account's settings are its own; a logo alone creates them.
	if _, _, err := f.s.AccountLogo(ctx, b.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("AccountLogo of another account: got %v, want ErrNotFound", err)
	}
	if err := f.s.SetAccountLogo(ctx, b.ID, "image/jpeg", []byte{0xff, 0xd8, 0xff}, at(40)); err != nil {
		t.Fatalf("SetAccountLogo(b): %v", err)
	}
	if got, err := f.s.AccountSettings(ctx, b.ID); err != nil || got.BusinessName != "" || got.LogoType != "image/jpeg" {
		t.Errorf("AccountSettings(b) made by a logo: got %+v, %v", got, err)
	}
	// Removing the logo.
	if err := f.s.SetAccountLogo(ctx, a.ID, "image/png", nil, at(50)); err != nil {
		t.Fatalf("SetAccountLogo(nil): %v", err)
	}
	if _, _, err := f.s.AccountLogo(ctx, a.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("AccountLogo after removal: got %v, want ErrNotFound", err)
	}
	if got, _ := f.s.AccountSettings(ctx, a.ID); got == nil || got.LogoType != "" || got.BusinessName != "Acme Roasters" {
		t.Errorf("AccountSettings after logo removal: got %+v", got)
	}
}

// testAccountKeys covers AccountKeys and RevokeAccountKey.
func testAccountKeys(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	old := f.key(t, a, false, paylinks.KeySecret, "skey_test_a1", 10)
	newer := f.key(t, a, false, paylinks.KeyRestricted, "rkey_test_a2", 20)
	newer.Scopes = []paylinks.Scope{paylinks.ScopeLinksRead}
	live := f.key(t, a, true, paylinks.KeySecret, "skey_live_a3", 30)
	other := f.key(t, b, false, paylinks.KeySecret, "skey_test_b1", 40)
	for _, k := range []*paylinks.APIKey{old, newer, live, other} {
		if err := f.s.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := f.s.AccountKeys(ctx, a.ID, false)
	if err != nil || len(keys) != 2 || keys[0].ID != newer.ID || keys[1].ID != old.ID || len(keys[0].Scopes) != 1 {
		t.Fatalf("AccountKeys(a, test): got %+v, %v; want the restricted key then the secret key", keys, err)
	}
	if keys, err := f.s.AccountKeys(ctx, a.ID, true); err != nil || len(keys) != 1 || keys[0].ID != live.ID {
		t.Errorf("AccountKeys(a, live): got %+v, %v", keys, err)
	}
	// Another account's key, or another mode's, is not found.
	if _, err := f.s.RevokeAccountKey(ctx, a.ID, false, other.ID, at(50)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("RevokeAccountKey of another account's key: got %v, want ErrNotFound", err)
	}
	if _, err := f.s.RevokeAccountKey(ctx, a.ID, false, live.ID, at(50)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("RevokeAccountKey of a live key in test mode: got %v, want ErrNotFound", err)
	}
	k, err := f.s.RevokeAccountKey(ctx, a.ID, false, old.ID, at(50))
	if err != nil || k.ID != old.ID || k.RevokedAt == nil || !k.RevokedAt.Equal(at(50)) {
		t.Fatalf("RevokeAccountKey: got %+v, %v", k, err)
	}
	if _, err := f.s.RevokeAccountKey(ctx, a.ID, false, old.ID, at(60)); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("RevokeAccountKey twice: got %v, want ErrConflict", err)
	}
	if got, _ := f.s.KeyByHash(ctx, other.Hash); got == nil || got.RevokedAt != nil {
		t.Errorf("the other account's key: got %+v, want unrevoked", got)
	}
}

// testUserTOTP covers the SecondFactorStore methods.
func testUserTOTP(t *testing.T, f *fixture) {
	ctx := t.Context()
	a := f.account(t)
	u := f.user(t, a, "totp@example.com")
	if err := f.s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.UserTOTP(ctx, u.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UserTOTP before enrolment: got %v, want ErrNotFound", err)
	}
	if err := f.s.UseTOTPStep(ctx, u.ID, 5); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseTOTPStep without a TOTP: got %v, want ErrNotFound", err)
	}
	if err := f.s.BeginUserTOTP(ctx, &paylinks.UserTOTP{UserID: u.ID, SecretSealed: []byte("sealed-1"), CreatedAt: at(10)}); err != nil {
		t.Fatalf("BeginUserTOTP: %v", err)
	}
	// A pending enrolment is replaced by a new one and takes no code.
	if err := f.s.BeginUserTOTP(ctx, &paylinks.UserTOTP{UserID: u.ID, SecretSealed: []byte("sealed-2"), CreatedAt: at(20)}); err != nil {
		t.Fatalf("BeginUserTOTP again: %v", err)
	}
	got, err := f.s.UserTOTP(ctx, u.ID)
	if err != nil || string(got.SecretSealed) != "sealed-2" || got.ConfirmedAt != nil || !got.CreatedAt.Equal(at(20)) {
		t.Fatalf("UserTOTP pending: got %+v, %v", got, err)
	}
	if err := f.s.UseTOTPStep(ctx, u.ID, 5); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseTOTPStep while pending: got %v, want ErrNotFound", err)
	}
	codes := [][]byte{[]byte("code-1"), []byte("code-2"), []byte("code-3")}
	if err := f.s.ConfirmUserTOTP(ctx, u.ID, 100, codes, at(30)); err != nil {
		t.Fatalf("ConfirmUserTOTP: %v", err)
	}
	if err := f.s.ConfirmUserTOTP(ctx, u.ID, 101, codes, at(31)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("ConfirmUserTOTP twice: got %v, want ErrNotFound", err)
	}
	if err := f.s.BeginUserTOTP(ctx, &paylinks.UserTOTP{UserID: u.ID, SecretSealed: []byte("sealed-3"), CreatedAt: at(40)}); !errors.Is(err, paylinks.ErrConflict) {
		t.Errorf("BeginUserTOTP over a confirmed one: got %v, want ErrConflict", err)
	}
	got, err = f.s.UserTOTP(ctx, u.ID)
	if err != nil || got.ConfirmedAt == nil || !got.ConfirmedAt.Equal(at(30)) || got.LastStep != 100 || got.RecoveryCodesLeft != 3 || string(got.SecretSealed) != "sealed-2" {
		t.Fatalf("UserTOTP confirmed: got %+v, %v", got, err)
	}
	// Steps move forward only: the confirming step and earlier ones are spent.
	for _, step := range []int64{99, 100} {
		if err := f.s.UseTOTPStep(ctx, u.ID, step); !errors.Is(err, paylinks.ErrConflict) {
			t.Errorf("UseTOTPStep(%d) after 100: got %v, want ErrConflict", step, err)
		}
	}
	// Concurrent uses of one step: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Go(func() {
			if err := f.s.UseTOTPStep(ctx, u.ID, 101); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, paylinks.ErrConflict) {
				t.Errorf("UseTOTPStep concurrent: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("8 concurrent UseTOTPStep(101): %d succeeded, want 1", wins)
	}
	// Recovery codes are single-use.
	if err := f.s.UseRecoveryCode(ctx, u.ID, []byte("code-2"), at(50)); err != nil {
		t.Fatalf("UseRecoveryCode: %v", err)
	}
	if err := f.s.UseRecoveryCode(ctx, u.ID, []byte("code-2"), at(51)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseRecoveryCode twice: got %v, want ErrNotFound", err)
	}
	if err := f.s.UseRecoveryCode(ctx, u.ID, []byte("nope"), at(51)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseRecoveryCode(unknown): got %v, want ErrNotFound", err)
	}
	if got, _ := f.s.UserTOTP(ctx, u.ID); got == nil || got.RecoveryCodesLeft != 2 {
		t.Errorf("recovery codes left: got %+v, want 2", got)
	}
	if err := f.s.DeleteUserTOTP(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUserTOTP: %v", err)
	}
	if _, err := f.s.UserTOTP(ctx, u.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UserTOTP after delete: got %v, want ErrNotFound", err)
	}
	if err := f.s.DeleteUserTOTP(ctx, u.ID); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("DeleteUserTOTP twice: got %v, want ErrNotFound", err)
	}
	if err := f.s.UseRecoveryCode(ctx, u.ID, []byte("code-1"), at(60)); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("UseRecoveryCode after delete: got %v, want ErrNotFound", err)
	}
}
