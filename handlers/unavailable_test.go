package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"github.com/oauthgate/oauthgate/internal/pgtest"
)

// unavailableApp mounts the routes and one route per middleware.
func unavailableApp(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	echo := http.HandlerFunc(e2etest.Echo)
	mux.Handle("GET /read", m.Require("read")(echo))
	mux.Handle("GET /bake", m.Require("baker", auth.RedirectToLogin)(echo))
	mux.Handle("GET /me", m.RequireLogin()(echo))
	mux.Handle("GET /hello", m.Optional()(echo))
	mux.Handle("/pets/", m.RequireDerivedScope()(echo))
	return mux
}

// TestStoreUnavailable cuts the app off its PostgreSQL server: every way
// in (each middleware, the management and token routes, the
// client-credentials grant) answers 503 with Retry-After, whether the
// caller sends a bearer token or a session cookie, in the shape of the
// route (JSON, a page for a browser on a RedirectToLogin route, an RFC 6749
// error at the token endpoint). Before, the same bearer token was answered
// 500 by Require and 503 by the management routes, and a session cookie
// made the caller a guest (401, or a login redirect).
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	link := pgtest.NewLink(t)
	var store *pgstore.Store
	var cc clientcreds.Config
	var grant *clientcreds.Issuer
	app := e2etest.Start(t, e2etest.IdP(t), unavailableApp, e2etest.Options{
		Extra:    "scope_capabilities: {\"read:pets\": [read]}\nclients:\n  conf: {client_secret: conf-plain-secret-7, scope: read:pets}\n",
		Sections: []auth.Section{&cc},
		Edit: func(c *auth.Config) {
			g, err := capabilities.NewGraph(c.Capabilities.Graph, c.Capabilities.AutoAdminEnabled())
			if err != nil {
				t.Fatal(err)
			}
			s := link.OpenStore(t, g)
			c.CapabilityStore, c.TokenStore, store = s, s, s
			grant = plugGrant(t, c, &cc, clientcreds.Options{ClientStore: s})
		},
	})
	if grant.ClientStore() != store {
		t.Fatalf("client store %T; want the PostgreSQL store", grant.ClientStore())
	}
	p := app.Prefix
	// Credentials made while the server is there, none used yet: each is
	// checked against the store at its first use.
	manager := app.Browser(t, e2etest.ManagerEmail)
	manager.Get(t, p+"/manage_capabilities/list").Expect(t, http.StatusOK) // identified now
	var minted struct {
		ServiceToken string `json:"service_token"`
	}
	manager.Get(t, p+"/token?user="+e2etest.ServiceName).Expect(t, http.StatusOK).JSON(t, &minted)
	bot := app.WithBearer("bot", minted.ServiceToken)
	user := app.Browser(t, e2etest.UserEmail)

	link.Cut()
	pgtest.WaitUnavailable(t, store)

	html := http.Header{"Accept": {"text/html,application/xhtml+xml"}}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, tc := range []struct {
		name         string
		c            *e2etest.Client
		method, path string
		h            http.Header
		body         string
		want         string // "json", "page" or "oauth"
	}{
		{"Require, bearer", bot, "GET", "/read", nil, "", "json"},
		{"manage route, bearer", bot, "GET", p + "/manage_capabilities/list", nil, "", "json"},
		{"RequireLogin, bearer", bot, "GET", "/me", nil, "", "json"},
		{"Optional, bearer", bot, "GET", "/hello", nil, "", "json"},
		{"RequireDerivedScope, bearer", bot, "GET", "/pets/1", nil, "", "json"},
		{"token route, bearer", bot, "POST", p + "/token/revoke", nil, `{"all": true}`, "json"},
		{"Require, session", user, "GET", "/read", nil, "", "json"},
		{"Require with RedirectToLogin, browser", user, "GET", "/bake", html, "", "page"},
		{"user token route, session", user, "GET", p + "/token", nil, "", "json"},
		{"manage route, known caller", manager, "GET", p + "/manage_capabilities/list?email=" + e2etest.AdminEmail, nil, "", "json"},
		{"client credentials", app.Guest(), "POST", p + "/oauth/token", form,
			"grant_type=client_credentials&client_id=stored&client_secret=s3cret-stored-client", "oauth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.DoHeader(t, tc.method, tc.path, tc.body, tc.h)
			if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Fatalf("%s %s: %d, Retry-After %q; want 503 with Retry-After\n%s",
					tc.method, tc.path, r.StatusCode, r.Header.Get("Retry-After"), r.Body)
			}
			switch tc.want {
			case "json":
				if d := r.Detail(t); !strings.Contains(d, "unavailable") {
					t.Errorf("detail %q", d)
				}
			case "page":
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(r.Body), "unavailable") {
					t.Errorf("%s: %s", ct, r.Body)
				}
			case "oauth":
				var ans struct{ Error string }
				if r.JSON(t, &ans); ans.Error != clientcreds.CodeTemporarilyUnavailable {
					t.Errorf("error %q; want temporarily_unavailable", ans.Error)
				}
			}
		})
	}
}
