package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/internal/upstreammodel"
	"github.com/oauthgate/oauthgate/internal/webservertest"
)

// The routes of the path tests and their rules. /admin/public is a
// weaker rule nested in a stronger one; /tasks has the letters that
// Unicode folds from non-ASCII ones (U+017F ſ, U+212A K).
var confusionRoutes = []struct{ prefix, require string }{
	{"/admin", "admin"},
	{"/admin/public", gateway.RequirePublic},
	{"/pub", gateway.RequirePublic},
	{"/write", "write"},
	{"/tasks", "write"},
	{"/", gateway.RequireLogin},
}

// confusionEnv is a gateway with confusionRoutes in front of url, the
// catch-all "/" under catchAll.
func confusionEnv(t *testing.T, url, catchAll string, change func(*gateway.Upstream)) *env {
	t.Helper()
	no := false
	return newEnv(t, nil, func(c *gateway.Config) {
		c.Upstreams = nil
		for _, r := range confusionRoutes {
			u := gateway.Upstream{PathPrefix: r.prefix, URL: url, Require: r.require, LoginRedirect: &no}
			if r.prefix == "/" {
				u.Require = catchAll
			}
			if change != nil {
				change(&u)
			}
			c.Upstreams = append(c.Upstreams, u)
		}
	})
}

// requireOf returns the rule of a route of confusionRoutes.
func requireOf(route, catchAll string) string {
	for _, r := range confusionRoutes {
		if r.prefix == route {
			if route == "/" {
				return catchAll
			}
			return r.require
		}
	}
	return "no such route " + route
}

// rawCaller sends request lines as they are, which Go's client would
// not (it encodes a backslash, refuses "%zz", cleans nothing but
// re-encodes the path).
type rawCaller struct {
	name  string
	token string // a bearer token; none for a guest
	holds func(require string) bool
}

// do sends "METHOD target HTTP/1.1" to addr with the extra headers and
// returns the status and body.
func (c rawCaller) do(t *testing.T, addr, method, target string, hdr ...string) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	if c.token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, "http://"+addr, nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s %q: %v", c.name, method, target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// confusionCallers are a guest and alice, a user holding read only.
func confusionCallers(e *env) []rawCaller {
	return []rawCaller{
		{name: "guest", holds: func(r string) bool { return r == gateway.RequirePublic }},
		{name: "alice", token: e.userToken(alice), holds: func(r string) bool {
			return r == gateway.RequirePublic || r == gateway.RequireLogin || r == "read"
		}},
	}
}

// mustRefuse are paths that the gateway refuses with 400 unless the
// upstream opts in.
var mustRefuse = []string{
	"/admin%2Fusers", "/admin%2fusers", "/admin%5Cusers", "/admin%5cusers", `/admin\users`,
	"/admin;/users", "/admin;jsessionid=x/users", "/admin%3B/users", "/pub/x;y",
	"/pub/x%00", "/pub/x%0a", "/pub/x%1F", "/pub/x%7f",
	"/pub/%252F", "/pub/%255C", "/pub/%253B", "/pub/%2500", "/pub/%252E", "/pub/%25%32%46",
	"/pub/%C0%AF", "/pub/%e0%80%af", "/pub/\xc0\xaf", "/pub/%ff",
	"/pub/%2e%2e/admin", "/pub/../admin", "/pub/.", "/pub/...", "/pub/..%20/admin",
}

// mustPass are ordinary paths, and the target the upstream receives.
var mustPass = []struct{ path, upstream string }{
	{"/pub/x", "/pub/x"},
	{"/pub/a..b/.x/x.", "/pub/a..b/.x/x."},
	{"/pub/caf%C3%A9", "/pub/caf%C3%A9"},
	{"/pub/a%20b", "/pub/a%20b"},
	{"/pub/50%25", "/pub/50%25"},
	{"/pub/x?next=%2Fadmin%2F..%3B", "/pub/x?next=%2Fadmin%2F..%3B"},
	{"/pub//x", "/pub/x"},
}

// Whatever route an upstream serves, under whichever reading of the
// path (decoding %2F or not, cutting ";" parameters, resolving dots,
// folding case...), the gateway's rule allowed it: a guest and a user
// without admin never reach /admin. With allow_encoded_slashes and
// allow_path_params on every upstream too: opting in opens nothing.
func TestPathConfusion(t *testing.T) {
	t.Parallel()
	up := upstreammodel.Start(t, "/", "/admin", "/admin/public", "/pub", "/write", "/tasks")
	optIn := func(u *gateway.Upstream) { u.AllowEncodedSlashes, u.AllowPathParams = true, true }
	for _, tc := range []struct {
		name     string
		catchAll string
		change   func(*gateway.Upstream)
	}{
		{"catch-all login", gateway.RequireLogin, nil},
		{"catch-all public", gateway.RequirePublic, nil},
		{"opted in", gateway.RequirePublic, optIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := confusionEnv(t, up.URL, tc.catchAll, tc.change)
			addr := strings.TrimPrefix(e.srv.URL, "http://")
			for _, c := range confusionCallers(e) {
				served := 0
				for _, path := range upstreammodel.ConfusingPaths() {
					code, body := c.do(t, addr, http.MethodGet, path)
					if code != http.StatusOK {
						continue
					}
					served++
					var a upstreammodel.Answer
					if err := json.Unmarshal(body, &a); err != nil {
						t.Fatalf("%s GET %q: %v in %s", c.name, path, err, body)
					}
					for _, route := range a.Routes {
						if req := requireOf(route, tc.catchAll); !c.holds(req) {
							t.Errorf("%s GET %q: the upstream got %q, which some servers route to %s (require %s)", c.name, path, a.Target, route, req)
						}
					}
				}
				if served == 0 {
					t.Errorf("%s: no path was served at all: the test is broken", c.name)
				}
				if tc.change != nil {
					continue
				}
				for _, path := range mustRefuse {
					code, body := c.do(t, addr, http.MethodGet, path)
					if code != http.StatusBadRequest || !strings.Contains(string(body), `"detail"`) {
						t.Errorf("%s GET %q: %d %s, want 400 JSON", c.name, path, code, body)
					}
				}
				for _, p := range mustPass {
					code, body := c.do(t, addr, http.MethodGet, p.path)
					var a upstreammodel.Answer
					_ = json.Unmarshal(body, &a)
					if code != http.StatusOK || a.Target != p.upstream {
						t.Errorf("%s GET %q: %d, upstream target %q, want 200 and %q (%s)", c.name, p.path, code, a.Target, p.upstream, body)
					}
				}
			}
		})
	}
}

// An upstream that opts in gets encoded slashes and ";" parameters as
// the client sent them; the rule is the strictest of the routes that
// the path's readings reach.
func TestPathOptIn(t *testing.T) {
	t.Parallel()
	up := upstreammodel.Start(t, "/", "/admin", "/admin/public", "/pub", "/write", "/tasks")
	e := confusionEnv(t, up.URL, gateway.RequirePublic, func(u *gateway.Upstream) {
		if u.PathPrefix == "/pub" || u.PathPrefix == "/" {
			u.AllowEncodedSlashes, u.AllowPathParams = true, true
		}
	})
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	guest := rawCaller{name: "guest"}
	aliceC := rawCaller{name: "alice", token: e.userToken(alice)}
	tests := []struct {
		c      rawCaller
		path   string
		want   int
		target string
	}{
		{guest, "/pub/a%2Fb", 200, "/pub/a%2Fb"},
		{guest, "/pub/a%5Cb;v=1", 200, "/pub/a%5Cb;v=1"},
		{guest, "/pub;jsessionid=1/x", 200, "/pub;jsessionid=1/x"},
		{guest, "/admin%2Fusers", 401, ""},  // "/" opted in; the decoded reading is /admin
		{aliceC, "/admin%2Fusers", 403, ""}, // alice lacks admin
		{aliceC, "/admin;/users", 403, ""},  // Tomcat's reading is /admin
		{guest, "/write%2Fx", 401, ""},
		{guest, "/admin/public%2Fx", 400, ""},                  // /admin/public did not opt in
		{guest, "/admin%2Fpublic/x", 200, "/admin%2Fpublic/x"}, // decoded or not: / or /admin/public
		{guest, "/admin%2Fpublics", 401, ""},                   // decoded: /admin
		{guest, "/pub/x%2F..%2F..%2Fadmin", 400, ""},           // dots stay refused
		{guest, "/pub/%252F", 400, ""},                         // double encoding stays refused
		{aliceC, "/tasks;x/y", 403, ""},                        // /tasks requires write
		{aliceC, "/pub%2F..%2Fwrite", 400, ""},                 // dots
		{aliceC, "/pub/x", 200, "/pub/x"},
		{aliceC, "/other%2Fthing", 200, "/other%2Fthing"},
		{aliceC, "/other;a=b/thing", 200, "/other;a=b/thing"},
		{aliceC, "/pub/" + strings.Repeat("a", 8<<10) + "%2F", 414, ""}, // readings of a long path cost too much
		{aliceC, "/pub/" + strings.Repeat("a", 8<<10), 200, ""},
	}
	for _, tt := range tests {
		code, body := tt.c.do(t, addr, http.MethodGet, tt.path)
		var a upstreammodel.Answer
		_ = json.Unmarshal(body, &a)
		if code != tt.want || (tt.target != "" && a.Target != tt.target) {
			t.Errorf("%s GET %q: %d (upstream target %q), want %d (%q): %s", tt.c.name, tt.path, code, a.Target, tt.want, tt.target, body)
		}
	}
}

// Case and suffixes: the upstream is the one whose prefix matches
// ignoring ASCII case, and the rule is also that of every prefix that a
// case-sensitive, a case-insensitive or a suffix-matching server would
// route to.
func TestPathCaseAndSuffix(t *testing.T) {
	t.Parallel()
	up := upstreammodel.Start(t, "/", "/admin", "/admin/public", "/pub", "/write", "/tasks")
	e := confusionEnv(t, up.URL, gateway.RequireLogin, nil)
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	guest := rawCaller{name: "guest"}
	aliceC := rawCaller{name: "alice", token: e.userToken(alice)}
	tests := []struct {
		c    rawCaller
		path string
		want int
	}{
		{guest, "/pub/x", 200},
		{guest, "/PUB/x", 401}, // a case-sensitive app serves it from "/" (login)
		{aliceC, "/PUB/x", 200},
		{aliceC, "/ADMIN/x", 403},      // a case-insensitive app serves it from /admin
		{aliceC, "/admin.json", 403},   // Spring serves it from /admin
		{aliceC, "/admin./x", 403},     // Windows drops the trailing dot
		{aliceC, "/ta\u017fks/x", 403}, // U+017F folds to s
		{aliceC, "/admın/x", 403},      // Java folds U+0131 to i
		{aliceC, "/adminx", 200},       // another segment
		{aliceC, "/admin-old/x", 200},
		{guest, "/admin/public/x", 200}, // a weaker rule nested in a stronger one still applies
		{guest, "/admin/PUBLIC/x", 401}, // a case-sensitive app serves it from /admin
		{guest, "/admin/public.x", 401}, // an app without suffix patterns serves it from /admin
	}
	for _, tt := range tests {
		if code, body := tt.c.do(t, addr, http.MethodGet, tt.path); code != tt.want {
			t.Errorf("%s GET %q: %d, want %d: %s", tt.c.name, tt.path, code, tt.want, body)
		}
	}
}

// nginx as the upstream: it decodes %2F, merges slashes and resolves
// dots before it matches a location; its /admin location also matches
// in any case, as a case-insensitive app would. Whatever location it
// answers from, the gateway's rule allowed it.
func TestPathConfusionNginx(t *testing.T) {
	t.Parallel()
	ngx := webservertest.Nginx(t, func(listen string) string {
		return fmt.Sprintf(`server {
    listen %s;
    location ~* ^/admin/public(/|$) { return 200 "route=/admin/public\n"; }
    location ~* ^/admin(/|$)        { return 200 "route=/admin\n"; }
    location ~* ^/(write|tasks)(/|$) { return 200 "route=/write\n"; }
    location /pub                   { return 200 "route=/pub\n"; }
    location /                      { return 200 "route=/\n"; }
}
`, listen)
	})
	checkServedRoutes(t, "nginx", ngx.URL)
}

// Python's http.server as the upstream, routing as its file server
// maps a path to a file (translate_path: decode, drop dot segments,
// case kept), as small Python apps do.
func TestPathConfusionPython(t *testing.T) {
	t.Parallel()
	py := webservertest.Python(t, `import http.server, os, sys

ROUTES = ["/admin/public", "/admin", "/pub", "/write", "/tasks"]

class App(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        rel = "/" + os.path.relpath(self.translate_path(self.path), os.getcwd())
        route = "/"
        for r in ROUTES:
            if rel == r or rel.startswith(r + "/"):
                route = r
                break
        body = ("route=" + route + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), App).serve_forever()
`)
	checkServedRoutes(t, "python", py.URL)
}

// checkServedRoutes puts a gateway with confusionRoutes in front of the
// server at url, whose answers name the route that served them
// ("route=/admin"), and requests every confusing path as a guest and as
// alice: each route served must be one the caller may reach.
func checkServedRoutes(t *testing.T, server, url string) {
	for _, catchAll := range []string{gateway.RequireLogin, gateway.RequirePublic} {
		t.Run("catch-all "+catchAll, func(t *testing.T) {
			t.Parallel()
			e := confusionEnv(t, url, catchAll, nil)
			addr := strings.TrimPrefix(e.srv.URL, "http://")
			for _, c := range confusionCallers(e) {
				served := 0
				for _, path := range upstreammodel.ConfusingPaths() {
					code, body := c.do(t, addr, http.MethodGet, path)
					if code != http.StatusOK {
						continue
					}
					served++
					route, ok := strings.CutPrefix(strings.TrimSpace(string(body)), "route=")
					if !ok {
						t.Fatalf("%s GET %q: %s answered %q", c.name, path, server, body)
					}
					if req := requireOf(route, catchAll); !c.holds(req) {
						t.Errorf("%s GET %q: %s served its %s route (require %s)", c.name, path, server, route, req)
					}
				}
				if served == 0 {
					t.Errorf("%s: no path was served at all: the test is broken", c.name)
				}
			}
		})
	}
}

// CONNECT and TRACE are refused before routing, even on a public
// upstream: TRACE would echo the client's cookies back (cross-site
// tracing), and the gateway tunnels nothing.
func TestConnectTraceRefused(t *testing.T) {
	t.Parallel()
	e := confusionEnv(t, upstreammodel.Start(t, "/").URL, gateway.RequirePublic, nil)
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	for _, c := range confusionCallers(e) {
		for _, tt := range []struct{ method, target string }{
			{"TRACE", "/pub/x"}, {"TRACE", "/"}, {"CONNECT", "/pub/x"}, {"CONNECT", addr}, {"trace", "/pub/x"},
		} {
			code, body := c.do(t, addr, tt.method, tt.target)
			if code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s %s: %d %s, want 405", c.name, tt.method, tt.target, code, body)
			}
		}
	}
}

// Routing overrides that IIS and Symfony honour never reach the
// upstream, spelled with dashes or underscores, from anyone.
func TestRoutingOverrideHeadersRemoved(t *testing.T) {
	t.Parallel()
	up := upstreammodel.Start(t, "/", "/admin", "/admin/public", "/pub", "/write", "/tasks")
	for _, trusted := range []bool{false, true} {
		e := confusionEnv(t, up.URL, gateway.RequirePublic, nil)
		if trusted {
			e = confusionEnvTrusted(t, up.URL)
		}
		addr := strings.TrimPrefix(e.srv.URL, "http://")
		for _, c := range confusionCallers(e) {
			for _, h := range []string{"X-Original-URL", "X-Rewrite-URL", "x-original-url", "X_Original_URL", "X-REWRITE-URL"} {
				code, body := c.do(t, addr, http.MethodGet, "/pub/x", h, "/admin/users")
				var a upstreammodel.Answer
				_ = json.Unmarshal(body, &a)
				if code != http.StatusOK || len(a.Routes) != 1 || a.Routes[0] != "/pub" {
					t.Errorf("trusted=%v %s GET /pub/x with %s: /admin/users: %d %s; want 200 served by /pub alone", trusted, c.name, h, code, body)
				}
			}
		}
	}
}

// confusionEnvTrusted is confusionEnv with the loopback as trusted proxy.
func confusionEnvTrusted(t *testing.T, url string) *env {
	t.Helper()
	no := false
	return newEnv(t, nil, func(c *gateway.Config) {
		c.Auth.TrustedProxies = []string{"127.0.0.0/8"}
		c.Upstreams = nil
		for _, r := range confusionRoutes {
			c.Upstreams = append(c.Upstreams, gateway.Upstream{PathPrefix: r.prefix, URL: url, Require: gateway.RequirePublic, LoginRedirect: &no})
		}
	})
}

// A refused path is a page for a browser and JSON for anything else; a
// refused method says which ones are allowed.
func TestRefusalAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	c := rawCaller{name: "guest"}
	code, body := c.do(t, addr, http.MethodGet, "/web/a%2Fb", "Accept", "text/html,application/xhtml+xml")
	if code != http.StatusBadRequest || !strings.Contains(string(body), "<!DOCTYPE html>") || !strings.Contains(string(body), "encoded slash") {
		t.Errorf("browser: %d %s", code, body)
	}
	code, body = c.do(t, addr, http.MethodGet, "/web/a%2Fb")
	if code != http.StatusBadRequest || string(body) != `{"detail":"invalid path: an encoded slash or a backslash"}`+"\n" {
		t.Errorf("API: %d %s", code, body)
	}
	code, body = c.do(t, addr, http.MethodPost, "/oauth2/logout;x")
	if code != http.StatusBadRequest || !strings.Contains(string(body), "parameter") {
		t.Errorf("a gateway route with a parameter: %d %s", code, body)
	}
	req, _ := http.NewRequest("TRACE", e.srv.URL+"/pub/x", nil)
	resp, body := e.guest().do(t, req)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" || !strings.Contains(string(body), `"detail"`) {
		t.Errorf("TRACE: %d Allow %q %s", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
	waitFor(t, func() bool {
		info, ok := e.obs.last("/web/a/b") // the decoded path, as always
		return ok && info.Status == http.StatusBadRequest && info.Route == gateway.RouteNone
	})
}
