package webservertest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// standIn is a small forward-auth endpoint with the shape of oauthgate's
// check: GET {prefix}/check?require=CAP answers 200 with the identity
// headers, 401 without an identity, 403 without the capability. Its
// identities are bearer tokens from a fixed table. It records the last
// check request, to show what the web server sends.
type standIn struct {
	mu   sync.Mutex
	last *http.Request
}

var standInUsers = map[string]struct{ email, caps string }{
	"reader-token": {"reader@example.com", "read"},
	"other-token":  {"other@example.com", "write"},
	// Allowed without an identity (a guest on a public route): a 2xx
	// with the identity headers present and empty. A client's own
	// X-Auth-Request-* must not get through.
	"anonymous-token": {"", ""},
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauthgate/login" {
		io.WriteString(w, "login page")
		return
	}
	if r.URL.Path != "/oauthgate/check" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	s.mu.Lock()
	s.last = r
	s.mu.Unlock()
	u, ok := standInUsers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	switch {
	case !ok:
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, `{"detail": "login required"}`, http.StatusUnauthorized)
	case u.email == "":
		// Present even when empty: Caddy 2.6's copy_headers leaves its
		// placeholder text in a header that the answer lacks.
		for _, k := range []string{"X-Auth-Request-Email", "X-Auth-Request-User", "X-Auth-Request-Capabilities"} {
			w.Header()[k] = []string{""}
		}
		w.WriteHeader(http.StatusNoContent)
	case !strings.Contains(","+u.caps+",", ","+r.URL.Query().Get("require")+","):
		http.Error(w, `{"detail": "forbidden"}`, http.StatusForbidden)
	default:
		w.Header().Set("X-Auth-Request-Email", u.email)
		w.Header().Set("X-Auth-Request-User", strings.Split(u.email, "@")[0])
		w.Header().Set("X-Auth-Request-Capabilities", u.caps)
		w.WriteHeader(http.StatusOK)
	}
}

func (s *standIn) lastCheck() (*http.Request, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil, ""
	}
	body, _ := io.ReadAll(s.last.Body)
	return s.last, string(body)
}

// echo is the app behind the web server: it answers the identity headers
// it received, as JSON.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{
		"path":  r.URL.RequestURI(),
		"email": strings.Join(r.Header.Values("X-Auth-Request-Email"), "|"),
		"user":  strings.Join(r.Header.Values("X-Auth-Request-User"), "|"),
		"caps":  strings.Join(r.Header.Values("X-Auth-Request-Capabilities"), "|"),
	})
})

func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(rawURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + port
}

// The snippets, run by the real servers against the stand-in: allowed,
// refused with the check's own status, identity copied to the app and
// never taken from the client.
func TestForwardAuthStandIn(t *testing.T) {
	t.Parallel()
	servers := []struct {
		name  string
		start func(t *testing.T, p Params) *Server
	}{
		{"nginx", func(t *testing.T, p Params) *Server {
			return Nginx(t, func(listen string) string { p.Listen = listen; return NginxAuthRequest.Render(p) })
		}},
		{"caddy", func(t *testing.T, p Params) *Server {
			return Caddy(t, func(site string) string { p.Site = site; return CaddyForwardAuth.Render(p) })
		}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			gate := &standIn{}
			gw := httptest.NewServer(gate)
			t.Cleanup(gw.Close)
			app := httptest.NewServer(echo)
			t.Cleanup(app.Close)
			web := srv.start(t, Params{
				Gateway: hostPort(t, gw.URL), Upstream: hostPort(t, app.URL),
				Prefix: "/oauthgate", Capability: "read",
			})
			// nginx answers a refusal with its own page; Caddy passes
			// the check's answer through.
			runForwardAuthCases(t, web, gate, srv.name == "caddy")
		})
	}
}

func runForwardAuthCases(t *testing.T, web *Server, gate *standIn, checkBodyPassed bool) {
	spoof := map[string]string{
		"X-Auth-Request-Email":        "boss@example.com",
		"X-Auth-Request-User":         "boss",
		"X-Auth-Request-Capabilities": "admin",
	}
	tests := []struct {
		name      string
		method    string
		path      string
		token     string
		header    map[string]string
		wantCode  int
		wantEcho  map[string]string // the app's view, when allowed
		wantInBod string            // part of the body, when refused
	}{
		{name: "guest", path: "/page", wantCode: 401, wantInBod: "login required"},
		{name: "lacks capability", path: "/page", token: "other-token", wantCode: 403, wantInBod: "forbidden"},
		{name: "allowed", path: "/page?a=1&b=2", token: "reader-token", wantCode: 200,
			wantEcho: map[string]string{"path": "/page?a=1&b=2", "email": "reader@example.com", "user": "reader", "caps": "read"}},
		{name: "allowed, client's identity headers replaced", path: "/page", token: "reader-token", header: spoof, wantCode: 200,
			wantEcho: map[string]string{"email": "reader@example.com", "user": "reader", "caps": "read"}},
		{name: "allowed without identity, client's headers dropped", path: "/page", token: "anonymous-token", header: spoof, wantCode: 200,
			wantEcho: map[string]string{"email": "", "user": "", "caps": ""}},
		{name: "refused POST", method: "POST", path: "/form", header: spoof, wantCode: 401},
		{name: "login route passed through", path: "/oauthgate/login", wantCode: 200, wantInBod: "login page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			req, err := http.NewRequest(method, web.URL+tt.path, strings.NewReader("body=secret"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("%s %s: status %d, want %d; body %s", method, tt.path, resp.StatusCode, tt.wantCode, body)
			}
			if (checkBodyPassed || resp.StatusCode < 300) && !strings.Contains(string(body), tt.wantInBod) {
				t.Errorf("body %q does not contain %q", body, tt.wantInBod)
			}
			if tt.wantEcho != nil {
				var got map[string]string
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("app answer %q: %v", body, err)
				}
				for k, want := range tt.wantEcho {
					if got[k] != want {
						t.Errorf("app saw %s = %q, want %q", k, got[k], want)
					}
				}
			}
			if tt.path == "/oauthgate/login" {
				return
			}
			check, checkBody := gate.lastCheck()
			if check == nil {
				t.Fatal("the check was not asked")
			}
			if got := check.Header.Get("X-Forwarded-Uri"); got != tt.path {
				t.Errorf("check got X-Forwarded-Uri %q, want %q", got, tt.path)
			}
			if got := check.Header.Get("X-Forwarded-Method"); got != method {
				t.Errorf("check got X-Forwarded-Method %q, want %q", got, method)
			}
			if check.Method != "GET" && check.Method != method {
				t.Errorf("check method %q", check.Method)
			}
			if checkBody != "" {
				t.Errorf("check got the request body %q", checkBody)
			}
		})
	}
}
