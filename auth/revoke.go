package auth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities"
)

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
	if err == nil && c.Kind != envelope.TokenUser && c.Kind != envelope.TokenService {
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
