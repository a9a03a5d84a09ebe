package handlers

import (
	"net/http"
	"strconv"

	"github.com/oauthgate/oauthgate/internal/redirect"
)

// login starts a login: GET /login?next=/path&offline_token=true. A next
// that is not a safe local path is replaced with "/" rather than refused,
// so a stale or mangled link still lets the person log in.
func (h *routes) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offline := false
	if v := q.Get("offline_token"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			h.failPage(w, r, badRequest("offline_token must be true or false", err))
			return
		}
		offline = b
	}
	if err := h.m.Login().Start(w, r, localNext(q.Get("next")), offline); err != nil {
		h.failPage(w, r, err)
	}
}

// callback finishes a login at the identity provider's redirect (GET /auth)
// and sends the browser on with 303 See Other.
func (h *routes) callback(w http.ResponseWriter, r *http.Request) {
	next, err := h.m.Login().Finish(w, r)
	if err != nil {
		h.failPage(w, r, err)
		return
	}
	// Login.Finish returns what /login stored; checking again costs nothing.
	http.Redirect(w, r, localNext(next), http.StatusSeeOther)
}

// localNext returns next when it is a safe local path, "/" otherwise.
func localNext(next string) string {
	if p, ok := redirect.LocalPath(next); ok {
		return p
	}
	return "/"
}
