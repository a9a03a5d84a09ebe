package auth

import (
	"context"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

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
	claims := envelope.Claims{
		Kind: envelope.TokenService, Subject: acct, ID: envelope.NewTokenID(), IssuedAt: issued,
		ExpiresAt: issued.Add(m.cfg.TokenTTL), Capabilities: snapshot,
	}
	tok, err := m.codec.Seal(envelope.PurposeServiceToken, claims)
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
