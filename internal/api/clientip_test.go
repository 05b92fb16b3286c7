package api

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted bool
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies configured: the peer", false, "10.1.2.3:5000", []string{"1.2.3.4"}, "10.1.2.3"},
		{"untrusted peer: header ignored", true, "8.8.8.8:5000", []string{"1.2.3.4"}, "8.8.8.8"},
		{"trusted peer: the client it saw", true, "10.1.2.3:5000", []string{"1.2.3.4"}, "1.2.3.4"},
		{"forged left entries are skipped", true, "10.1.2.3:5000", []string{"6.6.6.6, 1.2.3.4"}, "1.2.3.4"},
		{"chain of trusted proxies", true, "127.0.0.1:5000", []string{"1.2.3.4, 10.0.0.9", "10.0.0.8"}, "1.2.3.4"},
		{"all hops trusted: the peer", true, "10.1.2.3:5000", []string{"10.0.0.1"}, "10.1.2.3"},
		{"malformed hop", true, "10.1.2.3:5000", []string{"1.2.3.4, garbage"}, "10.1.2.3"},
		{"no header", true, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"ipv6 loopback proxy", true, "[::1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			p := trusted
			if !tt.trusted {
				p = nil
			}
			if got := ClientIP(p)(r); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix was accepted")
	}
}
