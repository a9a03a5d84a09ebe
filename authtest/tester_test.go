package authtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/mockidp"
)

func payrollConfig(prefix string) *auth.Config {
	return &auth.Config{
		Prefix: prefix,
		Capabilities: capabilities.Config{Graph: map[string][]string{
			"payroll":         {},
			"user_management": {},
		}},
	}
}

// payrollApp mounts the routes itself and serves /payroll to holders of
// payroll, /whoami to anyone logged in.
func payrollApp(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	mux.Handle("GET /payroll", m.Require("payroll")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "salaries")
	})))
	mux.Handle("GET /whoami", m.RequireLogin()(http.HandlerFunc(whoami)))
	mux.Handle("GET /page", m.RequireLogin(auth.RedirectToLogin)(http.HandlerFunc(whoami)))
	return mux
}

func whoami(w http.ResponseWriter, r *http.Request) {
	id := auth.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"email": id.Email, "kind": id.Kind.String(), "via": id.Via})
}

func TestPayroll(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/api/v1"} {
		at := authtest.New(t, payrollConfig(prefix), payrollApp,
			authtest.WithCapabilities(map[string][]string{"accountant@example.com": {"payroll"}}))
		at.SetCapabilities("boss@example.com", "admin")
		tests := []struct {
			name   string
			client *authtest.Client
			want   int
		}{
			{"guest", at.Guest(), http.StatusUnauthorized},
			{"user", at.Client("user@example.com"), http.StatusForbidden},
			{"accountant", at.Client("accountant@example.com"), http.StatusOK},
			{"admin", at.Client("boss@example.com"), http.StatusOK},
			{"browser", at.Browser("accountant@example.com"), http.StatusOK},
			{"service", at.Service("payroll@service", "payroll"), http.StatusOK},
			{"service without payroll", at.Service("other@service"), http.StatusForbidden},
		}
		for _, tt := range tests {
			t.Run(prefix+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				tt.client.Get("/payroll").Expect(t, tt.want)
			})
		}
	}
}

func TestIdentities(t *testing.T) {
	t.Parallel()
	at := authtest.New(t, payrollConfig("/api/v1"), payrollApp)
	type who struct{ Email, Kind, Via string }
	tests := []struct {
		client *authtest.Client
		want   who
	}{
		{at.Client("Ann@Example.com"), who{"ann@example.com", "user", "bearer"}},
		{at.Browser("bob@example.com"), who{"bob@example.com", "user", "session"}},
		{at.Service("bot@service"), who{"bot@service", "service", "bearer"}},
	}
	for _, tt := range tests {
		var got who
		tt.client.Get("/whoami").Expect(t, http.StatusOK).JSON(t, &got)
		if got != tt.want {
			t.Errorf("whoami = %+v; want %+v", got, tt.want)
		}
	}
	at.Guest().Get("/whoami").Expect(t, http.StatusUnauthorized)
}

func TestClientCached(t *testing.T) {
	t.Parallel()
	at := authtest.New(t, nil, payrollAppNoCaps)
	a, b := at.Client("a@example.com"), at.Client("a@example.com")
	if a != b {
		t.Error("Client(same email) returned two clients")
	}
	if a.Token() == "" || a.Email() != "a@example.com" {
		t.Errorf("client = %q with token %q", a.Email(), a.Token())
	}
	if c := at.Browser("a@example.com"); c == at.Browser("a@example.com") {
		t.Error("Browser is cached; want a new session each time")
	}
}

func payrollAppNoCaps(m *auth.Manager) http.Handler {
	return m.RequireLogin()(http.HandlerFunc(whoami))
}

func TestRoutesServedForBareHandler(t *testing.T) {
	t.Parallel()
	// build returns a bare handler: the tester serves the routes in front.
	at := authtest.New(t, nil, payrollAppNoCaps)
	var got struct{ Email string }
	at.Client("x@example.com").Get("/anything").Expect(t, http.StatusOK).JSON(t, &got)
	if got.Email != "x@example.com" {
		t.Errorf("email = %q", got.Email)
	}
	at.Client("x@example.com").Get("/manage_capabilities/list").Expect(t, http.StatusOK)
}

func TestBrowserFollowsRedirects(t *testing.T) {
	t.Parallel()
	at := authtest.New(t, payrollConfig(""), payrollApp)
	at.Guest().Get("/page").Expect(t, http.StatusFound)
	b := at.Browser("carol@example.com")
	b.Get("/page").Expect(t, http.StatusOK)
	// Logout 303s to "/", which this app does not serve: the browser
	// follows and ends at the 404.
	resp := b.Get("/logout").Expect(t, http.StatusNotFound)
	if !strings.HasSuffix(resp.FinalURL, "/") {
		t.Errorf("FinalURL = %q", resp.FinalURL)
	}
	b.Get("/whoami").Expect(t, http.StatusUnauthorized)
}

func TestSetCapabilitiesFollowsTokens(t *testing.T) {
	t.Parallel()
	at := authtest.New(t, payrollConfig(""), payrollApp)
	c := at.Client("dan@example.com")
	c.Get("/payroll").Expect(t, http.StatusForbidden)
	at.SetCapabilities("dan@example.com", "payroll")
	c.Get("/payroll").Expect(t, http.StatusOK)
	at.SetCapabilities("dan@example.com")
	c.Get("/payroll").Expect(t, http.StatusForbidden)
}

func TestPostBodies(t *testing.T) {
	t.Parallel()
	at := authtest.New(t, nil, func(m *auth.Manager) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("Content-Type"), body)
		})
	})
	g := at.Guest()
	tests := []struct {
		name string
		resp *authtest.Response
		want string
	}{
		{"struct", g.Post("/x", map[string]string{"a": "b"}), `POST application/json {"a":"b"}`},
		{"json string", g.Post("/x", `{"a":1}`), `POST application/json {"a":1}`},
		{"text", g.Post("/x", []byte("hi")), `POST text/plain; charset=utf-8 hi`},
		{"form", g.Post("/x", url.Values{"a": {"1 2"}}), `POST application/x-www-form-urlencoded a=1+2`},
		{"reader", g.Put("/x", strings.NewReader("[1]")), `PUT application/json [1]`},
		{"none", g.Delete("/x"), `DELETE  `},
	}
	for _, tt := range tests {
		if got := tt.resp.Expect(t, http.StatusOK).Text(t); got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
	}
	req, _ := http.NewRequest(http.MethodPatch, "/y", nil)
	if got := g.Do(req).Text(t); got != "PATCH  " {
		t.Errorf("Do: got %q", got)
	}
	if r := g.Post("/x", func() {}); r.Err == nil {
		t.Error("Post(func) = no error")
	}
}

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.msgs = append(r.msgs, fmt.Sprint(args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func TestFailureMessages(t *testing.T) {
	t.Parallel()
	at := authtest.New(t, payrollConfig("/api/v1"), payrollApp)
	rec := &recorder{TB: t}
	at.Client("eve@example.com").Get("/payroll").Expect(rec, http.StatusOK)
	want := `GET /payroll: got 403, want 200; body: {"detail":`
	if len(rec.msgs) != 1 || !strings.HasPrefix(rec.msgs[0], want) {
		t.Errorf("messages = %q; want one starting with %q", rec.msgs, want)
	}

	rec.msgs = nil
	at.Guest().Get("/payroll").JSON(rec, new(struct{}))
	if len(rec.msgs) != 0 {
		t.Errorf("JSON of a JSON error: %q", rec.msgs)
	}
	at.Guest().Post("/api/v1/logout", nil).JSON(rec, new(struct{}))
	// The recorder does not stop at the first failure: look at the first.
	if len(rec.msgs) == 0 || !strings.Contains(rec.msgs[0], `got Content-Type "", want application/json (status 303)`) {
		t.Errorf("JSON of a redirect: %q", rec.msgs)
	}
}

func TestLoginFailureIsReported(t *testing.T) {
	t.Parallel()
	at := authtest.New(t, nil, payrollAppNoCaps)
	if err := at.IdP.Provider.FailNext(mockidp.FaultWrongNonce); err != nil {
		t.Fatal(err)
	}
	c := at.Client("mallory@example.com")
	if c.Err() == nil {
		t.Fatal("login with a wrong nonce succeeded")
	}
	rec := &recorder{TB: t}
	c.Get("/x").Expect(rec, http.StatusOK)
	if len(rec.msgs) != 1 || !strings.Contains(rec.msgs[0], "GET /x: authtest: login as mallory@example.com") || !strings.Contains(rec.msgs[0], "got 400, want 303") {
		t.Errorf("messages = %q", rec.msgs)
	}
}

func TestServiceNeedsUserManagement(t *testing.T) {
	t.Parallel()
	cfg := &auth.Config{Capabilities: capabilities.Config{Graph: map[string][]string{"read": {}}}}
	at := authtest.New(t, cfg, payrollAppNoCaps)
	c := at.Service("bot@service", "read")
	if c.Err() == nil || !strings.Contains(c.Err().Error(), "user_management") {
		t.Errorf("Service without user_management in the graph: err = %v", c.Err())
	}
	if c := at.Service("bot@service", "nope"); c.Err() == nil || !strings.Contains(c.Err().Error(), "nope") {
		t.Errorf("Service with an unknown capability: err = %v", c.Err())
	}
}

func TestConfigNotModified(t *testing.T) {
	t.Parallel()
	cfg := payrollConfig("")
	cfg.Capabilities.UserOverrides = map[string][]string{"o@example.com": {"payroll"}}
	at := authtest.New(t, cfg, payrollApp)
	at.Client("o@example.com").Get("/payroll").Expect(t, http.StatusOK)
	if cfg.ServerMetadataURL != "" || cfg.SecretKey != "" || len(cfg.Capabilities.UserOverrides) != 1 {
		t.Errorf("New modified the caller's config: %+v", cfg)
	}
	users, err := at.Manager.Users().Store().List(t.Context())
	if err != nil || len(users) != 0 {
		t.Errorf("store = %v, %v; want empty (the minter is an override)", users, err)
	}
}

// TestServiceWithAllowedDomains: the tester's own minter follows
// allowed_email_domains as the login does, whichever way the entry is
// written ("corp.example", "@corp.example", ".corp.example").
func TestServiceWithAllowedDomains(t *testing.T) {
	t.Parallel()
	for _, entry := range []string{"Corp.Example", "@corp.example", ".corp.example"} {
		cfg := payrollConfig("")
		cfg.AllowedEmailDomains = []string{entry}
		at := authtest.New(t, cfg, payrollApp)
		at.Service("payroll@service", "payroll").Get("/payroll").Expect(t, http.StatusOK)
		at.Client("ann@eu.corp.example").Get("/whoami").Expect(t, http.StatusOK)
	}
}

// TestLoginStartsLifted: a parsed configuration holds the default
// throttle.login_starts (60 a minute per address); the tester lifts it
// anyway, since every test client logs in from the loopback address.
func TestLoginStartsLifted(t *testing.T) {
	t.Parallel()
	cfg, err := auth.ParseConfig([]byte(`
secret_key: 9Wq2hJx7mL4vT8rK1pZ6cN3bF5dG0sYeUaQwErTyUiO=
server_metadata_url: https://idp.example/.well-known/openid-configuration
client_id: app
base_url: http://localhost:8080
capabilities: {graph: {user_management: []}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Throttle.LoginStarts != 60 {
		t.Fatalf("login_starts = %d; want the default", cfg.Throttle.LoginStarts)
	}
	at := authtest.New(t, cfg, func(m *auth.Manager) http.Handler {
		return m.Require("user_management")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	})
	for i := range 60 + 5 {
		if err := at.Browser(fmt.Sprintf("u%d@example.com", i)).Err(); err != nil {
			t.Fatalf("login %d: %v", i+1, err)
		}
	}
}
