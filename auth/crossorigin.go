package auth

import (
	"net/http"
	"net/url"
	"strings"
)

// CrossOrigin reports whether r was sent by a page of another origin than
// the app's, and would be authorised by the browser's session cookie (it
// carries no bearer token). Such a request must not change anything: the
// session cookie (SameSite=Lax) still comes with a top-level navigation
// from another site, and with every request from a sibling subdomain, which
// is the same site but may serve someone else's pages.
//
// The browser says where a request comes from in two headers that no page
// can set: Sec-Fetch-Site and Origin. r is cross-origin when either says
// so: Sec-Fetch-Site other than "same-origin" or "none" (the user typed the
// address), or an Origin other than the app's own (scheme, host and port
// of base_url; without base_url, the request's Host over http, or https
// when r came over TLS). A request with neither header (scripts, command
// line clients, older browsers) is not cross-origin, nor is one with an
// `Authorization: Bearer` header, which a page of another origin cannot
// make the browser send.
func (m *Manager) CrossOrigin(r *http.Request) bool {
	if a, ok := r.Header["Authorization"]; ok && isBearer(a) {
		return false
	}
	if site, ok := r.Header["Sec-Fetch-Site"]; ok && (len(site) != 1 || site[0] != "same-origin" && site[0] != "none") {
		return true
	}
	origin, ok := r.Header["Origin"]
	if !ok {
		return false
	}
	return len(origin) != 1 || !sameOrigin(origin[0], m.origin(r))
}

// origin returns the app's own origin, serialized as browsers write the
// Origin header: scheme://host, with :port unless it is the default.
func (m *Manager) origin(r *http.Request) string {
	if m.cfg.BaseURL != "" {
		if u, err := url.Parse(m.cfg.BaseURL); err == nil {
			return serializeOrigin(u.Scheme, u.Host)
		}
		return "" // unreachable: Validate checked base_url
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return serializeOrigin(scheme, r.Host)
}

// sameOrigin reports whether the Origin header value h names origin. h must
// be a plain scheme://host[:port]: "null", a path, a query or user info
// never match.
func sameOrigin(h, origin string) bool {
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || h[i] >= 0x7f { // browsers send hosts in ASCII (punycode)
			return false
		}
	}
	u, err := url.Parse(h)
	if err != nil || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Host == "" {
		return false
	}
	return origin != "" && serializeOrigin(u.Scheme, u.Host) == origin
}

// serializeOrigin lower-cases scheme and host and drops the scheme's
// default port, so that https://App.example:443 and https://app.example
// compare equal.
func serializeOrigin(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	switch {
	case scheme == "http":
		host = strings.TrimSuffix(host, ":80")
	case scheme == "https":
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + strings.TrimSuffix(host, ":")
}
