package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// Errors of this package, wrapped with %w: test with errors.Is. What a
// client is answered for each is [ErrorOf]'s choice. A store that cannot
// be reached fails with [store.ErrUnavailable].
var (
	// ErrTokenMalformed: the value is not a token of this format (bad
	// encoding, wrong length, unknown version, padding, line breaks).
	ErrTokenMalformed = envelope.ErrTokenMalformed
	// ErrTokenInvalid: the token does not authenticate: tampered, made with
	// a key that is no longer configured, or made for another purpose.
	ErrTokenInvalid = envelope.ErrTokenInvalid
	// ErrTokenExpired: the token authenticated but its expiry has passed.
	ErrTokenExpired = envelope.ErrTokenExpired
	// ErrTokenRevoked: the token authenticated but its id, or its subject's
	// tokens, were revoked.
	ErrTokenRevoked = errors.New("auth: token revoked")
	// ErrNoIdentity: the request carries no session and no bearer token,
	// or the operation needs a caller and was given a guest (401).
	ErrNoIdentity = errors.New("auth: no identity")
	// ErrForbidden: the caller lacks the capability the operation needs
	// (403).
	ErrForbidden = errors.New("auth: forbidden")
	// ErrBadRequest: the request is malformed, e.g. a service account
	// name without "@service" (400).
	ErrBadRequest = errors.New("auth: bad request")
	// ErrNoLogin: the app has no browser login (see [Config.NoLogin]). The
	// login routes answer it with 404.
	ErrNoLogin = errors.New("auth: this app has no browser login")
	// ErrNotConfirmed: the identity provider could not confirm a user
	// token's holder for longer than recheck_grace (it could not be
	// reached).
	ErrNotConfirmed = errors.New("auth: the identity provider could not confirm the user")
)

// Error is an error answered over HTTP: Status and the public Msg are
// what the client gets (as JSON {"detail": Msg}, a page, or, at the token
// endpoint, {"error": Code, "error_description": Msg}); Err is the
// private cause, for the log. RetryAfter, when positive, is sent as
// Retry-After; Code is the OAuth 2.0 error code of the token endpoint
// (the OAuth* constants) or of a Bearer challenge; Scope is the scope
// that an insufficient_scope refusal needs.
//
// The Manager's methods that refuse a request (login, tokens, capability
// management) return *Error values; test them with errors.Is:
// [ErrBadRequest] (400), [ErrNoIdentity] (401), [ErrForbidden] (403),
// [ErrNoLogin] (404). Those of a token endpoint say their OAuth error
// in Code. [ErrorOf] turns any error into an *Error.
type Error = respond.Error

// storeRetryAfter is the Retry-After of an answer refused because a store
// is unavailable: long enough for a reconnection, short enough that a
// client does not give up.
const storeRetryAfter = 5 * time.Second

// Codes of Bearer challenges (RFC 6750 §3.1).
const (
	codeInvalidToken      = respond.CodeInvalidToken
	codeInsufficientScope = respond.CodeInsufficientScope
)

// ErrorOf returns how a request that failed with err is answered, nil for
// a nil err. It is the one mapping the middleware, the routes of package
// handlers and the gateway use:
//
//   - a store that is unavailable or closed ([store.ErrUnavailable],
//     [store.ErrClosed]): 503 temporarily_unavailable with
//     Retry-After, whatever else err says;
//   - an *Error: itself (the same value: do not change it);
//   - a cancelled or timed-out request: 503 temporarily_unavailable;
//   - an unknown capability: 400; a delegation refused: 403 naming the
//     missing capabilities;
//   - a malformed, invalid, expired or revoked token, or one whose user
//     the identity provider could not confirm ([ErrNotConfirmed]): 401
//     with the invalid_token challenge; [ErrNoIdentity]: 401;
//     [ErrForbidden]: 403; [ErrBadRequest]: 400;
//   - anything else: 500 "internal error" (its text is never public).
func ErrorOf(err error) *Error {
	var e *Error
	var unknown *capabilities.UnknownCapabilityError
	var deleg *capabilities.DelegationError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed):
		return &Error{Status: http.StatusServiceUnavailable, Msg: "the store is unavailable; try again shortly",
			Err: err, RetryAfter: storeRetryAfter, Code: respond.CodeTemporarilyUnavailable}
	case errors.As(err, &e):
		return e
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Msg: "the request was cancelled or timed out", Err: err, Code: respond.CodeTemporarilyUnavailable}
	case errors.As(err, &unknown):
		return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("unknown capability %q", unknown.Name), Err: err}
	case errors.As(err, &deleg):
		return &Error{Status: http.StatusForbidden, Err: err,
			Msg: fmt.Sprintf("you may only grant or remove capabilities you hold; missing: %v", deleg.Missing)}
	case errors.Is(err, ErrTokenExpired):
		return tokenError("token expired", err)
	case errors.Is(err, ErrTokenRevoked):
		return tokenError("token revoked", err)
	case errors.Is(err, ErrTokenMalformed), errors.Is(err, ErrTokenInvalid):
		return tokenError("invalid token", err)
	case errors.Is(err, ErrNotConfirmed):
		return tokenError("the identity provider could not confirm the user; log in again", err)
	case errors.Is(err, ErrNoIdentity):
		return &Error{Status: http.StatusUnauthorized, Msg: "not authenticated", Err: err}
	case errors.Is(err, ErrForbidden):
		return &Error{Status: http.StatusForbidden, Msg: "forbidden", Err: err}
	case errors.Is(err, ErrBadRequest):
		return &Error{Status: http.StatusBadRequest, Msg: "bad request", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Msg: "internal error", Err: err}
}

// tokenError is the 401 of a credential that does not hold: RFC 6750's
// invalid_token.
func tokenError(msg string, err error) *Error {
	return &Error{Status: http.StatusUnauthorized, Msg: msg, Code: codeInvalidToken, Err: err}
}

func badRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: msg, Err: ErrBadRequest}
}

func forbidden(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Msg: msg, Err: ErrForbidden}
}

func unauthenticated() *Error {
	return &Error{Status: http.StatusUnauthorized, Msg: "not authenticated", Err: ErrNoIdentity}
}

// loginBad is a login refused as the request's or the provider's fault.
func loginBad(msg string, err error) *Error {
	cause := ErrBadRequest
	if err != nil {
		cause = fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return &Error{Status: http.StatusBadRequest, Msg: msg, Err: cause}
}

// loginUnavailable is a login that failed at the identity provider.
func loginUnavailable(msg string, err error) *Error {
	return &Error{Status: http.StatusBadGateway, Msg: msg, Err: err}
}
