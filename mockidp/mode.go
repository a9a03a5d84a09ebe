package mockidp

import (
	"fmt"
	"net/http"
	"net/url"
)

// Mode is the protocol a provider speaks ([Options.Mode]). Every mode
// shares the authorization-code machinery (PKCE S256, state, single-use
// codes, the ways of choosing the user, the users file, consent and the
// faults); they differ in their endpoints and the shape of their answers.
type Mode string

const (
	// ModeOIDC is a standards-following OpenID Connect provider (the
	// default): discovery, JWKS, ID tokens, userinfo, refresh,
	// client_credentials, device flow, revocation, end_session.
	ModeOIDC Mode = "oidc"
	// ModeGitHub speaks as GitHub (or GitHub Enterprise Server) to an
	// OAuth App: the web flow at /login/oauth/authorize and
	// /login/oauth/access_token, and the REST API under /api/v3. No
	// discovery, no ID token, no refresh token.
	ModeGitHub Mode = "github"
	// ModeMicrosoft speaks as the Microsoft identity platform v2.0:
	// per-tenant endpoints under /{tenant}/ for common, organizations,
	// consumers or a tenant GUID, and ID tokens whose issuer names the
	// user's tenant.
	ModeMicrosoft Mode = "microsoft"
	// ModeOAuth2 is a plain OAuth 2 server: /oauth2/authorize,
	// /oauth2/token and /oauth2/userinfo answering a nested document. No
	// discovery and no ID token.
	ModeOAuth2 Mode = "oauth2"
)

// Modes lists the modes, the default first.
func Modes() []Mode { return []Mode{ModeOIDC, ModeGitHub, ModeMicrosoft, ModeOAuth2} }

// ParseMode returns the mode with the given name; "" is [ModeOIDC].
func ParseMode(name string) (Mode, error) {
	if name == "" {
		return ModeOIDC, nil
	}
	for _, m := range Modes() {
		if string(m) == name {
			return m, nil
		}
	}
	return "", fmt.Errorf("mockidp: unknown mode %q (want oidc, github, microsoft or oauth2)", name)
}

// Mode returns the protocol the provider speaks.
func (p *Provider) Mode() Mode { return p.opts.Mode }

// idTokens reports whether the mode issues ID tokens (for scope openid).
func (m Mode) idTokens() bool { return m == ModeOIDC || m == ModeMicrosoft }

// faultApplies reports whether f can happen in the mode: the modes
// without ID tokens know the endpoint faults and the email faults, which
// show in their user answers.
func (m Mode) faultApplies(f Fault) bool {
	if m.idTokens() || f.kind() != idTokenFault {
		return true
	}
	return f == FaultEmailUnverified || f == FaultMissingEmail
}

// grantAllowed reports whether the mode's token endpoint knows a grant type.
func (m Mode) grantAllowed(gt string) bool {
	switch m {
	case ModeGitHub:
		return gt == "authorization_code"
	case ModeMicrosoft, ModeOAuth2:
		return gt == "authorization_code" || gt == "refresh_token"
	}
	return true
}

// checkModeOptions refuses options the mode has no use for, so that a
// test does not silently test nothing.
func checkModeOptions(o Options) error {
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return err
	}
	if o.Mode == ModeOIDC {
		return nil
	}
	if o.Registration {
		return fmt.Errorf("mockidp: dynamic client registration needs mode oidc, not %s", o.Mode)
	}
	if o.JWTAccessTokens && !o.Mode.idTokens() {
		return fmt.Errorf("mockidp: mode %s issues opaque access tokens only (no JWTAccessTokens)", o.Mode)
	}
	return nil
}

// routes registers the endpoints of the provider's mode.
func (p *Provider) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	p.controlRoutes(m)
	p.accountRoutes(m, "")
	switch p.opts.Mode {
	case ModeGitHub:
		p.githubRoutes(m)
	case ModeMicrosoft:
		p.microsoftRoutes(m)
	case ModeOAuth2:
		p.oauth2Routes(m)
	default:
		p.oidcRoutes(m)
	}
	p.mux = m
}

func (p *Provider) oidcRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /.well-known/openid-configuration", p.handleDiscovery)
	m.HandleFunc("GET /jwks", p.handleJWKS)
	m.HandleFunc("GET /authorize", p.handleAuthorize)
	m.HandleFunc("POST /authorize", p.handleAuthorize)
	m.HandleFunc("POST /token", p.handleToken)
	m.HandleFunc("GET /userinfo", p.handleUserinfo)
	m.HandleFunc("POST /userinfo", p.handleUserinfo)
	m.HandleFunc("POST /revoke", p.handleRevoke)
	m.HandleFunc("GET /end_session", p.handleEndSession)
	m.HandleFunc("POST /end_session", p.handleEndSession)
	p.registrationRoutes(m)
	p.deviceRoutes(m)
	p.staticRoutes(m)
}

// frontChannelRoutes registers an authorize endpoint at dir+"/authorize"
// with the login, consent and sign-up pages beside it (their forms post
// to relative URLs).
func (p *Provider) frontChannelRoutes(m *http.ServeMux, dir string) {
	m.HandleFunc("GET "+dir+"/authorize", p.handleAuthorize)
	m.HandleFunc("POST "+dir+"/authorize", p.handleAuthorize)
	p.accountRoutes(m, dir)
}

// authorizeResponse adds the mode's parameters to an authorization
// response v (error or success) before it is sent to the client.
func (p *Provider) authorizeResponse(r *http.Request, v url.Values) {
	switch p.opts.Mode {
	case ModeOIDC:
		v.Set("iss", p.issuerFor(r)) // RFC 9207
	case ModeGitHub:
		githubAuthorizeError(v)
	case ModeMicrosoft:
		microsoftAuthorizeError(v)
	}
}

// admit is the mode's last check of a login before a code is issued.
func (p *Provider) admit(req *authzRequest, l login) *oauthError {
	if p.opts.Mode == ModeMicrosoft {
		return admitTenant(req.tenant, l)
	}
	return nil
}

func (p *Provider) writeTokenAnswer(w http.ResponseWriter, r *http.Request, resp *tokenResponse) {
	switch p.opts.Mode {
	case ModeGitHub:
		writeGitHubToken(w, r, resp)
	case ModeMicrosoft:
		resp.ExtExpiresIn = resp.ExpiresIn
		writeJSON(w, http.StatusOK, resp)
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

func (p *Provider) writeTokenError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	switch p.opts.Mode {
	case ModeGitHub:
		writeGitHubTokenError(w, r, e)
	case ModeMicrosoft:
		p.writeMicrosoftError(w, e)
	default:
		writeOAuthError(w, e)
	}
}

// issuesRefresh reports whether a code or refresh grant of scope gets a
// refresh token: always in oidc mode, never from GitHub (OAuth App tokens
// do not expire), with offline_access from Microsoft, and in oauth2 mode
// unless the client's GrantTypes leave refresh_token out.
func (p *Provider) issuesRefresh(clientID, scope string) bool {
	switch p.opts.Mode {
	case ModeGitHub:
		return false
	case ModeMicrosoft:
		return hasWord(scope, "offline_access")
	case ModeOAuth2:
		c, ok := p.lookupClient(clientID)
		return ok && c.allowsGrant("refresh_token")
	}
	return true
}
