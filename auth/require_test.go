package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
)

func TestRequirePanicsOnUnknownCapability(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	defer func() {
		got := recover()
		if got != `auth: Require: unknown capability "bakr"` {
			t.Fatalf("panic %v", got)
		}
	}()
	e.m.Require("bakr")
	t.Fatal("no panic")
}

func detail(t *testing.T, r response) string {
	t.Helper()
	var body struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Detail == "" {
		t.Fatalf("body %q is not {\"detail\": ...}: %v", r.body, err)
	}
	return body.Detail
}

func TestUnauthorizedVersusForbidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{configure: func(c *auth.Config) {
		c.Capabilities.GuestCapabilities = []string{"read"}
	}})
	guest := e.browser()
	user := e.browser()
	user.login("alice@example.com", "/login")
	tok := userToken(t, user)

	// A guest holding the capability passes.
	expect(t, guest.get("/read"), http.StatusOK)

	r := guest.get("/me")
	expect(t, r, http.StatusUnauthorized)
	if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Fatalf("WWW-Authenticate %q", got)
	}
	detail(t, r)

	r = user.get("/bake")
	expect(t, r, http.StatusForbidden)
	if r.header.Get("WWW-Authenticate") != "" {
		t.Fatal("403 with WWW-Authenticate")
	}
	if d := detail(t, r); !strings.Contains(d, "baker") {
		t.Fatalf("detail %q", d)
	}
	expect(t, guest.bearer("/bake", tok), http.StatusForbidden)
	expect(t, guest.bearer("/read", tok), http.StatusOK)

	for _, bad := range []string{"nonsense", tok[:len(tok)-2] + "AA", "a b"} {
		r := guest.do("GET", "/read", http.Header{"Authorization": {"Bearer " + bad}})
		expect(t, r, http.StatusUnauthorized)
		if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer error="invalid_token"`) {
			t.Fatalf("WWW-Authenticate %q", got)
		}
	}
	// A bad bearer token is refused even where guests may go.
	expect(t, guest.bearer("/hello", "nonsense"), http.StatusUnauthorized)
	// Another scheme is not a bearer attempt.
	expect(t, guest.do("GET", "/hello", http.Header{"Authorization": {"Basic dTpw"}}), http.StatusOK)
}

func TestRedirectToLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{configure: func(c *auth.Config) { c.Prefix = "/api/v1" }})
	b := e.browser()
	r := b.get("/bake?food=croissant&n=2")
	expect(t, r, http.StatusFound)
	want := "/api/v1/login?next=%2Fbake%3Ffood%3Dcroissant%26n%3D2"
	if got := r.header.Get("Location"); got != want {
		t.Fatalf("Location %q, want %q", got, want)
	}
	// Non-GET requests are not redirected.
	expect(t, b.do("POST", "/bake", nil), http.StatusUnauthorized)
	// The login goes back to the same path and query.
	if err := e.idp.Provider.NextLogin("baker@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Users().Store().Add(context.Background(), "baker@example.com", "baker"); err != nil {
		t.Fatal(err)
	}
	cb := b.startLogin(want)
	r = b.get(cb.String())
	expect(t, r, http.StatusSeeOther)
	if got := r.header.Get("Location"); got != "/bake?food=croissant&n=2" {
		t.Fatalf("after login: %q", got)
	}
	expect(t, b.get("/bake?food=croissant&n=2"), http.StatusOK)
}

func TestRedirectToLoginRefusesBrowsersWithAPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	if err := e.idp.Provider.NextLogin("pastry@example.com", nil); err != nil {
		t.Fatal(err)
	}
	expect(t, b.get(b.startLogin("/login?next=/").String()), http.StatusSeeOther)

	html := http.Header{"Accept": {"text/html,application/xhtml+xml,*/*;q=0.8"}}
	r := b.do("GET", "/bake", html)
	expect(t, r, http.StatusForbidden)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("browser refusal Content-Type %q, want text/html", ct)
	}
	if !strings.Contains(r.body, "pastry@example.com") || !strings.Contains(r.body, "baker") {
		t.Fatalf("browser refusal page does not say who and what: %s", r.body)
	}
	// API clients (no text/html) and other methods keep the JSON answer.
	for _, method := range []string{"GET", "POST"} {
		r = b.do(method, "/bake", nil)
		expect(t, r, http.StatusForbidden)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s refusal Content-Type %q, want JSON", method, ct)
		}
	}
}

func TestOptionalAndIdentityFrom(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.browser().get("/hello")
	expect(t, r, http.StatusOK)
	if r.body != "guest " {
		t.Fatalf("body %q", r.body)
	}
	if id := auth.IdentityFrom(context.Background()); !id.IsGuest() || id.Has("read") || len(id.Capabilities()) != 0 {
		t.Fatalf("identity of a bare context: %+v", id)
	}
	// A capability change is seen by the next request of a cached session.
	b := e.browser()
	b.login("carol@example.com", "/login")
	if r := b.get("/hello"); r.body != "user:carol@example.com read" {
		t.Fatalf("body %q", r.body)
	}
	if _, err := e.m.Users().Store().Add(context.Background(), "carol@example.com", "announce"); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/hello"); r.body != "user:carol@example.com announce,read,write" {
		t.Fatalf("body %q", r.body)
	}
}

func TestIdentify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	req := httptest.NewRequest("GET", "/", nil)
	id, err := e.m.Identify(req)
	if err != nil || !id.IsGuest() || id.Kind != auth.KindGuest || id.Kind.String() != "guest" {
		t.Fatalf("Identify = %+v, %v", id, err)
	}
	req.Header.Set("Authorization", "Bearer x")
	if _, err := e.m.Identify(req); err == nil {
		t.Fatal("bad bearer token accepted")
	}
	req.Header["Authorization"] = []string{"Bearer a", "Bearer b"}
	if _, err := e.m.Identify(req); err == nil {
		t.Fatal("two Authorization headers accepted")
	}
}

// A store that is closed (the app is shutting down) cannot answer: the
// middleware answers 503 with Retry-After, as for an unavailable store,
// and does not take a session it cannot check for a guest's.
func TestClosedStore(t *testing.T) {
	t.Parallel()
	var store *memstore.Store
	e := newEnv(t, envOptions{configure: func(c *auth.Config) {
		g, err := capabilities.NewGraph(c.Capabilities.Graph, c.Capabilities.AutoAdminEnabled())
		if err != nil {
			t.Fatal(err)
		}
		store = memstore.New(g)
		c.CapabilityStore = store
	}})
	bob := e.browser()
	bob.login("bob@example.com", "/login") // not checked yet
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/read", "/me", "/hello", "/bake"} {
		r := bob.get(path)
		expect(t, r, http.StatusServiceUnavailable)
		if d := detail(t, r); r.header.Get("Retry-After") == "" || !strings.Contains(d, "unavailable") {
			t.Errorf("%s: Retry-After %q, detail %q", path, r.header.Get("Retry-After"), d)
		}
	}
}
