package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Manager is the authentication of one app: configuration, identity provider,
// sessions, tokens, capability store and caches. Create it with [New]; it
// is safe for concurrent use. Call [Manager.Close] when done.
type Manager struct {
	cfg    *Config
	log    *slog.Logger     // cfg.Logger
	now    func() time.Time // cfg.Now
	codec  *envelope.Codec
	policy *capabilities.Policy
	graph  *capabilities.Graph
	store  store.Store
	tokens store.TokenStore
	owned  []io.Closer // stores opened by New
	eff    *capabilities.EffectiveCache
	client *http.Client
	idp    *idp // nil with force_user and no provider, and without login
	// noLogin: no browser login (Config.NoLogin).
	noLogin bool
	sess    *sessionCodec
	side    *sideCookies
	login   *Login
	users   *Users
	cache   *credCache
	// machine verifies JWTs of machine clients; nil without issuers.
	machine *machineTokens
	// claims are the claim_capabilities rules and the claims they read.
	claims *claimRules

	guest     *Identity
	forced    string // force_user, normalized
	forcedID  atomic.Pointer[forcedEntry]
	mgmt      userManagement
	rechecks  sync.Map // token id → *recheckState
	closeOnce sync.Once
	closeErr  error
}

// New checks cfg ([Config.Validate]) and builds a Manager. It opens the
// capability store (cfg.CapabilityStore, else the file
// capabilities.user_file, else memory) and the token store (cfg.TokenStore,
// else the file "<user_file>.tokens.yaml", else memory). It does not contact the identity provider: discovery
// happens on the first login and is retried while it fails, so the app
// starts while the provider is down. Without server_metadata_url and
// client_id there is no provider and no browser login ([Config.NoLogin]).
// force_user is refused unless allowed,
// and logged loudly when used.
//
// cfg is copied; later changes to it have no effect.
func New(ctx context.Context, cfg *Config) (*Manager, error) {
	if cfg == nil {
		return nil, errors.New("auth: New: nil config")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := *cfg
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.deriveCookie()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	m := &Manager{cfg: &c, log: c.Logger, now: c.Now}
	var err error
	if m.codec, err = envelope.NewCodec(c.SecretKey, c.PreviousSecretKeys); err != nil {
		return nil, err
	}
	if m.policy, err = c.Capabilities.Policy(); err != nil {
		return nil, err
	}
	m.graph = m.policy.Graph()
	m.mgmt = newUserManagement(m.graph)
	if err := m.openStores(ctx); err != nil {
		m.closeOwned()
		return nil, err
	}
	m.eff = capabilities.NewEffectiveCache(m.policy, m.store, 0)
	m.client = outboundClient(c.HTTPClient)
	if m.sess, err = newSessionCodec(&c); err != nil {
		m.closeOwned()
		return nil, err
	}
	m.cache = newCredCache(defaultCacheEntries)
	m.side = newSideCookies(&c, m.now)
	m.guest = &Identity{Kind: KindGuest, set: m.policy.Guest(), graph: m.graph}
	if m.claims, err = newClaimRules(c.ClaimCapabilities, m.graph, m.log); err != nil {
		m.closeOwned()
		return nil, err
	}
	if err := m.initMachine(); err != nil {
		m.closeOwned()
		return nil, err
	}
	if c.hasProvider() {
		m.idp = newIdP(&c, m.client, m.log, m.now)
	}
	m.noLogin = c.NoLogin()
	m.login = &Login{
		cfg: &c, log: m.log, now: m.now, codec: m.codec, sess: m.sess, side: m.side,
		idp: m.idp, tokens: m.tokens, cache: m.cache, claims: m.claims,
		starts: newLoginThrottle(&c, m.log, m.now), noLogin: m.noLogin,
	}
	m.users = &Users{store: m.store, policy: m.policy, graph: m.graph, log: m.log, mgmt: m.mgmt}
	if m.noLogin {
		how := "service tokens only"
		if len(m.cfg.JWTIssuers) > 0 || len(m.cfg.MachineIssuers) > 0 {
			how = "machine clients and service tokens"
		}
		m.log.Info("auth: no browser login: no identity provider is configured; callers identify with " + how)
	}
	if c.InsecureForceUser != "" {
		m.forced = capabilities.NormalizeEmail(c.InsecureForceUser)
		m.log.Warn("auth: INSECURE: force_user is set: every request is logged in as this user without any identity provider; never use this in production",
			"force_user", m.forced)
	}
	return m, nil
}

// Close closes the stores that New opened (not those given in Config) and
// idle connections to the identity provider.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.closeErr = m.closeOwned()
		m.client.CloseIdleConnections()
	})
	return m.closeErr
}

// Config returns the validated configuration, defaults filled in (Logger
// and Now included). It must
// not be modified.
func (m *Manager) Config() *Config { return m.cfg }

// Users returns the capability operations on stored users, with their
// delegation checks.
func (m *Manager) Users() *Users { return m.users }

// Login returns the browser login: start, callback, logout.
func (m *Manager) Login() *Login { return m.login }

// effective returns the closed capability set of a logged-in subject.
func (m *Manager) effective(ctx context.Context, email string) (capabilities.Set, error) {
	s, err := m.eff.Effective(ctx, email)
	if err != nil {
		return capabilities.Set{}, fmt.Errorf("auth: capabilities of %s: %w", email, err)
	}
	return s, nil
}

// effectiveNow is effective computed from the newest stored state, read in
// the store's atomic step rather than from a cache (or a replica's copy
// that has not heard of a removal yet): for decisions that outlive the
// request, such as a service token's snapshot.
func (m *Manager) effectiveNow(ctx context.Context, email string) (capabilities.Set, error) {
	var s capabilities.Set
	_, err := m.store.Update(ctx, email, func(cur []string) ([]string, error) {
		var err error
		s, err = m.policy.Effective(email, cur)
		return cur, err
	})
	if err != nil {
		return capabilities.Set{}, fmt.Errorf("auth: capabilities of %s: %w", email, err)
	}
	return s, nil
}
