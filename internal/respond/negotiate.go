package respond

import (
	"net/http"
	"strings"
)

// WantsHTML reports whether r is a browser navigation: a GET or HEAD that
// accepts text/html. Such a request gets a page; anything else gets JSON.
func WantsHTML(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
