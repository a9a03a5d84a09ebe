// Package confcheck owns the checks of configuration values that several
// packages apply: which hosts count as loopback, which URLs may name a
// service (an identity provider, a token issuer, a key set), and which
// text holds control characters.
package confcheck

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// LoopbackHost reports whether host (without port or brackets) is
// localhost, a name under .localhost (RFC 6761) or a loopback address,
// IPv4-mapped ones included.
func LoopbackHost(host string) bool {
	host = strings.ToLower(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// ServiceURL returns why s may not name a service the app calls or
// trusts (an identity provider, a token issuer, a key set URL), or "":
// an absolute https URL, or http on a loopback host (a local mock
// provider), without user info.
func ServiceURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("not a URL: %v", err)
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		return fmt.Sprintf("%q is not an absolute http(s) URL", s)
	case u.User != nil:
		return "must not contain user info"
	case u.Scheme == "http" && !LoopbackHost(u.Hostname()):
		return "http is allowed only for loopback hosts (a local mock provider); use https"
	}
	return ""
}

// HasControl reports whether s holds an ASCII control character, which
// no name, scope or header value of a configuration may hold.
func HasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
