// Package e2etest runs apps built on package handlers over real HTTP
// against a mock identity provider. It is shared by the tests of handlers
// and handlers/ginauth so that every router answers the same table of
// requests. Nothing outside tests imports it.
package e2etest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/mockidp"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

// signingKey is one RSA key for every provider of the test binary:
// generating a key is the slow part of starting one.
func signingKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
	})
	return key
}

// IdP starts a mock OpenID provider for the test, closed at its end.
func IdP(t testing.TB) *mockidp.Server {
	t.Helper()
	return IdPMode(t, mockidp.ModeOIDC)
}

// IdPMode starts a mock provider speaking mode (as GitHub, Microsoft, a
// plain OAuth 2.0 server), knowing users, closed at the test's end.
func IdPMode(t testing.TB, mode mockidp.Mode, users ...mockidp.User) *mockidp.Server {
	t.Helper()
	return NewIdP(t, mockidp.Options{Mode: mode, Users: users})
}

// NewIdP starts a mock provider with opts (the test binary's signing key
// unless opts has one), closed at the test's end.
func NewIdP(t testing.TB, opts mockidp.Options) *mockidp.Server {
	t.Helper()
	if opts.SigningKey == nil {
		opts.SigningKey = signingKey(t)
	}
	idp, err := mockidp.NewServer(opts)
	if err != nil {
		t.Fatalf("mockidp: %v", err)
	}
	t.Cleanup(idp.Close)
	return idp
}

// SecretKey returns a fresh random secret_key.
func SecretKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Capabilities is the capabilities section every test app uses. Guests hold
// look; logged-in users read (so write implies what they already have);
// boss@corp.example holds announce by configuration only.
const Capabilities = `capabilities:
  graph:
    read: []
    write: [read]
    moderate: [read, write]
    announce: [read, write]
    look: []
    baker: []
    user_management: []
  auto_admin: true
  default_capabilities: [read]
  guest_capabilities: [look]
  user_overrides:
    boss@corp.example: [announce]
`

// Emails of the test table's people.
const (
	AdminEmail   = "admin@corp.example"   // stored: admin
	ManagerEmail = "manager@corp.example" // stored: user_management, write
	UserEmail    = "user@corp.example"    // defaults only
	BossEmail    = "boss@corp.example"    // override: announce
	ServiceName  = "bot@service"          // stored: write, baker
)

// Options shape the app that Start serves.
type Options struct {
	// Prefix is the routes' prefix ("" or "/api/v1").
	Prefix string
	// Extra is more YAML appended to the configuration.
	Extra string
	// Capabilities replaces the capabilities section (default Capabilities).
	Capabilities string
	// Users are stored capabilities set before the app starts. Nil seeds
	// the admin, manager and service of the table; use an empty map for none.
	Users map[string][]string
	// Edit, if set, changes the parsed configuration before New.
	Edit func(*auth.Config)
	// Sections are read from the configuration with auth's keys (see
	// auth.Section), such as the client-credentials grant's.
	Sections []auth.Section
}

// ConfigYAML returns the configuration text of an app whose provider is
// idp: for an OpenID provider, easy-oauth's keys plus base_url; for the
// other modes, the provider's keys (ProviderYAML) instead of
// server_metadata_url and client_kwargs.
func ConfigYAML(idp *mockidp.Server, baseURL string, o Options) string {
	caps := o.Capabilities
	if caps == "" {
		caps = Capabilities
	}
	var b strings.Builder
	b.WriteString(ProviderYAML(idp))
	b.WriteString("secret_key: " + SecretKey() + "\n")
	b.WriteString("client_id: " + mockidp.DemoClientID + "\n")
	b.WriteString("client_secret: " + mockidp.DemoClientSecret + "\n")
	b.WriteString("prefix: \"" + o.Prefix + "\"\n")
	b.WriteString("base_url: " + baseURL + "\n")
	b.WriteString(caps)
	b.WriteString(o.Extra)
	return b.String()
}

// ProviderYAML returns the keys naming idp as the app's provider, by its
// mode: the discovery URL (oidc; microsoft's multi-tenant "common"
// document), the GitHub Enterprise URL (github), or the endpoints and
// the paths of the user-info answer (oauth2).
func ProviderYAML(idp *mockidp.Server) string {
	switch idp.Provider.Mode() {
	case mockidp.ModeGitHub:
		return "provider: github\nprovider_url: " + idp.URL + "\n"
	case mockidp.ModeMicrosoft:
		return "provider: microsoft\nserver_metadata_url: " + idp.URL + "/common/v2.0/.well-known/openid-configuration\n"
	case mockidp.ModeOAuth2:
		return "provider: oauth2\n" +
			"authorize_url: " + idp.URL + "/oauth2/authorize\n" +
			"token_url: " + idp.URL + "/oauth2/token\n" +
			"userinfo_url: " + idp.URL + "/oauth2/userinfo\n" +
			"email_path: profile.email\nemail_verified_path: profile.email_verified\nsubject_path: id\n"
	}
	return "server_metadata_url: " + idp.URL + "/.well-known/openid-configuration\n" +
		"client_kwargs:\n  scope: openid email\n"
}

// App is a running app: the Manager, its routes and the protected routes
// of [Guards], served over HTTP on loopback.
type App struct {
	URL     string
	Prefix  string
	Manager *auth.Manager
	IdP     *mockidp.Server
	Logs    *SyncBuffer
	Server  *httptest.Server
}

// Builder builds the app's handler around a Manager: it mounts the routes
// and the [Guards] on one router.
type Builder func(m *auth.Manager) http.Handler

// Start serves an app built by build for the test, configured by o, with
// idp as its identity provider. Everything stops at the test's end.
func Start(t testing.TB, idp *mockidp.Server, build Builder, o Options) *App {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	baseURL := "http://" + srv.Listener.Addr().String()
	cfg, err := auth.ParseConfig([]byte(ConfigYAML(idp, baseURL, o)), o.Sections...)
	if err != nil {
		srv.Close()
		t.Fatalf("ParseConfig: %v", err)
	}
	logs := &SyncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.Edit != nil {
		o.Edit(cfg)
	}
	return StartConfig(t, srv, cfg, idp, build, o.Users, logs)
}

// StartConfig is Start with a configuration made by the caller. srv must be
// unstarted, and cfg's base_url its address.
func StartConfig(t testing.TB, srv *httptest.Server, cfg *auth.Config, idp *mockidp.Server, build Builder, users map[string][]string, logs *SyncBuffer) *App {
	t.Helper()
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		srv.Close()
		t.Fatalf("auth.New: %v", err)
	}
	if users == nil {
		users = map[string][]string{
			AdminEmail:   {"admin"},
			ManagerEmail: {"user_management", "write"},
			ServiceName:  {"write", "baker"},
		}
	}
	for email, caps := range users {
		if _, err := m.Users().Store().Set(context.Background(), email, caps); err != nil {
			t.Fatalf("seeding %s: %v", email, err)
		}
	}
	srv.Config.Handler = build(m)
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if err := m.Close(); err != nil {
			t.Errorf("Manager.Close: %v", err)
		}
	})
	return &App{URL: srv.URL, Prefix: m.Config().Prefix, Manager: m, IdP: idp, Logs: logs, Server: srv}
}

// SyncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// OpenID reports whether the app's provider is an OpenID provider (ID
// tokens, nonce): modes oidc and microsoft.
func (a *App) OpenID() bool {
	m := a.IdP.Provider.Mode()
	return m == mockidp.ModeOIDC || m == mockidp.ModeMicrosoft
}
