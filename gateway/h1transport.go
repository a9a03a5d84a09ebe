package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
)

// h1Transport carries the plainest upstream requests (GET or HEAD, plain
// HTTP, no body, no upgrade, no Expect) on the calling goroutine: it
// writes the request and reads the answer over a pooled keep-alive
// connection with the standard library's own code ((*http.Request).Write,
// http.ReadResponse). http.Transport runs a reader and a writer goroutine
// per connection and hands each request and answer between them over
// channels; on a loaded machine each hand-off is a wake-up, and together
// they are a large part of what a proxied request costs. Every other
// request goes to fallback, an http.Transport.
//
// It keeps http.Transport's rules for what it carries: a dial timeout, the
// response header timeout, the client's cancellation ending the exchange,
// idle connections closed after a while, a request that failed on a reused
// connection before any answer retried once on a new one (GET and HEAD
// are idempotent), 1xx answers passed to the trace (so that ReverseProxy
// forwards them), and a connection reused only when the answer allows it
// and its body was read to the end. On top of that, bytes past an answer
// would be read as the next request's answer, which may be another
// client's: a connection is reused only when a look at it finds nothing
// waiting (get), never after a HEAD or after an answer that announces a
// body it may not have, and never again to an upstream that sent such
// bytes once (strayUpstreams).
type h1Transport struct {
	fallback *http.Transport
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	// responseHeader bounds the wait for the answer's headers (0: none).
	responseHeader time.Duration
	// idleTimeout closes connections idle longer than this (0: never).
	idleTimeout time.Duration
	// maxIdlePerHost bounds the idle connections kept per upstream.
	maxIdlePerHost int

	// strays are the upstreams whose connections are not reused; the
	// fallback's connections report to it too.
	strays *strayUpstreams

	mu       sync.Mutex
	idle     map[string][]*h1Conn // by host:port; the most recent last
	reaping  bool                 // a reaper is scheduled
	closed   bool
	nowForTs func() time.Time // time.Now; tests move it
}

// h1Conn is one upstream connection with its buffers.
type h1Conn struct {
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	key      string
	idleFrom time.Time
	probe    connProbe
}

func newH1Transport(fallback *http.Transport, dial func(ctx context.Context, network, addr string) (net.Conn, error), t *Timeouts, strays *strayUpstreams) *h1Transport {
	return &h1Transport{
		fallback:       fallback,
		dial:           dial,
		responseHeader: t.ResponseHeader,
		idleTimeout:    t.UpstreamIdle,
		maxIdlePerHost: fallback.MaxIdleConnsPerHost,
		strays:         strays,
		idle:           make(map[string][]*h1Conn),
		nowForTs:       time.Now,
	}
}

// direct reports whether req takes the direct path.
func direct(req *http.Request) bool {
	if req.URL.Scheme != "http" || req.URL.User != nil {
		return false
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody || req.ContentLength != 0 {
		return false
	}
	if len(req.TransferEncoding) > 0 || req.Trailer != nil {
		return false
	}
	h := req.Header
	if h.Get("Upgrade") != "" || h.Get("Expect") != "" || h.Get("Connection") != "" {
		return false
	}
	// A malformed header goes to http.Transport, which refuses it.
	for k, vv := range h {
		if !validFieldName(k) {
			return false
		}
		for _, v := range vv {
			if strings.ContainsAny(v, "\r\n\x00") {
				return false
			}
		}
	}
	return true
}

// validFieldName reports whether k is an RFC 9110 token.
func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// RoundTrip implements http.RoundTripper.
func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !direct(req) {
		return guardedRoundTrip(t.fallback, t.strays, req)
	}
	if t.strays.mustClose(req) {
		req = closing(req)
	}
	key := canonicalAddr(req.URL)
	for {
		c, reused, err := t.get(req.Context(), key)
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(req, c)
		if err == nil {
			return resp, nil
		}
		c.conn.Close()
		var nothing *nothingReadError
		if reused && errors.As(err, &nothing) && req.Context().Err() == nil {
			// The upstream closed the idle connection as it was
			// reused: once more on a new one.
			continue
		}
		var ne *nothingReadError
		if errors.As(err, &ne) {
			err = ne.err
		}
		return nil, err
	}
}

// nothingReadError is a failure before any byte of the answer arrived.
type nothingReadError struct{ err error }

func (e *nothingReadError) Error() string { return e.err.Error() }
func (e *nothingReadError) Unwrap() error { return e.err }

// aLongTimeAgo is a deadline in the past, which makes blocked reads and
// writes return at once.
var aLongTimeAgo = time.Unix(1, 0)

// exchange writes req on c and reads the answer's headers.
func (t *h1Transport) exchange(req *http.Request, c *h1Conn) (*http.Response, error) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(aLongTimeAgo) })
	fail := func(err error) error {
		if !stop() && ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	if err := req.Write(c.bw); err != nil {
		return nil, fail(&nothingReadError{err})
	}
	if err := c.bw.Flush(); err != nil {
		return nil, fail(&nothingReadError{err})
	}
	if t.responseHeader > 0 {
		c.conn.SetReadDeadline(time.Now().Add(t.responseHeader))
	}
	trace := httptrace.ContextClientTrace(ctx)
	var resp *http.Response
	for {
		if _, err := c.br.Peek(1); err != nil {
			return nil, fail(&nothingReadError{timeoutError(err)})
		}
		var err error
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			return nil, fail(timeoutError(err))
		}
		if resp.StatusCode >= 200 {
			break
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, fail(errors.New("gateway: upstream switched protocols unasked"))
		}
		// 1xx: passed on, then the next answer.
		if trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(resp.StatusCode, textproto.MIMEHeader(resp.Header)); err != nil {
				return nil, fail(err)
			}
		}
	}
	if t.responseHeader > 0 {
		c.conn.SetReadDeadline(time.Time{})
	}
	keep := !resp.Close && !req.Close
	if resp.Body == http.NoBody {
		keep = keep && !announcesForbiddenBody(resp)
		if !stop() {
			c.conn.Close()
			return resp, nil
		}
		t.done(c, keep)
		return resp, nil
	}
	resp.Body = &h1Body{rc: resp.Body, t: t, c: c, keep: keep, stop: stop}
	return resp, nil
}

// timeoutError makes a deadline that ran out read as the header timeout.
func timeoutError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &headerTimeoutError{err}
	}
	return err
}

type headerTimeoutError struct{ err error }

func (e *headerTimeoutError) Error() string {
	return "gateway: timeout awaiting response headers: " + e.err.Error()
}
func (e *headerTimeoutError) Unwrap() error { return e.err }
func (e *headerTimeoutError) Timeout() bool { return true }
func (e *headerTimeoutError) Temporary() bool {
	return true
}

// h1Body is an answer's body: at its end the connection goes back to the
// pool; closed before its end, the connection is closed (never drained:
// the body may be long).
type h1Body struct {
	rc   io.ReadCloser
	t    *h1Transport
	c    *h1Conn
	keep bool
	stop func() bool
	mu   sync.Mutex
	done bool // the connection is released
	eof  bool // the body was read to its end
}

func (b *h1Body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eof {
		return 0, io.EOF
	}
	if b.done {
		return 0, errBodyClosed
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.done, b.eof = true, true
		if b.stop() {
			b.t.done(b.c, b.keep)
		} else {
			b.c.conn.Close()
		}
		return n, io.EOF
	}
	if err != nil {
		b.done = true
		b.stop()
		b.c.conn.Close()
	}
	return n, err
}

var errBodyClosed = errors.New("gateway: read on a closed upstream body")

func (b *h1Body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		b.done = true
		b.stop()
		b.c.conn.Close()
	}
	return nil
}

// get returns an idle connection to key, or a new one.
func (t *h1Transport) get(ctx context.Context, key string) (*h1Conn, bool, error) {
	for c := t.takeIdle(key); c != nil; c = t.takeIdle(key) {
		// Looked at now, not when the last answer ended: bytes past it
		// may have come since, and so may the upstream's close.
		switch c.probe.look() {
		case peekNothing:
			return c, true, nil
		case peekStray:
			t.sawStray(key)
		}
		c.conn.Close()
	}
	conn, err := t.dial(ctx, "tcp", key)
	if err != nil {
		return nil, false, err
	}
	c := &h1Conn{conn: conn, br: bufio.NewReaderSize(conn, 4<<10), bw: bufio.NewWriterSize(conn, 4<<10), key: key}
	c.probe.init(conn)
	return c, false, nil
}

// takeIdle takes the most recent idle connection to key that is not too
// old, or returns nil.
func (t *h1Transport) takeIdle(key string) *h1Conn {
	now := t.nowForTs()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.strays.has(key) {
		return nil
	}
	for l := t.idle[key]; len(l) > 0; l = t.idle[key] {
		c := l[len(l)-1]
		l[len(l)-1] = nil
		t.idle[key] = l[:len(l)-1]
		if t.idleTimeout > 0 && now.Sub(c.idleFrom) > t.idleTimeout {
			c.conn.Close()
			continue
		}
		return c
	}
	return nil
}

// done ends an exchange on c: back to the pool if keep, else closed.
// Bytes already read past the answer close it here; those still in the
// kernel, or still to come, are looked for when it is taken again (get).
func (t *h1Transport) done(c *h1Conn, keep bool) {
	if n := c.br.Buffered(); !keep || n > 0 {
		if keep {
			// Bytes past the answer: the upstream broke the
			// protocol.
			if b, _ := c.br.Peek(n); strayOrFarewell(b) == peekStray {
				t.sawStray(c.key)
			}
		}
		c.conn.Close()
		return
	}
	c.idleFrom = t.nowForTs()
	t.mu.Lock()
	if t.closed || t.strays.has(c.key) || len(t.idle[c.key]) >= t.maxIdlePerHost {
		t.mu.Unlock()
		c.conn.Close()
		return
	}
	t.idle[c.key] = append(t.idle[c.key], c)
	if !t.reaping && t.idleTimeout > 0 {
		t.reaping = true
		time.AfterFunc(t.idleTimeout, t.reap)
	}
	t.mu.Unlock()
}

// sawStray records that the upstream at key sent bytes past an answer
// (strayUpstreams) and closes its idle connections.
func (t *h1Transport) sawStray(key string) {
	t.strays.add(key)
	t.mu.Lock()
	idle := t.idle[key]
	delete(t.idle, key)
	t.mu.Unlock()
	for _, c := range idle {
		c.conn.Close()
	}
}

// reap closes the connections idle too long; it runs again while any
// remain.
func (t *h1Transport) reap() {
	now := t.nowForTs()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for key, l := range t.idle {
		keep := l[:0]
		for _, c := range l {
			if now.Sub(c.idleFrom) > t.idleTimeout {
				c.conn.Close()
				continue
			}
			keep = append(keep, c)
		}
		clear(l[len(keep):])
		if len(keep) == 0 {
			delete(t.idle, key)
			continue
		}
		t.idle[key] = keep
		n += len(keep)
	}
	t.reaping = n > 0 && !t.closed
	if t.reaping {
		time.AfterFunc(t.idleTimeout/2, t.reap)
	}
}

// CloseIdleConnections closes the idle connections of both paths.
func (t *h1Transport) CloseIdleConnections() {
	t.mu.Lock()
	for key, l := range t.idle {
		for _, c := range l {
			c.conn.Close()
		}
		delete(t.idle, key)
	}
	t.mu.Unlock()
	t.fallback.CloseIdleConnections()
}

// close closes the idle connections and keeps none from now on.
func (t *h1Transport) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.CloseIdleConnections()
}

// canonicalAddr is u's host:port, port 80 (443 for https) when none is
// given: net/http's Transport dials the same.
func canonicalAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host // already host:port, and no allocation
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
