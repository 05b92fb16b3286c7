package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
)

// Card brands, spelled as Omise renders them.
const (
	BrandVisa       = "Visa"
	BrandMastercard = "MasterCard"
	BrandAmex       = "American Express"
	BrandJCB        = "JCB"
	BrandDiscover   = "Discover"
	BrandDiners     = "Diners Club"
	BrandUnionPay   = "UnionPay"
)

// NormalizeNumber returns the digits of a typed card number, dropping the
// spaces and dashes people and browsers put between groups. ok is false when
// anything else is in it or the digit count is not 12 to 19.
func NormalizeNumber(s string) (digits string, ok bool) {
	if len(s) > 64 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '\t':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 12 || len(d) > 19 {
		return "", false
	}
	return d, true
}

// Luhn reports whether a string of digits passes the Luhn checksum.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// prefixIn reports whether the first n digits of digits, as a number, lie
// in [lo, hi].
func prefixIn(digits string, n, lo, hi int) bool {
	if len(digits) < n {
		return false
	}
	v := 0
	for i := 0; i < n; i++ {
		v = v*10 + int(digits[i]-'0')
	}
	return v >= lo && v <= hi
}

// Brand returns the brand of a card number from its leading digits, or ""
// when it is none that paylinks knows.
func Brand(digits string) string {
	switch {
	case prefixIn(digits, 1, 4, 4):
		return BrandVisa
	case prefixIn(digits, 2, 51, 55), prefixIn(digits, 4, 2221, 2720):
		return BrandMastercard
	case prefixIn(digits, 2, 34, 34), prefixIn(digits, 2, 37, 37):
		return BrandAmex
	case prefixIn(digits, 4, 3528, 3589):
		return BrandJCB
	case prefixIn(digits, 3, 300, 305), prefixIn(digits, 2, 36, 36), prefixIn(digits, 2, 38, 39):
		return BrandDiners
	case prefixIn(digits, 4, 6011, 6011), prefixIn(digits, 3, 644, 649), prefixIn(digits, 2, 65, 65),
		prefixIn(digits, 6, 622126, 622925):
		return BrandDiscover
	case prefixIn(digits, 2, 62, 62), prefixIn(digits, 2, 81, 81):
		return BrandUnionPay
	}
	return ""
}

// SecurityCodeLen is the number of digits of the brand's security code:
// 4 for American Express, 3 for the others.
func SecurityCodeLen(brand string) int {
	if brand == BrandAmex {
		return 4
	}
	return 3
}

// First6 returns the first six digits (the issuer identification number).
func First6(digits string) string { return digits[:min(6, len(digits))] }

// Last4 returns the last four digits.
func Last4(digits string) string { return digits[max(0, len(digits)-4):] }

// NormalizeYear turns a two-digit year into a four-digit one (26 → 2026);
// other values are returned unchanged.
func NormalizeYear(y int) int {
	if y >= 0 && y < 100 {
		return 2000 + y
	}
	return y
}

// ExpiryValid reports whether a card expiring at the end of month/year is
// still valid at now: the month is 1 to 12, the year is not absurdly far
// ahead, and the month has not ended.
func ExpiryValid(month, year int, now time.Time) bool {
	if month < 1 || month > 12 {
		return false
	}
	ny, nm := now.Year(), int(now.Month())
	if year < ny || year > ny+30 {
		return false
	}
	return year > ny || month >= nm
}

// Fingerprint returns the card's fingerprint: HMAC-SHA256 of the digits
// keyed with the server secret, base64. The same card gets the same
// fingerprint on a server; the number cannot be recovered from it.
func Fingerprint(secret []byte, digits string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(digits))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
