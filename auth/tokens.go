package auth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// IssuedToken is a bearer token just minted.
type IssuedToken struct {
	// Token is the bearer token: opaque, encrypted and authenticated.
	// Never log it.
	Token string
	// Kind is KindUser or KindService.
	Kind Kind
	// Subject is the user's email or the service account's name.
	Subject string
	// ID identifies the token for revocation.
	ID        string
	ExpiresAt time.Time
	// Capabilities are, for a service token, the snapshot it carries; for
	// a user token, what the user holds now (it follows the store).
	Capabilities []string
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
	issued, err := issueTime(m.tokens, m.now(), id.Email)
	if err != nil {
		return IssuedToken{}, err
	}
	claims := TokenClaims{
		Kind: TokenUser, Subject: id.Email, IssuedAt: issued,
		ExpiresAt: issued.Add(m.cfg.TokenTTL),
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
	tok, err := m.codec.Seal(PurposeUserToken, claims)
	if err != nil {
		return IssuedToken{}, err
	}
	opened, err := m.codec.Open(PurposeUserToken, tok, m.now())
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

// IssueServiceToken mints a bearer token for the service account (which
// must end in "@service") on behalf of minter, who needs user_management.
// The token carries a snapshot: the account's effective capabilities that
// the minter holds too (a minter cannot hand out what it lacks). A request
// with the token holds a capability only if it is in the snapshot AND the
// account holds it now: removing it from the account revokes it at once;
// adding one needs a new token.
//
// Errors match [ErrBadRequest] (account name), [ErrNoIdentity] (guest
// minter) or [ErrForbidden] (minter without user_management).
func (m *Manager) IssueServiceToken(ctx context.Context, minter *Identity, account string) (IssuedToken, error) {
	if minter.IsGuest() {
		return IssuedToken{}, unauthenticated()
	}
	acct, err := emailaddr.ParseService(account)
	if err != nil {
		return IssuedToken{}, badRequest(err.Error())
	}
	if !m.mgmt.heldBy(minter) {
		return IssuedToken{}, forbidden("minting a service token needs " + UserManagementCapability)
	}
	held, err := m.effectiveNow(ctx, acct)
	if err != nil {
		return IssuedToken{}, err
	}
	snapshot := m.graph.SetNames(held.Intersect(minter.set))
	issued, err := issueTime(m.tokens, m.now(), acct)
	if err != nil {
		return IssuedToken{}, err
	}
	claims := TokenClaims{
		Kind: TokenService, Subject: acct, ID: NewTokenID(), IssuedAt: issued,
		ExpiresAt: issued.Add(m.cfg.TokenTTL), Capabilities: snapshot,
	}
	tok, err := m.codec.Seal(PurposeServiceToken, claims)
	if err != nil {
		return IssuedToken{}, err
	}
	m.log.Info("auth: service token issued", "account", acct, "by", minter.Email, "token_id", claims.ID,
		"capabilities", snapshot, "expires_at", claims.ExpiresAt)
	return IssuedToken{
		Token: tok, Kind: KindService, Subject: acct, ID: claims.ID, ExpiresAt: claims.ExpiresAt,
		Capabilities: snapshot,
	}, nil
}

// RevokeToken revokes a user or service token, for good (the revocation is
// kept until the token's expiry). The token's subject may revoke it, and
// anyone holding user_management. An expired token is already dead: nil.
// Errors match [ErrNoIdentity], [ErrBadRequest] (not a token) or
// [ErrForbidden].
func (m *Manager) RevokeToken(ctx context.Context, by *Identity, token string) error {
	if by.IsGuest() {
		return unauthenticated()
	}
	token = strings.TrimSpace(token)
	// Expiry is checked after authorization: open with the token's own
	// start of life.
	c, err := m.openAny(token, time.Time{})
	if err == nil && c.Kind != TokenUser && c.Kind != TokenService {
		err = ErrTokenInvalid
	}
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Msg: "not a valid token", Err: fmt.Errorf("%w: %w", ErrBadRequest, err)}
	}
	if by.Email != c.Subject && !m.mgmt.heldBy(by) {
		return forbidden("only the token's owner or a user manager may revoke it")
	}
	if !m.now().Before(c.ExpiresAt) {
		return nil
	}
	if err := m.tokens.Revoke(ctx, c.ID, c.ExpiresAt); err != nil {
		return fmt.Errorf("auth: revoking a token: %w", err)
	}
	m.log.Info("auth: token revoked", "subject", c.Subject, "token_id", c.ID, "by", by.Email)
	return nil
}

// RevokeAll revokes every token and session of subject issued until now:
// subject itself may, and anyone holding user_management. Errors match
// [ErrNoIdentity], [ErrBadRequest] (empty subject) or [ErrForbidden].
func (m *Manager) RevokeAll(ctx context.Context, by *Identity, subject string) error {
	if by.IsGuest() {
		return unauthenticated()
	}
	s := capabilities.NormalizeEmail(subject)
	if s == "" {
		return badRequest("no user to revoke")
	}
	if by.Email != s && !m.mgmt.heldBy(by) {
		return forbidden("only the user or a user manager may revoke all of a user's tokens")
	}
	if err := m.tokens.RevokeSubject(ctx, s, m.now()); err != nil {
		return fmt.Errorf("auth: revoking the tokens of %s: %w", s, err)
	}
	m.log.Info("auth: all tokens and sessions revoked", "subject", s, "by", by.Email)
	return nil
}
