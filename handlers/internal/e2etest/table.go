package e2etest

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

// Case is one row of the shared table: who sends what, and the status the
// app must answer. In Path, "{p}" stands for the routes' prefix.
type Case struct {
	Who    string // a key of the callers made by RunTable
	Method string
	Path   string
	Body   string
	Header http.Header
	Want   int
	// Location, if set, is the redirect target the answer must carry
	// ("{p}" is the prefix).
	Location string
}

// Callers of the table.
const (
	Guest      = "guest"     // no credential
	BadToken   = "bad-token" // a bearer that is no token of the app
	User       = "user"      // user token of UserEmail (defaults: read)
	Boss       = "boss"      // user token of BossEmail (override: announce)
	Manager    = "manager"   // user token of ManagerEmail (user_management, write)
	Admin      = "admin"     // user token of AdminEmail (admin)
	Service    = "service"   // service token of ServiceName (write, baker) minted by the admin
	BrowserWho = "browser"   // cookie session of UserEmail
)

const oversized = 65 << 10

// Table is the shared table of requests, run on every router with the
// prefix /api/v1. Rows run in order; the only writes are idempotent (on a
// scratch user), so each row's answer does not depend on the others.
var Table = []Case{
	// Protected routes: 401 without identity, 403 without capability.
	{Who: Guest, Method: "GET", Path: "/hello", Want: 200},
	{Who: BadToken, Method: "GET", Path: "/read", Want: 401},
	{Who: User, Method: "GET", Path: "/hello", Want: 200},
	{Who: Guest, Method: "GET", Path: "/me", Want: 401},
	{Who: User, Method: "GET", Path: "/me", Want: 200},
	{Who: Service, Method: "GET", Path: "/me", Want: 200},
	{Who: BrowserWho, Method: "GET", Path: "/me", Want: 200},
	{Who: Guest, Method: "GET", Path: "/look", Want: 200},
	{Who: User, Method: "GET", Path: "/look", Want: 403},
	{Who: Admin, Method: "GET", Path: "/look", Want: 200},
	{Who: Guest, Method: "GET", Path: "/read", Want: 401},
	{Who: User, Method: "GET", Path: "/read", Want: 200},
	{Who: BrowserWho, Method: "GET", Path: "/read", Want: 200},
	{Who: User, Method: "GET", Path: "/write", Want: 403},
	{Who: BrowserWho, Method: "GET", Path: "/write", Want: 403},
	{Who: Boss, Method: "GET", Path: "/write", Want: 200},
	{Who: Manager, Method: "GET", Path: "/write", Want: 200},
	{Who: Admin, Method: "GET", Path: "/write", Want: 200},
	{Who: Service, Method: "GET", Path: "/write", Want: 200},
	{Who: User, Method: "GET", Path: "/announce", Want: 403},
	{Who: Manager, Method: "GET", Path: "/announce", Want: 403},
	{Who: Boss, Method: "GET", Path: "/announce", Want: 200},
	{Who: Admin, Method: "GET", Path: "/announce", Want: 200},
	{Who: Service, Method: "GET", Path: "/announce", Want: 403},
	{Who: Guest, Method: "GET", Path: "/bake?food=croissant", Want: 302, Location: "{p}/login?next=%2Fbake%3Ffood%3Dcroissant"},
	{Who: User, Method: "GET", Path: "/bake", Want: 403},
	{Who: Service, Method: "GET", Path: "/bake", Want: 200},
	{Who: Admin, Method: "GET", Path: "/bake", Want: 200},
	{Who: User, Method: "GET", Path: "/users", Want: 403},
	{Who: Service, Method: "GET", Path: "/users", Want: 403},
	{Who: Manager, Method: "GET", Path: "/users", Want: 200},
	{Who: Admin, Method: "GET", Path: "/users", Want: 200},

	// Login and logout (browser routes).
	{Who: Guest, Method: "GET", Path: "{p}/login?next=/me", Want: 302},
	{Who: Guest, Method: "GET", Path: "{p}/auth", Want: 400},
	{Who: Guest, Method: "GET", Path: "{p}/logout?next=/hello", Want: 303, Location: "/hello"},
	{Who: Guest, Method: "POST", Path: "{p}/logout?next=//evil.example", Want: 303, Location: "/"},

	// Tokens.
	{Who: Guest, Method: "GET", Path: "{p}/token", Want: 302, Location: "{p}/login?next=%2Fapi%2Fv1%2Ftoken&offline_token=true"},
	{Who: BadToken, Method: "GET", Path: "{p}/token", Want: 401},
	{Who: BrowserWho, Method: "GET", Path: "{p}/token", Want: 200},
	{Who: User, Method: "GET", Path: "{p}/token?user=bot@service", Want: 403},
	{Who: Manager, Method: "GET", Path: "{p}/token?user=bot@service", Want: 200},
	{Who: Admin, Method: "GET", Path: "{p}/token?user=bot@service", Want: 200},
	{Who: Admin, Method: "GET", Path: "{p}/token?user=person@corp.example", Want: 400},
	{Who: Guest, Method: "POST", Path: "{p}/token/revoke", Body: `{"token":"x"}`, Want: 401},
	{Who: User, Method: "POST", Path: "{p}/token/revoke", Body: `{"token":"not-a-token"}`, Want: 400},
	{Who: User, Method: "POST", Path: "{p}/token/revoke", Body: `{"token":1}`, Want: 400},
	{Who: User, Method: "POST", Path: "{p}/token/revoke", Body: `{}`, Want: 400},
	{Who: User, Method: "POST", Path: "{p}/token/revoke", Body: `{"email":"admin@corp.example","all":true}`, Want: 403},

	// Capability management.
	{Who: Guest, Method: "GET", Path: "{p}/manage_capabilities/list", Want: 401},
	{Who: BadToken, Method: "GET", Path: "{p}/manage_capabilities/list", Want: 401},
	{Who: User, Method: "GET", Path: "{p}/manage_capabilities/list", Want: 200},
	{Who: Service, Method: "GET", Path: "{p}/manage_capabilities/list", Want: 200},
	{Who: User, Method: "GET", Path: "{p}/manage_capabilities/list?email=admin@corp.example", Want: 403},
	{Who: Manager, Method: "GET", Path: "{p}/manage_capabilities/list?email=admin@corp.example", Want: 200},
	{Who: User, Method: "GET", Path: "{p}/manage_capabilities/list_user?email=admin@corp.example", Want: 403},
	{Who: Admin, Method: "GET", Path: "{p}/manage_capabilities/list_user?email=user@corp.example", Want: 200},
	{Who: Guest, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"read"}`, Want: 401},
	{Who: User, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"read"}`, Want: 403},
	{Who: Service, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"read"}`, Want: 403},
	{Who: Manager, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"read"}`, Want: 200},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capabilities":["read","look"]}`, Want: 200},
	{Who: Manager, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"announce"}`, Want: 403},
	{Who: Manager, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"admin"}`, Want: 403},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"nope"}`, Want: 400},
	{Who: Manager, Method: "POST", Path: "{p}/manage_capabilities/remove", Body: `{"email":"scratch@corp.example","capability":"announce"}`, Want: 403},
	{Who: Manager, Method: "POST", Path: "{p}/manage_capabilities/remove", Body: `{"email":"scratch@corp.example","capability":"look"}`, Want: 403},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/remove", Body: `{"email":"scratch@corp.example","capability":"look"}`, Want: 200},
	{Who: Manager, Method: "POST", Path: "{p}/manage_capabilities/set", Body: `{"email":"scratch@corp.example","capabilities":["read"]}`, Want: 200},
	{Who: Manager, Method: "POST", Path: "{p}/manage_capabilities/set", Body: `{"email":"scratch@corp.example","capabilities":["admin"]}`, Want: 403},
	{Who: User, Method: "POST", Path: "{p}/manage_capabilities/set", Body: `{"email":"scratch@corp.example","capabilities":["read"]}`, Want: 403},

	// Malformed requests.
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":1,"capability":"read"}`, Want: 400},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example","capability":"read","extra":true}`, Want: 400},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"email":"scratch@corp.example"`, Want: 400},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/add", Body: `{"capability":"read"}`, Want: 400},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/set", Body: `{"email":"scratch@corp.example","capabilities":"read"}`, Want: 400},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/set", Body: `[]`, Want: 400},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/set", Body: `{"email":"scratch@corp.example","capabilities":[]} {}`, Want: 400},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/set", Body: oversizedBody, Want: 413},
	{Who: Admin, Method: "POST", Path: "{p}/manage_capabilities/set", Body: `{"email":"scratch@corp.example","capabilities":[]}`,
		Header: http.Header{"Content-Type": {"text/plain"}}, Want: 415},

	// What the router answers by itself.
	{Who: Guest, Method: "GET", Path: "{p}/no_such_route", Want: 404},
	{Who: Guest, Method: "DELETE", Path: "{p}/manage_capabilities/list", Want: 405},
	{Who: Admin, Method: "GET", Path: "{p}/manage_capabilities/add", Want: 405},
}

var oversizedBody = `{"email":"scratch@corp.example","capabilities":["` + strings.Repeat("x", oversized) + `"]}`

// TablePrefix is the prefix the table runs under.
const TablePrefix = "/api/v1"

// RunTable runs, for each mode of the mock provider (each kind of
// identity provider), the table and the refusals: it starts the app that
// build makes, with the prefix /api/v1, makes every caller of the table
// through the real login flow, and checks each row; then each login of
// [Refusals] is refused as it must be.
func RunTable(t *testing.T, build Builder) {
	for _, mode := range mockidp.Modes() {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			runTable(t, IdPMode(t, mode), build)
			t.Run("refusals", func(t *testing.T) { RunRefusals(t, mode, build) })
		})
	}
}

func runTable(t *testing.T, idp *mockidp.Server, build Builder) {
	app := Start(t, idp, build, Options{Prefix: TablePrefix})
	admin := app.User(t, AdminEmail)
	callers := map[string]*Client{
		Guest:      app.Guest(),
		BadToken:   app.WithBearer(BadToken, "bm90LWEtdG9rZW4tb2YtdGhpcy1hcHA"),
		User:       app.User(t, UserEmail),
		Boss:       app.User(t, BossEmail),
		Manager:    app.User(t, ManagerEmail),
		Admin:      admin,
		Service:    app.Service(t, admin, ServiceName),
		BrowserWho: app.Browser(t, UserEmail),
	}
	for _, tc := range Table {
		path := strings.ReplaceAll(tc.Path, "{p}", TablePrefix)
		t.Run(tc.Who+" "+tc.Method+" "+shorten(path), func(t *testing.T) {
			c := callers[tc.Who]
			if c == nil {
				t.Fatalf("unknown caller %q", tc.Who)
			}
			resp := c.DoHeader(t, tc.Method, path, tc.Body, tc.Header)
			if resp.StatusCode != tc.Want {
				t.Fatalf("status %d; want %d; body: %.300s", resp.StatusCode, tc.Want, resp.Body)
			}
			if tc.Location != "" {
				want := strings.ReplaceAll(tc.Location, "{p}", TablePrefix)
				if got := resp.Header.Get("Location"); !SameURL(got, want) {
					t.Errorf("Location = %q; want %q", got, want)
				}
			}
			checkShape(t, path, resp)
		})
	}
}

// checkShape checks what every answer of a kind must carry.
func checkShape(t *testing.T, path string, resp *Response) {
	t.Helper()
	code := resp.StatusCode
	if code == http.StatusUnauthorized {
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("401 with WWW-Authenticate %q; want a Bearer challenge", got)
		}
	}
	api := strings.HasPrefix(path, TablePrefix+"/") && !isBrowserRoute(path)
	if api && code >= 400 && code != 404 && code != 405 {
		if d := resp.Detail(t); d == "" {
			t.Errorf("%d without detail: %s", code, resp.Body)
		}
	}
	if isBrowserRoute(path) && code >= 400 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("browser route error with Content-Type %q; want an HTML page", ct)
		}
	}
	if strings.HasPrefix(path, TablePrefix+"/token") && resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("token answer with Cache-Control %q; want no-store", resp.Header.Get("Cache-Control"))
	}
}

func isBrowserRoute(path string) bool {
	for _, r := range []string{"/login", "/auth", "/logout"} {
		p := TablePrefix + r
		if path == p || strings.HasPrefix(path, p+"?") {
			return true
		}
	}
	return false
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// SameURL reports whether a and b have the same path and the same query
// values, whatever the order and escaping of the query.
func SameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return ua.Scheme == ub.Scheme && ua.Host == ub.Host && ua.Path == ub.Path &&
		reflect.DeepEqual(ua.Query(), ub.Query())
}
