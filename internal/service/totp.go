package service

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/paylinks/paylinks"
)

// TOTP second factor settings (RFC 6238 as authenticator apps use it).
const (
	totpPeriod = 30
	totpSkew   = 1 // steps accepted either side of now, for clock drift
	// RecoveryCodeCount is how many recovery codes an enrolment makes.
	RecoveryCodeCount = 10
	// SecondFactorTTL is how long the password step of a sign-in waits
	// for its code.
	SecondFactorTTL = 5 * time.Minute
	// totpIssuer names the service in authenticator apps.
	totpIssuer = "paylinks"
	// totpSecretName is the server secret that seals TOTP secrets and
	// signs sign-in tickets.
	totpSecretName = "dashboard-totp"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: totpSkew, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// SecondFactorRequired is SignIn's error when the password was right and
// the user has a second factor: no session yet. Ticket (valid for
// SecondFactorTTL) goes to SignInSecondFactor with the code.
type SecondFactorRequired struct {
	Ticket string
}

func (e *SecondFactorRequired) Error() string { return "a second factor is required" }

// TOTPEnrolment is a pending enrolment: the secret to type into an
// authenticator app, and the otpauth:// URI to show as a QR code.
type TOTPEnrolment struct {
	Secret string
	URI    string
}

// totpKey returns a key for purpose derived from the server's TOTP secret,
// which every replica shares through the database.
func (s *Service) totpKey(ctx context.Context, purpose string) ([]byte, error) {
	secret, err := s.store.ServerSecret(ctx, totpSecretName, func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := io.ReadFull(s.rand, b)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("totp key: %w", err)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil), nil
}

// sealTOTP encrypts a TOTP secret (AES-256-GCM, bound to the user's id).
func (s *Service) sealTOTP(ctx context.Context, userID paylinks.ID, secret string) ([]byte, error) {
	aead, err := s.totpAEAD(ctx)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(secret), userID[:]), nil
}

func (s *Service) openTOTP(ctx context.Context, userID paylinks.ID, sealed []byte) (string, error) {
	aead, err := s.totpAEAD(ctx)
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", errors.New("totp: sealed secret too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], userID[:])
	if err != nil {
		return "", fmt.Errorf("totp: open secret: %w", err)
	}
	return string(plain), nil
}

func (s *Service) totpAEAD(ctx context.Context) (cipher.AEAD, error) {
	key, err := s.totpKey(ctx, "seal")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// TOTPStatus returns the user's second factor, nil when none (pending
// enrolments included, ConfirmedAt nil).
func (s *Service) TOTPStatus(ctx context.Context, u *paylinks.User) (*paylinks.UserTOTP, error) {
	t, err := s.store.UserTOTP(ctx, u.ID)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("TOTPStatus: %w", err)
	}
	t.SecretSealed = nil
	return t, nil
}

// BeginTOTP starts (or restarts) the user's enrolment: a new secret, kept
// sealed until ConfirmTOTP. KindConflict when the user has a confirmed
// second factor already.
func (s *Service) BeginTOTP(ctx context.Context, u *paylinks.User) (*TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: s.rand})
	if err != nil {
		return nil, fmt.Errorf("BeginTOTP: %w", err)
	}
	sealed, err := s.sealTOTP(ctx, u.ID, key.Secret())
	if err != nil {
		return nil, fmt.Errorf("BeginTOTP: %w", err)
	}
	err = s.store.BeginUserTOTP(ctx, &paylinks.UserTOTP{UserID: u.ID, SecretSealed: sealed, CreatedAt: s.Now()})
	if errors.Is(err, paylinks.ErrConflict) {
		return nil, totpEnabled()
	}
	if err != nil {
		return nil, fmt.Errorf("BeginTOTP: %w", err)
	}
	return &TOTPEnrolment{Secret: key.Secret(), URI: totpURI(u.Email, key.Secret())}, nil
}

// PendingTOTP returns the secret and URI of the user's pending enrolment
// (to show again). KindNotFound when there is none.
func (s *Service) PendingTOTP(ctx context.Context, u *paylinks.User) (*TOTPEnrolment, error) {
	t, err := s.store.UserTOTP(ctx, u.ID)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && t.ConfirmedAt != nil) {
		return nil, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Message: "there is no enrolment in progress"}
	}
	if err != nil {
		return nil, fmt.Errorf("PendingTOTP: %w", err)
	}
	secret, err := s.openTOTP(ctx, u.ID, t.SecretSealed)
	if err != nil {
		return nil, fmt.Errorf("PendingTOTP: %w", err)
	}
	return &TOTPEnrolment{Secret: secret, URI: totpURI(u.Email, secret)}, nil
}

// totpURI is the otpauth:// URI of a secret, as authenticator apps read it
// (the shape of otp.Key's URL).
func totpURI(email, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("period", strconv.Itoa(totpPeriod))
	v.Set("digits", "6")
	v.Set("algorithm", "SHA1")
	return (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + email, RawQuery: v.Encode()}).String()
}

func totpEnabled() error {
	return &paylinks.Error{Kind: paylinks.KindConflict, Code: "totp_enabled", Message: "two-step sign-in is on already; turn it off first"}
}

func badCode() error {
	return paylinks.Invalid("invalid_code", "code", "the code is not right, or was used already: type the 6 digits your app shows now")
}

// ConfirmTOTP confirms the user's pending enrolment with a code of the
// app and returns the recovery codes, shown once (only their hashes are
// kept). Errors: KindInvalid (code), KindNotFound (no pending enrolment).
func (s *Service) ConfirmTOTP(ctx context.Context, u *paylinks.User, code string) ([]string, error) {
	t, err := s.store.UserTOTP(ctx, u.ID)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && t.ConfirmedAt != nil) {
		return nil, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Message: "there is no enrolment in progress; start again"}
	}
	if err != nil {
		return nil, fmt.Errorf("ConfirmTOTP: %w", err)
	}
	secret, err := s.openTOTP(ctx, u.ID, t.SecretSealed)
	if err != nil {
		return nil, fmt.Errorf("ConfirmTOTP: %w", err)
	}
	step, ok := matchTOTP(secret, code, s.Now())
	if !ok {
		return nil, badCode()
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		var b [10]byte
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return nil, fmt.Errorf("ConfirmTOTP: %w", err)
		}
		c := strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))[:16]
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
		hashes[i] = recoveryHash(codes[i])
	}
	if err := s.store.ConfirmUserTOTP(ctx, u.ID, step, hashes, s.Now()); errors.Is(err, paylinks.ErrNotFound) {
		return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "totp_enabled", Message: "this enrolment was confirmed already"}
	} else if err != nil {
		return nil, fmt.Errorf("ConfirmTOTP: %w", err)
	}
	return codes, nil
}

// recoveryHash is the stored form of a recovery code: SHA-256 of the code
// with spaces and dashes dropped, in lower case.
func recoveryHash(code string) []byte {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte("paylinks-recovery\x00" + c))
	return h[:]
}

// matchTOTP returns the time step of the 6-digit code among the steps
// around now, comparing each in constant time.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	now0 := now.Unix() / totpPeriod
	var found int64
	ok := 0
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := now0 + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, ok = step, 1
		}
	}
	return found, ok == 1
}

// checkSecondFactor accepts a TOTP code (once: a code of a step used
// already is refused, also across replicas) or an unused recovery code.
func (s *Service) checkSecondFactor(ctx context.Context, u *paylinks.User, t *paylinks.UserTOTP, code string) error {
	trimmed := strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(trimmed) == 6 {
		secret, err := s.openTOTP(ctx, u.ID, t.SecretSealed)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(secret, trimmed, s.Now())
		if !ok {
			return badCode()
		}
		if err := s.store.UseTOTPStep(ctx, u.ID, step); errors.Is(err, paylinks.ErrConflict) || errors.Is(err, paylinks.ErrNotFound) {
			return badCode()
		} else if err != nil {
			return err
		}
		return nil
	}
	if err := s.store.UseRecoveryCode(ctx, u.ID, recoveryHash(code), s.Now()); errors.Is(err, paylinks.ErrNotFound) {
		return badCode()
	} else if err != nil {
		return err
	}
	return nil
}

// DisableTOTP turns the user's second factor off, given a current code or
// a recovery code. Errors: KindInvalid (code), KindNotFound (none is on).
func (s *Service) DisableTOTP(ctx context.Context, u *paylinks.User, code string) error {
	t, err := s.store.UserTOTP(ctx, u.ID)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && t.ConfirmedAt == nil) {
		return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Message: "two-step sign-in is not on"}
	}
	if err != nil {
		return fmt.Errorf("DisableTOTP: %w", err)
	}
	if err := s.checkSecondFactor(ctx, u, t, code); err != nil {
		return err
	}
	if err := s.store.DeleteUserTOTP(ctx, u.ID); err != nil && !errors.Is(err, paylinks.ErrNotFound) {
		return fmt.Errorf("DisableTOTP: %w", err)
	}
	return nil
}

// CancelTOTP drops the user's pending (unconfirmed) enrolment, if any.
func (s *Service) CancelTOTP(ctx context.Context, u *paylinks.User) error {
	t, err := s.store.UserTOTP(ctx, u.ID)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("CancelTOTP: %w", err)
	}
	if t.ConfirmedAt != nil {
		return totpEnabled()
	}
	if err := s.store.DeleteUserTOTP(ctx, u.ID); err != nil && !errors.Is(err, paylinks.ErrNotFound) {
		return fmt.Errorf("CancelTOTP: %w", err)
	}
	return nil
}

// secondFactorTicket returns the ticket of a sign-in whose password was
// right: the user's id, its expiry, and an HMAC of both.
func (s *Service) secondFactorTicket(ctx context.Context, u *paylinks.User) (string, error) {
	key, err := s.totpKey(ctx, "ticket")
	if err != nil {
		return "", err
	}
	b := make([]byte, 24, 56)
	copy(b, u.ID[:])
	binary.BigEndian.PutUint64(b[16:], uint64(s.Now().Add(SecondFactorTTL).Unix()))
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(m.Sum(b)), nil
}

// SignInSecondFactor finishes a sign-in that SignIn answered with
// SecondFactorRequired: with the ticket and a code of the user's app (or
// a recovery code) it starts the session. Errors: KindUnauthenticated
// (ticket expired or forged: sign in again), KindInvalid (code).
func (s *Service) SignInSecondFactor(ctx context.Context, ticket, code string) (*paylinks.User, *paylinks.UserSession, string, error) {
	expired := &paylinks.Error{Kind: paylinks.KindUnauthenticated, Code: "ticket_expired",
		Message: "this sign-in has expired; sign in again with your password"}
	b, err := base64.RawURLEncoding.DecodeString(ticket)
	if err != nil || len(b) != 56 {
		return nil, nil, "", expired
	}
	key, err := s.totpKey(ctx, "ticket")
	if err != nil {
		return nil, nil, "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write(b[:24])
	if !hmac.Equal(m.Sum(nil), b[24:]) || s.Now().Unix() >= int64(binary.BigEndian.Uint64(b[16:24])) {
		return nil, nil, "", expired
	}
	u, err := s.store.GetUser(ctx, paylinks.ID(b[:16]))
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil, "", expired
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("SignInSecondFactor: %w", err)
	}
	t, err := s.store.UserTOTP(ctx, u.ID)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && t.ConfirmedAt == nil) {
		return nil, nil, "", expired // turned off since: sign in again
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("SignInSecondFactor: %w", err)
	}
	if err := s.checkSecondFactor(ctx, u, t, code); err != nil {
		return nil, nil, "", err
	}
	sess, token, err := s.startSession(ctx, u)
	if err != nil {
		return nil, nil, "", err
	}
	return u, sess, token, nil
}
