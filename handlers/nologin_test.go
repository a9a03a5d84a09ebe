package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// noLoginYAML configures an API without browser login: no identity
// provider, machine clients of the app's own grant, service tokens.
func noLoginYAML() string {
	return `
secret_key: ` + e2etest.SecretKey() + `
capabilities:
  graph:
    read: []
    write: [read]
    user_management: []
  auto_admin: true
scope_capabilities:
  "read:pets": [read]
client_credentials:
  issuer: https://api.example/
clients:
  cron:
    client_secret: cron-secret-1
    audience: pets-api
    scope: read:pets
`
}

// noLoginApp serves an app without browser login over real HTTP.
func noLoginApp(t *testing.T) (*httptest.Server, *auth.Manager) {
	t.Helper()
	var cc clientcreds.Config
	cfg, err := auth.ParseConfig([]byte(noLoginYAML()), &cc)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.NoLogin() {
		t.Fatal("NoLogin() = false")
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	plugGrant(t, cfg, &cc, clientcreds.Options{})
	if !cfg.MachineCallers() {
		t.Fatal("MachineCallers() = false with the grant plugged in")
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	echo := http.HandlerFunc(e2etest.Echo)
	mux.Handle("GET /read", m.Require("read")(echo))
	mux.Handle("GET /page", m.Require("read", auth.RedirectToLogin)(echo))
	mux.Handle("GET /me", m.RequireLogin(auth.RedirectToLogin)(echo))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, m
}

type noLoginAnswer struct {
	code int
	hdr  http.Header
	body string
}

// noLoginDo sends one request without following redirects.
func noLoginDo(t *testing.T, method, u string, h http.Header, body string) noLoginAnswer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return noLoginAnswer{resp.StatusCode, resp.Header, string(b)}
}

func TestNoLoginBrowserRoutes(t *testing.T) {
	t.Parallel()
	srv, _ := noLoginApp(t)
	browser := http.Header{"Accept": {"text/html,application/xhtml+xml,*/*;q=0.8"}}
	api := http.Header{"Accept": {"application/json"}}
	for _, tc := range []struct {
		name     string
		path     string
		h        http.Header
		code     int
		html     bool   // a page, else JSON {"detail"}
		contains string // in the body
	}{
		{"login page", "/login?next=/page", browser, 404, true, "no browser login"},
		{"login without Accept", "/login", nil, 404, true, "no browser login"},
		{"callback", "/auth?code=c&state=s", browser, 404, true, "no browser login"},
		{"user token, browser", "/token", browser, 404, true, "no browser login"},
		{"user token, API client", "/token", api, 404, false, "no browser login"},
		{"service token without identity", "/token?user=bot@service", api, 404, false, "no browser login"},
		{"RedirectToLogin", "/page", browser, 401, false, "not authenticated"},
		{"RequireLogin with RedirectToLogin", "/me", browser, 401, false, "not authenticated"},
		{"Require", "/read", api, 401, false, "not authenticated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := noLoginDo(t, http.MethodGet, srv.URL+tc.path, tc.h, "")
			if a.code != tc.code {
				t.Fatalf("status %d; want %d\n%s", a.code, tc.code, a.body)
			}
			if loc := a.hdr.Get("Location"); loc != "" {
				t.Errorf("Location = %q; want no redirect", loc)
			}
			ct := a.hdr.Get("Content-Type")
			if tc.html {
				if !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type = %q; want a page", ct)
				}
			} else {
				var d struct{ Detail string }
				if err := json.Unmarshal([]byte(a.body), &d); err != nil || d.Detail == "" {
					t.Errorf("body %q (%s) is not JSON {\"detail\"}", a.body, ct)
				}
			}
			if !strings.Contains(a.body, tc.contains) {
				t.Errorf("body %q does not contain %q", a.body, tc.contains)
			}
			if tc.code == 401 && a.hdr.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate = %q", a.hdr.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestNoLoginMachineClient(t *testing.T) {
	t.Parallel()
	srv, _ := noLoginApp(t)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"cron"},
		"client_secret": {"cron-secret-1"}, "audience": {"pets-api"}}
	a := noLoginDo(t, http.MethodPost, srv.URL+"/oauth/token",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode())
	if a.code != 200 {
		t.Fatalf("token: %d %s", a.code, a.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(a.body), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token answer %q: %v", a.body, err)
	}
	bearer := http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
	if a := noLoginDo(t, http.MethodGet, srv.URL+"/read", bearer, ""); a.code != 200 || !strings.HasPrefix(a.body, "client ") {
		t.Errorf("GET /read with the client's token: %d %q", a.code, a.body)
	}
	if a := noLoginDo(t, http.MethodGet, srv.URL+"/.well-known/jwks.json", nil, ""); a.code != 200 || !strings.Contains(a.body, `"keys"`) {
		t.Errorf("JWKS: %d %q", a.code, a.body)
	}
	// A machine client is not a user: no user token, and still no login.
	if a := noLoginDo(t, http.MethodGet, srv.URL+"/token", bearer, ""); a.code != 400 {
		t.Errorf("GET /token as a machine client: %d %q", a.code, a.body)
	}
}

func TestNoLoginServiceTokenManages(t *testing.T) {
	t.Parallel()
	srv, m := noLoginApp(t)
	ctx := context.Background()
	const admin = "ops@service"
	if _, err := m.Users().Store().Set(ctx, admin, []string{"user_management", "write"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Users().Store().Set(ctx, "bot@service", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	// A service token sealed offline, as `oauthgate token mint --service` does.
	minted, err := auth.MintToken(m.Config(), auth.TokenInfo{
		Kind: auth.KindService, Subject: admin, ExpiresAt: time.Now().Add(time.Hour),
		Capabilities: []string{"user_management", "write", "read"}, // closed, as the CLI seals it
	})
	if err != nil {
		t.Fatal(err)
	}
	bearer := http.Header{"Authorization": {"Bearer " + minted.Token}, "Content-Type": {"application/json"}}

	a := noLoginDo(t, http.MethodPost, srv.URL+"/manage_capabilities/add", bearer, `{"email":"bot@service","capability":"write"}`)
	if a.code != 200 || !strings.Contains(a.body, "write") {
		t.Fatalf("add: %d %s", a.code, a.body)
	}
	a = noLoginDo(t, http.MethodGet, srv.URL+"/token?user=bot@service", bearer, "")
	if a.code != 200 {
		t.Fatalf("service token: %d %s", a.code, a.body)
	}
	var st struct {
		ServiceToken string `json:"service_token"`
	}
	if err := json.Unmarshal([]byte(a.body), &st); err != nil || st.ServiceToken == "" {
		t.Fatalf("answer %q: %v", a.body, err)
	}
	botH := http.Header{"Authorization": {"Bearer " + st.ServiceToken}}
	if a := noLoginDo(t, http.MethodGet, srv.URL+"/read", botH, ""); a.code != 200 || a.body != "service bot@service" {
		t.Errorf("GET /read as bot: %d %q", a.code, a.body)
	}
	// Logout has no session to end; it still answers its redirect.
	if a := noLoginDo(t, http.MethodPost, srv.URL+"/logout?next=/done", nil, ""); a.code != 303 || a.hdr.Get("Location") != "/done" {
		t.Errorf("logout: %d %q", a.code, a.hdr.Get("Location"))
	}
}
