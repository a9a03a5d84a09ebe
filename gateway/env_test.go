package gateway_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/mockidp"
)

// The people, accounts and machine clients of the tests.
const (
	alice   = "alice@example.com" // holds read
	admin   = "root@example.com"  // holds admin (everything)
	bot     = "bot@service"       // a service account holding write
	petsAPI = "pets-api"          // the audience of machine tokens
)

// env is a gateway between a test client and a real upstream, with a
// mock identity provider.
type env struct {
	t   *testing.T
	idp *mockidp.Server
	gw  *gateway.Gateway
	srv *httptest.Server
	up  *httptest.Server
	obs *recordingObserver
}

// seen is what the echo upstream received.
type seen struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Header map[string][]string `json:"header"`
}

// echoUpstream answers every request with what it received, as JSON.
func echoUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(seen{Method: r.Method, Path: r.URL.RawPath + "|" + r.URL.Path, Header: r.Header})
	})
}

// testConfig is the gateway configuration of the tests, for an upstream
// at upURL: /pub public, /app login (API: 401), /web login (browser:
// redirect), /write needs write, / needs read, /strip strips its prefix.
func testConfig(idpURL, upURL string) *gateway.Config {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	no := false
	return &gateway.Config{
		Auth: auth.Config{
			ServerMetadataURL: idpURL + "/.well-known/openid-configuration",
			ClientID:          mockidp.DemoClientID,
			ClientSecret:      mockidp.DemoClientSecret,
			SecretKey:         base64.StdEncoding.EncodeToString(key),
			Prefix:            "/oauth2",
			Capabilities: capabilities.Config{
				Graph: map[string][]string{"read": {}, "write": {"read"}, auth.UserManagementCapability: {}},
				UserOverrides: map[string][]string{
					alice: {"read"}, admin: {"admin"}, bot: {"write"},
				},
			},
			MachineConfig: auth.MachineConfig{
				JWTIssuers:        []auth.JWTIssuer{{Issuer: idpURL, Audience: petsAPI, JWKSURL: idpURL + "/jwks", Algorithms: []string{"ES256"}}},
				ScopeCapabilities: map[string][]string{"write:pets": {"write"}, "read:pets": {"read"}},
			},
			Logger: slog.New(slog.DiscardHandler),
		},
		Upstreams: []gateway.Upstream{
			{PathPrefix: "/pub", URL: upURL, Require: gateway.RequirePublic, LoginRedirect: &no},
			{PathPrefix: "/app", URL: upURL, Require: gateway.RequireLogin, LoginRedirect: &no},
			{PathPrefix: "/web", URL: upURL, Require: gateway.RequireLogin},
			{PathPrefix: "/write", URL: upURL, Require: "write", LoginRedirect: &no},
			{PathPrefix: "/strip", URL: upURL + "/base", Require: gateway.RequirePublic, StripPrefix: true},
			{PathPrefix: "/", URL: upURL, Require: "read", LoginRedirect: &no},
		},
	}
}

// newEnv starts the upstream (echo unless given), the provider and the
// gateway; change lets a test edit the configuration first.
func newEnv(t *testing.T, upstream http.Handler, change func(*gateway.Config)) *env {
	t.Helper()
	if upstream == nil {
		upstream = echoUpstream()
	}
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	clients := mockidp.DemoClients()
	clients["cron"] = mockidp.Client{Secret: "cron-secret", Audience: petsAPI, Scope: "read:pets write:pets"}
	clients["reader"] = mockidp.Client{Secret: "reader-secret", Audience: petsAPI, Scope: "read:pets"}
	idp, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256", Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	cfg := testConfig(idp.URL, up.URL)
	cfg.Auth.BaseURL = "http://" + srv.Listener.Addr().String()
	obs := &recordingObserver{}
	cfg.Observer = obs
	if change != nil {
		change(cfg)
	}
	gw, err := gateway.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	srv.Config.Handler = gw
	srv.Start()
	return &env{t: t, idp: idp, gw: gw, srv: srv, up: up, obs: obs}
}

// caller makes requests as one identity.
type caller struct {
	name   string
	hc     *http.Client
	bearer string
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (e *env) guest() *caller {
	return &caller{name: "guest", hc: &http.Client{CheckRedirect: noRedirect}}
}

func (e *env) bearer(name, tok string) *caller {
	return &caller{name: name, hc: &http.Client{CheckRedirect: noRedirect}, bearer: tok}
}

// browser logs email in through the gateway's login routes and returns a
// caller holding the session cookie.
func (e *env) browser(email string) *caller {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: noRedirect}
	get := func(u string, want int) *http.Response {
		e.t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			e.t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			e.t.Fatalf("login of %s: GET %s: status %d, want %d", email, u, resp.StatusCode, want)
		}
		return resp
	}
	resp := get(e.srv.URL+"/oauth2/login?next=%2F", http.StatusFound)
	authURL, _ := url.Parse(resp.Header.Get("Location"))
	q := authURL.Query()
	q.Set("login_hint", email)
	authURL.RawQuery = q.Encode()
	resp = get(authURL.String(), http.StatusFound)
	get(resp.Header.Get("Location"), http.StatusSeeOther)
	return &caller{name: email, hc: hc}
}

// userToken returns a user token of email, from GET /oauth2/token.
func (e *env) userToken(email string) string {
	e.t.Helper()
	var body struct {
		RefreshToken string `json:"refresh_token"`
		ServiceToken string `json:"service_token"`
	}
	e.browser(email).getJSON(e.t, e.srv.URL+"/oauth2/token", &body)
	return body.RefreshToken
}

// serviceToken returns a service token of account minted by the admin.
func (e *env) serviceToken(account string) string {
	e.t.Helper()
	var body struct {
		ServiceToken string `json:"service_token"`
	}
	e.browser(admin).getJSON(e.t, e.srv.URL+"/oauth2/token?user="+url.QueryEscape(account), &body)
	return body.ServiceToken
}

// clientToken returns a client-credentials access token of a machine
// client, issued by the mock provider and accepted through jwt_issuers.
func (e *env) clientToken(id string) string {
	e.t.Helper()
	tok, err := e.idp.Provider.MintClientToken(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (c *caller) do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (c *caller) get(t *testing.T, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	return c.do(t, req)
}

func (c *caller) getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, body := c.get(t, u)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET %s: %d %s", c.name, u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: GET %s: %v in %s", c.name, u, err, body)
	}
}

// upstreamSaw does GET u and returns what the echo upstream received.
func (c *caller) upstreamSaw(t *testing.T, u string, hdr ...string) seen {
	t.Helper()
	resp, body := c.get(t, u, hdr...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET %s: %d %s", c.name, u, resp.StatusCode, body)
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("%s: GET %s: %v in %s", c.name, u, err, body)
	}
	return s
}

func (s seen) get(name string) string {
	return strings.Join(http.Header(s.Header).Values(name), "|")
}

// recordingObserver keeps what the gateway reports.
type recordingObserver struct {
	mu   sync.Mutex
	reqs []gateway.RequestInfo
	idp  int
}

func (o *recordingObserver) Request(i gateway.RequestInfo) {
	o.mu.Lock()
	o.reqs = append(o.reqs, i)
	o.mu.Unlock()
}

func (o *recordingObserver) IdPRequest(string, int, time.Duration, error) {
	o.mu.Lock()
	o.idp++
	o.mu.Unlock()
}

func (o *recordingObserver) last(path string) (gateway.RequestInfo, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.reqs) - 1; i >= 0; i-- {
		if o.reqs[i].Path == path {
			return o.reqs[i], true
		}
	}
	return gateway.RequestInfo{}, false
}
