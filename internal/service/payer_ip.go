package service

import "net/netip"

// payerIP returns the payer's address in its canonical form (an IPv4
// address mapped into IPv6 unmapped), or "" when addr is not an IP address:
// only an address the server saw, never other text, reaches a charge.
func payerIP(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	return a.Unmap().WithZone("").String()
}
