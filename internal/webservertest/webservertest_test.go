package webservertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// standIn is a small forward-auth endpoint with the shape of oauthgate's
// check: GET {prefix}/check?require=CAP answers 200 with the identity
// headers, 401 without an identity (with redirect=1, a GET goes to the
// login page, 302), 403 without the capability. Its
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
	method := r.Header.Get("X-Forwarded-Method")
	switch {
	case !ok && r.URL.Query().Get("redirect") == "1" && (method == "GET" || method == "HEAD"):
		http.Redirect(w, r, "/oauthgate/login?next="+url.QueryEscape(r.Header.Get("X-Forwarded-Uri")), http.StatusFound)
	case !ok:
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, `{"detail": "login required"}`, http.StatusUnauthorized)
	case u.email == "":
		// Present even when empty: Caddy 2.6's copy_headers leaves its
		// placeholder text in a header that the answer lacks.
		for _, k := range []string{"X-Auth-Request-Email", "X-Auth-Request-User", "X-Auth-Request-Capabilities", "X-Auth-Request-Kind"} {
			w.Header()[k] = []string{""}
		}
		w.WriteHeader(http.StatusNoContent)
	case !strings.Contains(","+u.caps+",", ","+r.URL.Query().Get("require")+","):
		http.Error(w, `{"detail": "forbidden"}`, http.StatusForbidden)
	default:
		w.Header().Set("X-Auth-Request-Email", u.email)
		w.Header().Set("X-Auth-Request-User", strings.Split(u.email, "@")[0])
		w.Header().Set("X-Auth-Request-Capabilities", u.caps)
		w.Header().Set("X-Auth-Request-Kind", "user")
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
		"kind":  strings.Join(r.Header.Values("X-Auth-Request-Kind"), "|"),
		"other": otherAuthHeaders(r.Header),
	})
})

// otherAuthHeaders lists the X-Auth-Request* headers other than the four
// the web server sets, such as X-Auth-Request_Email, which many app
// frameworks read as X-Auth-Request-Email (HTTP_X_AUTH_REQUEST_EMAIL).
func otherAuthHeaders(h http.Header) string {
	var out []string
	for k := range h {
		switch k {
		case "X-Auth-Request-Email", "X-Auth-Request-User", "X-Auth-Request-Capabilities", "X-Auth-Request-Kind":
		default:
			if strings.HasPrefix(strings.ToLower(k), "x-auth-request") {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(rawURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + port
}

// startSnippet starts the named server with its snippet.
func startSnippet(t *testing.T, server string, p Params) *Server {
	t.Helper()
	switch server {
	case "nginx":
		return Nginx(t, func(listen string) string { p.Listen = listen; return NginxAuthRequest.Render(p) })
	case "caddy":
		return Caddy(t, func(site string) string { p.Site = site; return CaddyForwardAuth.Render(p) })
	}
	t.Fatalf("unknown server %q", server)
	return nil
}

// noRedirects is a client that shows each redirect.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// The snippets, run by the real servers against the stand-in: allowed,
// refused with the check's own answer, identity copied to the app and
// never taken from the client; with and without the login redirect.
func TestForwardAuthStandIn(t *testing.T) {
	t.Parallel()
	for _, server := range []string{"nginx", "caddy"} {
		for _, redirect := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/redirect=%v", server, redirect), func(t *testing.T) {
				t.Parallel()
				gate := &standIn{}
				gw := httptest.NewServer(gate)
				t.Cleanup(gw.Close)
				app := httptest.NewServer(echo)
				t.Cleanup(app.Close)
				web := startSnippet(t, server, Params{
					Gateway: hostPort(t, gw.URL), Upstream: hostPort(t, app.URL),
					Prefix: "/oauthgate", Capability: "read", Redirect: redirect,
				})
				runForwardAuthCases(t, web, gate, redirect)
			})
		}
	}
}

func runForwardAuthCases(t *testing.T, web *Server, gate *standIn, redirect bool) {
	spoof := map[string]string{
		"X-Auth-Request-Email":        "boss@example.com",
		"X-Auth-Request-User":         "boss",
		"X-Auth-Request-Capabilities": "admin",
		"X-Auth-Request_Email":        "boss@example.com",
		"X-Auth-Request-Kind":         "user",
	}
	guest := struct {
		code     int
		location string
		body     string
	}{401, "", "login required"}
	if redirect {
		guest.code, guest.location, guest.body = 302, "/oauthgate/login?next=%2Fpage%3Fa%3D1%26b%3D2", ""
	}
	tests := []struct {
		name         string
		method       string
		path         string
		token        string
		header       map[string]string
		wantCode     int
		wantLocation string
		wantEcho     map[string]string // the app's view, when allowed
		wantInBody   string
	}{
		{name: "guest", path: "/page?a=1&b=2", wantCode: guest.code, wantLocation: guest.location, wantInBody: guest.body},
		{name: "guest POST", method: "POST", path: "/form", header: spoof, wantCode: 401, wantInBody: "login required"},
		{name: "lacks capability", path: "/page", token: "other-token", wantCode: 403, wantInBody: "forbidden"},
		{name: "allowed", path: "/page?a=1&b=2", token: "reader-token", wantCode: 200,
			wantEcho: map[string]string{"path": "/page?a=1&b=2", "email": "reader@example.com", "user": "reader", "caps": "read", "kind": "user"}},
		{name: "allowed, client's identity headers replaced", path: "/page", token: "reader-token", header: spoof, wantCode: 200,
			wantEcho: map[string]string{"email": "reader@example.com", "user": "reader", "caps": "read", "kind": "user", "other": ""}},
		{name: "allowed without identity, client's headers dropped", path: "/page", token: "anonymous-token", header: spoof, wantCode: 200,
			wantEcho: map[string]string{"email": "", "user": "", "caps": "", "kind": "", "other": ""}},
		{name: "login route passed through", path: "/oauthgate/login", wantCode: 200, wantInBody: "login page"},
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
				req.Header[k] = []string{v} // as given: X-Auth-Request_Email stays so
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("%s %s: status %d, want %d; body %s", method, tt.path, resp.StatusCode, tt.wantCode, body)
			}
			if !strings.Contains(string(body), tt.wantInBody) {
				t.Errorf("body %q does not contain %q", body, tt.wantInBody)
			}
			if got := resp.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location %q, want %q", got, tt.wantLocation)
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
