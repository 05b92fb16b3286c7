package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/server"
)

// limitedServer serves h on 127.0.0.1:0 with at most max connections.
func limitedServer(t *testing.T, max int, h http.Handler) (string, *server.ConnLimiter) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := server.LimitConns(ln, max)
	srv := &http.Server{Handler: h, ConnState: lim.ConnState, IdleTimeout: time.Minute}
	go srv.Serve(lim)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), lim
}

// keepAlive is a client connection that sends HTTP/1.1 requests one at a time.
type keepAlive struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *keepAlive {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a failing test fails rather than hangs
	return &keepAlive{Conn: c, r: bufio.NewReader(c)}
}

func (c *keepAlive) send(path string) error {
	_, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: paylinks\r\n\r\n")
	return err
}

// receive reads one response; an error when the server closed the connection.
func (c *keepAlive) receive() (string, error) {
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func (c *keepAlive) get(path string) (string, error) {
	if err := c.send(path); err != nil {
		return "", err
	}
	return c.receive()
}

// waitFor polls the limiter until ok holds.
func waitFor(t *testing.T, lim *server.ConnLimiter, what string, ok func(server.ConnStats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(lim.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %+v", what, lim.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConnLimitClosesIdleFirst: with a cap of 8 and 8 idle keep-alive
// connections, a new client is served: the connection idle longest is
// closed to make room, the others stay open, and no more than 8 are ever
// open.
func TestConnLimitClosesIdleFirst(t *testing.T) {
	const max = 8
	addr, lim := limitedServer(t, max, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+r.URL.Path)
	}))
	var conns []*keepAlive
	for i := range max {
		c := dial(t, addr)
		if got, err := c.get("/idle"); err != nil || got != "ok /idle" {
			t.Fatalf("connection %d: %q %v", i, got, err)
		}
		conns = append(conns, c)
		waitFor(t, lim, "the connection to be idle", func(s server.ConnStats) bool { return s.Idle == i+1 })
	}

	late := dial(t, addr)
	if got, err := late.get("/late"); err != nil || got != "ok /late" {
		t.Fatalf("a client past the cap with %d idle connections open: %q %v, want it served", max, got, err)
	}
	if _, err := conns[0].get("/again"); err == nil {
		t.Error("the connection idle longest still answers; want it closed to make room")
	}
	for i, c := range conns[1:] {
		if got, err := c.get("/again"); err != nil || got != "ok /again" {
			t.Errorf("idle connection %d after the late client: %q %v, want it still served", i+1, got, err)
		}
	}
	if s := lim.Stats(); s.Peak > max || s.Evicted != 1 {
		t.Errorf("stats %+v: want a peak of at most %d and one idle connection closed", s, max)
	}
}

// TestConnLimitWaitsWhenAllActive: with a cap of 8 and 8 requests in
// flight, a 9th connection is held, unserved and not refused, until one of
// them ends; then it is served.
func TestConnLimitWaitsWhenAllActive(t *testing.T) {
	const max = 8
	var entered atomic.Int32
	inside := make(chan struct{}, max+1)
	release := make([]chan struct{}, max) // release[i] ends the request of /slow/i
	for i := range release {
		release[i] = make(chan struct{})
	}
	addr, lim := limitedServer(t, max, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		inside <- struct{}{}
		if i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/slow/")); err == nil {
			<-release[i]
		}
		io.WriteString(w, "ok "+r.URL.Path)
	}))
	var slow []*keepAlive
	for i := range max {
		c := dial(t, addr)
		if err := c.send("/slow/" + strconv.Itoa(i)); err != nil {
			t.Fatalf("slow request %d: %v", i, err)
		}
		<-inside
		slow = append(slow, c)
	}

	ninth := dial(t, addr) // the kernel completes the handshake
	if err := ninth.send("/ninth"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, lim, "Accept to hold the ninth connection", func(s server.ConnStats) bool { return s.Waiting })
	if n := entered.Load(); n != max {
		t.Fatalf("%d requests entered the handler with %d slots, want %d", n, max, max)
	}

	close(release[0]) // one slow request ends; its connection goes idle
	if got, err := slow[0].receive(); err != nil || got != "ok /slow/0" {
		t.Fatalf("the released slow request: %q %v", got, err)
	}
	if got, err := ninth.receive(); err != nil || got != "ok /ninth" {
		t.Fatalf("the ninth connection after a slot freed: %q %v, want it served", got, err)
	}
	for i, c := range slow[1:] {
		close(release[i+1])
		if got, err := c.receive(); err != nil || got != "ok /slow/"+strconv.Itoa(i+1) {
			t.Errorf("slow request %d: %q %v", i+1, got, err)
		}
	}
	if s := lim.Stats(); s.Peak > max {
		t.Errorf("stats %+v: more than %d connections were open at once", s, max)
	}
}

// TestConnLimitClosesSilentAfterGrace: with a cap of 2 taken by
// connections that never send a request, a client that does is served once
// the oldest silent one has had its grace: it is closed to make room, and
// no more than 2 are ever open.
func TestConnLimitClosesSilentAfterGrace(t *testing.T) {
	const max = 2
	addr, lim := limitedServer(t, max, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+r.URL.Path)
	}))
	silent := []*keepAlive{dial(t, addr), dial(t, addr)}
	waitFor(t, lim, "both silent connections to be open", func(s server.ConnStats) bool { return s.Open == max })

	talker := dial(t, addr)
	if got, err := talker.get("/talk"); err != nil || got != "ok /talk" {
		t.Fatalf("a client past the cap with %d silent connections open: %q %v, want it served", max, got, err)
	}
	if _, err := silent[0].r.ReadByte(); err == nil {
		t.Error("the oldest silent connection got a byte; want it closed to make room")
	}
	if got, err := silent[1].get("/late"); err != nil || got != "ok /late" {
		t.Errorf("the newer silent connection: %q %v, want it open and served", got, err)
	}
	if s := lim.Stats(); s.Peak > max || s.Evicted != 1 {
		t.Errorf("stats %+v: want a peak of at most %d and one connection closed", s, max)
	}
}

// TestConnLimitCloseWhileWaiting: shutting the server down while Accept
// holds a connection for a slot ends Serve; the held connection is closed.
func TestConnLimitCloseWhileWaiting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := server.LimitConns(ln, 1)
	release := make(chan struct{})
	srv := &http.Server{ConnState: lim.ConnState, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lim) }()
	busy := dial(t, ln.Addr().String())
	busy.send("/busy")
	waitFor(t, lim, "the busy request", func(s server.ConnStats) bool { return s.Open == 1 })
	held := dial(t, ln.Addr().String())
	held.send("/held")
	waitFor(t, lim, "Accept to hold the second connection", func(s server.ConnStats) bool { return s.Waiting })

	lim.Close()
	if err := <-served; err == nil {
		t.Error("Serve returned nil after its listener closed")
	}
	if _, err := held.r.ReadByte(); err == nil {
		t.Error("the held connection got a byte after the listener closed; want it closed")
	}
	close(release)
	srv.Close()
}
