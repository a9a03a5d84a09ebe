package handlers

import (
	"fmt"
	"net/http"

	"github.com/oauthgate/oauthgate/internal/respond"
)

// sameOrigin guards a route that changes state on the strength of the
// caller's credential: a request from a page of another origin
// ([auth.Manager.CrossOrigin]) is refused with 403 before anything is read
// or changed. Bearer tokens and clients that send neither Origin nor
// Sec-Fetch-Site pass.
func (h *routes) sameOrigin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.m.CrossOrigin(r) {
			h.fail(w, r, crossOriginError(r))
			return
		}
		next(w, r)
	}
}

// crossOriginError is the 403 of a request from a page of another origin;
// the log gets what the browser said.
func crossOriginError(r *http.Request) error {
	return respond.NewError(http.StatusForbidden,
		"refused: this request comes from a page of another origin; send it from the app's own pages or with a bearer token",
		fmt.Errorf("handlers: cross-origin %s %s (Origin %q, Sec-Fetch-Site %q)",
			r.Method, r.URL.Path, r.Header.Values("Origin"), r.Header.Values("Sec-Fetch-Site")))
}
