// Package respond writes HTTP error responses: JSON `{"detail": msg}` for
// API routes and a small escaped HTML page for browser routes. The client
// sees only the public message; the private cause goes to the log.
package respond

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is an HTTP error with a public message and a private cause.
// Msg is sent to the client; Err is logged and never sent.
type Error struct {
	Code int    // HTTP status code; 0 means 500
	Msg  string // public message; empty means the status text
	Err  error  // private cause, may be nil
	// RetryAfter, when positive, is sent as Retry-After (429, 503).
	RetryAfter time.Duration
}

// NewError returns an *Error with the given status, public message and
// private cause.
func NewError(code int, msg string, err error) *Error {
	return &Error{Code: code, Msg: msg, Err: err}
}

// Error describes the error for logs, cause included.
func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("respond: %d: %s", e.status(), e.public())
	}
	return fmt.Sprintf("respond: %d: %s: %v", e.status(), e.public(), e.Err)
}

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) status() int {
	if e.Code < 100 || e.Code > 999 {
		return http.StatusInternalServerError
	}
	return e.Code
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

// SetRetryAfter sets the Retry-After header to d in whole seconds,
// rounded up (at least 1); it does nothing when d is not positive.
func SetRetryAfter(h http.Header, d time.Duration) {
	if d <= 0 {
		return
	}
	h.Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
}

// retryAfter sets Retry-After from the first *Error in err's chain.
func retryAfter(h http.Header, err error) {
	var e *Error
	if errors.As(err, &e) {
		SetRetryAfter(h, e.RetryAfter)
	}
}

// Public returns the status code and public message to send for err: those
// of the first *Error in its chain, or 500 "Internal Server Error" for any
// other error, so an unexpected error never leaks its text.
func Public(err error) (code int, msg string) {
	var e *Error
	if errors.As(err, &e) {
		return e.status(), e.public()
	}
	return http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)
}
