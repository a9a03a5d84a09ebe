package mockidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenResponse is RFC 6749 §5.1's answer, with OIDC's id_token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	// Token repeats AccessToken in client-credentials answers only, as
	// oauthgate's own grant and simple_oauth_server do.
	Token string `json:"token,omitempty"`
	// ExtExpiresIn is Microsoft's extended lifetime (microsoft mode).
	ExtExpiresIn int64 `json:"ext_expires_in,omitempty"`
}

// descRedirectMismatch is the reason of a token request whose
// redirect_uri differs from the authorization request's (GitHub names it).
const descRedirectMismatch = "redirect_uri does not match the authorization request"

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	resp, oerr := p.exchange(r)
	if oerr != nil {
		p.writeTokenError(w, r, oerr)
		return
	}
	p.writeTokenAnswer(w, r, resp)
}

// exchange runs a token request, in any mode.
func (p *Provider) exchange(r *http.Request) (*tokenResponse, *oauthError) {
	switch p.takeFault(tokenEndpointFault) {
	case FaultTokenError:
		return nil, &oauthError{http.StatusInternalServerError, "server_error", "injected fault"}
	case FaultTokenInvalidGrant:
		return nil, errInvalidGrant("injected fault")
	}
	params, oerr := readParams(r)
	if oerr != nil {
		return nil, oerr
	}
	var clientID string
	var client Client
	if p.opts.Mode == ModeGitHub {
		clientID, client, oerr = p.authenticateClientInBody(params)
	} else {
		clientID, client, oerr = p.authenticateClient(r, params)
	}
	if oerr != nil {
		return nil, oerr
	}
	gt := params.Get("grant_type")
	if gt == "" && p.opts.Mode == ModeGitHub {
		gt = "authorization_code" // GitHub's web flow sends no grant_type
	}
	if gt != "" && !client.allowsGrant(gt) {
		return nil, &oauthError{http.StatusBadRequest, "unauthorized_client", "this client is not registered for grant_type " + gt}
	}
	var resp *tokenResponse
	switch {
	case gt == "":
		oerr = errInvalidRequest("grant_type is required")
	case !p.opts.Mode.grantAllowed(gt):
		oerr = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "grant_type " + gt + " is not supported"}
	case gt == "authorization_code":
		resp, oerr = p.grantCode(r, clientID, params)
	case gt == "refresh_token":
		resp, oerr = p.grantRefresh(r, clientID, params)
	case gt == "client_credentials":
		resp, oerr = p.grantClientCredentials(r, clientID, client, params)
	case gt == deviceGrantType:
		resp, oerr = p.grantDeviceCode(r, clientID, params)
	default:
		oerr = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "grant_type " + gt + " is not supported"}
	}
	if oerr != nil {
		p.opts.Logger.Info("mockidp token request refused", "client_id", clientID, "error", oerr.code, "reason", oerr.description)
	}
	return resp, oerr
}

func (p *Provider) grantCode(r *http.Request, clientID string, params url.Values) (*tokenResponse, *oauthError) {
	code := params.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code is required")
	}
	now := p.opts.Now()
	p.mu.Lock()
	ac := p.codes[code]
	if ac == nil {
		if used, ok := p.usedCodes[code]; ok {
			// RFC 6749 §4.1.2: a replayed code revokes what it gave.
			p.revokeFamilyLocked(used.sid)
			p.mu.Unlock()
			return nil, errInvalidGrant("authorization code already used")
		}
		p.mu.Unlock()
		return nil, errInvalidGrant("unknown authorization code")
	}
	// Single use: the code is spent whatever happens next, so a wrong
	// verifier cannot be retried.
	delete(p.codes, code)
	p.usedCodes[code] = usedCode{sid: ac.sid, expires: ac.expires}
	deleted := p.deletedLocked(ac.login.email)
	p.mu.Unlock()

	switch {
	case now.After(ac.expires):
		return nil, errInvalidGrant("authorization code expired")
	case ac.clientID != clientID:
		return nil, errInvalidGrant("authorization code was issued to another client")
	case ac.redirectGiven && params.Get("redirect_uri") != ac.redirectURI:
		return nil, errInvalidGrant(descRedirectMismatch)
	case deleted:
		return nil, errInvalidGrant("this user no longer exists")
	}
	verifier := params.Get("code_verifier")
	if ac.challenge != "" {
		if verifier == "" {
			return nil, errInvalidGrant("code_verifier is required")
		}
		sum := sha256.Sum256([]byte(verifier))
		got := base64.RawURLEncoding.EncodeToString(sum[:])
		if !validPKCEValue(verifier) || subtle.ConstantTimeCompare([]byte(got), []byte(ac.challenge)) != 1 {
			return nil, errInvalidGrant("code_verifier does not match the code_challenge")
		}
	} else if verifier != "" {
		return nil, errInvalidGrant("code_verifier sent but the authorization request had no code_challenge")
	}
	aud, oerr := requestedAudience(params, ac.audience)
	if oerr != nil {
		return nil, oerr
	}
	return p.issueUserTokens(r, clientID, ac.scope, ac.nonce, ac.login, ac.authTime, ac.sid, aud)
}

func (p *Provider) grantRefresh(r *http.Request, clientID string, params url.Values) (*tokenResponse, *oauthError) {
	rt := params.Get("refresh_token")
	if rt == "" {
		return nil, errInvalidRequest("refresh_token is required")
	}
	now := p.opts.Now()
	p.mu.Lock()
	g := p.refresh[rt]
	var oerr *oauthError
	switch {
	case g == nil:
		oerr = errInvalidGrant("unknown refresh token")
	case g.clientID != clientID:
		oerr = errInvalidGrant("refresh token was issued to another client")
	case g.used:
		// Rotation: an old token coming back means it leaked; end the session.
		p.revokeFamilyLocked(g.sid)
		oerr = errInvalidGrant("refresh token already used; the session is revoked")
	case now.After(g.expires):
		oerr = errInvalidGrant("refresh token expired")
	case p.familyRevokedLocked(g.sid):
		oerr = errInvalidGrant("refresh token revoked")
	case p.deletedLocked(g.login.email):
		oerr = errInvalidGrant("this user no longer exists")
	default:
		g.used = true
	}
	p.mu.Unlock()
	if oerr != nil {
		return nil, oerr
	}
	scope := g.scope
	if req := params.Get("scope"); req != "" {
		for _, s := range strings.Fields(req) {
			if !hasWord(g.scope, s) {
				return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "scope " + s + " was not granted"}
			}
		}
		scope = req
	}
	aud, oerr := requestedAudience(params, g.audience)
	if oerr != nil {
		return nil, oerr
	}
	// A refreshed ID token carries no nonce (OIDC Core §12.2 errata).
	return p.issueUserTokens(r, clientID, scope, "", g.login, g.authTime, g.sid, aud)
}

// issueUserTokens issues an access token (opaque, or a JWT for audience
// aud with [Options.JWTAccessTokens]), a refresh token as the mode says
// ([Provider.issuesRefresh]) and, for the openid scope in the modes with
// ID tokens, an ID token, all in session sid.
func (p *Provider) issueUserTokens(r *http.Request, clientID, scope, nonce string, l login, authTime time.Time, sid, aud string) (*tokenResponse, *oauthError) {
	now := p.opts.Now()
	at, rt, ttl := randomToken(), randomToken(), p.opts.AccessTokenTTL
	if p.opts.Mode == ModeGitHub {
		at, ttl = githubToken(), githubTokenTTL
	}
	var emailFault Fault
	if !p.opts.Mode.idTokens() {
		emailFault = p.takeFault(idTokenFault) // only the email faults are accepted then
	}
	refresh := p.issuesRefresh(clientID, scope)
	p.mu.Lock()
	if p.familyRevokedLocked(sid) {
		p.mu.Unlock()
		return nil, errInvalidGrant("session revoked")
	}
	l = p.currentClaimsLocked(l)
	if !p.opts.JWTAccessTokens {
		p.access[at] = &accessGrant{clientID: clientID, scope: scope, login: l, sid: sid, expires: now.Add(ttl), emailFault: emailFault}
	}
	if refresh {
		p.refresh[rt] = &refreshGrant{clientID: clientID, scope: scope, nonce: nonce, login: l, authTime: authTime, sid: sid,
			expires: now.Add(p.opts.RefreshTokenTTL), audience: aud}
	} else {
		rt = ""
	}
	p.noteWriteLocked()
	p.mu.Unlock()
	if p.opts.JWTAccessTokens {
		var err error
		if at, err = p.signUserAccessToken(p.issuerFor(r), clientID, aud, scope, l, sid, authTime, now); err != nil {
			p.opts.Logger.Error("mockidp: sign access token", "err", err)
			return nil, &oauthError{http.StatusInternalServerError, "server_error", "could not sign the access token"}
		}
	}
	resp := &tokenResponse{
		AccessToken:  at,
		TokenType:    "Bearer",
		ExpiresIn:    int64(ttl / time.Second),
		RefreshToken: rt,
		Scope:        scope,
	}
	if p.opts.Mode.idTokens() && hasWord(scope, "openid") {
		claims := p.idTokenClaims(p.issuerFor(r), clientID, l, nonce, sid, at, authTime, now)
		f := p.takeFault(idTokenFault)
		if p.opts.Mode == ModeMicrosoft {
			f = microsoftClaims(claims, p.issuerFor(r), scope, l, f)
		}
		idt, err := p.signIDToken(claims, f)
		if err != nil {
			p.opts.Logger.Error("mockidp: sign ID token", "err", err)
			return nil, &oauthError{http.StatusInternalServerError, "server_error", "could not sign the ID token"}
		}
		resp.IDToken = idt
	}
	return resp, nil
}

func (p *Provider) grantClientCredentials(r *http.Request, clientID string, client Client, params url.Values) (*tokenResponse, *oauthError) {
	if client.public() {
		return nil, &oauthError{http.StatusBadRequest, "unauthorized_client", "a public client cannot use client_credentials"}
	}
	if aud := params.Get("audience"); aud != "" && aud != client.audience(clientID) {
		return nil, &oauthError{http.StatusBadRequest, "invalid_target", "audience " + aud + " is not allowed for this client"}
	}
	scope := client.Scope
	if req := params.Get("scope"); req != "" {
		if client.Scope != "" {
			for _, s := range strings.Fields(req) {
				if !hasWord(client.Scope, s) {
					return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "scope " + s + " is not allowed for this client"}
				}
			}
		}
		scope = req
	}
	tok, err := p.mintClientToken(p.issuerFor(r), clientID, client, scope, p.opts.AccessTokenTTL)
	if err != nil {
		p.opts.Logger.Error("mockidp: sign access token", "err", err)
		return nil, &oauthError{http.StatusInternalServerError, "server_error", "could not sign the access token"}
	}
	return &tokenResponse{AccessToken: tok, Token: tok, TokenType: "Bearer", ExpiresIn: int64(p.opts.AccessTokenTTL / time.Second), Scope: scope}, nil
}

func (c Client) audience(id string) string {
	if c.Audience != "" {
		return c.Audience
	}
	return id
}
