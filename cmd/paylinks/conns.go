package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/paylinks/paylinks/internal/server"
)

// defaultMaxConns is the default cap on open connections. An open
// keep-alive connection costs the server about 23 KB (its goroutine's stack,
// 8 KiB of read and write buffers, the connection's state): with 12,000
// idle connections offered (BenchmarkIdleConns), the server's RSS was 53 MB
// at a cap of 1,000 (21 MB before), 77 MB at 2,000 and 258 MB with no cap.
// 1,000 keeps the Go runtime inside the 40 MiB budget (the binary's mapped
// pages are most of the rest); beyond the cap idle connections are closed
// first (server.ConnLimiter). Raise it with the memory budget.
const defaultMaxConns = "1000"

// parseMaxConns reads --max-conns: a positive number, or 0 or "off" for no
// cap (returned as 0).
func parseMaxConns(s string) (int, error) {
	t := strings.TrimSpace(s)
	if t == "0" || strings.EqualFold(t, "off") {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("--max-conns %q: want a number of connections such as 1000, or off", s)
	}
	return n, nil
}

// limitConns caps srv's open connections on ln at max (0: no cap) and
// returns the listener to serve.
func limitConns(ln net.Listener, srv *http.Server, max int) net.Listener {
	if max == 0 {
		return ln
	}
	lim := server.LimitConns(ln, max)
	srv.ConnState = lim.ConnState
	return lim
}
