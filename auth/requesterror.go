package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
)

// Errors of the management and token methods, matched with errors.Is. The
// errors returned are *RequestError values carrying a public message.
var (
	// ErrForbidden: the caller lacks the capability the operation needs
	// (403).
	ErrForbidden = errors.New("auth: forbidden")
	// ErrBadRequest: the request is malformed, e.g. a service account
	// name without "@service" (400).
	ErrBadRequest = errors.New("auth: bad request")
)

// RequestError is a refused operation: Status is the HTTP status to answer
// (400, 401 or 403), Msg the public message, Err the private cause.
// errors.Is matches it to [ErrBadRequest], [ErrNoIdentity] or
// [ErrForbidden] by its status.
type RequestError struct {
	Status int
	Msg    string
	Err    error
}

func (e *RequestError) Error() string {
	s := fmt.Sprintf("auth: %s", e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the private cause.
func (e *RequestError) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's status.
func (e *RequestError) Is(target error) bool {
	switch e.Status {
	case http.StatusBadRequest:
		return target == ErrBadRequest
	case http.StatusUnauthorized:
		return target == ErrNoIdentity
	case http.StatusForbidden:
		return target == ErrForbidden
	}
	return false
}

func badRequest(msg string) error { return &RequestError{Status: http.StatusBadRequest, Msg: msg} }

func forbidden(msg string) error { return &RequestError{Status: http.StatusForbidden, Msg: msg} }

func unauthenticated() error {
	return &RequestError{Status: http.StatusUnauthorized, Msg: "not authenticated"}
}

// StatusOf returns the HTTP status and public message for an error of this
// package: a [*RequestError] or [*LoginError] gives its own; an unknown
// capability 400; a delegation refusal 403 naming the missing
// capabilities; a bad, expired or revoked token, or one whose user the identity
// provider could not confirm, 401; anything else 500
// "internal error" (its text is never public).
func StatusOf(err error) (status int, msg string) {
	var re *RequestError
	var le *LoginError
	var unknown *capabilities.UnknownCapabilityError
	var deleg *capabilities.DelegationError
	switch {
	case err == nil:
		return http.StatusOK, ""
	case errors.As(err, &re):
		return re.Status, re.Msg
	case errors.As(err, &le):
		return le.Status, le.Msg
	case errors.As(err, &unknown):
		return http.StatusBadRequest, fmt.Sprintf("unknown capability %q", unknown.Name)
	case errors.As(err, &deleg):
		return http.StatusForbidden, fmt.Sprintf("you may only grant or remove capabilities you hold; missing: %v", deleg.Missing)
	case errors.Is(err, ErrTokenExpired):
		return http.StatusUnauthorized, "token expired"
	case errors.Is(err, ErrTokenRevoked):
		return http.StatusUnauthorized, "token revoked"
	case errors.Is(err, ErrTokenMalformed), errors.Is(err, ErrTokenInvalid):
		return http.StatusUnauthorized, "invalid token"
	case errors.Is(err, ErrNotConfirmed):
		return http.StatusUnauthorized, "the identity provider could not confirm the user; log in again"
	case errors.Is(err, ErrNoIdentity):
		return http.StatusUnauthorized, "not authenticated"
	case errors.Is(err, capabilities.ErrUnavailable):
		return http.StatusServiceUnavailable, "the capability store is unavailable; try again shortly"
	}
	return http.StatusInternalServerError, "internal error"
}

// LoginError is an error of the login flow ([Manager.StartLogin],
// [Manager.FinishLogin]). Status is 400 (the request or the identity
// provider's answer is not acceptable), 404 (no browser login:
// [ErrNoLogin]), 429 (too many logins started from the client's address)
// or 502 (the identity provider cannot be reached or failed); Msg is safe
// to show; Err is the private cause, for logs. RetryAfter, when positive,
// is how long to wait before trying again (the Retry-After header).
type LoginError struct {
	Status     int
	Msg        string
	Err        error
	RetryAfter time.Duration
}

func (e *LoginError) Error() string {
	s := "auth: login: " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the private cause.
func (e *LoginError) Unwrap() error { return e.Err }

func loginBad(msg string, err error) *LoginError {
	return &LoginError{Status: http.StatusBadRequest, Msg: msg, Err: err}
}

func loginUnavailable(msg string, err error) *LoginError {
	return &LoginError{Status: http.StatusBadGateway, Msg: msg, Err: err}
}
