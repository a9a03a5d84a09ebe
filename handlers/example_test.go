package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/mockidp"
)

// ExampleMount serves the login routes and a protected route, with an
// in-process mock identity provider, and logs a browser in.
func ExampleMount() {
	idp, err := mockidp.NewServer(mockidp.Options{DefaultEmail: "ada@example.com"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer idp.Close()

	srv := httptest.NewUnstartedServer(nil)
	cfg, err := auth.ParseConfig([]byte(`
server_metadata_url: ` + idp.URL + `/.well-known/openid-configuration
secret_key: 9Wq2hJx7mL4vT8rK1pZ6cN3bF5dG0sYeUaQwErTyUiO=
client_id: ` + mockidp.DemoClientID + `
client_secret: ` + mockidp.DemoClientSecret + `
base_url: http://` + srv.Listener.Addr().String() + `
capabilities:
  graph: {read: [], announce: [read]}
  default_capabilities: [read]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	oauth, err := auth.New(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer oauth.Close()

	mux := http.NewServeMux()
	handlers.Mount(mux, oauth)
	mux.Handle("GET /read", oauth.Require("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello", auth.IdentityFrom(r.Context()).Email)
	})))
	srv.Config.Handler = mux
	srv.Start()
	defer srv.Close()

	// A browser: it keeps cookies and follows redirects.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	show := func(path string) {
		resp, err := browser.Get(srv.URL + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	show("/read")
	show("/login?next=/read") // through the provider and back
	show("/read")

	// The token lets a script call the same route.
	resp, err := browser.Get(srv.URL + "/token")
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/read", nil)
	req.Header.Set("Authorization", tok.TokenType+" "+tok.RefreshToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("script: %d %s", resp.StatusCode, body)
	// Output:
	// GET /read: 401 {"detail":"not authenticated"}
	// GET /login?next=/read: 200 hello ada@example.com
	// GET /read: 200 hello ada@example.com
	// script: 200 hello ada@example.com
}

// ExampleHandler mounts every route under the configured prefix
// (/account here: /account/login, /account/auth, /account/logout...),
// beside the app's own routes.
func ExampleHandler() {
	idp, err := mockidp.NewServer(mockidp.Options{DefaultEmail: "ada@example.com"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer idp.Close()

	srv := httptest.NewUnstartedServer(nil)
	cfg, err := auth.ParseConfig([]byte(`
server_metadata_url: ` + idp.URL + `/.well-known/openid-configuration
secret_key: 9Wq2hJx7mL4vT8rK1pZ6cN3bF5dG0sYeUaQwErTyUiO=
client_id: ` + mockidp.DemoClientID + `
client_secret: ` + mockidp.DemoClientSecret + `
base_url: http://` + srv.Listener.Addr().String() + `
prefix: /account
capabilities:
  graph: {read: []}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	mux := http.NewServeMux()
	mux.Handle(m.Config().Prefix+"/", handlers.Handler(m))
	mux.Handle("GET /me", m.RequireLogin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello", auth.IdentityFrom(r.Context()).Email)
	})))
	srv.Config.Handler = mux
	srv.Start()
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	for _, path := range []string{"/account/login?next=/me", "/account/logout?next=/me"} {
		resp, err := browser.Get(srv.URL + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	// Output:
	// GET /account/login?next=/me: 200 hello ada@example.com
	// GET /account/logout?next=/me: 401 {"detail":"not authenticated"}
}
