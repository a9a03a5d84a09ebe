package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
	"github.com/oauthgate/oauthgate/internal/redirect"
	"golang.org/x/oauth2"
)

// Login is the browser login of a [Manager] ([Manager.Login]): the
// routes {prefix}/login, {prefix}/auth and {prefix}/logout are its
// methods. It holds what a login uses (the identity provider, the session
// and flow cookies, the token store for revocations) and shares the
// Manager's credential cache, so a logout takes effect at once.
type Login struct {
	cfg     *Config
	log     *slog.Logger
	now     func() time.Time
	codec   *envelope.Codec
	sess    *sessionCodec
	side    *sideCookies
	idp     *idp // nil without a provider
	tokens  store.TokenStore
	cache   *credCache
	starts  *loginThrottle
	claims  *claimRules
	noLogin bool
}

// Path returns the path of the login route, prefix included: where
// [RedirectToLogin] sends a browser.
func (l *Login) Path() string { return l.cfg.Prefix + "/login" }

// Discover fetches the identity provider's discovery document now instead
// of on the first login, and reports whether the provider is known: nil
// once a discovery has succeeded (the result is kept), or when there is no
// provider (force_user without server_metadata_url, or an app without
// browser login: [Config.NoLogin]), or when the provider has no discovery
// document (github, oauth2: ready at once). A failure is retried
// by a later call at most every 2s, like the lazy discovery; in between,
// calls return the last error at once. A gateway uses it for its
// readiness check.
func (l *Login) Discover(ctx context.Context) error {
	if l.idp == nil {
		return nil
	}
	_, err := l.idp.get(ctx)
	return err
}

// Start begins a login: it checks next (a local path; "" means "/"),
// discovers the identity provider if needed, sets the flow cookie and
// redirects (302) to the provider's authorization endpoint with a fresh
// state and PKCE S256 challenge (and nonce, for OpenID providers). offline
// asks for a refresh token (offline_access, access_type=offline), kept
// for [Manager.IssueUserToken]; from GitHub, whose tokens do not expire,
// the access token is kept instead.
//
// Errors are *[Error] values: 400 for a bad next, 502 when the provider
// cannot be reached, 404 ([ErrNoLogin]) when the app has no browser login
// ([Config.NoLogin]), 429 when the client's address started too many
// logins within a minute (throttle.login_starts; RetryAfter says how
// long to wait); nothing is written then.
func (l *Login) Start(w http.ResponseWriter, r *http.Request, next string, offline bool) error {
	if l.noLogin {
		return noLoginError()
	}
	if err := l.starts.count(r); err != nil {
		return err
	}
	if next == "" {
		next = "/"
	}
	next, ok := redirect.LocalPath(next)
	if !ok {
		return loginBad("next must be a local path", nil)
	}
	if l.idp == nil {
		return loginUnavailable("no identity provider is configured", errors.New("auth: server_metadata_url is empty"))
	}
	redirectURI, err := l.redirectURI(r)
	if err != nil {
		return loginBad("login is not available on this host", err)
	}
	p, err := l.idp.get(r.Context())
	if err != nil {
		return loginUnavailable("the identity provider cannot be reached", err)
	}
	f := flow{
		state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier(),
		next: next, redirectURI: redirectURI, offline: offline, created: l.now(),
	}
	sealed, err := l.sealFlow(f)
	if err != nil {
		return loginBad("cannot start a login", err)
	}
	http.SetCookie(w, l.side.cookie(l.flowCookieName(f.state), sealed, l.cfg.Prefix+"/auth", l.cfg.FlowTTL))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.authCodeURL(f), http.StatusFound)
	return nil
}

// Finish completes a login at the callback: it finds the flow cookie
// of the state, deletes it, compares the state in constant time, exchanges
// the code with the PKCE verifier, establishes who logged in (the ID
// token, verified; for github and oauth2, the provider's API asked with
// the access token), checks the email (verified, allowed_email_domains)
// and the provider's own rules (allowed_orgs, allowed_teams,
// allowed_tenants), and rotates the session: a new session id in a new
// cookie (a session cookie sent with the request is revoked). It returns
// the local path to go to next; the caller answers 303 there.
//
// Errors are *[Error] values: 400 when the provider answered error=, the state
// is missing, unknown, expired or replayed, the code is refused, or the
// user or the ID token fails any check; 502 when the provider cannot be
// reached or fails;
// 404 ([ErrNoLogin]) without browser login. No session is created on error.
func (l *Login) Finish(w http.ResponseWriter, r *http.Request) (string, error) {
	if l.noLogin {
		return "", noLoginError()
	}
	w.Header().Set("Cache-Control", "no-store")
	l.dropStaleFlows(w, r)
	q := r.URL.Query()
	state := q.Get("state")
	var f flow
	var flowErr error
	if !validState(state) {
		flowErr = errors.New("auth: callback without a valid state")
	} else {
		name := l.flowCookieName(state)
		c, err := r.Cookie(name)
		// The cookie is deleted first: whatever follows, the state is
		// used once.
		http.SetCookie(w, l.side.cookie(name, "", l.cfg.Prefix+"/auth", 0))
		switch {
		case err != nil:
			flowErr = errors.New("auth: no login flow cookie for this state (expired, already used, or started elsewhere)")
		default:
			f, err = l.openFlow(c.Value)
			switch {
			case err != nil:
				flowErr = fmt.Errorf("auth: flow cookie: %w", err)
			case subtle.ConstantTimeCompare([]byte(f.state), []byte(state)) != 1:
				flowErr = errors.New("auth: state does not match the login flow")
			case !l.now().Before(f.created.Add(l.cfg.FlowTTL)):
				flowErr = errors.New("auth: login flow expired")
			}
		}
	}
	if e := q.Get("error"); e != "" {
		desc := q.Get("error_description")
		l.log.Info("auth: the identity provider refused the login", "error", e, "error_description", desc)
		return "", loginBad("the identity provider refused the login ("+sanitizeCode(e)+")", fmt.Errorf("auth: error=%s: %s", e, desc))
	}
	if flowErr != nil {
		return "", loginBad("this login is invalid or expired; please start again", flowErr)
	}
	code := q.Get("code")
	if code == "" {
		return "", loginBad("the identity provider sent no code", nil)
	}
	if l.idp == nil {
		return "", loginUnavailable("no identity provider is configured", errors.New("auth: server_metadata_url is empty"))
	}
	p, err := l.idp.get(r.Context())
	if err != nil {
		return "", loginUnavailable("the identity provider cannot be reached", err)
	}
	tok, err := p.exchange(r.Context(), code, f)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			// GitHub answers its refusals with 200.
			msg := "the identity provider refused the login code"
			if c := sanitizeCode(re.ErrorCode); c != "" {
				msg += " (" + c + ")"
			}
			return "", loginBad(msg, err)
		}
		return "", loginUnavailable("the identity provider failed", err)
	}
	login, err := p.identify(r.Context(), tok, f)
	if err != nil {
		return "", loginErrorOf(err)
	}
	if login.email, err = l.acceptEmail(login.email); err != nil {
		l.log.Warn("auth: login refused", "err", err)
		return "", err
	}
	if err := l.startSession(w, r, login, f.offline, p.grant(tok)); err != nil {
		return "", err
	}
	l.log.Info("auth: login", "email", login.email, "offline", f.offline)
	return f.next, nil
}

// Logout ends the browser session of r: its session id is revoked (a
// copy of the cookie stops working too) and the session and offline
// cookies are expired. A request without a valid session only gets the
// cookies expired. The caller redirects.
func (l *Login) Logout(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	var err error
	if v, ok := cookieValue(r.Header, l.sess.name); ok {
		if c, oerr := l.sess.open(v, l.now()); oerr == nil {
			l.cache.drop(false, v)
			if err = l.tokens.Revoke(r.Context(), c.id, c.expiresAt); err != nil {
				err = fmt.Errorf("auth: logout: %w", err)
			} else {
				l.log.Info("auth: logout", "email", c.subject)
			}
		}
	}
	l.sess.clear(w)
	name := l.side.name("_offline")
	if _, ok := cookieValue(r.Header, name); ok {
		http.SetCookie(w, l.side.cookie(name, "", l.cfg.Prefix+"/token", 0))
	}
	return err
}

// acceptEmail normalises the email a provider gave and checks it: a
// user's address (a service account name included: no login may claim
// one) in allowed_email_domains.
func (l *Login) acceptEmail(raw string) (string, error) {
	email, err := emailaddr.ParseUser(raw)
	if err != nil {
		return "", loginBad("the identity provider's answer was refused", fmt.Errorf("auth: login email: %w", err))
	}
	if !emailaddr.DomainAllowed(email, l.cfg.AllowedEmailDomains) {
		return "", loginBad("the domain of your email address may not log in to this app", fmt.Errorf("auth: the domain of %q is not allowed", email))
	}
	return email, nil
}
