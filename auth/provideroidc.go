package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/oauthgate/oauthgate/capabilities"
	"golang.org/x/oauth2"
)

// oidcProvider is an OpenID Connect provider found by discovery: provider
// oidc, and provider microsoft, whose multi-tenant discovery document
// names an issuer template holding "{tenantid}".
type oidcProvider struct {
	providerDeps
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config // without RedirectURL, set per login
	// offlineScope: the provider lists offline_access, the standard way
	// to ask for a refresh token.
	offlineScope bool
	jwksURL      string // where the verifier's keys are
	// microsoft: the issuer is checked here, against issuerTemplate with
	// the ID token's tid, instead of by go-oidc.
	microsoft      bool
	issuerTemplate string
}

// discoverOIDC fetches issuer's discovery document and readies the
// provider.
func discoverOIDC(ctx context.Context, d providerDeps, issuer string, microsoft bool) (*oidcProvider, error) {
	cctx := d.clientContext(ctx)
	if microsoft {
		// The multi-tenant document names "https://…/{tenantid}/v2.0", not
		// the URL it is served at: go-oidc must not compare them. Each ID
		// token's iss is checked against that template with its tid
		// (checkTenant).
		cctx = oidc.InsecureIssuerURLContext(cctx, issuer)
	}
	provider, err := oidc.NewProvider(cctx, issuer)
	if err != nil {
		if !microsoft && strings.Contains(err.Error(), "{tenantid}") {
			return nil, fmt.Errorf("%w (a Microsoft multi-tenant document: set provider: microsoft)", err)
		}
		return nil, err
	}
	var meta struct {
		Issuer  string   `json:"issuer"`
		Scopes  []string `json:"scopes_supported"`
		JWKSURL string   `json:"jwks_uri"`
	}
	_ = provider.Claims(&meta) // go-oidc decoded it already
	// A login needs all three; go-oidc only checks the issuer.
	ep := provider.Endpoint()
	for _, e := range [...]struct{ key, value string }{
		{"authorization_endpoint", ep.AuthURL}, {"token_endpoint", ep.TokenURL}, {"jwks_uri", meta.JWKSURL},
	} {
		if e.value == "" {
			return nil, fmt.Errorf("the discovery document has no %s", e.key)
		}
	}
	if microsoft && meta.Issuer == "" {
		return nil, errors.New("the discovery document has no issuer")
	}
	cfg := d.cfg
	return &oidcProvider{
		providerDeps: d,
		jwksURL:      meta.JWKSURL,
		verifier:     provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: d.now, SkipIssuerCheck: microsoft}),
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     ep,
			Scopes:       cfg.scopes(),
		},
		offlineScope:   slices.Contains(meta.Scopes, oidc.ScopeOfflineAccess),
		microsoft:      microsoft,
		issuerTemplate: meta.Issuer,
	}, nil
}

func (p *oidcProvider) authCodeURL(f flow) string {
	cfg := p.oauth
	opts := []oauth2.AuthCodeOption{oidc.Nonce(f.nonce)}
	if f.offline {
		opts = append(opts, oauth2.AccessTypeOffline)
		if p.offlineScope {
			cfg.Scopes = append(slices.Clone(cfg.Scopes), oidc.ScopeOfflineAccess)
			if _, ok := p.cfg.ClientKwargs["prompt"]; !ok {
				// OpenID Connect Core §11: offline_access needs consent.
				opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
			}
		}
	}
	return p.providerDeps.authCodeURL(cfg, f, opts...)
}

func (p *oidcProvider) exchange(ctx context.Context, code string, f flow) (*oauth2.Token, error) {
	return p.providerDeps.exchange(ctx, p.oauth, code, f)
}

func (p *oidcProvider) identify(ctx context.Context, tok *oauth2.Token, f flow) (verifiedLogin, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return verifiedLogin{}, loginBad("the identity provider sent no ID token", nil)
	}
	v, err := p.verifyIDToken(ctx, raw, f.nonce)
	if err != nil {
		p.log.Warn("auth: ID token refused", "err", err)
		return verifiedLogin{}, err
	}
	return v, nil
}

func (p *oidcProvider) grant(tok *oauth2.Token) string { return tok.RefreshToken }

// recheck uses the refresh token. A refusal of the grant (invalid_grant)
// or an ID token for another user (or tenant no longer allowed) wraps
// ErrTokenRevoked; other errors mean the provider could not answer.
func (p *oidcProvider) recheck(ctx context.Context, grant, email string) (recheckResult, error) {
	cctx := p.clientContext(ctx)
	tok, err := p.oauth.TokenSource(cctx, &oauth2.Token{RefreshToken: grant}).Token()
	if err != nil {
		if refreshRefused(err) {
			return recheckResult{}, fmt.Errorf("auth: refresh refused (invalid_grant): %w", ErrTokenRevoked)
		}
		return recheckResult{}, err
	}
	// The provider may have rotated the refresh token: keep the new one
	// whatever the ID token says.
	res := recheckResult{grant: grant}
	if tok.RefreshToken != "" {
		res.grant = tok.RefreshToken
	}
	res.claims, err = p.checkRefreshedIDToken(cctx, tok, email)
	return res, err
}

// checkRefreshedIDToken verifies the ID token of a refresh answer, if any:
// signature, issuer, audience, expiry, and the same user. It returns the
// token's claims (nil without an ID token).
func (p *oidcProvider) checkRefreshedIDToken(ctx context.Context, tok *oauth2.Token, subject string) (map[string]json.RawMessage, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, nil
	}
	idt, all, err := p.verify(ctx, raw)
	if err != nil {
		return nil, recheckErrorOf(fmt.Errorf("auth: refreshed ID token: %w", err))
	}
	var claims struct {
		Email string `json:"email"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("auth: refreshed ID token: %w", err)
	}
	if claims.Email != "" && capabilities.NormalizeEmail(claims.Email) != subject {
		return nil, fmt.Errorf("auth: refreshed ID token names another user: %w", ErrTokenRevoked)
	}
	return all, nil
}

// check loads the provider's keys.
func (p *oidcProvider) check(ctx context.Context) error {
	return newLimitedKeySet(p.client, p.now, p.jwksURL, 0).fetch(ctx)
}

// verify checks raw's signature, audience and expiry (go-oidc), and its
// issuer: by go-oidc, or for microsoft against the template and the
// allowed tenants. It returns the token and all its claims.
func (p *oidcProvider) verify(ctx context.Context, raw string) (*oidc.IDToken, map[string]json.RawMessage, error) {
	tok, err := p.verifier.Verify(p.clientContext(ctx), raw)
	if err != nil {
		return nil, nil, err
	}
	var all map[string]json.RawMessage
	if err := tok.Claims(&all); err != nil {
		return nil, nil, fmt.Errorf("auth: ID token claims: %w", err)
	}
	if p.microsoft {
		if err := p.checkTenant(all); err != nil {
			return nil, nil, err
		}
	}
	return tok, all, nil
}

// checkTenant checks a Microsoft ID token's issuer and tenant: tid is a
// GUID, iss is the discovery document's issuer with "{tenantid}" replaced
// by tid (for a tenant's own document: its issuer, naming tid), and tid
// is among allowed_tenants when set.
func (p *oidcProvider) checkTenant(all map[string]json.RawMessage) error {
	var iss, tid string
	if json.Unmarshal(all["iss"], &iss) != nil || json.Unmarshal(all["tid"], &tid) != nil {
		return errors.New("auth: ID token without iss or tid")
	}
	lower := strings.ToLower(tid)
	if !isGUID(lower) {
		return fmt.Errorf("auth: ID token tid %q is not a tenant id", tid)
	}
	if want := strings.ReplaceAll(p.issuerTemplate, "{tenantid}", tid); iss != want {
		return fmt.Errorf("auth: ID token iss %q is not %q, the issuer of its tenant %s", iss, want, tid)
	}
	if !strings.Contains(iss, tid) {
		// A tenant's own document: its issuer names its tenant.
		return fmt.Errorf("auth: ID token tid %s is not the tenant of its issuer %q", tid, iss)
	}
	if len(p.cfg.AllowedTenants) > 0 && !slices.Contains(p.cfg.AllowedTenants, lower) {
		return refused("your organisation (Microsoft tenant) may not log in to this app",
			"auth: tenant %s is not in allowed_tenants", tid)
	}
	return nil
}
