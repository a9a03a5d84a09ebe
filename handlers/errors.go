package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// publicError maps an error to the status and public message the client
// gets; the original error stays as the private cause, for the log. Errors
// of this package (*respond.Error) keep theirs; the Manager's are mapped by
// [auth.StatusOf] (400 bad request or unknown capability, 401, 403
// forbidden or delegation refused, 502 identity provider down, else 500).
func publicError(err error) *respond.Error {
	var re *respond.Error
	switch {
	case errors.As(err, &re):
		return re
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return respond.NewError(http.StatusServiceUnavailable, "the request was cancelled or timed out", err)
	}
	code, msg := auth.StatusOf(err)
	e := respond.NewError(code, msg, err)
	var le *auth.LoginError
	if errors.As(err, &le) {
		e.RetryAfter = le.RetryAfter
	}
	return e
}

// isTokenError reports whether err says the presented credential itself is
// bad, which RFC 6750 §3.1 signals with error="invalid_token".
func isTokenError(err error) bool {
	return errors.Is(err, auth.ErrTokenExpired) || errors.Is(err, auth.ErrTokenRevoked) ||
		errors.Is(err, auth.ErrTokenMalformed) || errors.Is(err, auth.ErrTokenInvalid) ||
		errors.Is(err, auth.ErrNotConfirmed)
}

// fail writes err as JSON {"detail": msg} and logs the cause. A 401 carries
// the WWW-Authenticate challenge that RFC 6750 asks for.
func (h *routes) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := publicError(err)
	if e.Code == http.StatusUnauthorized {
		if isTokenError(err) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		} else {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
	}
	respond.JSONError(w, r, h.m.Logger(), e)
}

// failPage writes err as an HTML page, for the routes a browser visits.
func (h *routes) failPage(w http.ResponseWriter, r *http.Request, err error) {
	respond.PageError(w, r, h.m.Logger(), publicError(err))
}

// identify returns the caller's identity; a guest when the request carries
// no credential. A bad bearer token is an error (401), never a guest.
func (h *routes) identify(r *http.Request) (*auth.Identity, error) {
	return h.m.Identify(r)
}

// requireIdentity is identify refusing guests with auth.ErrNoIdentity.
func (h *routes) requireIdentity(r *http.Request) (*auth.Identity, error) {
	id, err := h.identify(r)
	if err != nil {
		return nil, err
	}
	if id.IsGuest() {
		return nil, auth.ErrNoIdentity
	}
	return id, nil
}
