package auth

import (
	"fmt"
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
)

// issueTime returns the issue time of a new token or session of subject:
// now, kept to the second, or else the first second after it that the
// subject's "revoke all" cutoff does not cover. A token issued right after
// a "revoke all" thus lives, and the next one covers it even within the
// same second, since every "revoke all" moves the cutoff at least one
// second past the previous one (see [store.TokenStore]). A cutoff
// further ahead than tokens may be dated is an error.
func (m *Manager) issueTime(subject string) (time.Time, error) {
	now := m.now()
	t := now.Truncate(time.Second)
	for m.tokens.Revoked("", subject, t) {
		t = t.Add(time.Second)
		if t.After(now.Add(maxClockSkew)) {
			return time.Time{}, fmt.Errorf("auth: the tokens of %s are revoked until after %s", subject, t.Format(time.RFC3339))
		}
	}
	return t, nil
}

// IssueUserToken mints a bearer token for the user id (from a session or
// another user token; a token minted from a token expires no later than
// it). Its life is token_ttl. When the session's login was offline
// (/login?offline_token=true), the identity provider's refresh token, kept
// in the offline cookie, is embedded (encrypted) so that the user is
// re-checked with the provider every recheck_interval; the offline cookie
// is then deleted (one refresh token serves one token: providers rotate
// them).
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
	issued, err := m.issueTime(id.Email)
	if err != nil {
		return IssuedToken{}, err
	}
	claims := envelope.Claims{
		Kind: envelope.TokenUser, Subject: id.Email, IssuedAt: issued,
		ExpiresAt: issued.Add(m.cfg.TokenTTL),
	}
	if id.Via == "bearer" && !id.ExpiresAt.IsZero() && id.ExpiresAt.Before(claims.ExpiresAt) {
		claims.ExpiresAt = id.ExpiresAt
	}
	if id.sessionID != "" && r != nil {
		name := m.sideCookieName("_offline")
		if v, ok := cookieValue(r.Header, name); ok {
			g, err := m.openOffline(v)
			if err == nil && g.email == id.Email && g.sessionID == id.sessionID && g.refresh != "" {
				claims.RefreshToken, claims.CheckedAt = g.refresh, g.loginTime
			} else if err != nil {
				m.log.Debug("auth: offline cookie ignored", "err", err)
			}
			if w != nil {
				http.SetCookie(w, m.sideCookie(name, "", m.cfg.Prefix+"/token", 0))
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
