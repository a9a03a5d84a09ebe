package auth

import "strings"

// Every cookie of the Manager is named after the session cookie
// (cookie.name): the session cookie itself, and the login flow and
// offline grant cookies, "<name>_flow_<state>" and "<name>_offline".

// The cookie name prefixes that browsers give rules (RFC 6265bis §4.1.3).
// They match them in any case: "__host-x" must be Secure, for Path=/ and
// host-only like "__Host-x", yet it is another cookie.
const (
	hostCookiePrefix   = "__Host-"
	secureCookiePrefix = "__Secure-"
)

// cutCookiePrefix splits name into its __Host- or __Secure- prefix, in
// canonical case ("" for none), and the rest.
func cutCookiePrefix(name string) (prefix, rest string) {
	for _, p := range []string{hostCookiePrefix, secureCookiePrefix} {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return p, name[len(p):]
		}
	}
	return "", name
}

// Owns reports whether a cookie named name is one of the cookies named
// after the session cookie: the session cookie, a login flow or offline
// grant cookie, or the same names behind another __Host- or __Secure-
// prefix in any case (an earlier cookie.secure, or a cookie planted to
// shadow ours). A gateway keeps them from its upstreams both ways.
// Call it on a validated configuration (cookie.name set).
func (k *CookieConfig) Owns(name string) bool {
	_, stem := cutCookiePrefix(k.Name)
	_, rest := cutCookiePrefix(name)
	return rest == stem || strings.HasPrefix(rest, stem+"_")
}

// sideCookieName names the flow and offline cookies: the session
// cookie's name without its prefix (__Host- is for Path=/ cookies only),
// then suffix, behind __Secure- when the cookies are Secure. (Without
// Secure, validation leaves the session cookie no prefix.)
func (m *Manager) sideCookieName(suffix string) string {
	_, stem := cutCookiePrefix(m.sess.name)
	if m.cfg.CookieSecure() {
		return secureCookiePrefix + stem + suffix
	}
	return stem + suffix
}
