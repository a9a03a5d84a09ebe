package auth

import (
	"fmt"
	"net/http"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
)

// IssueUserToken mints a bearer token for the user id (from a session or
// another user token; a token minted from a token expires no later than
// it). Its life is token_ttl. When the session's login was offline
// (/login?offline_token=true), the identity provider's refresh token, kept
// in the offline cookie, is embedded (encrypted) so that the user is
// re-checked with the provider every recheck_interval; the offline cookie
// is then deleted (one refresh token serves one token: providers rotate
// them). The claims that the identity kept for claim rules and
// [Manager.RequireClaim] (from its login's ID token) are sealed in the
// token, so its bearer gets the same claim grants.
//
// A guest gets an error matching [ErrNoIdentity], a service account one
// matching [ErrBadRequest].
func (m *Manager) IssueUserToken(w http.ResponseWriter, r *http.Request, id *Identity) (IssuedToken, error) {
	switch {
	case id.IsGuest():
		return IssuedToken{}, unauthenticated()
	case id.Kind != KindUser:
		return IssuedToken{}, badRequest("only users get user tokens; use a service token")
	}
	issued, err := issueTime(m.tokens, m.now(), id.Email)
	if err != nil {
		return IssuedToken{}, err
	}
	claims := envelope.Claims{
		Kind: envelope.TokenUser, Subject: id.Email, IssuedAt: issued,
		ExpiresAt: issued.Add(m.cfg.TokenTTL),
		Extra:     tokenExtra(m.claims.trim(id.claims, id.Email)),
	}
	if id.Via == "bearer" && !id.ExpiresAt.IsZero() && id.ExpiresAt.Before(claims.ExpiresAt) {
		claims.ExpiresAt = id.ExpiresAt
	}
	if id.sessionID != "" && r != nil {
		name := m.side.name("_offline")
		if v, ok := cookieValue(r.Header, name); ok {
			g, err := openOffline(m.codec, v)
			if err == nil && g.email == id.Email && g.sessionID == id.sessionID && g.refresh != "" {
				claims.RefreshToken, claims.CheckedAt = g.refresh, g.loginTime
			} else if err != nil {
				m.log.Debug("auth: offline cookie ignored", "err", err)
			}
			if w != nil {
				http.SetCookie(w, m.side.cookie(name, "", m.cfg.Prefix+"/token", 0))
			}
		}
	}
	tok, err := m.codec.Seal(envelope.PurposeUserToken, claims)
	if err != nil {
		return IssuedToken{}, err
	}
	opened, err := m.codec.Open(envelope.PurposeUserToken, tok, m.now())
	if err != nil {
		return IssuedToken{}, fmt.Errorf("auth: a new token does not open: %w", err)
	}
	m.log.Info("auth: user token issued", "email", id.Email, "token_id", opened.ID, "expires_at", claims.ExpiresAt,
		"recheck", claims.RefreshToken != "")
	return IssuedToken{
		Token: tok, Kind: KindUser, Subject: id.Email, ID: opened.ID, ExpiresAt: claims.ExpiresAt,
		Capabilities: id.Capabilities(),
	}, nil
}
