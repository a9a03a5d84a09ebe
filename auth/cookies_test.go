package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/mockidp"
)

func TestSecureCookiesWithHTTPSBaseURL(t *testing.T) {
	t.Parallel()
	const base = "https://app.example"
	e := newEnv(t, envOptions{
		idp: mockidp.Options{Clients: map[string]mockidp.Client{
			mockidp.DemoClientID: {Secret: mockidp.DemoClientSecret, RedirectURIs: []string{base + "/auth"}},
		}},
		configure: func(c *auth.Config) { c.BaseURL = base },
	})
	m := e.m
	if name := m.Config().Cookie.Name; name != "__Host-oauthgate_session" {
		t.Fatalf("cookie name %q", name)
	}
	rec := httptest.NewRecorder()
	if err := m.Login().Start(rec, httptest.NewRequest("GET", base+"/login", nil), "/after", false); err != nil {
		t.Fatal(err)
	}
	flowCookie := findSetCookie(t, rec.Header(), "_flow_")
	if !flowCookie.Secure || flowCookie.Path != "/auth" || flowCookie.Name[:9] != "__Secure-" {
		t.Fatalf("flow cookie %+v", flowCookie)
	}
	cb, err := e.idp.Authorize(context.Background(), rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", cb.String(), nil)
	req.AddCookie(flowCookie)
	rec = httptest.NewRecorder()
	next, err := m.Login().Finish(rec, req)
	if err != nil || next != "/after" {
		t.Fatalf("FinishLogin = %q, %v", next, err)
	}
	sc := setCookieNamed(t, rec.Header(), "__Host-oauthgate_session")
	if !sc.Secure || sc.Path != "/" || sc.Domain != "" || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", sc)
	}
	req = httptest.NewRequest("GET", base+"/me", nil)
	req.AddCookie(sc)
	id, err := m.Identify(req)
	if err != nil || id.IsGuest() || id.Via != "session" || id.Email != "test@example.com" {
		t.Fatalf("Identify = %+v, %v", id, err)
	}
}

func TestLoginNeedsBaseURLOffLoopback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{configure: func(c *auth.Config) { c.BaseURL = "" }})
	rec := httptest.NewRecorder()
	err := e.m.Login().Start(rec, httptest.NewRequest("GET", "http://evil.example/login", nil), "/", false)
	var le *auth.Error
	if !errors.As(err, &le) || le.Status != http.StatusBadRequest || !errors.Is(err, auth.ErrBadRequest) {
		t.Fatalf("StartLogin on a foreign host: %v", err)
	}
	// On a loopback host the redirect URI comes from the request.
	rec = httptest.NewRecorder()
	if err := e.m.Login().Start(rec, httptest.NewRequest("GET", "http://127.0.0.1:8123/login", nil), "/", false); err != nil {
		t.Fatal(err)
	}
	loc := mustURL(t, rec.Header().Get("Location"))
	if got := loc.Query().Get("redirect_uri"); got != "http://127.0.0.1:8123/auth" {
		t.Fatalf("redirect_uri %q", got)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.login("kim@example.com", "/login")
	tok := userToken(t, b)
	cookie := e.m.Config().Cookie.Name + "=" + b.sessionCookie()

	const newSecret = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8="
	identify := func(m *auth.Manager, h http.Header) (*auth.Identity, error) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header = h
		return m.Identify(req)
	}
	for _, tc := range []struct {
		name     string
		previous []string
		ok       bool
	}{
		{"rotated", []string{testSecret}, true},
		{"old key dropped", nil, false},
	} {
		cfg := *e.cfg
		cfg.SecretKey, cfg.PreviousSecretKeys = newSecret, tc.previous
		cfg.TokenStore = memstore.NewTokenStore() // the token is not revoked
		cfg.CapabilityStore = e.m.Users().Store()
		m, err := auth.New(context.Background(), &cfg)
		if err != nil {
			t.Fatal(err)
		}
		id, err := identify(m, http.Header{"Authorization": {"Bearer " + tok}})
		if tc.ok != (err == nil && id.Email == "kim@example.com") {
			t.Errorf("%s: token: %+v, %v", tc.name, id, err)
		}
		id, _ = identify(m, http.Header{"Cookie": {cookie}})
		if tc.ok != (id.Email == "kim@example.com") {
			t.Errorf("%s: session: %+v", tc.name, id)
		}
		m.Close()
	}
}

// Owns names the session cookie and the cookies named after it, behind
// any __Host- or __Secure- prefix in any case, and nothing else.
func TestCookieConfigOwns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		session string
		owned   []string
		other   []string
	}{
		{"oauthgate_session",
			[]string{"oauthgate_session", "oauthgate_session_flow_abcdefgh", "oauthgate_session_offline",
				"__Host-oauthgate_session", "__host-oauthgate_session", "__HOST-oauthgate_session",
				"__Secure-oauthgate_session", "__secure-oauthgate_session_flow_x", "__SeCuRe-oauthgate_session_offline"},
			[]string{"theme", "Oauthgate_session", "oauthgate_sessions", "oauthgate_session-x", "__Host-theme", "x_oauthgate_session", "__Secure-__Host-oauthgate_session", ""}},
		{"__Host-oauthgate_session",
			[]string{"__Host-oauthgate_session", "oauthgate_session", "__Secure-oauthgate_session_flow_abcdefgh", "__secure-oauthgate_session_offline", "__host-oauthgate_session"},
			[]string{"oauthgate", "__Host-oauthgate", "theme"}},
		{"__Secure-app",
			[]string{"__Secure-app", "__Secure-app_flow_x", "app", "app_offline", "__Host-app"},
			[]string{"__Secure-application", "apps"}},
	}
	for _, tt := range tests {
		k := &auth.CookieConfig{Name: tt.session}
		for _, n := range tt.owned {
			if !k.Owns(n) {
				t.Errorf("session %s: Owns(%q) = false", tt.session, n)
			}
		}
		for _, n := range tt.other {
			if k.Owns(n) {
				t.Errorf("session %s: Owns(%q) = true", tt.session, n)
			}
		}
	}
}

// The flow cookies keep their names, and are owned: __Secure- behind an
// https base_url, none behind http.
func TestFlowCookieNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ base, want string }{
		{"https://app.example", "__Secure-oauthgate_session_flow_"},
		{"http://127.0.0.1:8123", "oauthgate_session_flow_"},
	} {
		e := newEnv(t, envOptions{
			idp: mockidp.Options{Clients: map[string]mockidp.Client{
				mockidp.DemoClientID: {Secret: mockidp.DemoClientSecret, RedirectURIs: []string{tt.base + "/auth"}},
			}},
			configure: func(c *auth.Config) { c.BaseURL = tt.base },
		})
		rec := httptest.NewRecorder()
		if err := e.m.Login().Start(rec, httptest.NewRequest("GET", tt.base+"/login", nil), "/", false); err != nil {
			t.Fatal(err)
		}
		c := findSetCookie(t, rec.Header(), "_flow_")
		cfg := e.m.Config().Cookie
		if !strings.HasPrefix(c.Name, tt.want) || !cfg.Owns(c.Name) {
			t.Errorf("base_url %s: flow cookie %q (owned: %v), want %s...", tt.base, c.Name, cfg.Owns(c.Name), tt.want)
		}
	}
}

// Browsers give the cookie prefixes their rules in any case, so the
// configuration does too.
func TestCookiePrefixAnyCase(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"__host-session", "__SECURE-session"} {
		no := false
		c := &auth.Config{SecretKey: testSecret, Cookie: auth.CookieConfig{Name: name, Secure: &no}}
		var ce *auth.ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || !strings.Contains(err.Error(), "cookie.name") {
			t.Errorf("cookie.name %s without Secure: %v", name, err)
		}
	}
}
