package gateway

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/clientaddr"
)

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

// forward sets the headers that tell the upstream where the request
// came from, after removing every header that could make it believe
// something the gateway did not check:
//
//   - the identity headers, any X-Auth-Request-* in any case and spelled
//     with "_" for "-" (CGI, PHP and WSGI servers map both spellings to
//     the same HTTP_X_AUTH_REQUEST_* variable);
//   - X-Original-URL and X-Rewrite-URL, which IIS and Symfony route on
//     instead of the request line;
//   - from a peer outside trusted_proxies: X-Real-IP, True-Client-IP,
//     X-Client-IP, Forwarded and every X-Forwarded-*. Those among the
//     first three that the client sent carry the client's address
//     instead. From a trusted proxy they pass, but for Forwarded.
//
// Then X-Forwarded-For, -Proto and -Host (see [clientaddr.Proxies.Forwarded]),
// X-Forwarded-Prefix when prefix is stripped, and a Forwarded element
// (RFC 7239) with the same client, scheme and host.
func forward(p clientaddr.Proxies, out http.Header, in *http.Request, prefix string) {
	a, ok := clientaddr.Peer(in)
	trusted := ok && p.Trusted(a)
	sent := scrubHeaders(out, trusted)
	xff, client, viaProxy := p.Forwarded(in)
	proto, host := "http", in.Host
	if in.TLS != nil {
		proto = "https"
	}
	if viaProxy {
		if v := in.Header.Get("X-Forwarded-Proto"); v == "http" || v == "https" {
			proto = v
		}
		if v := in.Header.Get("X-Forwarded-Host"); v != "" {
			host = v
		}
	}
	// One array backs the four values (each capped, so that an append
	// copies): this runs for every proxied request.
	vals := [...]string{xff, proto, host, forwardedElement(client, proto, host)}
	out["X-Forwarded-For"] = vals[0:1:1]
	out["X-Forwarded-Proto"] = vals[1:2:2]
	out["X-Forwarded-Host"] = vals[2:3:3]
	out["Forwarded"] = vals[3:4:4]
	if prefix != "" {
		out["X-Forwarded-Prefix"] = []string{prefix}
	}
	for i, name := range clientIPHeaders {
		if sent&(1<<i) != 0 {
			out[name] = []string{client}
		}
	}
}

// clientIPHeaders carry the client's address in some set-ups (nginx's
// realip, Akamai and Cloudflare, a few frameworks).
var clientIPHeaders = [...]string{"X-Real-Ip", "True-Client-Ip", "X-Client-Ip"}

// clientIPNames are clientIPHeaders in lower case.
var clientIPNames = [...]string{"x-real-ip", "true-client-ip", "x-client-ip"}

// scrubHeaders removes the headers that [forward] lists from h,
// and reports which of clientIPHeaders (bit i for the i-th) an untrusted
// client sent.
func scrubHeaders(h http.Header, trusted bool) (sent uint8) {
	for k := range h {
		switch {
		case headerHasPrefix(k, "x-auth-request"), headerIs(k, "x-original-url"), headerIs(k, "x-rewrite-url"):
			delete(h, k)
		case trusted:
		case headerHasPrefix(k, "x-forwarded-"), headerIs(k, "forwarded"):
			delete(h, k)
		default:
			for i, name := range clientIPNames {
				if headerIs(k, name) {
					sent |= 1 << i
					delete(h, k)
				}
			}
		}
	}
	return sent
}

// headerIs reports whether the header name k is name (lower case),
// ignoring case and reading "_" as "-".
func headerIs(k, name string) bool {
	if len(k) != len(name) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '_' {
			c = '-'
		}
		if asciiLower(c) != name[i] {
			return false
		}
	}
	return true
}

func headerHasPrefix(k, prefix string) bool {
	return len(k) >= len(prefix) && headerIs(k[:len(prefix)], prefix)
}

// forwardedElement returns the Forwarded header's element for the client
// address, scheme and host (RFC 7239: an IPv6 address and a host that is
// not a token are quoted), in one allocation for the usual values.
func forwardedElement(client, proto, host string) string {
	node, nodeOpen, nodeClose := "unknown", "", ""
	if a, err := netip.ParseAddr(client); err == nil {
		node = client
		if a.Is6() {
			nodeOpen, nodeClose = `"[`, `]"`
		}
	}
	quote := ""
	token, plain := host != "", true
	for i := 0; i < len(host); i++ {
		c := host[i]
		token = token && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0)
		plain = plain && c != '"' && c != '\\'
	}
	if !token {
		quote = `"`
		if !plain {
			host = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(host)
		}
	}
	return "for=" + nodeOpen + node + nodeClose + ";proto=" + proto + ";host=" + quote + host + quote
}
