package auth_test

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/oauthgate/oauthgate/mockidp"
)

const testSecret = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="

// clock is a settable clock shared by the app and the provider.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an app using a Manager, a mock provider, and a shared clock.
type env struct {
	t     *testing.T
	idp   *mockidp.Server
	m     *auth.Manager
	cfg   *auth.Config
	app   *httptest.Server
	clock *clock
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type envOptions struct {
	configure func(*auth.Config)
	// idpURL, if set, replaces the provider's URL (a provider that is down).
	idpURL string
	// idp tunes the mock provider (its clock is always the env's).
	idp mockidp.Options
}

func testConfig() *auth.Config {
	return &auth.Config{
		SecretKey:    testSecret,
		ClientID:     mockidp.DemoClientID,
		ClientSecret: mockidp.DemoClientSecret,
		Capabilities: capabilities.Config{
			Graph: map[string][]string{
				"read":            {},
				"write":           {"read"},
				"announce":        {"read", "write"},
				"baker":           {},
				"user_management": {},
			},
			DefaultCapabilities: []string{"read"},
		},
	}
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), logs: &syncBuffer{}}
	idpOpts := o.idp
	idpOpts.Now = e.clock.Now
	idp, err := mockidp.NewServer(idpOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	e.idp = idp
	mux := http.NewServeMux()
	e.app = httptest.NewServer(mux)
	t.Cleanup(e.app.Close)

	cfg := testConfig()
	cfg.ServerMetadataURL = idp.URL + "/.well-known/openid-configuration"
	if o.idpURL != "" {
		cfg.ServerMetadataURL = o.idpURL + "/.well-known/openid-configuration"
	}
	cfg.BaseURL = e.app.URL
	cfg.Now = e.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.configure != nil {
		o.configure(cfg)
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	e.m, e.cfg = m, cfg
	routes(mux, m)
	return e
}

// routes is the smallest app: the login routes and a few protected ones.
func routes(mux *http.ServeMux, m *auth.Manager) {
	p := m.Config().Prefix
	mux.HandleFunc("GET "+p+"/login", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if err := m.Login().Start(w, r, q.Get("next"), q.Get("offline_token") == "true"); err != nil {
			writeLoginError(w, err)
		}
	})
	mux.HandleFunc("GET "+p+"/auth", func(w http.ResponseWriter, r *http.Request) {
		next, err := m.Login().Finish(w, r)
		if err != nil {
			writeLoginError(w, err)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
	mux.HandleFunc("GET "+p+"/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Login().Logout(w, r); err != nil {
			http.Error(w, "logout failed", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.Handle("GET "+p+"/token", m.RequireLogin(auth.RedirectToLogin)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := m.IssueUserToken(w, r, auth.IdentityFrom(r.Context()))
		if err != nil {
			e := auth.ErrorOf(err)
			http.Error(w, e.Msg, e.Status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"refresh_token": tok.Token})
	})))
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := auth.IdentityFrom(r.Context())
		io.WriteString(w, id.String()+" "+strings.Join(id.Capabilities(), ","))
	})
	mux.Handle("GET /read", m.Require("read")(whoami))
	mux.Handle("GET /bake", m.Require("baker", auth.RedirectToLogin)(whoami))
	mux.Handle("POST /bake", m.Require("baker", auth.RedirectToLogin)(whoami))
	mux.Handle("GET /me", m.RequireLogin()(whoami))
	mux.Handle("GET /hello", m.Optional()(whoami))
}

func writeLoginError(w http.ResponseWriter, err error) {
	var e *auth.Error
	if !errors.As(err, &e) {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.Error(w, e.Msg, e.Status)
}

// browser is a client with cookies that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	code   int
	header http.Header
	body   string
}

func (b *browser) do(method, target string, header http.Header) response {
	b.e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.e.app.URL + target
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(target string) response {
	b.e.t.Helper()
	return b.do("GET", target, nil)
}

func (b *browser) bearer(target, token string) response {
	b.e.t.Helper()
	return b.do("GET", target, http.Header{"Authorization": {"Bearer " + token}})
}

func expect(t *testing.T, r response, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d; body %q", r.code, code, r.body)
	}
}

// startLogin follows /login to the provider's authorize endpoint and
// returns the callback URL the provider sends the browser to.
func (b *browser) startLogin(loginPath string) *url.URL {
	b.e.t.Helper()
	r := b.get(loginPath)
	expect(b.e.t, r, http.StatusFound)
	cb, err := b.e.idp.Authorize(context.Background(), r.header.Get("Location"))
	if err != nil {
		b.e.t.Fatalf("authorize: %v", err)
	}
	return cb
}

// login logs email in through the whole flow and returns where the app
// sent the browser afterwards.
func (b *browser) login(email, loginPath string) string {
	b.e.t.Helper()
	if err := b.e.idp.Provider.NextLogin(email, nil); err != nil {
		b.e.t.Fatal(err)
	}
	cb := b.startLogin(loginPath)
	r := b.get(cb.String())
	expect(b.e.t, r, http.StatusSeeOther)
	return r.header.Get("Location")
}

// sessionCookie returns the browser's session cookie value for the app.
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.e.app.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == b.e.m.Config().Cookie.Name {
			return c.Value
		}
	}
	return ""
}

// userToken gets a user token from /token for a logged-in browser.
func userToken(t *testing.T, b *browser) string {
	t.Helper()
	r := b.get(b.e.m.Config().Prefix + "/token")
	expect(t, r, http.StatusOK)
	var body struct {
		Token string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Token == "" {
		t.Fatalf("token body %q: %v", r.body, err)
	}
	return body.Token
}
