package handlers

import (
	"net/http"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// fail answers an API route's error as JSON {"detail": msg}, with the
// status, challenge and Retry-After that [auth.ErrorOf] gives it, and logs
// the cause.
func (h *routes) fail(w http.ResponseWriter, r *http.Request, err error) {
	respond.Fail(w, r, h.m.Config().Logger, auth.ErrorOf(err), respond.AsJSON)
}

// failPage answers the error of a route a browser visits as an HTML page.
func (h *routes) failPage(w http.ResponseWriter, r *http.Request, err error) {
	respond.Fail(w, r, h.m.Config().Logger, auth.ErrorOf(err), respond.AsPage)
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
