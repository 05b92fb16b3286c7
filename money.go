package paylinks

import (
	"math"
	"strconv"
	"strings"

	"github.com/bojanz/currency"
)

// Money is an amount in the currency's minor units (satang, cents, yen) and
// an uppercase ISO 4217 code. It is never a float.
type Money struct {
	Amount   int64
	Currency string
}

// Limits are the smallest and largest amount, in minor units, that one charge
// in a currency may have.
type Limits struct {
	Min int64
	Max int64
}

// CurrencyLimits is the table of currencies paylinks accepts and their charge
// limits in minor units. THB follows the Omise Links documentation (฿20 to
// ฿1,000,000); JPY, SGD and MYR follow Omise's per-country limits; the other
// presentment currencies allow one major unit up to one million. Edit this
// table to support another currency: the exponent comes from CLDR.
var CurrencyLimits = map[string]Limits{
	"THB": {Min: 2000, Max: 100000000},
	"JPY": {Min: 100, Max: 6000000},
	"SGD": {Min: 100, Max: 2000000},
	"MYR": {Min: 100, Max: 10000000},
	"USD": {Min: 50, Max: 100000000},
	"AUD": {Min: 100, Max: 100000000},
	"CAD": {Min: 100, Max: 100000000},
	"CHF": {Min: 100, Max: 100000000},
	"CNY": {Min: 100, Max: 100000000},
	"DKK": {Min: 100, Max: 100000000},
	"EUR": {Min: 100, Max: 100000000},
	"GBP": {Min: 100, Max: 100000000},
	"HKD": {Min: 100, Max: 100000000},
	"IDR": {Min: 100000, Max: 10000000000},
}

// NormalizeCurrency returns the uppercase ISO 4217 code for s and whether
// paylinks accepts it (it is in CurrencyLimits). s must be exactly three
// ASCII letters, in any case: no spaces, no other characters.
func NormalizeCurrency(s string) (string, bool) {
	if len(s) != 3 {
		return "", false
	}
	var b [3]byte
	lower := false
	for i := 0; i < 3; i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
			lower = true
		default:
			return "", false
		}
		b[i] = c
	}
	code := s
	if lower {
		code = string(b[:])
	}
	_, ok := CurrencyLimits[code]
	return code, ok
}

// ParseAmount parses an amount in minor units written as a plain digit
// string ("5000", "0"): no sign, no spaces, no leading zeros, no decimal
// point or exponent, at most an int64. It reports false for anything else.
func ParseAmount(s string) (int64, bool) {
	if s == "" || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// CurrencyDigits returns the number of minor-unit digits of an ISO 4217
// currency: 0 for JPY, 3 for KWD, 2 for most.
func CurrencyDigits(code string) int {
	d, ok := currency.GetDigits(code)
	if !ok {
		return 2
	}
	return int(d)
}

// CheckAmount reports whether amount (minor units) is within the limits of
// the currency, returning an *Error with code invalid_amount naming param.
func CheckAmount(amount int64, code, param string) error {
	l, ok := CurrencyLimits[code]
	if !ok {
		return Invalid("invalid_currency", "currency", "currency %q is not supported", code)
	}
	if amount < l.Min || amount > l.Max {
		return Invalid("invalid_amount", param, "amount must be between %s and %s %s",
			FormatDecimal(l.Min, code), FormatDecimal(l.Max, code), code)
	}
	return nil
}

// FormatDecimal renders minor units as a plain decimal string with exactly the
// currency's digits: 9900 USD is "99.00", 1000 JPY is "1000".
func FormatDecimal(amount int64, code string) string {
	digits := CurrencyDigits(code)
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = uint64(-amount)
	}
	s := strconv.FormatUint(u, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseDecimal parses a plain decimal string ("99.00", "9", "0.5") into minor
// units of the currency, exactly: more decimals than the currency allows, a
// sign, an exponent, a symbol, grouping or an overflow is an error, never
// rounding.
func ParseDecimal(s, code string) (int64, bool) {
	digits := CurrencyDigits(code)
	if s == "" || len(s) > 32 {
		return 0, false
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > digits {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
