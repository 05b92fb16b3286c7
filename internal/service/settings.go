package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paylinks/paylinks"
)

// Account settings limits.
const (
	// MaxLogoBytes is the largest logo accepted.
	MaxLogoBytes = 256 << 10
	// MaxLogoSide is the largest width or height of a logo, in pixels.
	MaxLogoSide = 2048
	// MaxBusinessNameLen bounds the public business name, in characters.
	MaxBusinessNameLen = 100
	// brandingTTL is how long the hosted pages trust a cached branding: a
	// change made through another replica shows within it (one made
	// through this process shows at once).
	brandingTTL = 30 * time.Second
)

// requireOwner refuses a principal that is not the account's owner (a
// dashboard owner, or a secret key): viewers and restricted keys may not
// see or change keys and settings.
func requireOwner(pr paylinks.Principal) error {
	if pr.Kind != paylinks.KeySecret {
		return &paylinks.Error{Kind: paylinks.KindForbidden, Code: "owner_only",
			Message: "only an owner of the account may do this"}
	}
	return nil
}

// SettingsParams are the text fields of an account's settings; every
// field is set (an empty one clears it).
type SettingsParams struct {
	BusinessName    string
	BrandColor      string // "#rrggbb" or "#rgb"
	SupportEmail    string
	SupportURL      string
	DefaultCurrency string
}

// AccountSettings returns the caller's account settings (empty ones when
// never saved). Owner only.
func (s *Service) AccountSettings(ctx context.Context, pr paylinks.Principal) (*paylinks.AccountSettings, error) {
	if err := requireOwner(pr); err != nil {
		return nil, err
	}
	return s.accountSettings(ctx, pr.AccountID)
}

func (s *Service) accountSettings(ctx context.Context, accountID paylinks.ID) (*paylinks.AccountSettings, error) {
	st, err := s.store.AccountSettings(ctx, accountID)
	if errors.Is(err, paylinks.ErrNotFound) {
		return &paylinks.AccountSettings{AccountID: accountID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("AccountSettings: %w", err)
	}
	return st, nil
}

// UpdateAccountSettings checks and saves the text fields of the caller's
// account settings. Owner only. Errors: KindInvalid naming the field.
func (s *Service) UpdateAccountSettings(ctx context.Context, pr paylinks.Principal, p SettingsParams) (*paylinks.AccountSettings, error) {
	if err := requireOwner(pr); err != nil {
		return nil, err
	}
	st, err := s.accountSettings(ctx, pr.AccountID)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(p.BusinessName)
	if utf8.RuneCountInString(name) > MaxBusinessNameLen || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return nil, paylinks.Invalid("invalid_business_name", "business_name", "business name must be at most %d characters, without control characters", MaxBusinessNameLen)
	}
	color, err := normalizeColor(strings.TrimSpace(p.BrandColor))
	if err != nil {
		return nil, err
	}
	email := strings.ToLower(strings.TrimSpace(p.SupportEmail))
	if email != "" {
		if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"()[],;:\\") {
			return nil, paylinks.Invalid("invalid_support_email", "support_email", "support email must be an address like help@example.com")
		}
	}
	supportURL := strings.TrimSpace(p.SupportURL)
	if supportURL != "" {
		u, err := url.Parse(supportURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.User != nil || len(supportURL) > 2048 {
			return nil, paylinks.Invalid("invalid_support_url", "support_url", "support URL must be an https:// or http:// address with a host")
		}
	}
	currency := strings.TrimSpace(p.DefaultCurrency)
	if currency != "" {
		cur, ok := paylinks.NormalizeCurrency(currency)
		if !ok {
			return nil, paylinks.Invalid("invalid_currency", "default_currency", "currency %q is not supported", currency)
		}
		currency = cur
	}
	st.BusinessName, st.BrandColor, st.SupportEmail, st.SupportURL, st.DefaultCurrency = name, color, email, supportURL, currency
	st.UpdatedAt = s.Now()
	if err := s.store.SaveAccountSettings(ctx, st); err != nil {
		return nil, fmt.Errorf("UpdateAccountSettings: %w", err)
	}
	s.brands.forget(pr.AccountID)
	return st, nil
}

// normalizeColor returns a "#rgb" or "#rrggbb" colour as "#rrggbb" in
// lower case; "" stays "".
func normalizeColor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	bad := paylinks.Invalid("invalid_brand_color", "brand_color", "brand colour must be a hex colour like #0a7d5a")
	if c[0] != '#' || (len(c) != 4 && len(c) != 7) {
		return "", bad
	}
	hex := strings.ToLower(c[1:])
	for _, r := range hex {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return "", bad
		}
	}
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	return "#" + hex, nil
}

// SetAccountLogo checks data and stores it as the caller's account logo.
// Owner only. Only PNG and JPEG are accepted, recognised by their content
// (magic bytes, then a full decode), at most MaxLogoBytes and MaxLogoSide
// pixels a side. SVG is refused: an SVG is a document that can carry
// scripts, event handlers and external references, and no sanitizer is
// trusted here.
func (s *Service) SetAccountLogo(ctx context.Context, pr paylinks.Principal, data []byte) (string, error) {
	if err := requireOwner(pr); err != nil {
		return "", err
	}
	typ, err := checkLogo(data)
	if err != nil {
		return "", err
	}
	if err := s.store.SetAccountLogo(ctx, pr.AccountID, typ, data, s.Now()); err != nil {
		return "", fmt.Errorf("SetAccountLogo: %w", err)
	}
	s.brands.forget(pr.AccountID)
	return typ, nil
}

// RemoveAccountLogo removes the caller's account logo. Owner only.
func (s *Service) RemoveAccountLogo(ctx context.Context, pr paylinks.Principal) error {
	if err := requireOwner(pr); err != nil {
		return err
	}
	if err := s.store.SetAccountLogo(ctx, pr.AccountID, "", nil, s.Now()); err != nil {
		return fmt.Errorf("RemoveAccountLogo: %w", err)
	}
	s.brands.forget(pr.AccountID)
	return nil
}

// checkLogo returns the content type of a logo, or why it is refused.
func checkLogo(data []byte) (string, error) {
	if len(data) == 0 {
		return "", paylinks.Invalid("invalid_logo", "logo", "choose a PNG or JPEG file for the logo")
	}
	if len(data) > MaxLogoBytes {
		return "", paylinks.Invalid("logo_too_large", "logo", "the logo must be at most %d KB", MaxLogoBytes>>10)
	}
	var typ string
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) error
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		typ = "image/png"
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) error { _, err := png.Decode(bytes.NewReader(b)); return err }
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		typ = "image/jpeg"
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) error { _, err := jpeg.Decode(bytes.NewReader(b)); return err }
	case looksLikeSVG(data):
		return "", paylinks.Invalid("svg_refused", "logo", "SVG logos are not accepted, as an SVG can carry scripts and links to other sites: upload a PNG or JPEG")
	default:
		return "", paylinks.Invalid("invalid_logo", "logo", "the logo must be a PNG or JPEG image; this file is not one")
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return "", paylinks.Invalid("invalid_logo", "logo", "the logo could not be read as a %s image", strings.TrimPrefix(typ, "image/"))
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return "", paylinks.Invalid("invalid_logo", "logo", "the logo must be at most %d pixels wide and high", MaxLogoSide)
	}
	if err := decode(data); err != nil {
		return "", paylinks.Invalid("invalid_logo", "logo", "the logo could not be read as a %s image", strings.TrimPrefix(typ, "image/"))
	}
	return typ, nil
}

func looksLikeSVG(data []byte) bool {
	head := strings.ToLower(string(data[:min(len(data), 1024)]))
	return strings.Contains(head, "<svg") || strings.HasPrefix(strings.TrimSpace(head), "<?xml")
}

// AccountLogo returns the content type and bytes of an account's logo,
// for the hosted pages (no principal: the logo is public).
// KindNotFound when it has none.
func (s *Service) AccountLogo(ctx context.Context, accountID paylinks.ID) (string, []byte, error) {
	typ, data, err := s.store.AccountLogo(ctx, accountID)
	if errors.Is(err, paylinks.ErrNotFound) {
		return "", nil, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Message: "this account has no logo"}
	}
	if err != nil {
		return "", nil, fmt.Errorf("AccountLogo: %w", err)
	}
	return typ, data, nil
}

// Branding is what the hosted pages show of a merchant.
type Branding struct {
	AccountID paylinks.ID
	// Name is the public business name, else the account's name.
	Name         string
	Color        string // "#rrggbb" or ""
	SupportEmail string
	SupportURL   string
	// LogoVersion is "" without a logo, else a token that changes with
	// every new logo (for the logo URL's cache busting).
	LogoVersion string
}

// Branding returns the branding of an account for the hosted pages,
// cached for brandingTTL.
func (s *Service) Branding(ctx context.Context, accountID paylinks.ID) (*Branding, error) {
	now := time.Now()
	if b, ok := s.brands.get(accountID, now); ok {
		return b, nil
	}
	name, err := s.accountName(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("Branding: %w", err)
	}
	st, err := s.accountSettings(ctx, accountID)
	if err != nil {
		return nil, err
	}
	b := &Branding{AccountID: accountID, Name: name, Color: st.BrandColor, SupportEmail: st.SupportEmail, SupportURL: st.SupportURL}
	if st.BusinessName != "" {
		b.Name = st.BusinessName
	}
	if st.LogoType != "" && st.LogoUpdatedAt != nil {
		b.LogoVersion = fmt.Sprintf("%x", st.LogoUpdatedAt.UnixMicro())
	}
	s.brands.put(accountID, b, now)
	return b, nil
}

// brandCache keeps brandings for brandingTTL. Safe for concurrent use.
type brandCache struct {
	mu sync.RWMutex
	m  map[paylinks.ID]brandEntry
}

type brandEntry struct {
	b  *Branding
	at time.Time
}

func newBrandCache() *brandCache { return &brandCache{m: make(map[paylinks.ID]brandEntry)} }

func (c *brandCache) get(id paylinks.ID, now time.Time) (*Branding, bool) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || now.Sub(e.at) >= brandingTTL {
		return nil, false
	}
	return e.b, true
}

func (c *brandCache) put(id paylinks.ID, b *Branding, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxAccountNames {
		clear(c.m)
	}
	c.m[id] = brandEntry{b: b, at: now}
}

func (c *brandCache) forget(id paylinks.ID) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// FallbackCurrency is the currency a new link starts with when the
// account has no default currency.
const FallbackCurrency = "THB"

// DefaultCurrency returns the currency a new link of the caller's account
// starts with: its settings' default currency, else FallbackCurrency.
func (s *Service) DefaultCurrency(ctx context.Context, pr paylinks.Principal) (string, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return "", err
	}
	st, err := s.accountSettings(ctx, pr.AccountID)
	if err != nil {
		return "", err
	}
	if st.DefaultCurrency == "" {
		return FallbackCurrency, nil
	}
	return st.DefaultCurrency, nil
}
