package webhooks

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// refused are the networks a live-mode delivery may not connect to, beyond
// what netip's predicates name (loopback, private, link-local, multicast,
// unspecified).
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),         // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),     // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),      // NAT64 (could reach an IPv4 private address)
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS metadata over IPv6 (also ULA)
}

// PublicAddr reports why ip may not receive a live-mode delivery, or nil.
// 169.254.169.254 and the other cloud metadata addresses are link-local.
func PublicAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsUnspecified(), ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(),
		ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(), ip.IsMulticast():
		return fmt.Errorf("address %s is not public", ip)
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return fmt.Errorf("address %s is not public", ip)
		}
	}
	return nil
}

// NewClient returns the HTTP client of deliveries: timeout for the whole
// request, redirects returned rather than followed, no proxy, and with
// guard set, every connection refused unless PublicAddr accepts the
// address being dialled. The check is the dialer's Control, run on the
// resolved address of each connection, so a name that resolves to a
// private address (or is rebound to one after a check) is refused too.
func NewClient(timeout time.Duration, guard bool) *http.Client {
	d := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	if guard {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook: refused to connect to %s: %w", address, err)
			}
			if err := PublicAddr(ap.Addr()); err != nil {
				return fmt.Errorf("webhook: refused to connect: %w", err)
			}
			return nil
		}
	}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
