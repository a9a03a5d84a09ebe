package gateway

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// net/http's Transport reads each connection on a goroutine of its own.
// Back from an answer, that reader peeks at the connection, and bytes
// found there while no request is expected close it ("Unsolicited
// response"). But the connection is back in the pool before the reader
// has looked: a request that takes it at once is expected first, and
// bytes already buffered past the last answer become that request's
// answer. So, before a reused connection carries a request (GotConn, which
// comes before the request is counted), the request waits until the
// reader waits on the socket, which it does only with nothing buffered,
// and nothing waits in the kernel either; or until the reader has closed
// the connection, and the Transport then retries a request without a body
// on another.

// maxReaderWait bounds the wait for the Transport's reader; past it, the
// connection is closed rather than trusted.
const maxReaderWait = time.Second

// watchedConn is a connection of the Transport that tells whether the
// Transport's reader is waiting on it, and whether it was closed.
type watchedConn struct {
	net.Conn
	key    string // host:port, as dialed
	strays *strayUpstreams
	probe  connProbe

	mu       sync.Mutex
	reading  int           // Reads under way
	reads    uint64        // Reads ended
	lastData bool          // the last Read returned bytes, and not a 408
	closed   bool          // Close was called
	retired  bool          // closed by the gateway after an answer, not by the reader
	changed  chan struct{} // closed when a Read starts or the connection closes; nil when nobody waits
}

// watchDial wraps dial's connections in watchedConn, reporting to strays.
func watchDial(dial func(ctx context.Context, network, addr string) (net.Conn, error), strays *strayUpstreams) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		w := &watchedConn{Conn: c, key: addr, strays: strays}
		w.probe.init(c)
		return w, nil
	}
}

func (c *watchedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.reading++
	c.wakeLocked()
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.reading--
	c.reads++
	c.lastData = n > 0 && err == nil && strayOrFarewell(p[:n]) == peekStray
	c.mu.Unlock()
	return n, err
}

func (c *watchedConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.wakeLocked()
	c.mu.Unlock()
	return c.Conn.Close()
}

// retire closes c after an answer that may be followed by a body it
// announced; its last read was that answer, not stray bytes.
func (c *watchedConn) retire() {
	c.mu.Lock()
	c.retired = true
	c.mu.Unlock()
	c.Close()
}

func (c *watchedConn) wakeLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// awaitIdleReader returns once the Transport's reader waits on c with
// nothing buffered and nothing waits in the kernel, or once c is closed;
// past maxReaderWait it closes c. c is idle in the Transport's eyes: the
// request that took it is not counted yet, so whatever the reader finds
// makes it close c.
func (c *watchedConn) awaitIdleReader() {
	var timeout <-chan time.Time
	for {
		c.mu.Lock()
		closed, stray, reading, reads := c.closed, c.lastData && !c.retired, c.reading > 0, c.reads
		c.mu.Unlock()
		if closed {
			// The reader met the end of the stream, or bytes nobody
			// asked for (then its last read returned them). A
			// connection the gateway retired may be taken before its
			// reader has noticed: its last read is still the answer.
			if stray {
				c.strays.add(c.key)
			}
			return
		}
		if reading {
			// The reader is in Read, so its buffer is empty.
			r := c.probe.look()
			if r == peekStray {
				c.strays.add(c.key)
			}
			if (r == peekNothing || r == peekUnknown) && c.sameReadUnderWay(reads) {
				return
			}
		}
		c.mu.Lock()
		if c.closed || c.reading > 0 && c.reads != reads {
			c.mu.Unlock()
			continue
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed
		c.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(maxReaderWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-changed:
		case <-timeout:
			c.Close()
			return
		}
	}
}

// sameReadUnderWay reports whether the Read under way when reads Reads
// had ended still is: it returned nothing in the meantime.
func (c *watchedConn) sameReadUnderWay(reads uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed && c.reading > 0 && c.reads == reads
}

// guardedRoundTrip sends req through tr, a Transport whose connections
// come from watchDial with strays: on a connection closed after the
// answer when strays says so (mustClose), on a reused connection only
// once the Transport's reader waits on it, and closing the connection of
// an answer that announces a body it may not have (the Transport has
// already put it back in the pool; its body, if it comes, comes late).
func guardedRoundTrip(tr *http.Transport, strays *strayUpstreams, req *http.Request) (*http.Response, error) {
	if strays.mustClose(req) {
		req = closing(req)
	}
	g := &guardedRequest{}
	g.trace.GotConn = g.gotConn
	resp, err := tr.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), &g.trace)))
	if err == nil && g.conn != nil && announcesForbiddenBody(resp) {
		g.conn.retire()
	}
	return resp, err
}

// guardedRequest is one request of [guardedRoundTrip].
type guardedRequest struct {
	trace httptrace.ClientTrace
	conn  *watchedConn // its HTTP/1 connection
}

// gotConn is the GotConn hook: it notes the connection and, if it was
// used before, waits for the Transport's reader (awaitIdleReader).
func (g *guardedRequest) gotConn(info httptrace.GotConnInfo) {
	conn := info.Conn
	if tc, ok := conn.(*tls.Conn); ok {
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			return // HTTP/2 frames its streams; its reader never idles
		}
		conn = tc.NetConn()
	}
	wc, ok := conn.(*watchedConn)
	if !ok {
		return
	}
	g.conn = wc
	if info.Reused {
		wc.awaitIdleReader()
	}
}
