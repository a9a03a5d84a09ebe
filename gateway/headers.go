package gateway

import (
	"net/http"
	"strings"
)

// stripIdentityHeaders removes every header that looks like one of ours
// from a client's request: any X-Auth-Request-* name in any case, and the
// same names spelled with underscores, which CGI, PHP and WSGI servers map
// to the same variable (HTTP_X_AUTH_REQUEST_EMAIL).
func stripIdentityHeaders(h http.Header) {
	for k := range h {
		if len(k) >= len("x-auth-request") && strings.EqualFold(strings.ReplaceAll(k[:len("x-auth-request")], "_", "-"), "x-auth-request") {
			delete(h, k)
		}
	}
}

// stripBearer removes an Authorization header of the Bearer scheme: every
// bearer token that reached an upstream was verified by the gateway (a
// user, service or machine token), and none is for the upstream to see.
// Other schemes (Basic...) pass.
func stripBearer(h http.Header) {
	for _, v := range h.Values("Authorization") {
		if len(v) >= 6 && strings.EqualFold(v[:6], "bearer") {
			h.Del("Authorization")
			return
		}
	}
}

// cookieFilter drops the gateway's cookies (session, login flow, offline
// grant) from the Cookie header sent upstream, keeping the app's own.
type cookieFilter struct {
	session string // the session cookie's name
	side    string // the flow and offline cookies start with it...
	secure  string // ...or with it (__Secure- prefixed)
}

func newCookieFilter(session string) cookieFilter {
	base := strings.TrimPrefix(session, "__Host-")
	return cookieFilter{session: session, side: base + "_", secure: "__Secure-" + strings.TrimPrefix(base, "__Secure-") + "_"}
}

func (f cookieFilter) ours(name string) bool {
	return name == f.session || strings.HasPrefix(name, f.side) || strings.HasPrefix(name, f.secure)
}

// filter rewrites h's Cookie headers without the gateway's cookies, into
// a single header; it removes the header when nothing is left.
func (f cookieFilter) filter(h http.Header) {
	lines := h["Cookie"]
	if len(lines) == 0 {
		return
	}
	var kept []string
	dropped := false
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, _, _ := strings.Cut(part, "=")
			if f.ours(strings.TrimSpace(name)) {
				dropped = true
				continue
			}
			kept = append(kept, part)
		}
	}
	switch {
	case len(kept) == 0:
		h.Del("Cookie")
	case dropped || len(lines) > 1:
		h["Cookie"] = []string{strings.Join(kept, "; ")}
	}
}
