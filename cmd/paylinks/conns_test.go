package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMaxConns(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1000", 1000, true}, {" 8 ", 8, true}, {"0", 0, true}, {"off", 0, true}, {"OFF", 0, true},
		{"-1", 0, false}, {"", 0, false}, {"many", 0, false}, {"1e3", 0, false},
	} {
		got, err := parseMaxConns(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("parseMaxConns(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--max-conns") {
			t.Errorf("parseMaxConns(%q): %v, want an error naming the flag", c.in, err)
		}
	}
}

func TestBurstWatch(t *testing.T) {
	var w burstWatch
	for i, c := range []struct {
		goroutines int
		passed     bool
	}{
		{10, false}, {300, false}, {20, false}, // under burstGoroutines: no burst
		{5000, false}, {12000, false}, {7000, false}, // still more than half open
		{5900, true},              // half gone
		{5000, false}, {20, true}, // the rest goes: another release
		{25, false}, {600, false}, {15, true}, // a second burst
	} {
		if got := w.passed(c.goroutines); got != c.passed {
			t.Errorf("step %d: passed(%d) = %v, want %v", i, c.goroutines, got, c.passed)
		}
	}
}

// TestServeMaxConns: PAYLINKS_MAX_CONNS caps the real server's connections:
// with 2 idle keep-alive connections open, a third client is served and
// one of the idle ones was closed to make room.
func TestServeMaxConns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := newLineWriter()
	done := make(chan error, 1)
	env := map[string]string{"PAYLINKS_MAX_CONNS": "2"}
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(t.TempDir(), "p.db")},
			func(k string) string { return env[k] }, out, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-done })
	addr := strings.TrimPrefix(out.wait(t, listenRe), "http://")

	type conn struct {
		net.Conn
		r *bufio.Reader
	}
	healthz := func(c conn) error {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: paylinks\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(c.r, nil)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return err
	}
	open := func() conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return conn{c, bufio.NewReader(c)}
	}
	idle := []conn{open(), open()}
	for i, c := range idle {
		if err := healthz(c); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	if err := healthz(open()); err != nil {
		t.Fatalf("a third client with 2 idle connections open at a cap of 2: %v, want it served", err)
	}
	closed := 0
	for _, c := range idle {
		if healthz(c) != nil {
			closed++
		}
	}
	if closed != 1 {
		t.Errorf("%d of the 2 idle connections were closed for the third client, want 1", closed)
	}

	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--max-conns", "-5",
		"--db", "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--max-conns") {
		t.Errorf("serve --max-conns -5: %v, want an error naming the flag", err)
	}
}
