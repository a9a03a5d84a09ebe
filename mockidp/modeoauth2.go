package mockidp

import "net/http"

// The oauth2 mode: a plain OAuth 2 server, as many sites run besides
// OpenID Connect. /oauth2/authorize and /oauth2/token take the usual
// parameters (PKCE S256 and state as in every mode) and answer JSON; the
// token answer has no id_token even for scope openid, and a refresh
// token unless the client's GrantTypes leave refresh_token out. There is
// no discovery document (404). /oauth2/userinfo, with the access token
// as Bearer, answers a nested document with a numeric id:
//
//	{"id": 1234567, "profile": {"email": "a@example.com", "email_verified": true, "name": "A"}}
//
// where id is [NumericIDFor] the email and the user's extra claims join
// the profile. The answer is built from the user's current definition.

func (p *Provider) oauth2Routes(m *http.ServeMux) {
	p.frontChannelRoutes(m, "/oauth2")
	m.HandleFunc("POST /oauth2/token", p.handleToken)
	m.HandleFunc("GET /oauth2/userinfo", p.handleOAuth2Userinfo)
}

func (p *Provider) handleOAuth2Userinfo(w http.ResponseWriter, r *http.Request) {
	tok := bearerToken(r)
	if tok == "" {
		writeBearerError(w, &oauthError{status: http.StatusUnauthorized, description: "an access token is required"})
		return
	}
	g, oerr := p.accessGrantFor(tok, true)
	if oerr != nil {
		writeBearerError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, oauth2UserDocument(g))
}

// oauth2UserDocument is the user-info answer for a grant, with its email
// fault applied.
func oauth2UserDocument(g accessGrant) map[string]any {
	l := g.login
	profile := make(map[string]any, 3+len(l.claims))
	for k, v := range l.claims {
		if !protectedClaims[k] {
			profile[k] = v
		}
	}
	profile["email"] = l.email
	if _, ok := profile["email_verified"]; !ok {
		profile["email_verified"] = true
	}
	if _, ok := profile["name"]; !ok {
		profile["name"] = l.name
	}
	switch g.emailFault {
	case FaultEmailUnverified:
		profile["email_verified"] = false
	case FaultMissingEmail:
		delete(profile, "email")
		delete(profile, "email_verified")
	}
	return map[string]any{"id": NumericIDFor(l.email), "profile": profile}
}
