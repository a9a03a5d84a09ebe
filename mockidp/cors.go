package mockidp

import (
	"net/http"
	"net/url"
	"strings"
)

// corsMaxAge is how long (seconds) a browser may cache a preflight answer.
const corsMaxAge = "600"

// corsEndpoint is what a browser app may do at one endpoint.
type corsEndpoint struct {
	methods string // Access-Control-Allow-Methods
	headers string // Access-Control-Allow-Headers ("" sends none)
	expose  string // Access-Control-Expose-Headers ("" sends none)
}

// corsEndpoints are the endpoints a single-page app calls with fetch.
// Credentials (cookies) are never allowed: tokens travel in headers and
// bodies, so no endpoint sends Access-Control-Allow-Credentials, and the
// allowed origin is echoed, never "*".
var corsEndpoints = map[string]corsEndpoint{
	"/.well-known/openid-configuration": {methods: "GET"},
	"/jwks":                             {methods: "GET"},
	"/token":                            {methods: "POST", headers: "Authorization, Content-Type", expose: "WWW-Authenticate"},
	"/userinfo":                         {methods: "GET, POST", headers: "Authorization, Content-Type", expose: "WWW-Authenticate"},
	"/revoke":                           {methods: "POST", headers: "Authorization, Content-Type", expose: "WWW-Authenticate"},
}

// serveCORS adds the CORS headers of r's endpoint and answers its
// preflights; it reports whether it answered. An allowed origin is echoed
// in Access-Control-Allow-Origin; any other origin gets no CORS header
// (its preflight a 403), so the browser keeps the answer from the page.
// Every answer of these endpoints says Vary: Origin. An OPTIONS request
// that is not a preflight gets 204 with Allow.
func (p *Provider) serveCORS(w http.ResponseWriter, r *http.Request) bool {
	ep, ok := corsEndpoints[r.URL.Path]
	if !ok || p.opts.Mode != ModeOIDC {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	allowed := origin != "" && p.corsOriginAllowed(origin)
	if r.Method != http.MethodOptions {
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			if ep.expose != "" {
				h.Set("Access-Control-Expose-Headers", ep.expose)
			}
		}
		return false
	}
	if origin == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		h.Set("Allow", "OPTIONS, "+ep.methods)
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	if !allowed {
		p.opts.Logger.Info("mockidp CORS preflight refused: origin not allowed", "origin", origin, "path", r.URL.Path)
		w.WriteHeader(http.StatusForbidden)
		return true
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", ep.methods)
	if ep.headers != "" {
		h.Set("Access-Control-Allow-Headers", ep.headers)
	}
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}

// corsOriginAllowed reports whether a page at origin may call the
// provider: any origin with [Options.CORSAnyOrigin], else the origin of a
// registered redirect URI. Loopback redirect URIs match on any port, as
// they do at authorize, and a client without redirect URIs (the demo
// client) allows every loopback origin. The opaque origin "null" is never
// allowed.
func (p *Provider) corsOriginAllowed(origin string) bool {
	o, ok := parseOrigin(origin)
	if !ok {
		return false
	}
	if p.opts.CORSAnyOrigin {
		return true
	}
	p.clientsMu.RLock() // registration changes the clients
	defer p.clientsMu.RUnlock()
	for _, c := range p.clients {
		if len(c.RedirectURIs) == 0 && isLoopbackURL(o) {
			return true
		}
		for _, raw := range c.RedirectURIs {
			ru, err := url.Parse(raw)
			if err != nil || !strings.EqualFold(ru.Scheme, o.Scheme) || !strings.EqualFold(ru.Hostname(), o.Hostname()) {
				continue
			}
			if isLoopbackURL(ru) || originPort(ru) == originPort(o) {
				return true
			}
		}
	}
	return false
}

// parseOrigin parses an Origin header: scheme://host[:port], http or https.
func parseOrigin(origin string) (*url.URL, bool) {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, false
	}
	return u, true
}

// originPort is u's port, the scheme's default if none is written.
func originPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return port
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
