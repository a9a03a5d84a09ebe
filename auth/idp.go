package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// discoveryRetry is the least time between two discovery attempts while
// the identity provider cannot be reached.
const discoveryRetry = 2 * time.Second

// wellKnownSuffix ends an OpenID discovery URL.
const wellKnownSuffix = "/.well-known/openid-configuration"

// idp is the identity provider, readied on first need: discovered, for
// the kinds that have a discovery document. A failed discovery is
// retried by a later call, at most once per discoveryRetry; a success is
// kept.
type idp struct {
	kind  string // providerKind
	where string // what discovery reaches (an issuer), or the provider's URL, for logs
	// discover readies the provider; it is called without the cache by
	// config check.
	discover func(ctx context.Context) (loginProvider, error)
	log      *slog.Logger
	now      func() time.Time

	ready atomic.Pointer[readyProvider]

	mu      sync.Mutex // serialises attempts; guards the fields below
	lastTry time.Time
	lastErr error
}

// readyProvider boxes a loginProvider for the atomic pointer.
type readyProvider struct{ loginProvider }

// providerDeps are what the providers use of the Manager: the
// configuration, the bounded HTTP client, the logger and the clock.
type providerDeps struct {
	cfg    *Config
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
}

// clientContext makes go-oidc and x/oauth2 use the bounded client.
func (d providerDeps) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, d.client)
}

// newIdP returns the identity provider cfg names (cfg.hasProvider()).
func newIdP(cfg *Config, client *http.Client, log *slog.Logger, now func() time.Time) *idp {
	d := providerDeps{cfg: cfg, client: client, log: log, now: now}
	p := &idp{kind: cfg.providerKind(), log: log, now: now}
	switch p.kind {
	case providerGitHub:
		gh := newGitHub(d)
		p.where = gh.base
		p.discover = func(context.Context) (loginProvider, error) { return gh, nil }
	case providerOAuth2:
		o := newOAuth2Provider(d)
		p.where = cfg.AuthorizeURL
		p.discover = func(context.Context) (loginProvider, error) { return o, nil }
	default:
		// go-oidc takes the issuer and appends the well-known path itself,
		// checking that the document names that same issuer (for oidc).
		p.where = strings.TrimSuffix(cfg.ServerMetadataURL, wellKnownSuffix)
		microsoft := p.kind == providerMicrosoft
		p.discover = func(ctx context.Context) (loginProvider, error) { return discoverOIDC(ctx, d, p.where, microsoft) }
	}
	return p
}

// get returns the ready provider, discovering it if needed.
func (p *idp) get(ctx context.Context) (loginProvider, error) {
	if r := p.ready.Load(); r != nil {
		return r.loginProvider, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.ready.Load(); r != nil {
		return r.loginProvider, nil
	}
	// The manager's clock, so that tests can step past the retry delay.
	now := p.now()
	if p.lastErr != nil && now.Sub(p.lastTry) < discoveryRetry {
		return nil, p.lastErr
	}
	p.lastTry = now
	r, err := p.discover(ctx)
	if err != nil {
		p.lastErr = fmt.Errorf("auth: discovery of %s: %w", p.where, err)
		p.log.Warn("auth: identity provider discovery failed; will retry", "issuer", p.where, "err", err)
		return nil, p.lastErr
	}
	p.lastErr = nil
	p.ready.Store(&readyProvider{r})
	p.log.Info("auth: identity provider ready", "provider", p.kind, "issuer", p.where)
	return r, nil
}
