package checkout

import (
	"strconv"
	"strings"
	"sync"

	"github.com/bojanz/currency"
	"golang.org/x/text/language"

	"github.com/paylinks/paylinks"
)

// FormatAmount renders minor units in the currency for the payer's
// Accept-Language header, with CLDR's symbols and grouping: 1000 JPY is
// "¥1,000" in English, 100000 THB is "฿1,000.00" in Thai.
//
// The library's work (parsing the header, building a formatter, formatting)
// allocates tens of times per call, so its results are cached: the locale
// of a header, the formatter of a locale, and formatted amounts, each in a
// bounded map.
func FormatAmount(amount int64, code, acceptLanguage string) string {
	loc := payerLocale(acceptLanguage)
	key := amountKey{loc, code, amount}
	if s, ok := formattedAmounts.get(key); ok {
		return s
	}
	s := formatAmount(amount, code, loc)
	formattedAmounts.put(key, s)
	return s
}

func formatAmount(amount int64, code string, loc currency.Locale) string {
	a, err := currency.NewAmountFromInt64(amount, code)
	if err != nil {
		return paylinks.FormatDecimal(amount, code) + " " + code
	}
	f, ok := formatters.get(loc)
	if !ok {
		// A Formatter is safe for concurrent use once its options are set.
		f = currency.NewFormatter(loc)
		formatters.put(loc, f)
	}
	return f.Format(a)
}

type amountKey struct {
	locale currency.Locale
	code   string
	amount int64
}

// The caches of FormatAmount. A payer's header is one of a few thousand
// in practice; a flood of made-up ones only evicts entries.
var (
	payerLocales     = newBoundedMap[string, currency.Locale](1024)
	formatters       = newBoundedMap[currency.Locale, *currency.Formatter](256)
	formattedAmounts = newBoundedMap[amountKey, string](8192)
)

// payerLocale picks the payer's preferred locale from Accept-Language,
// English when there is none.
func payerLocale(acceptLanguage string) currency.Locale {
	if len(acceptLanguage) > 200 {
		acceptLanguage = acceptLanguage[:200]
	}
	if loc, ok := payerLocales.get(acceptLanguage); ok {
		return loc
	}
	loc := parseLocale(acceptLanguage)
	payerLocales.put(acceptLanguage, loc)
	return loc
}

func parseLocale(acceptLanguage string) currency.Locale {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 || tags[0] == language.Und {
		return currency.NewLocale("en")
	}
	return currency.NewLocale(tags[0].String())
}

// boundedMap is a map of at most max entries, safe for concurrent use:
// past max, an arbitrary entry is dropped for each one added. For caches
// whose entries are cheap to compute again.
type boundedMap[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

func newBoundedMap[K comparable, V any](max int) *boundedMap[K, V] {
	return &boundedMap[K, V]{m: make(map[K]V), max: max}
}

func (b *boundedMap[K, V]) get(k K) (V, bool) {
	b.mu.RLock()
	v, ok := b.m[k]
	b.mu.RUnlock()
	return v, ok
}

func (b *boundedMap[K, V]) put(k K, v V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.m[k]; !ok && len(b.m) >= b.max {
		for old := range b.m { // map order is random: drop any one
			delete(b.m, old)
			break
		}
	}
	b.m[k] = v
}

// ParseExpiry parses a typed expiry date: "MM/YY", "MM / YY", "MM/YYYY",
// "MMYY" or "MM-YY". The year comes back with four digits.
func ParseExpiry(s string) (month, year int, ok bool) {
	s = strings.TrimSpace(s)
	var mm, yy string
	if i := strings.IndexAny(s, "/-"); i >= 0 {
		mm, yy = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	} else {
		d := strings.ReplaceAll(s, " ", "")
		switch len(d) {
		case 4, 6:
			mm, yy = d[:2], d[2:]
		case 3, 5:
			mm, yy = d[:1], d[1:]
		default:
			return 0, 0, false
		}
	}
	if len(mm) < 1 || len(mm) > 2 || (len(yy) != 2 && len(yy) != 4) {
		return 0, 0, false
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yy)
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 0 || strings.ContainsAny(mm+yy, "+-") {
		return 0, 0, false
	}
	if len(yy) == 2 {
		y += 2000
	}
	return m, y, true
}
