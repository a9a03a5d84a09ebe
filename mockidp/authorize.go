package mockidp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// authzRequest is a validated authorize request.
type authzRequest struct {
	clientID      string
	client        Client
	redirectURI   string
	redirectGiven bool
	state         string
	nonce         string
	scope         string
	challenge     string
	prompt        string
	loginHint     string
	params        url.Values
	tenant        string // microsoft mode: the path's tenant
}

// Form fields of the login page; they never collide with OAuth parameters.
const (
	fieldAction = "mockidp_action"
	fieldEmail  = "mockidp_email"
	fieldName   = "mockidp_name"
	fieldClaims = "mockidp_claims"
	// fieldPassword and fieldConfirm are on the password and sign-up pages.
	fieldPassword = "mockidp_password"
	fieldConfirm  = "mockidp_confirm"
)

func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, errInvalidRequest("malformed form body"))
			return
		}
		params = r.PostForm
	}
	req, oerr, redirect := p.parseAuthorize(r, params)
	if oerr != nil {
		if redirect {
			p.redirectError(w, r, req, oerr)
		} else {
			writeOAuthError(w, oerr)
		}
		return
	}
	if p.takeFault(authorizeFault) != "" {
		p.redirectError(w, r, req, &oauthError{code: "access_denied", description: "the user denied the request (injected fault)"})
		return
	}
	if action := params.Get(fieldAction); action != "" && r.Method == http.MethodPost {
		p.handleLoginForm(w, r, req, action)
		return
	}
	if l, ok := p.popNextLogin(); ok {
		p.afterLogin(w, r, req, l)
		return
	}
	if p.opts.Interactive {
		if hasWord(req.prompt, "none") {
			p.redirectError(w, r, req, &oauthError{code: "login_required", description: "interactive login required"})
			return
		}
		p.renderLogin(w, req, http.StatusOK, "")
		return
	}
	email := req.loginHint
	if email == "" && p.opts.Mode == ModeGitHub {
		email = p.githubLoginHint(req.params.Get("login"))
	}
	if email == "" {
		email = p.Email()
	}
	p.afterLogin(w, r, req, login{email: email})
}

// parseAuthorize validates the request. A non-nil error is either shown
// to the user agent (redirect false: unknown client or redirect URI, as
// RFC 6749 §4.1.2.1 demands) or sent back to the client.
func (p *Provider) parseAuthorize(r *http.Request, params url.Values) (*authzRequest, *oauthError, bool) {
	for k, v := range params {
		if len(v) > 1 {
			return nil, errInvalidRequest("parameter " + k + " given more than once"), false
		}
	}
	req := &authzRequest{
		clientID:  params.Get("client_id"),
		state:     params.Get("state"),
		nonce:     params.Get("nonce"),
		scope:     params.Get("scope"),
		challenge: params.Get("code_challenge"),
		prompt:    params.Get("prompt"),
		loginHint: strings.TrimSpace(params.Get("login_hint")),
		params:    params,
		tenant:    r.PathValue("tenant"),
	}
	if p.opts.Mode == ModeGitHub {
		req.scope = githubScope(req.scope)
	}
	if req.clientID == "" {
		return nil, errInvalidRequest("client_id is required"), false
	}
	client, ok := p.lookupClient(req.clientID)
	if !ok {
		return nil, &oauthError{http.StatusBadRequest, "invalid_client", "unknown client_id"}, false
	}
	req.client = client
	if !client.allowsGrant("authorization_code") {
		return nil, &oauthError{http.StatusBadRequest, "unauthorized_client", "this client is not registered for the authorization code flow"}, false
	}
	req.redirectURI = params.Get("redirect_uri")
	req.redirectGiven = req.redirectURI != ""
	if !req.redirectGiven {
		if len(client.RedirectURIs) != 1 {
			return nil, errInvalidRequest("redirect_uri is required"), false
		}
		req.redirectURI = client.RedirectURIs[0]
	}
	if !client.redirectAllowed(req.redirectURI, false) {
		return nil, errInvalidRequest("redirect_uri is not registered for this client"), false
	}
	if rt := params.Get("response_type"); rt != "code" && !(rt == "" && p.opts.Mode == ModeGitHub) {
		return req, &oauthError{code: "unsupported_response_type", description: "only response_type=code is supported"}, true
	}
	if m := params.Get("response_mode"); m != "" && m != "query" {
		return req, errInvalidRequest("only response_mode=query is supported"), true
	}
	if params.Has("request") || params.Has("request_uri") {
		return req, &oauthError{code: "request_not_supported", description: "request objects are not supported"}, true
	}
	if req.challenge != "" {
		if m := params.Get("code_challenge_method"); m != "S256" {
			return req, errInvalidRequest("code_challenge_method must be S256"), true
		}
		if !validPKCEValue(req.challenge) || len(req.challenge) != 43 {
			return req, errInvalidRequest("code_challenge must be a base64url SHA-256 (43 characters)"), true
		}
	} else if client.RequirePKCE || client.public() {
		return req, errInvalidRequest("this client must send a PKCE code_challenge (S256)"), true
	}
	return req, nil, false
}

// validPKCEValue checks the RFC 7636 character set and length bound.
func validPKCEValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}

func (p *Provider) popNextLogin() (login, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.nextLogins) == 0 {
		return login{}, false
	}
	l := p.nextLogins[0]
	p.nextLogins = p.nextLogins[1:]
	return l, true
}

// complete logs l in and redirects to the client with a fresh code.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, req *authzRequest, l login) {
	if err := checkEmail(l.email); err != nil {
		p.redirectError(w, r, req, errInvalidRequest("login_hint is not a usable email"))
		return
	}
	aud, oerr := requestedAudience(req.params, "")
	if oerr != nil {
		p.redirectError(w, r, req, oerr)
		return
	}
	l = p.resolve(l)
	if oerr := p.admit(req, l); oerr != nil {
		p.redirectError(w, r, req, oerr)
		return
	}
	now := p.opts.Now()
	code := randomToken()
	p.mu.Lock()
	if p.deletedLocked(l.email) {
		p.mu.Unlock()
		p.redirectError(w, r, req, &oauthError{code: "access_denied", description: "this user no longer exists"})
		return
	}
	sid := p.newFamilyLocked(now)
	p.codes[code] = &authCode{
		clientID:      req.clientID,
		redirectURI:   req.redirectURI,
		redirectGiven: req.redirectGiven,
		challenge:     req.challenge,
		nonce:         req.nonce,
		scope:         req.scope,
		login:         l,
		authTime:      now,
		sid:           sid,
		expires:       now.Add(p.opts.CodeTTL),
		audience:      aud,
	}
	p.noteWriteLocked()
	p.mu.Unlock()
	v := url.Values{"code": {code}, "state": {req.state}}
	p.authorizeResponse(r, v)
	p.redirectTo(w, r, req.redirectURI, v)
}

func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, req *authzRequest, e *oauthError) {
	v := url.Values{"error": {e.code}, "state": {req.state}}
	if e.description != "" {
		v.Set("error_description", e.description)
	}
	p.authorizeResponse(r, v)
	p.redirectTo(w, r, req.redirectURI, v)
}

// redirectTo adds params to target's query (dropping empty ones) and
// redirects: 302 after GET, 303 after the login form's POST.
func (p *Provider) redirectTo(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil { // redirect URIs were validated; keep the user agent safe anyway
		writeOAuthError(w, errInvalidRequest("bad redirect URI"))
		return
	}
	q := u.Query()
	for k, v := range params {
		if len(v) == 1 && v[0] != "" {
			q.Set(k, v[0])
		}
	}
	u.RawQuery = q.Encode()
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), status)
}

// handleLoginForm handles a submission of the interactive login page.
func (p *Provider) handleLoginForm(w http.ResponseWriter, r *http.Request, req *authzRequest, action string) {
	switch action {
	case "deny":
		p.redirectError(w, r, req, &oauthError{code: "access_denied", description: "the user denied the request"})
		return
	case "login":
	default:
		p.renderLogin(w, req, http.StatusBadRequest, "unknown action")
		return
	}
	l := login{
		email: strings.TrimSpace(req.params.Get(fieldEmail)),
		name:  strings.TrimSpace(req.params.Get(fieldName)),
	}
	if err := checkEmail(l.email); err != nil {
		p.renderLogin(w, req, http.StatusBadRequest, "Enter an email address.")
		return
	}
	if raw := strings.TrimSpace(req.params.Get(fieldClaims)); raw != "" {
		if err := json.Unmarshal([]byte(raw), &l.claims); err != nil || l.claims == nil {
			p.renderLogin(w, req, http.StatusBadRequest, fmt.Sprintf("Extra claims must be a JSON object: %v", err))
			return
		}
	}
	if !p.checkPassword(w, req, l.email) {
		return
	}
	p.afterLogin(w, r, req, l)
}
