package gateway

import (
	"net/http"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
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

// cookieFilter keeps the gateway's cookies (session, login flow,
// offline grant: [auth.CookieConfig.Owns]) and the upstreams apart: out
// of the Cookie header sent upstream, and out of the Set-Cookie headers
// of the answers, so an app can neither read nor set, replace or delete
// them.
type cookieFilter struct {
	cookies auth.CookieConfig
}

func newCookieFilter(session string) cookieFilter {
	return cookieFilter{cookies: auth.CookieConfig{Name: session}}
}

func (f cookieFilter) ours(name string) bool { return f.cookies.Owns(name) }

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

// dropSetCookies removes from an upstream's answer headers each
// Set-Cookie for a cookie of the gateway, and returns their names.
func (f cookieFilter) dropSetCookies(h http.Header) (names []string) {
	lines := h["Set-Cookie"]
	kept := lines[:0]
	for _, line := range lines {
		if name := setCookieName(line); f.ours(name) {
			names = append(names, name)
			continue
		}
		kept = append(kept, line)
	}
	switch {
	case len(kept) == 0:
		delete(h, "Set-Cookie")
	case len(names) > 0:
		h["Set-Cookie"] = kept
	}
	return names
}

// setCookieName returns the name under which a browser keeps the cookie
// of a Set-Cookie line (RFC 6265bis §5.6): the first part's text before
// "=", trimmed. A nameless cookie ("=a=b", or "a" alone) is sent back as
// its bare value, which a server reads as the cookie "a": that is its
// name here.
func setCookieName(line string) string {
	pair, _, _ := strings.Cut(line, ";")
	name, value, ok := strings.Cut(pair, "=")
	if !ok {
		name, value = "", pair
	}
	if name = strings.Trim(name, " \t"); name == "" {
		name, _, _ = strings.Cut(value, "=")
		name = strings.Trim(name, " \t")
	}
	return name
}
