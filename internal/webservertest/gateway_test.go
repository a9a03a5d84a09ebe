package webservertest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/mockidp"
)

// gatewayConfig is the gateway of the forward-auth tests: the mock
// provider, the web server's URL as base_url (the login's callback comes
// through the web server), the web server as trusted proxy, a reader and
// a writer, and the app as its one upstream (a gateway always has one;
// here the web server, not the gateway, proxies to the app).
const gatewayConfig = `server_metadata_url: %[1]s/.well-known/openid-configuration
client_id: %[2]s
client_secret: %[3]s
secret_key: %[4]s
base_url: %[5]s
prefix: /oauthgate
trusted_proxies: [127.0.0.1]
capabilities:
  graph: {read: [], write: []}
  user_overrides:
    reader@example.com: [read]
    writer@example.com: [write]
listen: %[6]s
upstreams:
  - {path_prefix: /, url: %[7]s, require: read}
`

// startGateway runs a gateway on ln, as `oauthgate serve` does, until the
// test ends.
func startGateway(t *testing.T, ln net.Listener, idpURL, baseURL, appURL string) {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	yaml := fmt.Sprintf(gatewayConfig, idpURL, mockidp.DemoClientID, mockidp.DemoClientSecret,
		base64.RawURLEncoding.EncodeToString(key), baseURL, ln.Addr(), appURL)
	cfg, err := gateway.ParseConfig([]byte(yaml), t.TempDir())
	if err != nil {
		t.Fatalf("gateway config: %v\n%s", err, yaml)
	}
	cfg.Auth.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	g, err := gateway.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := g.Server()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		g.Close()
	})
}

// The README's snippets with oauthgate's real check behind nginx and
// Caddy, the mock provider as identity provider and a real app behind the
// web server: the login runs through the web server, a user holding the
// capability gets through (by session cookie and by bearer token) with
// the identity headers, one without it gets 403, a guest 401 or the login
// redirect, and a client's own identity headers never reach the app.
func TestForwardAuthGateway(t *testing.T) {
	t.Parallel()
	for _, server := range []string{"nginx", "caddy"} {
		for _, redirect := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/redirect=%v", server, redirect), func(t *testing.T) {
				t.Parallel()
				testForwardAuthGateway(t, server, redirect)
			})
		}
	}
}

func testForwardAuthGateway(t *testing.T, server string, redirect bool) {
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	app := httpServer(t, echo)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	web := startSnippet(t, server, Params{
		Gateway: ln.Addr().String(), Upstream: strings.TrimPrefix(app, "http://"),
		Prefix: "/oauthgate", Capability: "read", Redirect: redirect,
	})
	startGateway(t, ln, idp.URL, web.URL, app)

	reader := login(t, web.URL, "reader@example.com")
	writer := login(t, web.URL, "writer@example.com")
	readerToken := userToken(t, reader, web.URL)
	spoof := spoofHeaders()

	guest := struct {
		code             int
		location, detail string
	}{401, "", "not authenticated"}
	// A browser lacking the capability: JSON for an API, the readable
	// page with the login redirect.
	browserRefusal := struct{ detail, body string }{`missing capability "read"`, ""}
	if redirect {
		guest.code, guest.location, guest.detail = 302, "/oauthgate/login?next=%2Fpage%3Fa%3D1%26b%3D2", ""
		browserRefusal.detail, browserRefusal.body = "", "<title>Forbidden"
	}
	tests := []struct {
		name         string
		client       *http.Client
		method, path string
		header       http.Header
		wantCode     int
		wantLocation string
		wantDetail   string
		wantInBody   string
		wantEcho     map[string]string
	}{
		{name: "guest", path: "/page?a=1&b=2", wantCode: guest.code, wantLocation: guest.location, wantDetail: guest.detail},
		{name: "guest POST", method: "POST", path: "/form", header: spoof, wantCode: 401, wantDetail: "not authenticated"},
		{name: "user without the capability", client: writer, path: "/page", wantCode: 403, wantDetail: `missing capability "read"`},
		{name: "browser without the capability", client: writer, path: "/page", header: http.Header{"Accept": {"text/html"}},
			wantCode: 403, wantDetail: browserRefusal.detail, wantInBody: browserRefusal.body},
		{name: "user with the capability", client: reader, path: "/page?a=1&b=2", wantCode: 200,
			wantEcho: map[string]string{"path": "/page?a=1&b=2", "email": "reader@example.com", "user": "reader@example.com", "caps": "read", "kind": "user"}},
		{name: "client's identity headers replaced", client: reader, path: "/page", header: spoof, wantCode: 200,
			wantEcho: map[string]string{"email": "reader@example.com", "user": "reader@example.com", "caps": "read", "kind": "user", "other": ""}},
		{name: "bearer token", path: "/api", header: http.Header{"Authorization": {"Bearer " + readerToken}}, wantCode: 200,
			wantEcho: map[string]string{"path": "/api", "email": "reader@example.com", "caps": "read", "kind": "user"}},
		{name: "bad bearer token", path: "/api", header: http.Header{"Authorization": {"Bearer nope"}}, wantCode: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := tt.client
			if client == nil {
				client = noRedirects
			}
			method := tt.method
			if method == "" {
				method = "GET"
			}
			req, err := http.NewRequest(method, web.URL+tt.path, strings.NewReader("a=b"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("%s %s: %d, want %d; body %s", method, tt.path, resp.StatusCode, tt.wantCode, body)
			}
			if got := resp.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location %q, want %q", got, tt.wantLocation)
			}
			if !strings.Contains(string(body), tt.wantInBody) {
				t.Errorf("body %s, want it to contain %q", body, tt.wantInBody)
			}
			if tt.wantDetail != "" {
				var d struct{ Detail string }
				if err := json.Unmarshal(body, &d); err != nil || d.Detail != tt.wantDetail {
					t.Errorf("body %s, want the detail %q", body, tt.wantDetail)
				}
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
		})
	}

	if redirect {
		// A browser: the protected page, the login page, the provider,
		// the callback through the web server, and back to the page.
		if err := idp.Provider.SetEmail("reader@example.com"); err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		resp, err := browser.Get(web.URL + "/page?a=1&b=2")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got map[string]string
		if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || got["path"] != "/page?a=1&b=2" || got["email"] != "reader@example.com" {
			t.Errorf("browser login round trip: %d %s (at %s)", resp.StatusCode, body, resp.Request.URL)
		}
	}
}

// spoofHeaders are identity headers a client sends of its own, one of
// them spelled with "_" (which many app frameworks read as "-").
func spoofHeaders() http.Header {
	return http.Header{
		"X-Auth-Request-Email":        {"boss@example.com"},
		"X-Auth-Request-User":         {"boss@example.com"},
		"X-Auth-Request-Capabilities": {"admin"},
		"X-Auth-Request-Kind":         {"user"},
		"X-Auth-Request_Email":        {"boss@example.com"},
	}
}

// A location open to guests (require=public): the check allows a guest,
// and the app must see no identity at all, neither the client's own
// headers nor anything else.
func TestForwardAuthGatewayPublicGuest(t *testing.T) {
	t.Parallel()
	for _, server := range []string{"nginx", "caddy"} {
		t.Run(server, func(t *testing.T) {
			t.Parallel()
			idp, err := mockidp.NewServer(mockidp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(idp.Close)
			app := httpServer(t, echo)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			web := startSnippet(t, server, Params{
				Gateway: ln.Addr().String(), Upstream: strings.TrimPrefix(app, "http://"),
				Prefix: "/oauthgate", Capability: "public",
			})
			startGateway(t, ln, idp.URL, web.URL, app)
			req, _ := http.NewRequest("GET", web.URL+"/page", nil)
			for k, v := range spoofHeaders() {
				req.Header[k] = v
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got map[string]string
			if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
				t.Fatalf("GET /page: %d %s", resp.StatusCode, body)
			}
			for _, k := range []string{"email", "user", "caps", "kind", "other"} {
				if got[k] != "" {
					t.Errorf("app saw %s = %q, want nothing", k, got[k])
				}
			}
		})
	}
}

// httpServer serves h on a free loopback port until the test ends.
func httpServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// login runs the login through the web server as email (the provider's
// login_hint) and returns a client with the session cookie that shows
// each redirect.
func login(t *testing.T, base, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: noRedirects.CheckRedirect}
	get := func(target string, want int) *http.Response {
		t.Helper()
		resp, err := c.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("login as %s: GET %s: %d, want %d; body %s", email, target, resp.StatusCode, want, body)
		}
		return resp
	}
	resp := get(base+"/oauthgate/login?next=%2F", http.StatusFound)
	authURL, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := authURL.Query()
	q.Set("login_hint", email)
	authURL.RawQuery = q.Encode()
	resp = get(authURL.String(), http.StatusFound)
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, base+"/oauthgate/auth?") {
		t.Fatalf("login as %s: the provider sends the browser to %q, not through the web server", email, callback)
	}
	get(callback, http.StatusSeeOther)
	return c
}

// userToken asks the token route, through the web server, for the user
// token of a logged-in client.
func userToken(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/oauthgate/token")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.RefreshToken == "" {
		t.Fatalf("GET /oauthgate/token: %d %v", resp.StatusCode, err)
	}
	return tok.RefreshToken
}
