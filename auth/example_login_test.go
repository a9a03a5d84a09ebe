package auth_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/mockidp"
)

// exampleApp is an app with a browser login against an in-process mock
// identity provider, where email logs in. routes adds the example's own
// routes to the mux beside /login and /auth (what package handlers
// serves in a real app).
func exampleApp(email string, caps []string, routes func(m *auth.Manager, mux *http.ServeMux)) (srv *httptest.Server, browser *http.Client, done func()) {
	idp, err := mockidp.NewServer(mockidp.Options{DefaultEmail: email})
	if err != nil {
		panic(err)
	}
	srv = httptest.NewUnstartedServer(nil)
	cfg, err := auth.ParseConfig([]byte(`
server_metadata_url: ` + idp.URL + `/.well-known/openid-configuration
secret_key: 3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=
client_id: ` + mockidp.DemoClientID + `
client_secret: ` + mockidp.DemoClientSecret + `
base_url: http://` + srv.Listener.Addr().String() + `
capabilities:
  graph: {read: [], write: [read], user_management: []}
`))
	if err != nil {
		panic(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	// Seeding needs no caller: the store directly.
	if _, err := m.Users().Store().Set(context.Background(), email, caps); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Login().Start(w, r, r.URL.Query().Get("next"), false); err != nil {
			http.Error(w, err.Error(), auth.ErrorOf(err).Status)
		}
	})
	mux.HandleFunc("GET /auth", func(w http.ResponseWriter, r *http.Request) {
		next, err := m.Login().Finish(w, r)
		if err != nil {
			http.Error(w, err.Error(), auth.ErrorOf(err).Status)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
	routes(m, mux)
	srv.Config.Handler = mux
	srv.Start()
	jar, _ := cookiejar.New(nil)
	browser = &http.Client{Jar: jar}
	return srv, browser, func() { srv.Close(); m.Close(); idp.Close() }
}

// show prints the answer to a GET of path.
func show(c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
}

// A browser logs in at /login; RequireLogin then lets it through, and
// RedirectToLogin sends a browser without a session there.
func ExampleManager_RequireLogin() {
	srv, browser, done := exampleApp("ada@example.com", nil, func(m *auth.Manager, mux *http.ServeMux) {
		mux.Handle("GET /me", m.RequireLogin(auth.RedirectToLogin)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "hello", auth.IdentityFrom(r.Context()).Email)
		})))
	})
	defer done()

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(srv.URL + "/me")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	show(browser, srv.URL+"/me") // the browser follows: the provider, /auth, back to /me
	// Output:
	// 302 /login?next=%2Fme
	// 200 hello ada@example.com
}

// IssueUserToken gives a logged-in user a bearer token for scripts; the
// token identifies the user like the session does.
func ExampleManager_IssueUserToken() {
	srv, browser, done := exampleApp("ada@example.com", []string{"read"}, func(m *auth.Manager, mux *http.ServeMux) {
		mux.Handle("GET /token", m.RequireLogin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, err := m.IssueUserToken(w, r, auth.IdentityFrom(r.Context()))
			if err != nil {
				http.Error(w, err.Error(), auth.ErrorOf(err).Status)
				return
			}
			fmt.Fprintln(w, tok.Token)
		})))
		mux.Handle("GET /read", m.Require("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := auth.IdentityFrom(r.Context())
			fmt.Fprintln(w, id.Email, "via", id.Via)
		})))
	})
	defer done()

	show(browser, srv.URL+"/login?next=/read")
	resp, err := browser.Get(srv.URL + "/token")
	if err != nil {
		panic(err)
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/read", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	script, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(script.Body)
	script.Body.Close()
	fmt.Printf("%d %s", script.StatusCode, body)
	// Output:
	// 200 ada@example.com via session
	// 200 ada@example.com via bearer
}

// IssueServiceToken mints a token for a service account: a caller
// holding user_management gives the account at most what it holds.
func ExampleManager_IssueServiceToken() {
	srv, browser, done := exampleApp("admin@example.com", []string{"user_management", "write"}, func(m *auth.Manager, mux *http.ServeMux) {
		mux.Handle("GET /mint", m.RequireLogin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			admin := auth.IdentityFrom(r.Context())
			// The account's capabilities are stored like a user's.
			if _, err := m.Users().Set(r.Context(), admin, "backup@service", []string{"read"}); err != nil {
				http.Error(w, err.Error(), auth.ErrorOf(err).Status)
				return
			}
			tok, err := m.IssueServiceToken(r.Context(), admin, "backup@service")
			if err != nil {
				http.Error(w, err.Error(), auth.ErrorOf(err).Status)
				return
			}
			fmt.Fprintln(w, tok.Kind, tok.Subject, tok.Capabilities)
		})))
	})
	defer done()

	show(browser, srv.URL+"/login?next=/mint")
	// Output:
	// 200 service backup@service [read]
}

// Users changes stored capabilities on behalf of a caller: a manager
// (user_management) may grant only what it holds itself.
func ExampleUsers() {
	srv, browser, done := exampleApp("admin@example.com", []string{"user_management", "read"}, func(m *auth.Manager, mux *http.ServeMux) {
		mux.Handle("GET /grant", m.RequireLogin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			admin := auth.IdentityFrom(r.Context())
			users := m.Users()
			caps, err := users.Add(r.Context(), admin, "bob@example.com", "read")
			fmt.Fprintln(w, "add read:", caps, err)
			_, err = users.Add(r.Context(), admin, "bob@example.com", "write")
			fmt.Fprintln(w, "add write:", auth.ErrorOf(err).Status)
			caps, err = users.Set(r.Context(), admin, "bob@example.com", nil)
			fmt.Fprintln(w, "set none:", caps, err)
		})))
	})
	defer done()

	show(browser, srv.URL+"/login?next=/grant")
	// Output:
	// 200 add read: [read] <nil>
	// add write: 403
	// set none: [] <nil>
}
