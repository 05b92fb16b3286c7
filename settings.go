package paylinks

import "time"

// AccountSettings are what an account shows its payers: the public
// business name (instead of the account's internal name), a brand colour
// and logo, support contacts, and the account's default currency. Fields
// left empty fall back: the business name to the account's name, the
// colour to the checkout's own.
type AccountSettings struct {
	AccountID       ID
	BusinessName    string
	BrandColor      string // "#rrggbb" in lower case, or ""
	SupportEmail    string
	SupportURL      string
	DefaultCurrency string // ISO 4217, or ""
	// LogoType is the content type of the logo ("image/png" or
	// "image/jpeg"), "" when there is none; the bytes are read apart
	// (AccountLogo), so that a page view does not carry them.
	LogoType string
	// LogoUpdatedAt changes with every new logo: it versions the logo's URL.
	LogoUpdatedAt *time.Time
	UpdatedAt     time.Time
}

// UserTOTP is a dashboard user's time-based one-time password (RFC 6238)
// second factor. SecretSealed is the secret encrypted with a server key,
// never the secret itself. Until ConfirmedAt is set the enrolment is
// pending and sign-in does not ask for a code.
type UserTOTP struct {
	UserID       ID
	SecretSealed []byte
	ConfirmedAt  *time.Time
	// LastStep is the time step of the last code accepted: a code of that
	// step or an earlier one is refused, so that no code is used twice.
	LastStep int64
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int
	CreatedAt         time.Time
}
