package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"net"
	"net/http"
	"strings"
	"time"
)

// A login keeps its state, nonce, PKCE verifier and destination in a flow
// cookie of its own, named after the start of its state (several tabs may
// log in at once), sealed for PurposeFlow, sent only to the callback, and
// deleted by the callback whatever happens (so a state is used once).

// flow is one login in progress.
type flow struct {
	state, nonce, verifier string
	next, redirectURI      string
	offline                bool
	created                time.Time
}

// flowCookiePrefixLen is how many characters of the state name the cookie.
const flowCookiePrefixLen = 8

func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (l *Login) flowCookieName(state string) string {
	return l.side.name("_flow_" + state[:flowCookiePrefixLen])
}

// redirectURI returns the OAuth callback URL: base_url + prefix + "/auth".
// Without base_url it is built from the request only on a loopback host
// over plain http (local development); the Host header is never trusted
// otherwise.
func (l *Login) redirectURI(r *http.Request) (string, error) {
	if l.cfg.BaseURL != "" {
		return l.cfg.BaseURL + l.cfg.Prefix + "/auth", nil
	}
	host := r.Host
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	if r.TLS != nil || !(strings.EqualFold(h, "localhost") || ip != nil && ip.IsLoopback()) {
		return "", fmt.Errorf("auth: base_url is not set and host %q is not a loopback host", host)
	}
	return "http://" + host + l.cfg.Prefix + "/auth", nil
}

// maxFlows is how many logins may be in progress at once in one browser.
// Flow cookies expire after flow_ttl; a callback that receives more than
// this many expires them all, so abandoned logins cannot grow the Cookie
// header without bound.
const maxFlows = 4

// dropStaleFlows expires the flow cookies sent to the callback when there
// are more than maxFlows.
func (l *Login) dropStaleFlows(w http.ResponseWriter, r *http.Request) {
	prefix := l.side.name("_flow_")
	var names []string
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, prefix) {
			names = append(names, c.Name)
		}
	}
	if len(names) <= maxFlows {
		return
	}
	for _, n := range names {
		http.SetCookie(w, l.side.cookie(n, "", l.cfg.Prefix+"/auth", 0))
	}
}

func (l *Login) sealFlow(f flow) (string, error) {
	var b []byte
	for _, s := range []string{f.state, f.nonce, f.verifier, f.next, f.redirectURI} {
		b = appendString(b, s)
	}
	off := int64(0)
	if f.offline {
		off = 1
	}
	b = appendInt(b, off)
	b = appendInt(b, f.created.Unix())
	return l.codec.SealBytes(envelope.PurposeFlow, b)
}

func (l *Login) openFlow(sealed string) (flow, error) {
	plain, err := l.codec.OpenBytes(envelope.PurposeFlow, sealed)
	if err != nil {
		return flow{}, err
	}
	r := newFieldReader(plain)
	f := flow{state: r.str(), nonce: r.str(), verifier: r.str(), next: r.str(), redirectURI: r.str()}
	f.offline = r.int() == 1
	f.created = time.Unix(r.int(), 0).UTC()
	if err := r.done(); err != nil {
		return flow{}, err
	}
	return f, nil
}

// validState reports whether s looks like a state this package makes.
func validState(s string) bool {
	if len(s) < flowCookiePrefixLen || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// sanitizeCode keeps an OAuth error code printable and short for a page.
func sanitizeCode(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, s)
}
