package checkout

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bojanz/currency"

	"github.com/paylinks/paylinks"
)

// The amount a payer types on a page that asks for it is read by the
// page's locale, the one FormatAmount shows amounts in: "1,000.50" on an
// English page, "1.000,50" on a German one, "1 000,50" on a French one.
// Anything that could be read two ways, or that the locale would not
// write, is refused with a message saying what is wrong, never guessed at:
// on an English page "1,000,00" is not 100,000.00 nor 1,000.00 but an
// error, and more decimals than the currency has is an error, not rounded.

// numberFormat is how a locale writes a number: its decimal and grouping
// separators and the sizes of its groups (3 and 3 in most locales, 3 then
// 2 in India's).
type numberFormat struct {
	decimal, group     rune
	primary, secondary int
}

// english is the format of a locale whose own cannot be read.
var english = numberFormat{decimal: '.', group: ',', primary: 3, secondary: 3}

// numberFormats caches the format of each locale.
var numberFormats = newBoundedMap[currency.Locale, numberFormat](256)

// localeNumberFormat returns the number format of loc, read from how CLDR
// (through the currency library, whose tables are not exported) writes
// 1234567.89 in it.
func localeNumberFormat(loc currency.Locale) numberFormat {
	if nf, ok := numberFormats.get(loc); ok {
		return nf
	}
	nf := english
	a, _ := currency.NewAmount("1234567.89", "USD")
	if got, ok := readNumberFormat(plainFormatter(loc).Format(a)); ok {
		nf = got
	}
	numberFormats.put(loc, nf)
	return nf
}

// readNumberFormat reads the format of a locale from its writing of
// 1234567.89, such as "1,234,567.89", "1.234.567,89" or "12,34,567.89".
func readNumberFormat(s string) (numberFormat, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { _, digit := digitValue(r); return !digit })
	var groups []int // lengths of the runs of digits
	var seps []rune
	n := 0
	for _, r := range s {
		if _, ok := digitValue(r); ok {
			n++
			continue
		}
		groups, seps, n = append(groups, n), append(seps, r), 0
	}
	groups = append(groups, n)
	// 1234567.89: at least two groups of the integer part and two decimals.
	if len(groups) < 3 || groups[len(groups)-1] != 2 {
		return numberFormat{}, false
	}
	nf := numberFormat{decimal: seps[len(seps)-1], group: seps[0], primary: groups[len(groups)-2], secondary: groups[len(groups)-3]}
	if nf.decimal == nf.group || nf.primary < 2 || nf.secondary < 2 {
		return numberFormat{}, false
	}
	return nf, true
}

// digitZeros are the zeros of the digits a payer may type: ASCII and those
// of the numbering systems the pages format in (Arabic-Indic, Persian,
// Bengali, Devanagari, Myanmar).
var digitZeros = [...]rune{'0', '\u0660', '\u06f0', '\u09e6', '\u0966', '\u1040'}

// digitValue returns the value of a digit of digitZeros' systems.
func digitValue(r rune) (int64, bool) {
	for _, z := range digitZeros {
		if r >= z && r <= z+9 {
			return int64(r - z), true
		}
	}
	return 0, false
}

// spaceGroup reports whether r is a space a payer may type for a locale
// that groups with one (France's narrow no-break space, Russia's no-break
// space): any of them.
func spaceGroup(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u202f' }

// separatorName names a decimal separator for a message.
func separatorName(r rune) string {
	switch r {
	case '.':
		return "a decimal point (.)"
	case ',':
		return "a decimal comma (,)"
	}
	return "the decimal separator (" + string(r) + ")"
}

// groupName names a grouping separator for a message.
func groupName(r rune) string {
	if spaceGroup(r) {
		return "a space"
	}
	return "“" + string(r) + "”"
}

// maxAmountDigits bounds the digits of a typed amount, far above every
// currency's maximum and far below int64's.
const maxAmountDigits = 15

// ParseAmount parses the amount a payer typed, in major units of the
// currency code, by the number format of the payer's Accept-Language (as
// FormatAmount picks it), into minor units, exactly. The locale's digits
// and separators are accepted, with groups where the locale puts them (or
// in threes); surrounding spaces are ignored. An error's message says what
// is wrong, for the payer to read: an empty amount, a character that is no
// digit or separator, two decimal separators, separators in the wrong
// places, a leading zero, more decimals than the currency has, zero.
func ParseAmount(s, code, acceptLanguage string) (int64, error) {
	loc := payerLocale(acceptLanguage)
	nf := localeNumberFormat(loc)
	digits := paylinks.CurrencyDigits(code)
	half := int64(0) // half a major unit: 0.50, or 0 for a currency without decimals
	if digits > 0 {
		half = 5 * pow10(digits-1)
	}
	// example is 1,250.50 (1,250 without decimals) as the page writes it.
	example := func() string { return formatPlain(1250*pow10(digits)+half, code, loc) }
	s = strings.Map(func(r rune) rune {
		if r == '\u200e' || r == '\u200f' || r == '\u061c' { // direction marks, as copied from the page
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("Enter the amount.")
	}
	if !utf8.ValidString(s) || len(s) > 64 {
		return 0, fmt.Errorf("Enter the amount in digits, like %s.", example())
	}
	isGroup := func(r rune) bool {
		switch {
		case r == nf.group:
			return true
		case spaceGroup(nf.group):
			return spaceGroup(r)
		case nf.group == '\'' || nf.group == '’':
			return r == '\'' || r == '’'
		case nf.group == '\u066c': // Arabic: a Latin keyboard's comma too
			return r == ','
		}
		return false
	}
	isDecimal := func(r rune) bool { return r == nf.decimal || (nf.decimal == '\u066b' && r == '.') }

	var intPart, frac []int64
	var groups []int // lengths of the integer part's groups, when grouped
	run, decimals := 0, 0
	for _, r := range s {
		d, isDigit := digitValue(r)
		switch {
		case isDigit && decimals > 0:
			frac = append(frac, d)
		case isDigit:
			intPart = append(intPart, d)
			run++
		case isDecimal(r) && digits == 0:
			return 0, fmt.Errorf("%s amounts have no decimals: enter a whole number, like %s.", code, example())
		case isDecimal(r):
			decimals++
			if decimals > 1 {
				return 0, fmt.Errorf("The amount has more than one decimal separator: on this page %s separates the decimals, like %s.",
					separatorName(nf.decimal), example())
			}
			if len(intPart) == 0 {
				return 0, fmt.Errorf("Enter a digit before the decimal separator, like %s.", formatPlain(half, code, loc))
			}
		case isGroup(r) && decimals > 0:
			return 0, fmt.Errorf("The amount has %s after the decimals: on this page %s groups thousands and %s separates the decimals, like %s.",
				groupName(nf.group), groupName(nf.group), separatorName(nf.decimal), example())
		case isGroup(r):
			groups, run = append(groups, run), 0
		case r == '.' || r == ',' || r == '\'' || r == '’' || unicode.IsSpace(r):
			return 0, fmt.Errorf("On this page %s groups thousands and %s separates the decimals: write the amount like %s.",
				groupName(nf.group), separatorName(nf.decimal), example())
		default:
			return 0, fmt.Errorf("Enter the amount in digits only, without a currency sign, like %s.", example())
		}
	}
	if len(groups) > 0 {
		groups = append(groups, run)
		if !grouped(groups, nf.primary, nf.secondary) && !grouped(groups, 3, 3) {
			return 0, fmt.Errorf("The amount's %s are in the wrong places: on this page %s groups thousands and %s separates the decimals, like %s.",
				groupSeparators(nf.group), groupName(nf.group), separatorName(nf.decimal), example())
		}
	}
	switch {
	case decimals > 0 && len(frac) == 0:
		return 0, fmt.Errorf("Enter the decimals after the decimal separator, like %s, or none.", example())
	case len(frac) > digits:
		return 0, fmt.Errorf("%s amounts have at most %d decimals (on this page %s separates them, like %s).",
			code, digits, separatorName(nf.decimal), example())
	case len(intPart) > 1 && intPart[0] == 0:
		return 0, fmt.Errorf("Remove the leading zero: write the amount like %s.", example())
	case len(intPart)+digits > maxAmountDigits:
		return 0, errors.New("The amount is too large.")
	}
	var n int64
	for _, d := range intPart {
		n = n*10 + d
	}
	for i := 0; i < digits; i++ {
		n *= 10
		if i < len(frac) {
			n += frac[i]
		}
	}
	if n == 0 {
		return 0, errors.New("Enter an amount above zero.")
	}
	return n, nil
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// grouped reports whether the lengths of an integer part's groups (two or
// more) are those of a locale whose last group has primary digits and the
// others secondary, but the first, which has 1 to secondary.
func grouped(groups []int, primary, secondary int) bool {
	last := len(groups) - 1
	if groups[last] != primary || groups[0] < 1 || groups[0] > secondary {
		return false
	}
	for _, g := range groups[1:last] {
		if g != secondary {
			return false
		}
	}
	return true
}

func groupSeparators(r rune) string {
	if spaceGroup(r) {
		return "spaces"
	}
	return "“" + string(r) + "” separators"
}

// plainFormatters format numbers without a currency, by locale.
var plainFormatters = newBoundedMap[currency.Locale, *currency.Formatter](256)

func plainFormatter(loc currency.Locale) *currency.Formatter {
	f, ok := plainFormatters.get(loc)
	if !ok {
		f = currency.NewFormatter(loc)
		f.CurrencyDisplay = currency.DisplayNone
		plainFormatters.put(loc, f)
	}
	return f
}

// formatPlain writes minor units of the currency as a number in loc,
// without the currency: what a payer types in the amount field.
func formatPlain(amount int64, code string, loc currency.Locale) string {
	a, err := currency.NewAmountFromInt64(amount, code)
	if err != nil {
		return paylinks.FormatDecimal(amount, code)
	}
	return strings.Trim(plainFormatter(loc).Format(a), "\u200e\u200f\u061c\u00a0 ")
}

// FormatPlainAmount is formatPlain for the payer's Accept-Language: the
// amount field's placeholder and examples.
func FormatPlainAmount(amount int64, code, acceptLanguage string) string {
	return formatPlain(amount, code, payerLocale(acceptLanguage))
}
