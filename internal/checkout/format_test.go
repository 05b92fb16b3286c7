package checkout

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bojanz/currency"

	"github.com/paylinks/paylinks"
)

// TestParseAmount reads payers' amounts by the page's locale: what the
// locale writes is read exactly, anything ambiguous or malformed is refused
// with a message naming the problem (never scaled: "1,000,00" on an English
// page is neither 100,000.00 nor 1,000.00).
func TestParseAmount(t *testing.T) {
	tests := []struct {
		lang, in, cur string
		want          int64  // 0: refused
		wantErr       string // in the refusal's message
	}{
		// English.
		{"en", "1,000.00", "USD", 100000, ""},
		{"en-US", "1000", "USD", 100000, ""},
		{"en", "1.5", "USD", 150, ""},
		{"en", "1,250.50", "THB", 125050, ""},
		{"en", "1,234,567", "USD", 123456700, ""},
		{"en", " 20.00 ", "THB", 2000, ""},
		{"en", "0.50", "USD", 50, ""},
		{"en", "1,000", "JPY", 1000, ""},
		{"en", "1.250", "KWD", 1250, ""},
		{"", "99", "USD", 9900, ""},
		{"en", "1,000,00", "USD", 0, "wrong places"},
		{"en", "1.000.00", "USD", 0, "more than one decimal separator"},
		{"en", "1.000,00", "USD", 0, "after the decimals"},
		{"en", "10,50", "EUR", 0, "wrong places"},
		{"en", "1,5", "USD", 0, "wrong places"},
		{"en", "1000,000", "USD", 0, "wrong places"},
		{"en", "1,0000", "USD", 0, "wrong places"},
		{"en", ",100", "USD", 0, "wrong places"},
		{"en", "1,,000", "USD", 0, "wrong places"},
		{"en", "1,000,", "USD", 0, "wrong places"},
		{"en", "1 000", "USD", 0, "groups thousands"},
		{"en", "20.001", "THB", 0, "at most 2 decimals"},
		{"en", "10.5", "JPY", 0, "JPY amounts have no decimals: enter a whole number, like 1,250."},
		{"en", ".5", "JPY", 0, "JPY amounts have no decimals"},
		{"en", "1.000", "JPY", 0, "JPY amounts have no decimals"},
		{"en", "abc", "KWD", 0, "like 1,250.500."},
		{"en", ".5", "KWD", 0, "like 0.500."},
		{"en", "1.", "USD", 0, "Enter the decimals"},
		{"en", ".5", "USD", 0, "digit before the decimal separator"},
		{"en", "05", "USD", 0, "leading zero"},
		{"en", "0", "USD", 0, "above zero"},
		{"en", "0.00", "USD", 0, "above zero"},
		{"en", "-5", "USD", 0, "digits only"},
		{"en", "+5", "USD", 0, "digits only"},
		{"en", "$10", "USD", 0, "digits only"},
		{"en", "1e3", "USD", 0, "digits only"},
		{"en", "abc", "THB", 0, "digits only"},
		{"en", "", "THB", 0, "Enter the amount."},
		{"en", "9999999999999999", "USD", 0, "too large"},
		// Thai writes numbers as English does.
		{"th-TH", "1,000.00", "THB", 100000, ""},
		{"th", "1,000,00", "THB", 0, "wrong places"},
		// German: a decimal comma, points group.
		{"de-DE", "1.000,00", "EUR", 100000, ""},
		{"de", "1000", "EUR", 100000, ""},
		{"de", "1,5", "EUR", 150, ""},
		{"de", "1.234.567,89", "EUR", 123456789, ""},
		{"de", "1.000", "EUR", 100000, ""},
		{"de", "1.000.00", "EUR", 0, "wrong places"},
		{"de", "1,000.00", "EUR", 0, "after the decimals"},
		{"de", "1,000,00", "EUR", 0, "more than one decimal separator"},
		{"de", "1.5", "EUR", 0, "wrong places"},
		{"de", "1,505", "EUR", 0, "at most 2 decimals"},
		// French: a decimal comma, spaces (any of them) group.
		{"fr-FR", "1 000,00", "EUR", 100000, ""},
		{"fr", "1\u202f000,00", "EUR", 100000, ""},
		{"fr", "1\u00a0000,5", "EUR", 100050, ""},
		{"fr", "1.000,00", "EUR", 0, "groups thousands"},
		{"fr", "1 00,00", "EUR", 0, "wrong places"},
		// Swiss German: apostrophes group, a decimal point.
		{"de-CH", "1'000.50", "CHF", 100050, ""},
		{"de-CH", "1’000.50", "CHF", 100050, ""},
		// India: 3 then 2 (or threes).
		{"en-IN", "1,00,000.00", "INR", 10000000, ""},
		{"en-IN", "100,000.00", "INR", 10000000, ""},
		{"en-IN", "1,00,00", "INR", 0, "wrong places"},
		// Arabic (Egypt): its own digits and separators, or Latin ones.
		{"ar-EG", "١٬٢٣٤٫٥٠", "EGP", 123450, ""},
		{"ar-EG", "1,234.50", "EGP", 123450, ""},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in, tt.cur, tt.lang)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("ParseAmount(%q, %s, %q) = %d, %v; want %d", tt.in, tt.cur, tt.lang, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseAmount(%q, %s, %q) = %d, %v; want an error saying %q", tt.in, tt.cur, tt.lang, got, err, tt.wantErr)
		}
	}
}

// TestParseAmountRoundTrip parses every amount as the page's locale
// formats it (as its placeholder and examples show it) back to itself.
func TestParseAmountRoundTrip(t *testing.T) {
	for _, lang := range []string{"en", "th", "de", "fr", "es", "it", "pt-BR", "ru", "de-CH", "en-IN", "ar-EG", "fa", "hi", "bn", "ja", "pl", "sv"} {
		for _, cur := range []string{"THB", "USD", "EUR", "JPY", "KWD", "INR"} {
			for _, n := range []int64{1, 50, 999, 1000, 123456, 100000000, 1234567891} {
				s := FormatPlainAmount(n, cur, lang)
				if got, err := ParseAmount(s, cur, lang); err != nil || got != n {
					t.Errorf("%s %s: %d is written %q, which parses to %d, %v", lang, cur, n, s, got, err)
				}
			}
		}
	}
}

func TestParseExpiry(t *testing.T) {
	tests := []struct {
		in          string
		month, year int
		ok          bool
	}{
		{"12 / 30", 12, 2030, true},
		{"12/30", 12, 2030, true},
		{"1/2031", 1, 2031, true},
		{"0130", 1, 2030, true},
		{"130", 1, 2030, true},
		{"01-30", 1, 2030, true},
		{"13/30", 0, 0, false},
		{"00/30", 0, 0, false},
		{"12/3", 0, 0, false},
		{"", 0, 0, false},
		{"ab/cd", 0, 0, false},
		{"+1/30", 0, 0, false},
	}
	for _, tt := range tests {
		m, y, ok := ParseExpiry(tt.in)
		if m != tt.month || y != tt.year || ok != tt.ok {
			t.Errorf("ParseExpiry(%q) = %d, %d, %v; want %d, %d, %v", tt.in, m, y, ok, tt.month, tt.year, tt.ok)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		amount int64
		cur    string
		lang   string
		want   string
	}{
		{1000, "JPY", "en", "¥1,000"},
		{100000, "THB", "th-TH", "฿1,000.00"},
		{9900, "USD", "en-US,en;q=0.8", "$99.00"},
		{9900, "USD", "garbage;;;", "$99.00"},
		{9900, "USD", "", "$99.00"},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.amount, tt.cur, tt.lang); got != tt.want {
			t.Errorf("FormatAmount(%d, %s, %q) = %q, want %q", tt.amount, tt.cur, tt.lang, got, tt.want)
		}
	}
}

// BenchmarkFormatAmount formats the amounts of many links for one payer.
func BenchmarkFormatAmount(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		FormatAmount(int64(2000+(i%500)*100), "THB", "th-TH,th;q=0.9,en;q=0.5")
		i++
	}
}

// TestFormatAmountCached checks the cached FormatAmount against the
// library called afresh, on first use and from the caches.
func TestFormatAmountCached(t *testing.T) {
	langs := []string{"", "en", "th-TH,th;q=0.9", "de-DE", "ar-EG", "hi-IN", "ja", "fr-CH", "garbage;;;"}
	codes := []string{"THB", "JPY", "USD", "EUR", "KWD", "INR", "XXX"}
	amounts := []int64{0, 1, 99, 100000, 123456789, 9007199254740993}
	for round := 0; round < 2; round++ {
		for _, lang := range langs {
			for _, code := range codes {
				for _, amount := range amounts {
					want := paylinks.FormatDecimal(amount, code) + " " + code
					if a, err := currency.NewAmountFromInt64(amount, code); err == nil {
						want = currency.NewFormatter(parseLocale(lang)).Format(a)
					}
					if got := FormatAmount(amount, code, lang); got != want {
						t.Errorf("round %d: FormatAmount(%d, %s, %q) = %q, want %q", round, amount, code, lang, got, want)
					}
				}
			}
		}
	}
}

func TestBoundedMap(t *testing.T) {
	m := newBoundedMap[string, int](10)
	for i := range 100 {
		m.put(fmt.Sprint(i), i)
		if v, ok := m.get(fmt.Sprint(i)); !ok || v != i {
			t.Fatalf("get(%d) = %d, %v right after put", i, v, ok)
		}
		if n := len(m.m); n > 10 {
			t.Fatalf("%d entries, want at most 10", n)
		}
	}
}
