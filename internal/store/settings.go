package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// SettingsStore keeps each account's public settings (branding, support
// contacts, default currency) and logo, and the account-scoped reads and
// writes of API keys the dashboard makes.
type SettingsStore interface {
	// AccountSettings returns the settings of the account. ErrNotFound
	// when they were never saved.
	AccountSettings(ctx context.Context, accountID paylinks.ID) (*paylinks.AccountSettings, error)
	// SaveAccountSettings inserts or updates the text fields of the
	// account's settings (business name, colour, support email and URL,
	// default currency, updated_at), leaving its logo as it is.
	SaveAccountSettings(ctx context.Context, s *paylinks.AccountSettings) error
	// SetAccountLogo stores the account's logo (contentType and data) and
	// sets LogoUpdatedAt to at, creating the settings when missing; a nil
	// data removes the logo.
	SetAccountLogo(ctx context.Context, accountID paylinks.ID, contentType string, data []byte, at time.Time) error
	// AccountLogo returns the content type and bytes of the account's
	// logo. ErrNotFound when it has none.
	AccountLogo(ctx context.Context, accountID paylinks.ID) (string, []byte, error)

	// AccountKeys returns the account's keys in the mode, revoked ones
	// included, newest first.
	AccountKeys(ctx context.Context, accountID paylinks.ID, livemode bool) ([]paylinks.APIKey, error)
	// RevokeAccountKey sets revoked_at on the account's unrevoked key id in
	// the mode and returns it. ErrNotFound when the account has no such
	// key in the mode, ErrConflict when it is already revoked.
	RevokeAccountKey(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID, at time.Time) (*paylinks.APIKey, error)
}

// SecondFactorStore keeps the TOTP second factor of dashboard users and
// their single-use recovery codes (SHA-256 hashes only).
type SecondFactorStore interface {
	// BeginUserTOTP stores a pending (unconfirmed) TOTP secret for the
	// user, replacing a pending one. ErrConflict when the user has a
	// confirmed one.
	BeginUserTOTP(ctx context.Context, t *paylinks.UserTOTP) error
	// UserTOTP returns the user's TOTP, pending or confirmed, with the
	// number of unused recovery codes. ErrNotFound when there is none.
	UserTOTP(ctx context.Context, userID paylinks.ID) (*paylinks.UserTOTP, error)
	// ConfirmUserTOTP confirms the user's pending TOTP at `at`, records
	// step as its last used step, and replaces the user's recovery codes
	// with codeHashes, in one transaction. ErrNotFound when there is no
	// pending TOTP (none, or confirmed already).
	ConfirmUserTOTP(ctx context.Context, userID paylinks.ID, step int64, codeHashes [][]byte, at time.Time) error
	// UseTOTPStep records step as the last step of the user's confirmed
	// TOTP, only if it is later than the one recorded: ErrConflict when it
	// is not (the code was used already), ErrNotFound when the user has no
	// confirmed TOTP. Concurrent uses of one step: one succeeds.
	UseTOTPStep(ctx context.Context, userID paylinks.ID, step int64) error
	// UseRecoveryCode marks the user's unused recovery code whose hash is
	// codeHash used at `at`. ErrNotFound when there is no such unused code.
	UseRecoveryCode(ctx context.Context, userID paylinks.ID, codeHash []byte, at time.Time) error
	// DeleteUserTOTP removes the user's TOTP and recovery codes.
	// ErrNotFound when there is none.
	DeleteUserTOTP(ctx context.Context, userID paylinks.ID) error
}
