package checkout

import (
	"fmt"
	"testing"

	"github.com/bojanz/currency"

	"github.com/paylinks/paylinks"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		wantOK  bool
	}{
		{"100", "THB", 10000, true},
		{"100.5", "THB", 10050, true},
		{"1,250.50", "THB", 125050, true},
		{"10,50", "EUR", 1050, true},
		{"1,000", "THB", 100000, true}, // a group of three is grouping
		{"1 000", "JPY", 1000, true},
		{"1000", "JPY", 1000, true},
		{"10.5", "JPY", 0, false},
		{"0.001", "THB", 0, false},
		{"0", "THB", 0, false},
		{"-5", "THB", 0, false},
		{"abc", "THB", 0, false},
		{"", "THB", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseAmount(tt.in, tt.cur)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d, %v", tt.in, tt.cur, got, ok, tt.want, tt.wantOK)
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
