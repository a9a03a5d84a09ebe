package gateway

import (
	"net/http"
	"strings"
	"time"
)

// Observer receives what the gateway does, for metrics and access logs.
// Its methods are called concurrently and must be quick; they must not
// keep the values after returning. Embed [NopObserver] to implement only
// some of them.
type Observer interface {
	// Request is called once per request, when its answer is written.
	Request(RequestInfo)
	// IdPRequest is called after each request to an identity provider
	// (discovery, keys, token exchange, refresh), with the answer's status
	// (0 when err is set) and how long it took.
	IdPRequest(host string, status int, d time.Duration, err error)
}

// NopObserver does nothing.
type NopObserver struct{}

// Request does nothing.
func (NopObserver) Request(RequestInfo) {}

// IdPRequest does nothing.
func (NopObserver) IdPRequest(string, int, time.Duration, error) {}

// Route classes of [RequestInfo.Route].
const (
	RouteUpstream = "upstream" // proxied to an upstream (or refused)
	RouteCheck    = "check"    // {prefix}/check, forward-auth
	RouteAuth     = "auth"     // the login, token, logout and manage routes
	RouteJWKS     = "jwks"     // {prefix}/.well-known/upstream-jwks.json
	RouteHealth   = "health"   // health_path and ready_path
	RouteNone     = "none"     // no route matched (404, 405)
)

// Decisions of [RequestInfo.Decision]: what the access rule said.
const (
	DecisionAllow           = "allow"
	DecisionUnauthenticated = "unauthenticated" // no identity: 401
	DecisionLoginRedirect   = "login_redirect"  // no identity: 302 to login
	DecisionForbidden       = "forbidden"       // identity without the capability: 403
	DecisionInvalidToken    = "invalid_token"   // a bad bearer token: 401
	DecisionError           = "error"           // the identity could not be checked (a store failed): 503 or 500
)

// RequestInfo describes one finished request. It never holds a token, a
// cookie or a query string.
type RequestInfo struct {
	// Route is the route class: RouteUpstream, RouteCheck...
	Route string
	// Upstream is the path_prefix of the upstream (RouteUpstream only).
	Upstream string
	// Method and Path are the request's, without the query.
	Method, Path string
	// Client is the client's address: the TCP peer, or the first
	// untrusted address of X-Forwarded-For when the peer is a trusted
	// proxy.
	Client string
	// Status is the answer's status code.
	Status int
	// Bytes is the size of the answer's body as written.
	Bytes int64
	// Duration is from the request's arrival to the end of the answer.
	Duration time.Duration
	// Decision is the access rule's outcome on RouteUpstream and
	// RouteCheck: DecisionAllow, DecisionForbidden...; "" elsewhere.
	Decision string
	// Identity is the identity's String() ("guest", "user:a@b.c",
	// "service:x@service", "client:sub") when the rule let it through;
	// "" otherwise.
	Identity string
	// Bearer reports that the request carried a bearer token, so that a
	// decision other than DecisionInvalidToken means it was verified.
	Bearer bool
}

// recorder captures the status and size of an answer and the decision of
// the access rule. It unwraps for http.ResponseController, so flushes
// pass through; WebSocket hijacks pass through its Hijack, which tracks
// them for [Gateway.Drain].
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	decision string
	identity string
	upgrades *upgrades
	upgrade  *upgrade // the hijacked connection, tracked until the handler returns
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush flushes the underlying writer when it can.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap returns the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// allow marks the request as let through by its access rule.
func allow(w http.ResponseWriter, identity string) {
	if rec, ok := w.(*recorder); ok {
		rec.decision, rec.identity = DecisionAllow, identity
	}
}

// decide returns the decision of a request that the rule did not let
// through, from its answer.
func (r *recorder) decide(hdr http.Header) string {
	if r.decision != "" {
		return r.decision
	}
	switch r.status {
	case http.StatusFound:
		return DecisionLoginRedirect
	case http.StatusForbidden:
		return DecisionForbidden
	case http.StatusUnauthorized:
		if strings.Contains(hdr.Get("WWW-Authenticate"), "invalid_token") {
			return DecisionInvalidToken
		}
		return DecisionUnauthenticated
	case 0:
		return ""
	}
	return DecisionError
}
