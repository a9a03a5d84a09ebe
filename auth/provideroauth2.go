package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/oauthgate/oauthgate/auth/internal/jsonpath"
	"github.com/oauthgate/oauthgate/capabilities"
	"golang.org/x/oauth2"
)

// oauth2Provider is a plain OAuth 2.0 provider (provider oauth2): the
// code flow with PKCE at authorize_url and token_url, no ID token; who
// logged in is read from userinfo_url's answer with the access token, at
// email_path, email_verified_path and subject_path.
type oauth2Provider struct {
	providerDeps
	oauth oauth2.Config
}

// Kept grants name what they hold: a refresh token is used to get a new
// access token; without one, the access token is used as long as the
// provider takes it.
const (
	grantRefresh = "refresh:"
	grantAccess  = "access:"
)

func newOAuth2Provider(d providerDeps) *oauth2Provider {
	return &oauth2Provider{providerDeps: d, oauth: oauth2.Config{
		ClientID:     d.cfg.ClientID,
		ClientSecret: d.cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: d.cfg.AuthorizeURL, TokenURL: d.cfg.TokenURL},
		Scopes:       d.cfg.scopes(),
	}}
}

// A plain OAuth 2.0 provider has no nonce; how it hands out refresh
// tokens is its own (a scope in client_kwargs, often).
func (p *oauth2Provider) authCodeURL(f flow) string {
	return p.providerDeps.authCodeURL(p.oauth, f)
}

func (p *oauth2Provider) exchange(ctx context.Context, code string, f flow) (*oauth2.Token, error) {
	return p.providerDeps.exchange(ctx, p.oauth, code, f)
}

func (p *oauth2Provider) identify(ctx context.Context, tok *oauth2.Token, _ flow) (verifiedLogin, error) {
	v, err := p.user(ctx, tok.AccessToken)
	if err != nil {
		p.log.Warn("auth: user-info refused", "err", err)
		return verifiedLogin{}, err
	}
	v.authTime = p.now()
	return v, nil
}

func (p *oauth2Provider) grant(tok *oauth2.Token) string {
	if tok.RefreshToken != "" {
		return grantRefresh + tok.RefreshToken
	}
	return grantAccess + tok.AccessToken
}

// recheck gets a new access token with the kept refresh token, if any,
// then reads the user-info again: a refused refresh token or access
// token, another email or an unverified one ends the user's token.
func (p *oauth2Provider) recheck(ctx context.Context, grant, email string) (recheckResult, error) {
	var res recheckResult
	var access string
	switch {
	case strings.HasPrefix(grant, grantRefresh):
		refresh := strings.TrimPrefix(grant, grantRefresh)
		tok, err := p.oauth.TokenSource(p.clientContext(ctx), &oauth2.Token{RefreshToken: refresh}).Token()
		if err != nil {
			if refreshRefused(err) {
				return res, fmt.Errorf("auth: refresh refused (invalid_grant): %w", ErrTokenRevoked)
			}
			return res, err
		}
		if tok.RefreshToken != "" {
			refresh = tok.RefreshToken // rotated
		}
		res.grant, access = grantRefresh+refresh, tok.AccessToken
	case strings.HasPrefix(grant, grantAccess):
		access = strings.TrimPrefix(grant, grantAccess)
	default:
		return res, fmt.Errorf("auth: a kept grant of another provider: %w", ErrTokenRevoked)
	}
	v, err := p.user(ctx, access)
	if err != nil {
		return res, recheckErrorOf(err)
	}
	if capabilities.NormalizeEmail(v.email) != email {
		return res, fmt.Errorf("auth: the user-info names another user: %w", ErrTokenRevoked)
	}
	if res.grant == "" {
		res.grant = grant
	}
	res.claims = v.claims
	return res, nil
}

// user reads the user-info with accessToken and applies the paths and
// the verified-email rule. Its claims are the answer's top-level members.
func (p *oauth2Provider) user(ctx context.Context, accessToken string) (verifiedLogin, error) {
	body, _, err := p.getJSON(ctx, p.cfg.UserinfoURL, accessToken, nil)
	if err != nil {
		return verifiedLogin{}, err
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(body, &claims); err != nil {
		return verifiedLogin{}, fmt.Errorf("auth: the user-info answer is not a JSON object: %w", err)
	}
	cfg := p.cfg
	subject, ok := jsonpath.String(body, cfg.SubjectPath)
	if !ok || subject == "" {
		return verifiedLogin{}, fmt.Errorf("auth: the user-info answer has no subject at %q (subject_path)", cfg.SubjectPath)
	}
	email, ok := jsonpath.String(body, cfg.EmailPath)
	if !ok || email == "" {
		return verifiedLogin{}, refused(msgNoEmail, "auth: the user-info answer has no email at %q (email_path)", cfg.EmailPath)
	}
	if cfg.verifiedEmailRequired() && !jsonpath.True(body, cfg.EmailVerifiedPath) {
		return verifiedLogin{}, refused(msgUnverified, "auth: email %q is not verified: %q (email_verified_path) is missing or not true", email, cfg.EmailVerifiedPath)
	}
	return verifiedLogin{email: email, subject: subject, claims: claims}, nil
}

// check sends the client's credentials with an invalid code to the token
// endpoint, and asks the user-info endpoint without a token (it must
// refuse, not be missing) and the authorization endpoint without
// parameters (it must answer).
func (p *oauth2Provider) check(ctx context.Context) error {
	if err := checkClient(ctx, p.providerDeps, p.oauth); err != nil {
		return err
	}
	_, _, err := p.getJSON(ctx, p.cfg.UserinfoURL, "", nil)
	var se *statusError
	errors.As(err, &se)
	switch {
	case err == nil:
		return fmt.Errorf("userinfo_url %s answered without a token", p.cfg.UserinfoURL)
	case !errors.Is(err, errUnauthorized) && (se == nil || se.status != 400 && se.status != 403):
		return fmt.Errorf("userinfo_url: %w", err)
	}
	_, _, err = p.getJSON(ctx, p.cfg.AuthorizeURL, "", nil)
	se = nil
	if errors.Is(err, errUnreachable) || errors.As(err, &se) && (se.status == 404 || se.status >= 500) {
		return fmt.Errorf("authorize_url: %w", err)
	}
	return nil
}
