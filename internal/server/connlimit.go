package server

import (
	"container/list"
	"net"
	"net/http"
	"sync"
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
// one at any time). When none is idle (every slot runs a request), Accept
// holds the new connection, unserved, until a slot frees: a client waits
// rather than being refused, and the connections still queued behind it
// wait in the kernel's listen backlog, which costs this process nothing
// (beyond the backlog the kernel itself refuses them). Requests end within
// the server's timeouts, so the wait is bounded.
type ConnLimiter struct {
	net.Listener
	max int

	mu      sync.Mutex
	open    int
	idle    list.List // *limitedConn, idle longest first
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
	Evicted uint64 // idle connections closed to make room for new ones
	Waiting bool   // Accept holds a new connection until a slot frees
}

// LimitConns returns ln limited to max open connections (max > 0).
func LimitConns(ln net.Listener, max int) *ConnLimiter {
	return &ConnLimiter{Listener: ln, max: max, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept waits for a connection and a free slot for it, closing the
// connection idle longest when every slot is taken.
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
			return &limitedConn{Conn: c, l: l}, nil
		}
		l.waiting = true
		var victim *limitedConn
		if e := l.idle.Front(); e != nil {
			victim = e.Value.(*limitedConn)
			l.idle.Remove(e)
			victim.elem = nil
			l.evicted++
		}
		l.mu.Unlock()
		if victim != nil {
			victim.Close() // frees its slot before it returns
			continue
		}
		select {
		case <-l.wake:
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener; an Accept waiting for a slot returns.
func (l *ConnLimiter) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// ConnState is the http.Server's ConnState hook: it keeps the list of idle
// connections, oldest idle first.
func (l *ConnLimiter) ConnState(c net.Conn, st http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if lc.elem != nil {
		l.idle.Remove(lc.elem)
		lc.elem = nil
	}
	if st == http.StateIdle && !lc.closed {
		lc.elem = l.idle.PushBack(lc)
		l.signal()
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
	elem   *list.Element // in l.idle while idle; guarded by l.mu
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
		if c.elem != nil {
			l.idle.Remove(c.elem)
			c.elem = nil
		}
		l.open--
		l.signal()
	})
	return err
}
