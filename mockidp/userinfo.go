package mockidp

import (
	"net/http"
	"strings"
	"time"
)

func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	return ""
}

func writeBearerError(w http.ResponseWriter, e *oauthError) {
	v := `Bearer realm="mockidp"`
	if e.code != "" {
		v += `, error="` + e.code + `", error_description="` + e.description + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	if e.code == "" {
		writeJSON(w, e.status, map[string]string{"error": "invalid_request", "error_description": e.description})
		return
	}
	writeOAuthError(w, e)
}

func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	tok := bearerToken(r)
	if tok == "" && r.Method == http.MethodPost {
		if params, oerr := readParams(r); oerr == nil {
			tok = params.Get("access_token") // RFC 6750 §2.2
		}
	}
	if tok == "" {
		writeBearerError(w, &oauthError{status: http.StatusUnauthorized, description: "an access token is required"})
		return
	}
	info, oerr := p.userinfoFor(r, tok)
	if oerr != nil {
		writeBearerError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func invalidToken(desc string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_token", desc}
}

func (p *Provider) userinfoFor(r *http.Request, tok string) (map[string]any, *oauthError) {
	now := p.opts.Now()
	if strings.Count(tok, ".") == 2 {
		c, all, err := p.verifyAccessJWT(tok)
		switch {
		case err != nil:
			return nil, invalidToken("the access token is not valid")
		case c.Issuer != p.issuerFor(r):
			return nil, invalidToken("the access token has another issuer")
		case !now.Before(time.Unix(c.Expiry, 0)):
			return nil, invalidToken("the access token expired")
		case c.Email == "" || !hasWord(c.Scope, "openid"):
			return nil, &oauthError{http.StatusForbidden, "insufficient_scope", "the access token does not grant openid"}
		}
		p.mu.Lock()
		_, revoked := p.revokedJTI[c.ID]
		revoked = revoked || c.SID != "" && p.familyRevokedLocked(c.SID)
		deleted := p.deletedLocked(c.Email)
		p.mu.Unlock()
		if revoked || deleted {
			return nil, invalidToken("the access token was revoked")
		}
		info := map[string]any{}
		for k, v := range all {
			if !protectedClaims[k] && k != "client_id" && k != "scope" {
				info[k] = v
			}
		}
		info["sub"], info["email"] = c.Subject, c.Email
		if _, ok := info["email_verified"]; !ok {
			info["email_verified"] = true
		}
		return info, nil
	}
	g, oerr := p.accessGrantFor(tok, false)
	if oerr != nil {
		return nil, oerr
	}
	if !hasWord(g.scope, "openid") {
		return nil, &oauthError{http.StatusForbidden, "insufficient_scope", "the access token does not grant openid"}
	}
	l := g.login
	info := make(map[string]any, 4+len(l.claims))
	for k, v := range l.claims {
		if !protectedClaims[k] {
			info[k] = v
		}
	}
	info["sub"], info["email"] = l.sub, l.email
	if _, ok := info["email_verified"]; !ok && p.opts.Mode != ModeMicrosoft { // Microsoft sends none
		info["email_verified"] = true
	}
	if _, ok := info["name"]; !ok {
		info["name"] = l.name
	}
	return info, nil
}

// accessGrantFor returns a copy of the grant of an opaque access token
// that is still good; current applies the user's changes since the token
// was issued ([Provider.SetUser], [Provider.SetUserClaims]).
func (p *Provider) accessGrantFor(tok string, current bool) (accessGrant, *oauthError) {
	now := p.opts.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.access[tok]
	switch {
	case g == nil:
		return accessGrant{}, invalidToken("unknown access token")
	case !now.Before(g.expires):
		return accessGrant{}, invalidToken("the access token expired")
	case p.familyRevokedLocked(g.sid):
		return accessGrant{}, invalidToken("the access token was revoked")
	case p.deletedLocked(g.login.email):
		return accessGrant{}, invalidToken("this user no longer exists")
	}
	out := *g
	if current {
		out.login = p.currentClaimsLocked(out.login)
	}
	return out, nil
}
