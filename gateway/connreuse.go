package gateway

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/textproto"
	"sync"
	"sync/atomic"
)

// An upstream connection carries one answer after another. An upstream
// that sends bytes past the end of an answer (a HEAD answered with a
// body, a body longer than its Content-Length) has them read as the
// answer to the next request on that connection, which may be another
// client's: a page planted by one client served to the next. The rules
// here keep such a connection from carrying another request.

// closing returns req, or a copy that asks the upstream to close the
// connection after its answer (the caller's request is not changed).
func closing(req *http.Request) *http.Request {
	if req.Close {
		return req
	}
	r := req.WithContext(req.Context()) // a shallow copy
	r.Close = true
	return r
}

// announcesForbiddenBody reports whether resp, an answer that has no
// body by rule (204, 304), announces one (a Content-Length other than 0,
// or a Transfer-Encoding): the mark of an app that sends a body with it,
// which would follow the answer on the connection.
func announcesForbiddenBody(resp *http.Response) bool {
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
		return false
	}
	if len(resp.TransferEncoding) > 0 {
		return true
	}
	for _, v := range resp.Header["Content-Length"] {
		if textproto.TrimString(v) != "0" {
			return true
		}
	}
	return false
}

// peekResult is what waits on an idle connection.
type peekResult int

const (
	peekUnknown peekResult = iota // cannot look here
	peekNothing                   // nothing: it may carry a request
	peekStray                     // bytes nobody asked for
	peekGone                      // the end: closed, reset, or a 408 before the close
)

// strayOrFarewell classifies bytes found on an idle connection: a 408
// (a server that closes an idle connection may say so first, as net/http
// also allows) is a farewell, anything else is stray.
func strayOrFarewell(b []byte) peekResult {
	const farewell = "HTTP/1.1 408"
	if len(b) >= len(farewell) && bytes.HasPrefix(b, []byte("HTTP/1.")) && string(b[8:len(farewell)]) == " 408" {
		return peekGone
	}
	return peekStray
}

// strayUpstreams remembers the upstreams (host:port) that sent bytes past
// an answer. Their connections then carry one request each: bytes that
// come after an answer, later than any look at the connection, would be
// read as the next request's answer, and an upstream that sent some once
// may send them late the next time.
type strayUpstreams struct {
	log *slog.Logger // hears of each upstream once; may be nil
	any atomic.Bool  // some upstream is in set: the common case costs one load
	mu  sync.Mutex
	set map[string]bool
}

func newStrayUpstreams(log *slog.Logger) *strayUpstreams {
	return &strayUpstreams{log: log, set: make(map[string]bool)}
}

// add records that the upstream at key sent bytes past an answer.
func (s *strayUpstreams) add(key string) {
	s.mu.Lock()
	first := !s.set[key]
	s.set[key] = true
	s.any.Store(true)
	s.mu.Unlock()
	if first && s.log != nil {
		s.log.Warn("gateway: the upstream sent bytes past the end of an answer; its connections are no longer reused", "upstream", key)
	}
}

// mustClose reports whether req must go on a connection that ends with
// its answer: a HEAD, or a request to an upstream in s. Apps that answer
// HEAD as GET (Python's do_HEAD = do_GET) send the body after the
// headers, at a moment no look at the connection can wait for; on a
// connection that ends with the answer nobody reads it. HEAD is rare: a
// new connection each costs little.
func (s *strayUpstreams) mustClose(req *http.Request) bool {
	return req.Method == http.MethodHead || s.any.Load() && s.has(canonicalAddr(req.URL))
}

// has reports whether the upstream at key sent bytes past an answer.
func (s *strayUpstreams) has(key string) bool {
	if !s.any.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set[key]
}
