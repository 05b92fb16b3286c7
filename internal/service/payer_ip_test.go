package service

import "testing"

func TestPayerIP(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":        "127.0.0.1",
		"::1":              "::1",
		"::ffff:127.0.0.1": "127.0.0.1",
		"fe80::1%eth0":     "fe80::1",
		"203.0.113.9":      "203.0.113.9",
		"":                 "",
		"not an address":   "",
		"1.2.3.4:80":       "",
		"<script>":         "",
	} {
		if got := payerIP(in); got != want {
			t.Errorf("payerIP(%q) = %q, want %q", in, got, want)
		}
	}
}
