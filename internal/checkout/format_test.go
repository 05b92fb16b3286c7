package checkout

import "testing"

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
