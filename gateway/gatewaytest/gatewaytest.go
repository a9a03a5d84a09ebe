// Package gatewaytest runs a gateway for tests: a mock identity provider,
// an upstream (an echo of what it receives, unless given) and the gateway
// in front of it, each on a loopback port, closed at the end of the test.
// It logs users in through the gateway's real login routes and mints the
// tokens of every kind of caller.
//
//	gs := gatewaytest.New(t, gatewaytest.Options{})
//	resp, _ := gs.Browser(gatewaytest.Alice).Get(gs.URL + "/app/x")
package gatewaytest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/mockidp"
)

// The people, service accounts and machine clients of [DefaultConfig].
const (
	Alice   = "alice@example.com" // holds read
	Admin   = "root@example.com"  // holds admin (every capability)
	Bot     = "bot@service"       // a service account holding write
	Writer  = "cron"              // a machine client holding write (scope write:pets)
	Reader  = "reader"            // a machine client holding read (scope read:pets)
	PetsAPI = "pets-api"          // the audience of the machine clients' tokens
	Prefix  = "/oauth2"           // the auth prefix: /oauth2/login, /oauth2/check...
)

// DefaultConfig is the gateway configuration of the tests, for the
// provider at idpURL and an upstream at upstreamURL: graph read, write
// (implies read), user_management; the users above by user_overrides;
// the provider's machine tokens of audience PetsAPI accepted; and the
// routes
//
//	/pub    public
//	/app    login (API: 401)
//	/web    login (browser: 302 to login)
//	/write  write
//	/strip  public, prefix stripped, upstream path /base
//	/       read
//	/base   public (so that /base is not also reached under / as read)
//
// Auth.BaseURL is left empty: [New] sets it to the gateway's URL.
func DefaultConfig(idpURL, upstreamURL string) *gateway.Config {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	no := false
	return &gateway.Config{
		Auth: auth.Config{
			ServerMetadataURL: idpURL + "/.well-known/openid-configuration",
			ClientID:          mockidp.DemoClientID,
			ClientSecret:      mockidp.DemoClientSecret,
			SecretKey:         base64.StdEncoding.EncodeToString(key),
			Prefix:            Prefix,
			Capabilities: capabilities.Config{
				Graph:         map[string][]string{"read": {}, "write": {"read"}, auth.UserManagementCapability: {}},
				UserOverrides: map[string][]string{Alice: {"read"}, Admin: {"admin"}, Bot: {"write"}},
			},
			JWTIssuers:        []auth.JWTIssuer{{Issuer: idpURL, Audience: PetsAPI, JWKSURL: idpURL + "/jwks", Algorithms: []string{"ES256"}}},
			ScopeCapabilities: map[string][]string{"write:pets": {"write"}, "read:pets": {"read"}},
			Logger:            slog.New(slog.DiscardHandler),
		},
		Upstreams: []gateway.Upstream{
			{PathPrefix: "/pub", URL: upstreamURL, Require: gateway.RequirePublic, LoginRedirect: &no},
			{PathPrefix: "/app", URL: upstreamURL, Require: gateway.RequireLogin, LoginRedirect: &no},
			{PathPrefix: "/web", URL: upstreamURL, Require: gateway.RequireLogin},
			{PathPrefix: "/write", URL: upstreamURL, Require: "write", LoginRedirect: &no},
			{PathPrefix: "/strip", URL: upstreamURL + "/base", Require: gateway.RequirePublic, StripPrefix: true},
			{PathPrefix: "/", URL: upstreamURL, Require: "read", LoginRedirect: &no},
			{PathPrefix: "/base", URL: upstreamURL, Require: gateway.RequirePublic},
		},
	}
}

// Options changes what [New] starts.
type Options struct {
	// Upstream is the app behind the gateway. Default: [Echo].
	Upstream http.Handler
	// Configure, if set, edits the configuration (DefaultConfig, BaseURL
	// set) before the gateway is built.
	Configure func(*gateway.Config)
}

// Server is a running gateway with its provider and upstream.
type Server struct {
	// URL is the gateway's base URL, without a trailing slash.
	URL string
	// Gateway is the gateway (Reload, Ready, Config...).
	Gateway *gateway.Gateway
	// IdP is the mock identity provider.
	IdP *mockidp.Server
	// Upstream is the app's server.
	Upstream *httptest.Server
	// Server is the gateway's HTTP server.
	Server *httptest.Server

	t testing.TB
}

// New starts the provider, the upstream and the gateway; they stop at the
// end of t. It fails t at once when something does not start.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	upstream := opts.Upstream
	if upstream == nil {
		upstream = Echo()
	}
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	clients := mockidp.DemoClients()
	clients[Writer] = mockidp.Client{Secret: Writer + "-secret", Audience: PetsAPI, Scope: "read:pets write:pets"}
	clients[Reader] = mockidp.Client{Secret: Reader + "-secret", Audience: PetsAPI, Scope: "read:pets"}
	idp, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256", Clients: clients})
	if err != nil {
		t.Fatalf("gatewaytest: mock identity provider: %v", err)
	}
	t.Cleanup(idp.Close)
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	cfg := DefaultConfig(idp.URL, up.URL)
	cfg.Auth.BaseURL = "http://" + srv.Listener.Addr().String()
	if opts.Configure != nil {
		opts.Configure(cfg)
	}
	g, err := gateway.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("gatewaytest: %v", err)
	}
	t.Cleanup(func() { _ = g.Close() })
	srv.Config.Handler = g
	srv.Start()
	return &Server{URL: srv.URL, Gateway: g, IdP: idp, Upstream: up, Server: srv, t: t}
}

// Seen is what the [Echo] upstream received.
type Seen struct {
	Method string `json:"method"`
	Host   string `json:"host"`
	// Path is the raw path (when it differs from the decoded one), "|",
	// and the decoded path: "/a%2Fb|/a/b", or "|/a/b".
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
}

// Echo is an upstream that answers every request with its [Seen], as
// JSON.
func Echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Seen{Method: r.Method, Host: r.Host, Path: r.URL.RawPath + "|" + r.URL.Path, Header: r.Header})
	})
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Browser logs email in through the gateway's login routes (the real
// flow with the provider) and returns a client holding the session
// cookie in its jar. It does not follow redirects.
func (s *Server) Browser(email string) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: noRedirect}
	if err := s.login(hc, email); err != nil {
		s.t.Fatalf("gatewaytest: %v", err)
	}
	return hc
}

// SessionCookie logs email in and returns the session cookie, for
// clients other than Go's (curl, a browser driver, a proxy in front).
func (s *Server) SessionCookie(email string) *http.Cookie {
	s.t.Helper()
	hc := s.Browser(email)
	u, _ := url.Parse(s.URL)
	name := s.Gateway.Manager().Config().Cookie.Name
	for _, c := range hc.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	s.t.Fatalf("gatewaytest: no session cookie %q after the login of %s", name, email)
	return nil
}

func (s *Server) login(hc *http.Client, email string) error {
	get := func(u string, want int) (*http.Response, error) {
		resp, err := hc.Get(u)
		if err != nil {
			return nil, fmt.Errorf("login of %s: %w", email, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return nil, fmt.Errorf("login of %s: GET %s: status %d, want %d", email, u, resp.StatusCode, want)
		}
		return resp, nil
	}
	resp, err := get(s.URL+Prefix+"/login?next=%2F", http.StatusFound)
	if err != nil {
		return err
	}
	authURL, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("login of %s: %w", email, err)
	}
	q := authURL.Query()
	q.Set("login_hint", email)
	authURL.RawQuery = q.Encode()
	if resp, err = get(authURL.String(), http.StatusFound); err != nil {
		return err
	}
	_, err = get(resp.Header.Get("Location"), http.StatusSeeOther)
	return err
}

// getJSON does GET u with hc and decodes a 200 answer.
func (s *Server) getJSON(hc *http.Client, u string, v any) {
	s.t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		s.t.Fatalf("gatewaytest: GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("gatewaytest: GET %s: %d %s", u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.t.Fatalf("gatewaytest: GET %s: %v", u, err)
	}
}

// UserToken returns a user bearer token of email, from GET {prefix}/token
// after a login.
func (s *Server) UserToken(email string) string {
	s.t.Helper()
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	s.getJSON(s.Browser(email), s.URL+Prefix+"/token", &body)
	return body.RefreshToken
}

// ServiceToken returns a service token of account (name@service) minted
// by [Admin].
func (s *Server) ServiceToken(account string) string {
	s.t.Helper()
	var body struct {
		ServiceToken string `json:"service_token"`
	}
	s.getJSON(s.Browser(Admin), s.URL+Prefix+"/token?user="+url.QueryEscape(account), &body)
	return body.ServiceToken
}

// ClientToken returns the client-credentials access token of a machine
// client of the provider ([Writer], [Reader]), accepted through
// jwt_issuers.
func (s *Server) ClientToken(id string) string {
	s.t.Helper()
	tok, err := s.IdP.Provider.MintClientToken(id)
	if err != nil {
		s.t.Fatalf("gatewaytest: %v", err)
	}
	return tok
}
