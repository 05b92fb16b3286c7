package service_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

func encoded(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAccountLogo: logos are accepted by content (PNG, JPEG), whatever
// else is refused naming the logo field; only an owner may set one.
func TestAccountLogo(t *testing.T) {
	e := newPayEnv(t, "sqlite", service.Options{})
	ctx := context.Background()
	pngOf := func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }
	jpegOf := func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) }
	for _, tc := range []struct {
		name     string
		data     []byte
		wantType string
		wantCode string
	}{
		{"png", encoded(t, 10, 10, pngOf), "image/png", ""},
		{"jpeg", encoded(t, 10, 10, jpegOf), "image/jpeg", ""},
		{"text", []byte("hello"), "", "invalid_logo"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "", "svg_refused"},
		{"html named png", []byte("<html><script>alert(1)</script></html>"), "", "invalid_logo"},
		{"truncated png", encoded(t, 10, 10, pngOf)[:40], "", "invalid_logo"},
		{"too wide", encoded(t, service.MaxLogoSide+1, 1, pngOf), "", "invalid_logo"},
		{"too large", append(encoded(t, 10, 10, pngOf), make([]byte, service.MaxLogoBytes)...), "", "logo_too_large"},
		{"empty", nil, "", "invalid_logo"},
	} {
		typ, err := e.svc.SetAccountLogo(ctx, e.secret, tc.data)
		if tc.wantCode == "" {
			if err != nil || typ != tc.wantType {
				t.Errorf("%s: got %q, %v; want %s", tc.name, typ, err, tc.wantType)
			}
			continue
		}
		if pe := paylinks.AsError(err); pe == nil || pe.Kind != paylinks.KindInvalid || pe.Code != tc.wantCode || pe.Param != "logo" {
			t.Errorf("%s: got %v, want KindInvalid %s on logo", tc.name, err, tc.wantCode)
		}
	}
	viewer := paylinks.Principal{AccountID: e.secret.AccountID, Kind: paylinks.KeyRestricted, Scopes: paylinks.AllScopes}
	if _, err := e.svc.SetAccountLogo(ctx, viewer, encoded(t, 10, 10, pngOf)); paylinks.KindOf(err) != paylinks.KindForbidden {
		t.Errorf("a restricted key with every scope sets the logo: %v, want forbidden", err)
	}
	if _, err := e.svc.UpdateAccountSettings(ctx, viewer, service.SettingsParams{BusinessName: "X"}); paylinks.KindOf(err) != paylinks.KindForbidden {
		t.Errorf("a restricted key updates settings: %v, want forbidden", err)
	}
}

// TestBrandColor: colours are normalised to #rrggbb, anything else is
// refused on brand_color.
func TestBrandColor(t *testing.T) {
	e := newPayEnv(t, "sqlite", service.Options{})
	ctx := context.Background()
	for in, want := range map[string]string{"#0A7D5A": "#0a7d5a", "#abc": "#aabbcc", "": "", " #123456 ": "#123456"} {
		st, err := e.svc.UpdateAccountSettings(ctx, e.secret, service.SettingsParams{BrandColor: in})
		if err != nil || st.BrandColor != want {
			t.Errorf("colour %q: got %+v, %v; want %s", in, st, err, want)
		}
	}
	for _, in := range []string{"red", "#12345", "#1234567", "#ggg", "0a7d5a", "#0a7d5a;}body{x", "url(x)"} {
		_, err := e.svc.UpdateAccountSettings(ctx, e.secret, service.SettingsParams{BrandColor: in})
		if pe := paylinks.AsError(err); pe == nil || pe.Param != "brand_color" {
			t.Errorf("colour %q: got %v, want refused on brand_color", in, err)
		}
	}
}

// TestTOTPSecretSealed: the store holds the TOTP secret encrypted, not as
// the key an app is given; a code is accepted once, across two services on
// one store (two replicas).
func TestTOTPSecretSealed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		st := servertest.OpenStore(t, backend)
		ctx := context.Background()
		a := service.New(st, service.Options{})
		b := service.New(st, service.Options{})
		if _, err := a.EnsureAccount(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		u, token, err := a.CreateUser(ctx, service.UserParams{Account: "acme", Email: "s@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SetPassword(ctx, token, "a long password"); err != nil {
			t.Fatal(err)
		}
		en, err := a.BeginTOTP(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(en.URI, "otpauth://totp/paylinks:s@example.com?") || !strings.Contains(en.URI, "secret="+en.Secret) {
			t.Errorf("URI %q: want an otpauth URI with the secret", en.URI)
		}
		stored, err := st.UserTOTP(ctx, u.ID)
		if err != nil || bytes.Contains(stored.SecretSealed, []byte(en.Secret)) || len(stored.SecretSealed) < 20 {
			t.Fatalf("stored TOTP: %v; the secret must not be stored as given", err)
		}
		prev, _ := totp.GenerateCode(en.Secret, time.Now().Add(-30*time.Second))
		codes, err := b.ConfirmTOTP(ctx, u, prev) // the other replica opens the sealed secret
		if err != nil || len(codes) != service.RecoveryCodeCount {
			t.Fatalf("ConfirmTOTP on the other service: %d codes, %v", len(codes), err)
		}
		_, _, _, err = a.SignIn(ctx, "s@example.com", "a long password")
		ticket, ok := err.(*service.SecondFactorRequired)
		if !ok {
			t.Fatalf("SignIn with a second factor: %v, want SecondFactorRequired", err)
		}
		now, _ := totp.GenerateCode(en.Secret, time.Now())
		if _, sess, _, err := b.SignInSecondFactor(ctx, ticket.Ticket, now); err != nil || sess == nil {
			t.Fatalf("SignInSecondFactor on the other service: %v", err)
		}
		if _, _, _, err := a.SignInSecondFactor(ctx, ticket.Ticket, now); paylinks.KindOf(err) != paylinks.KindInvalid {
			t.Errorf("the same code again: %v, want refused", err)
		}
		// Recovery codes are stored as hashes only.
		if err := st.UseRecoveryCode(ctx, u.ID, []byte(codes[0]), time.Now()); err == nil {
			t.Errorf("a recovery code was stored as given")
		}
	})
}
