package payments

import (
	"testing"
	"time"
)

func TestNormalizeNumber(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"4242424242424242", "4242424242424242", true},
		{"4242 4242 4242 4242", "4242424242424242", true},
		{"4242-4242-4242-4242", "4242424242424242", true},
		{"4242 4242 4242 424x", "", false},
		{"12345678901", "", false},
		{"12345678901234567890", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeNumber(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true},
		{"4242424242424241", false},
		{"378282246310005", true},
		{"6447032400000000001", true},
		{"0", true},
		{"", false},
		{"42a2", false},
	}
	for _, tt := range tests {
		if got := Luhn(tt.in); got != tt.want {
			t.Errorf("Luhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for n := range testCards {
		if !Luhn(n) {
			t.Errorf("test card %s fails Luhn", n)
		}
	}
}

func TestBrand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4242424242424242", BrandVisa},
		{"5555555555554444", BrandMastercard},
		{"2221000000000009", BrandMastercard},
		{"378282246310005", BrandAmex},
		{"3530111333300000", BrandJCB},
		{"6447032400000000001", BrandDiscover},
		{"6011111111111117", BrandDiscover},
		{"36021042000004", BrandDiners},
		{"6250947000000006", BrandUnionPay},
		{"9999999999999995", ""},
	}
	for _, tt := range tests {
		if got := Brand(tt.in); got != tt.want {
			t.Errorf("Brand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for n := range testCards {
		if Brand(n) == "" {
			t.Errorf("test card %s has no brand", n)
		}
	}
}

func TestSecurityCodeLen(t *testing.T) {
	if got := SecurityCodeLen(BrandAmex); got != 4 {
		t.Errorf("SecurityCodeLen(Amex) = %d, want 4", got)
	}
	if got := SecurityCodeLen(BrandVisa); got != 3 {
		t.Errorf("SecurityCodeLen(Visa) = %d, want 3", got)
	}
}

func TestFirst6Last4(t *testing.T) {
	if got := First6("4242424242424242"); got != "424242" {
		t.Errorf("First6 = %q", got)
	}
	if got := Last4("4111111111111111"); got != "1111" {
		t.Errorf("Last4 = %q", got)
	}
}

func TestExpiryValid(t *testing.T) {
	now := time.Date(2026, time.March, 31, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		month, year int
		want        bool
	}{
		{3, 2026, true}, // valid to the end of its month
		{2, 2026, false},
		{12, 2025, false},
		{1, 2027, true},
		{13, 2027, false},
		{0, 2027, false},
		{1, 2057, false},
	}
	for _, tt := range tests {
		if got := ExpiryValid(tt.month, tt.year, now); got != tt.want {
			t.Errorf("ExpiryValid(%d, %d) = %v, want %v", tt.month, tt.year, got, tt.want)
		}
	}
}

func TestNormalizeYear(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{26, 2026}, {2031, 2031}, {0, 2000}} {
		if got := NormalizeYear(tt.in); got != tt.want {
			t.Errorf("NormalizeYear(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint([]byte("secret"), "4242424242424242")
	if a != Fingerprint([]byte("secret"), "4242424242424242") {
		t.Error("fingerprint is not stable")
	}
	if a == Fingerprint([]byte("other"), "4242424242424242") {
		t.Error("fingerprint does not depend on the secret")
	}
	if a == Fingerprint([]byte("secret"), "4111111111111111") {
		t.Error("fingerprint does not depend on the number")
	}
	if len(a) != 44 {
		t.Errorf("len(fingerprint) = %d, want 44 (base64 of 32 bytes)", len(a))
	}
}
