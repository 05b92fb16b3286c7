package server

import (
	"container/list"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// ConnLimiter is a net.Listener that keeps at most a fixed number of
// connections open, so that a flood of connections (12,000 idle keep-alive
// clients took an uncapped server to 262 MB) cannot take the process past
// its memory budget. Give its ConnState method to the http.Server that
// serves it, which tells it which connections are idle.
//
// When a new connection arrives with every slot taken, the connection that
// has been idle longest is closed to make room (an idle keep-alive
// connection is cheap for its client to open again; HTTP lets a server close
// one at any time). Failing that, a connection that has sent no request for
// silentGrace since it opened is closed (a client sends its request as soon
// as it connects; one that does not would otherwise hold its slot until the
// server's ReadHeaderTimeout). When there is neither (every slot runs a
// request, or has just opened), Accept holds the new connection, unserved,
// until a slot frees: a client waits rather than being refused, and the
// connections queued behind it wait in the kernel's listen backlog, which
// costs this process nothing (beyond the backlog the kernel refuses them).
// Requests end within the server's timeouts, so the wait is bounded.
type ConnLimiter struct {
	net.Listener
	max int

	mu      sync.Mutex
	open    int
	idle    list.List // *limitedConn, idle longest first
	silent  list.List // *limitedConn that have sent no request yet, oldest first
	peak    int
	evicted uint64
	waiting bool
	wake    chan struct{} // a slot freed or a connection went idle
	done    chan struct{} // closed by Close
	once    sync.Once
}

// ConnStats are a ConnLimiter's counts.
type ConnStats struct {
	Open    int    // connections open now
	Idle    int    // of them, idle between requests
	Peak    int    // the most ever open at once
	Evicted uint64 // idle or silent connections closed to make room for new ones
	Waiting bool   // Accept holds a new connection until a slot frees
}

// silentGrace is how long a connection may stay open without sending a
// request before it may be closed to make room for another.
const silentGrace = 2 * time.Second

// LimitConns returns ln limited to max open connections (max > 0).
func LimitConns(ln net.Listener, max int) *ConnLimiter {
	return &ConnLimiter{Listener: ln, max: max, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept waits for a connection and a free slot for it, closing the
// connection idle longest (or silent past its grace) when every slot is
// taken.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		l.mu.Lock()
		if l.open < l.max {
			l.open++
			l.peak = max(l.peak, l.open)
			l.waiting = false
			l.mu.Unlock()
			return &limitedConn{Conn: c, l: l, opened: time.Now()}, nil
		}
		l.waiting = true
		victim, retry := l.victim(time.Now())
		l.mu.Unlock()
		if victim != nil {
			victim.Close() // frees its slot before it returns
			continue
		}
		var recheck <-chan time.Time // nil: no silent connection to wait for
		if retry > 0 {
			recheck = time.After(retry)
		}
		select {
		case <-l.wake:
		case <-recheck:
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
}

// victim picks the connection to close to make room, taking it off its
// list: the one idle longest, else the oldest silent past silentGrace.
// With none, retry is when the oldest silent one passes it (0: no silent
// connection). l.mu is held.
func (l *ConnLimiter) victim(now time.Time) (victim *limitedConn, retry time.Duration) {
	if e := l.idle.Front(); e != nil {
		victim = e.Value.(*limitedConn)
	} else if e := l.silent.Front(); e != nil {
		c := e.Value.(*limitedConn)
		if wait := c.opened.Add(silentGrace).Sub(now); wait > 0 {
			return nil, wait
		}
		victim = c
	} else {
		return nil, 0
	}
	l.unlist(victim)
	l.evicted++
	return victim, 0
}

// unlist takes c off the idle or silent list; l.mu is held.
func (l *ConnLimiter) unlist(c *limitedConn) {
	if c.elem != nil {
		c.list.Remove(c.elem)
		c.elem, c.list = nil, nil
	}
}

// Close closes the listener; an Accept waiting for a slot returns.
func (l *ConnLimiter) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// ConnState is the http.Server's ConnState hook: it keeps the lists of
// idle connections, oldest idle first, and of new connections that have
// sent no request yet.
func (l *ConnLimiter) ConnState(c net.Conn, st http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok { // served with ServeTLS
		c = tc.NetConn()
	}
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unlist(lc)
	if lc.closed {
		return
	}
	switch st {
	case http.StateIdle:
		lc.elem, lc.list = l.idle.PushBack(lc), &l.idle
		l.signal()
	case http.StateNew:
		lc.elem, lc.list = l.silent.PushBack(lc), &l.silent
	}
}

// Stats returns the limiter's counts.
func (l *ConnLimiter) Stats() ConnStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return ConnStats{Open: l.open, Idle: l.idle.Len(), Peak: l.peak, Evicted: l.evicted, Waiting: l.waiting}
}

// signal wakes a waiting Accept; l.mu is held.
func (l *ConnLimiter) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// limitedConn holds a slot of its ConnLimiter until it is closed.
type limitedConn struct {
	net.Conn
	l      *ConnLimiter
	opened time.Time
	list   *list.List    // l.idle or l.silent while on one; guarded by l.mu
	elem   *list.Element // its element in list
	closed bool          // guarded by l.mu
	once   sync.Once
}

// Close closes the connection and frees its slot.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		l := c.l
		l.mu.Lock()
		defer l.mu.Unlock()
		c.closed = true
		l.unlist(c)
		l.open--
		l.signal()
	})
	return err
}
