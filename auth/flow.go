package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/internal/redirect"
	"golang.org/x/oauth2"
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

func (m *Manager) flowCookieName(state string) string {
	return m.sideCookieName("_flow_" + state[:flowCookiePrefixLen])
}

func (m *Manager) sideCookie(name, value, path string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: path, Domain: m.cfg.Cookie.Domain,
		HttpOnly: true, Secure: m.cfg.CookieSecure(), SameSite: http.SameSiteLaxMode,
	}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
		c.Expires = m.now().Add(maxAge).UTC()
	} else {
		c.MaxAge = -1
	}
	return c
}

// redirectURI returns the OAuth callback URL: base_url + prefix + "/auth".
// Without base_url it is built from the request only on a loopback host
// over plain http (local development); the Host header is never trusted
// otherwise.
func (m *Manager) redirectURI(r *http.Request) (string, error) {
	if m.cfg.BaseURL != "" {
		return m.cfg.BaseURL + m.cfg.Prefix + "/auth", nil
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
	return "http://" + host + m.cfg.Prefix + "/auth", nil
}

// StartLogin begins a login: it checks next (a local path; "" means "/"),
// discovers the identity provider if needed, sets the flow cookie and
// redirects (302) to the provider's authorization endpoint with a fresh
// state, nonce and PKCE S256 challenge. offline asks for a refresh token
// (offline_access, access_type=offline), kept for [Manager.IssueUserToken].
//
// Errors are *[Error] values: 400 for a bad next, 502 when the provider
// cannot be reached, 404 ([ErrNoLogin]) when the app has no browser login
// ([Config.NoLogin]), 429 when the client's address started too many
// logins within a minute (throttle.login_starts; RetryAfter says how
// long to wait); nothing is written then.
func (m *Manager) StartLogin(w http.ResponseWriter, r *http.Request, next string, offline bool) error {
	if m.noLogin {
		return noLoginError()
	}
	if err := m.countLoginStart(r); err != nil {
		return err
	}
	if next == "" {
		next = "/"
	}
	next, ok := redirect.LocalPath(next)
	if !ok {
		return loginBad("next must be a local path", nil)
	}
	if m.idp == nil {
		return loginUnavailable("no identity provider is configured", errors.New("auth: server_metadata_url is empty"))
	}
	redirectURI, err := m.redirectURI(r)
	if err != nil {
		return loginBad("login is not available on this host", err)
	}
	ready, err := m.idp.get(r.Context())
	if err != nil {
		return loginUnavailable("the identity provider cannot be reached", err)
	}
	f := flow{
		state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier(),
		next: next, redirectURI: redirectURI, offline: offline, created: m.now(),
	}
	sealed, err := m.sealFlow(f)
	if err != nil {
		return loginBad("cannot start a login", err)
	}
	cfg := ready.oauth
	cfg.RedirectURL = redirectURI
	opts := []oauth2.AuthCodeOption{oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}
	params := m.cfg.AuthorizeParams()
	for k, v := range params {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if offline {
		opts = append(opts, oauth2.AccessTypeOffline)
		if ready.offlineScope {
			cfg.Scopes = append(append([]string(nil), cfg.Scopes...), oidc.ScopeOfflineAccess)
			if _, ok := params["prompt"]; !ok {
				// OpenID Connect Core §11: offline_access needs consent.
				opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
			}
		}
	}
	http.SetCookie(w, m.sideCookie(m.flowCookieName(f.state), sealed, m.cfg.Prefix+"/auth", m.cfg.FlowTTL))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, cfg.AuthCodeURL(f.state, opts...), http.StatusFound)
	return nil
}

// maxFlows is how many logins may be in progress at once in one browser.
// Flow cookies expire after flow_ttl; a callback that receives more than
// this many expires them all, so abandoned logins cannot grow the Cookie
// header without bound.
const maxFlows = 4

// dropStaleFlows expires the flow cookies sent to the callback when there
// are more than maxFlows.
func (m *Manager) dropStaleFlows(w http.ResponseWriter, r *http.Request) {
	prefix := m.sideCookieName("_flow_")
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
		http.SetCookie(w, m.sideCookie(n, "", m.cfg.Prefix+"/auth", 0))
	}
}

func (m *Manager) sealFlow(f flow) (string, error) {
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
	return m.codec.SealBytes(envelope.PurposeFlow, b)
}

func (m *Manager) openFlow(sealed string) (flow, error) {
	plain, err := m.codec.OpenBytes(envelope.PurposeFlow, sealed)
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

// FinishLogin completes a login at the callback: it finds the flow cookie
// of the state, deletes it, compares the state in constant time, exchanges
// the code with the PKCE verifier, verifies the ID token (see the package
// documentation), and rotates the session: a new session id in a new
// cookie (a session cookie sent with the request is revoked). It returns
// the local path to go to next; the caller answers 303 there.
//
// Errors are *[Error] values: 400 when the provider answered error=, the state
// is missing, unknown, expired or replayed, the code is refused, or the ID
// token fails any check; 502 when the provider cannot be reached or fails;
// 404 ([ErrNoLogin]) without browser login. No session is created on error.
func (m *Manager) FinishLogin(w http.ResponseWriter, r *http.Request) (string, error) {
	if m.noLogin {
		return "", noLoginError()
	}
	w.Header().Set("Cache-Control", "no-store")
	m.dropStaleFlows(w, r)
	q := r.URL.Query()
	state := q.Get("state")
	var f flow
	var flowErr error
	if !validState(state) {
		flowErr = errors.New("auth: callback without a valid state")
	} else {
		name := m.flowCookieName(state)
		c, err := r.Cookie(name)
		// The cookie is deleted first: whatever follows, the state is
		// used once.
		http.SetCookie(w, m.sideCookie(name, "", m.cfg.Prefix+"/auth", 0))
		switch {
		case err != nil:
			flowErr = errors.New("auth: no login flow cookie for this state (expired, already used, or started elsewhere)")
		default:
			f, err = m.openFlow(c.Value)
			switch {
			case err != nil:
				flowErr = fmt.Errorf("auth: flow cookie: %w", err)
			case subtle.ConstantTimeCompare([]byte(f.state), []byte(state)) != 1:
				flowErr = errors.New("auth: state does not match the login flow")
			case !m.now().Before(f.created.Add(m.cfg.FlowTTL)):
				flowErr = errors.New("auth: login flow expired")
			}
		}
	}
	if e := q.Get("error"); e != "" {
		desc := q.Get("error_description")
		m.log.Info("auth: the identity provider refused the login", "error", e, "error_description", desc)
		return "", loginBad("the identity provider refused the login ("+sanitizeCode(e)+")", fmt.Errorf("auth: error=%s: %s", e, desc))
	}
	if flowErr != nil {
		return "", loginBad("this login is invalid or expired; please start again", flowErr)
	}
	code := q.Get("code")
	if code == "" {
		return "", loginBad("the identity provider sent no code", nil)
	}
	if m.idp == nil {
		return "", loginUnavailable("no identity provider is configured", errors.New("auth: server_metadata_url is empty"))
	}
	ready, err := m.idp.get(r.Context())
	if err != nil {
		return "", loginUnavailable("the identity provider cannot be reached", err)
	}
	cfg := ready.oauth
	cfg.RedirectURL = f.redirectURI
	tok, err := cfg.Exchange(m.clientContext(r.Context()), code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return "", loginBad("the identity provider refused the login code", err)
		}
		return "", loginUnavailable("the identity provider failed", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", loginBad("the identity provider sent no ID token", nil)
	}
	login, err := m.verifyIDToken(r.Context(), ready, raw, f.nonce)
	if err != nil {
		m.log.Warn("auth: ID token refused", "err", err)
		return "", loginBad("the identity provider's answer was refused", err)
	}
	if err := m.startSession(w, r, login, f.offline, tok.RefreshToken); err != nil {
		return "", err
	}
	m.log.Info("auth: login", "email", login.email, "offline", f.offline)
	return f.next, nil
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

// startSession writes a fresh session cookie for login (and the offline
// cookie holding the refresh token, for an offline login). A session
// cookie sent with the request is revoked.
func (m *Manager) startSession(w http.ResponseWriter, r *http.Request, login verifiedLogin, offline bool, refresh string) error {
	m.revokeRequestSession(r)
	issued, err := m.issueTime(login.email)
	if err != nil {
		return &Error{Status: http.StatusInternalServerError, Msg: "cannot start a session", Err: err}
	}
	d := sessionData{Email: login.email, ID: envelope.NewTokenID(), Issued: issued.Unix(), AuthTime: login.authTime.Unix()}
	if err := m.sess.save(w, r, d); err != nil {
		return &Error{Status: http.StatusInternalServerError, Msg: "cannot start a session", Err: err}
	}
	name := m.sideCookieName("_offline")
	if offline && refresh != "" {
		sealed, err := m.sealOffline(d, refresh)
		if err != nil {
			return &Error{Status: http.StatusInternalServerError, Msg: "cannot start a session", Err: err}
		}
		http.SetCookie(w, m.sideCookie(name, sealed, m.cfg.Prefix+"/token", m.cfg.SessionMaxAge))
	} else if _, ok := cookieValue(r.Header, name); ok {
		http.SetCookie(w, m.sideCookie(name, "", m.cfg.Prefix+"/token", 0))
	}
	return nil
}

// revokeRequestSession revokes the session of the cookie r carries, if
// valid.
func (m *Manager) revokeRequestSession(r *http.Request) {
	v, ok := cookieValue(r.Header, m.sess.name)
	if !ok {
		return
	}
	c, err := m.openSession(v, m.now())
	if err != nil {
		return
	}
	m.cache.drop(false, v)
	if err := m.tokens.Revoke(r.Context(), c.id, c.expiresAt); err != nil {
		m.log.Error("auth: could not revoke the previous session", "email", c.subject, "err", err)
	}
}

// offline is the content of the offline cookie.
type offlineGrant struct {
	email, sessionID, refresh string
	loginTime                 time.Time
}

func (m *Manager) sealOffline(d sessionData, refresh string) (string, error) {
	b := appendString(nil, d.Email)
	b = appendString(b, d.ID)
	b = appendString(b, refresh)
	b = appendInt(b, d.Issued)
	return m.codec.SealBytes(envelope.PurposeOffline, b)
}

func (m *Manager) openOffline(sealed string) (offlineGrant, error) {
	plain, err := m.codec.OpenBytes(envelope.PurposeOffline, sealed)
	if err != nil {
		return offlineGrant{}, err
	}
	r := newFieldReader(plain)
	g := offlineGrant{email: r.str(), sessionID: r.str(), refresh: r.str()}
	g.loginTime = time.Unix(r.int(), 0).UTC()
	if err := r.done(); err != nil {
		return offlineGrant{}, err
	}
	return g, nil
}

// Logout ends the browser session of r: its session id is revoked (a
// copy of the cookie stops working too) and the session and offline
// cookies are expired. A request without a valid session only gets the
// cookies expired. The caller redirects.
func (m *Manager) Logout(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	var err error
	if v, ok := cookieValue(r.Header, m.sess.name); ok {
		if c, oerr := m.openSession(v, m.now()); oerr == nil {
			m.cache.drop(false, v)
			if err = m.tokens.Revoke(r.Context(), c.id, c.expiresAt); err != nil {
				err = fmt.Errorf("auth: logout: %w", err)
			} else {
				m.log.Info("auth: logout", "email", c.subject)
			}
		}
	}
	m.sess.clear(w)
	name := m.sideCookieName("_offline")
	if _, ok := cookieValue(r.Header, name); ok {
		http.SetCookie(w, m.sideCookie(name, "", m.cfg.Prefix+"/token", 0))
	}
	return err
}
