package paylinks

import (
	"strings"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"99.00", "USD", 9900, true},
		{"9", "USD", 900, true},
		{"0.5", "USD", 50, true},
		{"1000", "JPY", 1000, true},
		{"1.5", "JPY", 0, false},
		{"1.234", "KWD", 1234, true},
		{"1.2345", "KWD", 0, false},
		{"99.001", "USD", 0, false},
		{"-1", "USD", 0, false},
		{"+1", "USD", 0, false},
		{"1e3", "USD", 0, false},
		{"$5", "USD", 0, false},
		{"1,000", "USD", 0, false},
		{".5", "USD", 0, false},
		{"5.", "USD", 0, false},
		{"", "USD", 0, false},
		{" 5", "USD", 0, false},
		{"92233720368547758.08", "USD", 0, false},
		{"92233720368547758.07", "USD", 9223372036854775807, true},
	}
	for _, tt := range tests {
		got, ok := ParseDecimal(tt.in, tt.cur)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseDecimal(%q, %s) = %d, %v; want %d, %v", tt.in, tt.cur, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatDecimal(t *testing.T) {
	tests := []struct {
		amount int64
		cur    string
		want   string
	}{
		{9900, "USD", "99.00"}, {5, "USD", "0.05"}, {0, "USD", "0.00"}, {1000, "JPY", "1000"},
		{1234, "KWD", "1.234"}, {-150, "THB", "-1.50"}, {2000, "THB", "20.00"},
	}
	for _, tt := range tests {
		if got := FormatDecimal(tt.amount, tt.cur); got != tt.want {
			t.Errorf("FormatDecimal(%d, %s) = %q, want %q", tt.amount, tt.cur, got, tt.want)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"99.00", "9", "0.5", "1.234", "1e3", "-1", "00.10"} {
		f.Add(s, "USD")
		f.Add(s, "JPY")
		f.Add(s, "KWD")
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		n, ok := ParseDecimal(s, cur)
		if !ok {
			return
		}
		if n < 0 {
			t.Fatalf("%q parsed negative %d", s, n)
		}
		digits := CurrencyDigits(cur)
		if _, frac, found := strings.Cut(s, "."); found && len(frac) > digits {
			t.Fatalf("%q accepted with more than %d decimals", s, digits)
		}
		// Parsing the canonical form gives the same amount back.
		if m, ok := ParseDecimal(FormatDecimal(n, cur), cur); !ok || m != n {
			t.Fatalf("%q -> %d -> %q -> %d", s, n, FormatDecimal(n, cur), m)
		}
	})
}

func TestNormalizeCurrencyAndLimits(t *testing.T) {
	for _, in := range []string{"thb", "THB", "Thb"} {
		if c, ok := NormalizeCurrency(in); !ok || c != "THB" {
			t.Errorf("NormalizeCurrency(%q) = %q %v", in, c, ok)
		}
	}
	for _, bad := range []string{"", "xx", "bitcoin", "XYZ", " thb ", "THB ", " THB", "usd\n", "TH", "T\x00B", "ＴＨＢ", "th\u0432"} {
		if _, ok := NormalizeCurrency(bad); ok {
			t.Errorf("NormalizeCurrency(%q) accepted", bad)
		}
	}
	if CheckAmount(2000, "THB", "amount") != nil || CheckAmount(1999, "THB", "amount") == nil || CheckAmount(100000001, "THB", "amount") == nil {
		t.Error("THB limits are not 2000..100000000")
	}
	e := AsError(CheckAmount(1, "JPY", "fiatAmount"))
	if e == nil || e.Code != "invalid_amount" || e.Param != "fiatAmount" {
		t.Errorf("CheckAmount error = %+v", e)
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"5000", 5000, true}, {"0", 0, true}, {"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"+5000", 0, false}, {"-5000", 0, false}, {" 5000 ", 0, false}, {"5000 ", 0, false},
		{"05000", 0, false}, {"00", 0, false}, {"5e3", 0, false}, {"5000.0", 0, false}, {"5,000", 0, false},
		{"5_000", 0, false}, {"0x10", 0, false}, {"５０００", 0, false}, {"5000\n", 0, false}, {"50\x0000", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseAmount(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
