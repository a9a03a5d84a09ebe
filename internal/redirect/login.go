package redirect

import (
	"net/http"
	"net/url"
)

// ToLogin sends a browser to the login route at loginPath with a 302 Found
// that is not cached. next, the request to come back to (such as
// r.URL.RequestURI()), is passed on when it is a [LocalPath] and replaced
// with "/" otherwise, as the login route would; offline asks the login
// for a refresh token (offline_token=true).
func ToLogin(w http.ResponseWriter, r *http.Request, loginPath, next string, offline bool) {
	if _, ok := LocalPath(next); !ok {
		next = "/"
	}
	q := url.Values{"next": {next}}
	if offline {
		q.Set("offline_token", "true")
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, loginPath+"?"+q.Encode(), http.StatusFound)
}
