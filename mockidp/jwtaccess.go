package mockidp

import (
	"net/http"
	"net/url"
	"time"
)

// requestedAudience is the audience a request asks for: its resource
// parameter (RFC 8707: an absolute URI without a fragment) or its
// audience parameter (as Auth0 and oatk name it). granted is the
// audience of the authorization request a token request redeems: a token
// request may repeat it but not ask for another. "" means the client.
func requestedAudience(params url.Values, granted string) (string, *oauthError) {
	resource, audience := params.Get("resource"), params.Get("audience")
	if resource != "" {
		u, err := url.Parse(resource)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return "", invalidTarget("resource must be an absolute URI without a fragment")
		}
	}
	aud := resource
	switch {
	case resource != "" && audience != "" && resource != audience:
		return "", invalidTarget("resource and audience name different audiences")
	case aud == "":
		aud = audience
	}
	switch {
	case aud == "":
		return granted, nil
	case granted != "" && aud != granted:
		return "", invalidTarget("the authorization was granted for another audience")
	}
	return aud, nil
}

func invalidTarget(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_target", desc}
}

// signUserAccessToken makes a code-flow access token as RFC 9068 has it:
// typ at+jwt; iss, sub, aud (aud, or the client), exp, iat, jti,
// client_id, scope and auth_time; the email, name and extra claims the ID
// token has, so that userinfo and APIs can read them; sid ties it to its
// login session, revoked with it.
func (p *Provider) signUserAccessToken(iss, clientID, aud, scope string, l login, sid string, authTime, now time.Time) (string, error) {
	c := make(map[string]any, 12+len(l.claims))
	for k, v := range l.claims {
		if !protectedClaims[k] && k != "client_id" && k != "scope" {
			c[k] = v
		}
	}
	if aud == "" {
		aud = clientID
	}
	c["iss"], c["sub"], c["aud"], c["client_id"] = iss, l.sub, aud, clientID
	c["iat"], c["exp"], c["jti"] = now.Unix(), now.Add(p.opts.AccessTokenTTL).Unix(), randomToken()
	c["auth_time"], c["email"], c["sid"] = authTime.Unix(), l.email, sid
	if scope != "" {
		c["scope"] = scope
	}
	if _, ok := c["name"]; !ok {
		c["name"] = l.name
	}
	return p.signAccessToken(c)
}
