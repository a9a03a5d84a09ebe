package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/mockidp"
)

func ExampleManager_Require() {
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		panic(err)
	}
	defer idp.Close()
	cfg := &auth.Config{
		ServerMetadataURL: idp.URL + "/.well-known/openid-configuration",
		SecretKey:         "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
		ClientID:          mockidp.DemoClientID,
		ClientSecret:      mockidp.DemoClientSecret,
		Capabilities: capabilities.Config{
			Graph:             map[string][]string{"read": {}, "announce": {"read"}},
			GuestCapabilities: []string{"read"},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	defer m.Close()

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello,", auth.IdentityFrom(r.Context()))
	})
	mux := http.NewServeMux()
	mux.Handle("GET /read", m.Require("read")(hello))                           // guests hold read here
	mux.Handle("GET /shout", m.Require("announce")(hello))                      // 401 for guests
	mux.Handle("GET /bake", m.Require("announce", auth.RedirectToLogin)(hello)) // browsers log in
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, path := range []string{"/read", "/shout", "/bake?n=2"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "" {
			body = []byte("→ " + loc + "\n")
		}
		fmt.Printf("%s %d %s", path, resp.StatusCode, body)
	}
	// Output:
	// /read 200 hello, guest
	// /shout 401 {"detail":"not authenticated"}
	// /bake?n=2 302 → /login?next=%2Fbake%3Fn%3D2
}

// newNoLoginManager returns a Manager of an app without browser login,
// where guests may read.
func newNoLoginManager() *auth.Manager {
	cfg, err := auth.ParseConfig([]byte(`
secret_key: 3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=
capabilities:
  graph: {read: [], write: [read]}
  guest_capabilities: [read]
scope_capabilities:
  "read:*": [read]
  "write:*": [write]
`))
	if err != nil {
		panic(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	return m
}

// call serves one request through h and prints the answer.
func call(h http.Handler, method, path string, header http.Header) {
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Printf("%s %s: %d %s", method, path, w.Code, w.Body)
}

// An app loads its configuration file and builds one Manager from it.
// Without server_metadata_url and client_id it has no browser login;
// Config() has every default filled in.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "oauthgate.yaml")
	err = os.WriteFile(path, []byte(`
secret_key: ${APP_SECRET_KEY:-3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=}
prefix: /api
capabilities:
  graph: {read: [], write: [read]}
`), 0o600)
	if err != nil {
		panic(err)
	}
	cfg, err := auth.LoadConfig(path)
	if err != nil {
		panic(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	c := m.Config()
	fmt.Println(c.NoLogin(), m.Login().Path(), c.TokenTTL, c.Now().IsZero())
	// Output:
	// true /api/login 720h0m0s false
}

// Identify tells who sends a request. A request without credentials is
// a guest's; a bad bearer token is an error (and the guest), which the
// middlewares answer 401.
func ExampleManager_Identify() {
	m := newNoLoginManager()
	defer m.Close()

	for _, h := range []string{"", "Basic YWRhOnB3", "Bearer not-a-token"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		id, err := m.Identify(r)
		if err != nil {
			fmt.Printf("%q: %s, refused with %d, malformed: %v\n", h, id, auth.ErrorOf(err).Status, errors.Is(err, auth.ErrTokenMalformed))
			continue
		}
		fmt.Printf("%q: %s\n", h, id)
	}
	// Output:
	// "": guest
	// "Basic YWRhOnB3": guest
	// "Bearer not-a-token": guest, refused with 401, malformed: true
}

// Optional lets every request through with its identity in the context,
// so a page can greet a user and still serve guests.
func ExampleManager_Optional() {
	m := newNoLoginManager()
	defer m.Close()
	page := m.Optional()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello,", auth.IdentityFrom(r.Context()))
	}))

	call(page, http.MethodGet, "/", nil)
	call(page, http.MethodGet, "/", http.Header{"Authorization": {"Bearer not-a-token"}})
	// Output:
	// GET /: 200 hello, guest
	// GET /: 401 {"detail":"invalid token"}
}

// RequireDerivedScope derives the scope from the method and path
// ("read:pets" for GET /pets/7) and maps it to capabilities with
// scope_capabilities: here guests may read, and writing needs a caller.
func ExampleManager_RequireDerivedScope() {
	m := newNoLoginManager()
	defer m.Close()
	api := m.RequireDerivedScope()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))

	call(api, http.MethodGet, "/pets/7", nil)
	call(api, http.MethodPost, "/pets", nil)
	// Output:
	// GET /pets/7: 200 ok
	// POST /pets: 401 {"detail":"not authenticated"}
}
