package handlers

import (
	"net/http"
)

// logout ends the session (GET or POST /logout?next=/path) and sends the
// browser to next, or "/" when next is missing or not a safe local path.
// GET is kept for easy-oauth's links; the session cookie is SameSite, so a
// cross-site page cannot log a user out through a sub-request.
func (h *routes) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.m.Logout(w, r); err != nil {
		h.failPage(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, localNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}
