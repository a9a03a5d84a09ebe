package handlers

import (
	"net/http"
	"net/url"

	"github.com/oauthgate/oauthgate/internal/respond"
)

// logout ends the session (GET or POST /logout?next=/path) and sends the
// browser to next, or "/" when next is missing or not a safe local path.
// GET is kept for easy-oauth's links. A request from a page of another
// origin ([auth.Manager.CrossOrigin]) ends nothing: a GET, which a link
// or a redirect on any site can make, gets a page whose button posts the
// logout from the app's own origin; a POST is refused (403).
func (h *routes) logout(w http.ResponseWriter, r *http.Request) {
	next := localNext(r.URL.Query().Get("next"))
	if h.m.CrossOrigin(r) {
		if r.Method == http.MethodPost {
			h.failPage(w, r, crossOriginError(r))
			return
		}
		respond.ConfirmPage(w, http.StatusOK, "Log out?",
			"Another site sent you here to log you out. Press the button to log out; otherwise close this page.",
			h.m.Config().Prefix+"/logout?"+url.Values{"next": {next}}.Encode(), "Log out")
		return
	}
	if err := h.m.Login().Logout(w, r); err != nil {
		h.failPage(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusSeeOther)
}
