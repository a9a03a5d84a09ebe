package authtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
	"github.com/oauthgate/oauthgate/mockidp"
)

// Tester is a running app with its mock identity provider. Its methods are
// safe for concurrent use by parallel subtests.
type Tester struct {
	// URL is the app's base URL, such as "http://127.0.0.1:41234", without
	// a trailing slash. Request paths are relative to it.
	URL string
	// Manager is the app's auth.Manager.
	Manager *auth.Manager
	// IdP is the mock identity provider the app logs in with. Its Provider
	// injects faults (FailNext), latency, key rotation and the like.
	IdP *mockidp.Server
	// Server is the app's HTTP server.
	Server *httptest.Server
	// Clients is the app's own client-credentials grant (one of the
	// Manager's MachineIssuers): cfg's, or one with a memory client store
	// and the issuer base_url + "/". Tester.Machine puts clients in its
	// ClientStore.
	Clients *clientcreds.Issuer

	t         testing.TB
	transport *http.Transport
	minter    string // email of the admin who mints service tokens

	mu      sync.Mutex
	clients map[string]*clientEntry
}

type clientEntry struct {
	once sync.Once
	c    *Client
}

// maxLoginStarts is the largest throttle.login_starts.
const maxLoginStarts = 1_000_000

// DefaultGraph is the capability graph of the configuration New makes when
// given nil: user_management, plus admin (auto_admin) implying it.
var DefaultGraph = map[string][]string{auth.UserManagementCapability: {}}

// New starts a mock identity provider (ES256, for speed), configures the
// app to log in with it, builds the app's handler with build and serves it
// on a loopback port until the end of t.
//
// cfg is copied, never modified. nil means a test configuration:
// DefaultGraph with auto_admin and nothing else. Whatever cfg says, the
// tester sets:
//   - server_metadata_url, client_id, client_secret and base_url, for the
//     mock provider and the test server;
//   - secret_key, when empty, to a random key;
//   - the capability and token stores, when cfg does not give them (as
//     CapabilityStore, TokenStore), to memory stores: a user_file is never
//     read nor written by a test;
//   - the client-credentials grant, when no *clientcreds.Issuer is among
//     cfg.MachineIssuers, to one with a memory client store (see
//     Tester.Clients and Tester.Machine);
//   - Logger, when nil, to one that discards;
//   - throttle.login_starts to its largest value, whatever cfg says (a
//     parsed configuration holds the default, 60): every test client logs
//     in from the loopback address.
//
// build receives the Manager (for m.Require and the like) and returns the
// app's handler, which is served as it is. If the handler does not serve
// the Manager's routes itself (GET {prefix}/logout does not answer 303),
// the tester serves them (handlers.Routes) in front of it, so that build may
// return a bare handler such as m.Require("x")(h).
//
// New fails the test at once if the configuration or the app is wrong.
func New(t testing.TB, cfg *auth.Config, build func(m *auth.Manager) http.Handler, opts ...Option) *Tester {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if build == nil {
		t.Fatal("authtest.New: build is nil")
	}

	idpOpts := o.idp
	if idpOpts.Algorithm == "" {
		idpOpts.Algorithm = "ES256"
	}
	idp, err := mockidp.NewServer(idpOpts)
	if err != nil {
		t.Fatalf("authtest.New: mock identity provider: %v", err)
	}
	t.Cleanup(idp.Close)

	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	baseURL := "http://" + srv.Listener.Addr().String()

	c, minter, err := testConfig(cfg, idp.URL, baseURL)
	if err != nil {
		t.Fatalf("authtest.New: %v", err)
	}
	grant, err := clientGrant(c)
	if err != nil {
		t.Fatalf("authtest.New: the client-credentials grant: %v", err)
	}
	t.Cleanup(func() { grant.Close() })
	m, err := auth.New(context.Background(), c)
	if err != nil {
		t.Fatalf("authtest.New: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("authtest: closing the Manager: %v", err)
		}
	})
	for _, email := range slices.Sorted(maps.Keys(o.users)) {
		if _, err := m.Users().Store().Set(context.Background(), email, o.users[email]); err != nil {
			t.Fatalf("authtest.New: WithCapabilities %s: %v", email, err)
		}
	}

	h := build(m)
	if h == nil {
		t.Fatal("authtest.New: build returned a nil handler")
	}
	if !servesRoutes(h, m) {
		h = withRoutes(h, m)
	}
	srv.Config.Handler = h
	srv.Start()

	tr := &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &Tester{
		URL:       srv.URL,
		Manager:   m,
		IdP:       idp,
		Server:    srv,
		Clients:   grant,
		t:         t,
		transport: tr,
		minter:    minter,
		clients:   make(map[string]*clientEntry),
	}
}

// testConfig returns a copy of cfg (or the default) pointed at the provider
// and the server, with the minter of service tokens as an override.
func testConfig(cfg *auth.Config, issuer, baseURL string) (*auth.Config, string, error) {
	var c auth.Config
	if cfg != nil {
		c = *cfg
	} else {
		c.Capabilities.Graph = maps.Clone(DefaultGraph)
	}
	c.ServerMetadataURL = issuer + "/.well-known/openid-configuration"
	c.ClientID = mockidp.DemoClientID
	c.ClientSecret = mockidp.DemoClientSecret
	c.BaseURL = baseURL
	if c.SecretKey == "" {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		c.SecretKey = base64.StdEncoding.EncodeToString(key)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Throttle.LoginStarts = maxLoginStarts
	policy, err := c.Capabilities.Policy()
	if err != nil {
		return nil, "", err
	}
	g := policy.Graph()
	if c.CapabilityStore == nil {
		c.CapabilityStore = memstore.New(g)
	}
	if c.TokenStore == nil {
		c.TokenStore = memstore.NewTokenStore()
	}
	c.Capabilities.UserFile = ""

	// The minter holds everything by configuration, so that it appears in
	// no store listing and may embed any capability in a service token.
	domain := "authtest.invalid"
	if len(c.AllowedEmailDomains) > 0 {
		domain = emailaddr.NormalizeDomain(c.AllowedEmailDomains[0])
	}
	minter := "authtest-minter@" + domain
	all := g.Names()
	if g.AutoAdmin() {
		all = []string{"admin"}
	}
	overrides := maps.Clone(c.Capabilities.UserOverrides)
	if overrides == nil {
		overrides = make(map[string][]string)
	}
	overrides[minter] = all
	c.Capabilities.UserOverrides = overrides
	return &c, minter, nil
}

// clientGrant returns the *clientcreds.Issuer among c.MachineIssuers, or
// adds one with a memory client store, for Tester.Machine.
func clientGrant(c *auth.Config) (*clientcreds.Issuer, error) {
	for _, iss := range c.MachineIssuers {
		if g, ok := iss.(*clientcreds.Issuer); ok {
			return g, nil
		}
	}
	cc := &clientcreds.Config{Grant: clientcreds.GrantConfig{Issuer: c.BaseURL + "/"}}
	g, err := clientcreds.New(context.Background(), cc, clientcreds.Options{
		ClientStore: memstore.NewClientStore(), Logger: c.Logger, Now: c.Now,
	})
	if err != nil {
		return nil, err
	}
	c.MachineIssuers = append(slices.Clip(c.MachineIssuers), g)
	return g, nil
}

// servesRoutes reports whether h answers the Manager's logout route as
// handlers does: a 303 for a request without session.
func servesRoutes(h http.Handler, m *auth.Manager) bool {
	req := httptest.NewRequest(http.MethodGet, m.Config().Prefix+"/logout?next=/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code == http.StatusSeeOther
}

// withRoutes serves the Manager's routes, and everything else with app.
func withRoutes(app http.Handler, m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	mux.Handle("/", app)
	return mux
}

// SetCapabilities replaces the capabilities stored for email (a user or a
// name@service account). Identities follow at once, tokens already issued
// included. An unknown capability fails the test that created the Tester.
func (at *Tester) SetCapabilities(email string, caps ...string) {
	at.t.Helper()
	if caps == nil {
		caps = []string{}
	}
	if _, err := at.Manager.Users().Store().Set(context.Background(), email, caps); err != nil {
		at.t.Errorf("authtest: SetCapabilities(%q): %v", email, err)
	}
}

// Option changes what New sets up.
type Option func(*options)

type options struct {
	users map[string][]string
	idp   mockidp.Options
}

// WithCapabilities stores these capabilities (email → capabilities) before
// the app serves its first request.
func WithCapabilities(users map[string][]string) Option {
	return func(o *options) {
		if o.users == nil {
			o.users = make(map[string][]string)
		}
		for email, caps := range users {
			o.users[email] = caps
		}
	}
}

// WithIdP sets the mock identity provider's options (default: the zero
// Options with Algorithm "ES256"; an empty Algorithm stays ES256).
func WithIdP(o mockidp.Options) Option {
	return func(opts *options) { opts.idp = o }
}
