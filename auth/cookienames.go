package auth

import (
	"net/http"
	"strings"
	"time"
)

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

// sideCookies makes the login flow and offline grant cookies, named
// after the session cookie.
type sideCookies struct {
	stem   string // the session cookie's name without its prefix
	domain string
	secure bool
	now    func() time.Time
}

func newSideCookies(c *Config, now func() time.Time) *sideCookies {
	_, stem := cutCookiePrefix(c.Cookie.Name)
	return &sideCookies{stem: stem, domain: c.Cookie.Domain, secure: c.cookieSecure(), now: now}
}

// name names a side cookie: the session cookie's name without its prefix
// (__Host- is for Path=/ cookies only), then suffix, behind __Secure-
// when the cookies are Secure. (Without Secure, validation leaves the
// session cookie no prefix.)
func (s *sideCookies) name(suffix string) string {
	if s.secure {
		return secureCookiePrefix + s.stem + suffix
	}
	return s.stem + suffix
}

// cookie makes a side cookie; maxAge 0 expires it.
func (s *sideCookies) cookie(name, value, path string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: path, Domain: s.domain,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
		c.Expires = s.now().Add(maxAge).UTC()
	} else {
		c.MaxAge = -1
	}
	return c
}
