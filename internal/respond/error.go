// Package respond writes the module's HTTP answers: success bodies as
// JSON, and errors ([Error], written by [Fail]) as JSON `{"detail": msg}`
// for API routes, a small escaped HTML page for browser routes, or an
// OAuth 2.0 error (RFC 6749 §5.2) for the token endpoint, each with the
// WWW-Authenticate challenge and Retry-After it calls for. The client sees
// only the public message; the private cause goes to the log.
package respond

import (
	"fmt"
	"net/http"
	"time"
)

// Error is an HTTP error: what the client is told (Status, Msg, Code,
// Scope, RetryAfter) and the private cause (Err), which only the log sees.
type Error struct {
	// Status is the HTTP status code; 0 means 500.
	Status int
	// Msg is the public message; empty means the status text.
	Msg string
	// Err is the private cause, for the log; it is never sent.
	Err error
	// RetryAfter, when positive, is sent as Retry-After, in whole seconds
	// rounded up (429, 503).
	RetryAfter time.Duration
	// Code is an OAuth 2.0 error code: the "error" of a token endpoint's
	// answer (RFC 6749 §5.2) or of a Bearer challenge (RFC 6750 §3.1),
	// such as "invalid_client" or "invalid_token". Empty: the token
	// endpoint's answer derives one from Status, and a 401 gets a Bearer
	// challenge without error.
	Code string
	// Scope is the scope an "insufficient_scope" refusal needs: sent in
	// the challenge and as "required_scope" in the JSON body.
	Scope string
	// Links, written as a page only, offer the reader a way on: the home
	// page, logging in as someone else.
	Links []Link
}

// NewError returns an *Error with the given status, public message and
// private cause.
func NewError(status int, msg string, err error) *Error {
	return &Error{Status: status, Msg: msg, Err: err}
}

// Error describes the error for logs: status, public message and cause.
func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%d %s", e.status(), e.public())
	}
	return fmt.Sprintf("%d %s: %v", e.status(), e.public(), e.Err)
}

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) status() int {
	if e.Status < 100 || e.Status > 999 {
		return http.StatusInternalServerError
	}
	return e.Status
}

func (e *Error) public() string {
	if e.Msg != "" {
		return e.Msg
	}
	if t := http.StatusText(e.status()); t != "" {
		return t
	}
	return "error"
}
