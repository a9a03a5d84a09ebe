package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// discoveryRetry is the least time between two discovery attempts while
// the identity provider cannot be reached.
const discoveryRetry = 2 * time.Second

// wellKnownSuffix ends an OpenID discovery URL.
const wellKnownSuffix = "/.well-known/openid-configuration"

// idp is the identity provider, discovered on first need. A failed
// discovery is retried by a later call, at most once per discoveryRetry;
// a success is kept.
type idp struct {
	issuer string
	cfg    *Config // client id and secret, scopes, email rules
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	ready atomic.Pointer[idpReady]

	mu      sync.Mutex // serialises attempts; guards the fields below
	lastTry time.Time
	lastErr error
}

// idpReady is a discovered provider.
type idpReady struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config // without RedirectURL, set per login
	// offlineScope: the provider lists offline_access, the standard way
	// to ask for a refresh token.
	offlineScope bool
	jwksURL      string // where the verifier's keys are
}

func newIdP(cfg *Config, client *http.Client, log *slog.Logger, now func() time.Time) *idp {
	// go-oidc takes the issuer and appends the well-known path itself,
	// checking that the document names that same issuer.
	return &idp{
		issuer: strings.TrimSuffix(cfg.ServerMetadataURL, wellKnownSuffix),
		cfg:    cfg, client: client, log: log, now: now,
	}
}

// clientContext makes go-oidc and x/oauth2 use the bounded client.
func (p *idp) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.client)
}

// get returns the discovered provider, discovering it if needed.
func (p *idp) get(ctx context.Context) (*idpReady, error) {
	if r := p.ready.Load(); r != nil {
		return r, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.ready.Load(); r != nil {
		return r, nil
	}
	// The manager's clock, so that tests can step past the retry delay.
	now := p.now()
	if p.lastErr != nil && now.Sub(p.lastTry) < discoveryRetry {
		return nil, p.lastErr
	}
	p.lastTry = now
	r, err := p.discover(ctx)
	if err != nil {
		p.lastErr = fmt.Errorf("auth: discovery of %s: %w", p.issuer, err)
		p.log.Warn("auth: identity provider discovery failed; will retry", "issuer", p.issuer, "err", err)
		return nil, p.lastErr
	}
	p.lastErr = nil
	p.ready.Store(r)
	p.log.Info("auth: identity provider discovered", "issuer", p.issuer)
	return r, nil
}

func (p *idp) discover(ctx context.Context) (*idpReady, error) {
	cfg := p.cfg
	provider, err := oidc.NewProvider(p.clientContext(ctx), p.issuer)
	if err != nil {
		return nil, err
	}
	var meta struct {
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
	r := &idpReady{
		jwksURL:  meta.JWKSURL,
		provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.now}),
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			Scopes:       cfg.scopes(),
		},
		offlineScope: slices.Contains(meta.Scopes, "offline_access"),
	}
	return r, nil
}
