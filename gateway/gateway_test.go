package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// Each kind of caller gets the right status on public, login and
// capability routes.
func TestAccessByIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	callers := []*caller{
		e.guest(),
		e.browser(alice),
		e.bearer("admin user token", e.userToken(admin)),
		e.bearer("service token", e.serviceToken(bot)),
		e.bearer("client credentials (write)", e.clientToken("cron")),
		e.bearer("client credentials (read)", e.clientToken("reader")),
		e.bearer("forged token", "not-a-token"),
	}
	// want[i] is the status of callers[i].
	tests := []struct {
		path string
		want []int
	}{
		{"/pub/x", []int{200, 200, 200, 200, 200, 200, 401}},
		{"/app/x", []int{401, 200, 200, 200, 200, 200, 401}},
		{"/write/x", []int{401, 403, 200, 200, 200, 403, 401}},
		{"/other", []int{401, 200, 200, 200, 200, 200, 401}},
		{"/web/x", []int{302, 200, 200, 200, 200, 200, 401}},
	}
	for _, tt := range tests {
		for i, c := range callers {
			resp, body := c.get(t, e.srv.URL+tt.path)
			if resp.StatusCode != tt.want[i] {
				t.Errorf("%s GET %s: %d, want %d (%s)", c.name, tt.path, resp.StatusCode, tt.want[i], body)
			}
		}
	}
	resp, _ := e.guest().get(t, e.srv.URL+"/web/page?a=1")
	if loc := resp.Header.Get("Location"); loc != "/oauth2/login?next=%2Fweb%2Fpage%3Fa%3D1" {
		t.Errorf("guest on a browser route: Location %q", loc)
	}
}

// A machine client's client-credentials access token passes on its
// capabilities, and the upstream sees the client, never the token. Each
// source of such tokens is a row: the identity provider's, accepted
// through jwt_issuers, and the gateway's own token endpoint
// (POST {prefix}/oauth/token, clients of the clients: section).
func TestClientCredentialsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) {
		c.ClientCredentials.Clients = map[string]clientcreds.ClientConfig{
			"own-writer": {ClientSecret: "own-writer-secret", Sub: "own-writer-1", Audience: clientcreds.StringList{gatewaytest.PetsAPI}, Scope: clientcreds.StringList{"read:pets", "write:pets"}},
			"own-reader": {ClientSecret: "own-reader-secret", Audience: clientcreds.StringList{gatewaytest.PetsAPI}, Scope: clientcreds.StringList{"read:pets"}},
		}
	})
	sources := []struct {
		name           string
		writer, reader func(t *testing.T) string
		sub            string
	}{
		{
			name:   "identity provider via jwt_issuers",
			writer: func(*testing.T) string { return e.clientToken(gatewaytest.Writer) },
			reader: func(*testing.T) string { return e.clientToken(gatewaytest.Reader) },
			sub:    gatewaytest.Writer,
		},
		{
			name:   "the gateway's own token endpoint",
			writer: func(t *testing.T) string { return ownClientToken(t, e, "own-writer", "own-writer-secret") },
			reader: func(t *testing.T) string { return ownClientToken(t, e, "own-reader", "own-reader-secret") },
			sub:    "own-writer-1",
		},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			writerToken, readerToken := src.writer(t), src.reader(t)
			writer, reader := e.bearer("writer", writerToken), e.bearer("reader", readerToken)
			for _, tt := range []struct {
				c    *caller
				path string
				want int
			}{
				{writer, "/pub/x", 200}, {writer, "/app/x", 200}, {writer, "/write/x", 200},
				{reader, "/pub/x", 200}, {reader, "/app/x", 200}, {reader, "/write/x", 403},
			} {
				if resp, body := tt.c.get(t, e.srv.URL+tt.path); resp.StatusCode != tt.want {
					t.Errorf("%s GET %s: %d, want %d (%s)", tt.c.name, tt.path, resp.StatusCode, tt.want, body)
				}
			}
			s := writer.upstreamSaw(t, e.srv.URL+"/write/jobs")
			want := map[string]string{
				"X-Auth-Request-User":         src.sub,
				"X-Auth-Request-Email":        "",
				"X-Auth-Request-Kind":         "client",
				"X-Auth-Request-Capabilities": "read,write",
				"Authorization":               "",
			}
			for h, v := range want {
				if got := s.get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
			for _, path := range []string{"/pub/x", "/app/x", "/write/x"} {
				for _, tok := range []string{writerToken, readerToken} {
					c := e.bearer("client", tok)
					resp, body := c.get(t, e.srv.URL+path)
					if resp.StatusCode == 200 && strings.Contains(string(body), tok) {
						t.Errorf("GET %s: the upstream saw the bearer token", path)
					}
				}
			}
			if resp, _ := writer.get(t, e.srv.URL+"/oauth2/check?require=write"); resp.StatusCode != 200 {
				t.Errorf("check: %d", resp.StatusCode)
			}
			if resp, _ := reader.get(t, e.srv.URL+"/oauth2/check?require=write"); resp.StatusCode != 403 {
				t.Errorf("check as a reader: %d, want 403", resp.StatusCode)
			}
		})
	}
}

// ownClientToken gets an access token from the gateway's own token
// endpoint with the client-credentials grant (HTTP Basic).
func ownClientToken(t *testing.T, e *env, id, secret string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+gatewaytest.Prefix+"/oauth/token",
		strings.NewReader("grant_type=client_credentials&audience="+gatewaytest.PetsAPI))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, body := e.guest().do(t, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("POST %s/oauth/token as %s: %d %s", gatewaytest.Prefix, id, resp.StatusCode, body)
	}
	return tok.AccessToken
}

// The upstream gets the identity headers, never the client's copies, the
// gateway's cookies or its bearer tokens; the app's cookies pass.
func TestIdentityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	spoof := []string{
		"X-Auth-Request-Email", "evil@example.com",
		"x-auth-request-user", "evil",
		"X_Auth_Request_Capabilities", "admin",
		"X-AUTH-REQUEST-KIND", "user",
		"X-Auth-Request-Groups", "admins",
	}
	identityHeaders := []string{"X-Auth-Request-Email", "X-Auth-Request-User", "X-Auth-Request-Kind", "X-Auth-Request-Capabilities", "X_Auth_Request_Capabilities", "X-Auth-Request-Groups"}

	t.Run("guest on a public route", func(t *testing.T) {
		s := e.guest().upstreamSaw(t, e.srv.URL+"/pub/a", spoof...)
		for _, h := range identityHeaders {
			if v := s.get(h); v != "" {
				t.Errorf("%s reached the upstream: %q", h, v)
			}
		}
		if len(s.Header) == 0 {
			t.Fatal("no headers at all")
		}
		for k := range s.Header {
			if strings.HasPrefix(strings.ToLower(strings.ReplaceAll(k, "_", "-")), "x-auth-request") {
				t.Errorf("%s reached the upstream", k)
			}
		}
	})

	t.Run("browser session", func(t *testing.T) {
		b := e.browser(alice)
		hdr := append([]string{"Cookie", "theme=dark; oauthgate_session_flow_x=1"}, spoof...)
		s := b.upstreamSaw(t, e.srv.URL+"/app/a", hdr...)
		want := map[string]string{
			"X-Auth-Request-Email":        alice,
			"X-Auth-Request-User":         alice,
			"X-Auth-Request-Capabilities": "read",
			"X-Auth-Request-Kind":         "user",
			"X_auth_request_capabilities": "",
			"X-Auth-Request-Groups":       "",
		}
		for h, v := range want {
			if got := s.get(h); got != v {
				t.Errorf("%s = %q, want %q", h, got, v)
			}
		}
		cookie := s.get("Cookie")
		if cookie != "theme=dark" {
			t.Errorf("Cookie upstream %q, want only the app's cookie", cookie)
		}
		if !strings.Contains(s.get("Via"), "1.1 oauthgate") {
			t.Errorf("Via %q", s.get("Via"))
		}
		if s.get("X-Forwarded-For") != "127.0.0.1" || s.get("X-Forwarded-Proto") != "http" || s.get("X-Forwarded-Host") != strings.TrimPrefix(e.srv.URL, "http://") {
			t.Errorf("forwarded headers: %q %q %q", s.get("X-Forwarded-For"), s.get("X-Forwarded-Proto"), s.get("X-Forwarded-Host"))
		}
	})

	t.Run("bearer tokens stay at the gateway", func(t *testing.T) {
		for _, c := range []*caller{e.bearer("user", e.userToken(admin)), e.bearer("service", e.serviceToken(bot))} {
			s := c.upstreamSaw(t, e.srv.URL+"/write/a", "X-Forwarded-For", "6.6.6.6")
			if got := s.get("Authorization"); got != "" {
				t.Errorf("%s: Authorization reached the upstream: %q", c.name, got)
			}
			if got := s.get("X-Forwarded-For"); got != "127.0.0.1" {
				t.Errorf("%s: X-Forwarded-For %q: an untrusted peer's chain was kept", c.name, got)
			}
		}
		s := e.bearer("service", e.serviceToken(bot)).upstreamSaw(t, e.srv.URL+"/write/a")
		if s.get("X-Auth-Request-Email") != bot || s.get("X-Auth-Request-Kind") != "service" || s.get("X-Auth-Request-Capabilities") != "read,write" {
			t.Errorf("service identity: %v", s.Header)
		}
	})

	t.Run("basic authorization passes", func(t *testing.T) {
		s := e.browser(alice).upstreamSaw(t, e.srv.URL+"/app/a", "Authorization", "Basic YTpi")
		if got := s.get("Authorization"); got != "Basic YTpi" {
			t.Errorf("Authorization %q", got)
		}
	})
}

// From a trusted proxy, X-Forwarded-* are kept and the peer appended.
func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) { c.Auth.TrustedProxies = []string{"127.0.0.0/8"} })
	s := e.guest().upstreamSaw(t, e.srv.URL+"/pub/a", "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "app.example.com")
	if got := s.get("X-Forwarded-For"); got != "203.0.113.9, 127.0.0.1" {
		t.Errorf("X-Forwarded-For %q", got)
	}
	if s.get("X-Forwarded-Proto") != "https" || s.get("X-Forwarded-Host") != "app.example.com" {
		t.Errorf("forwarded: %q %q", s.get("X-Forwarded-Proto"), s.get("X-Forwarded-Host"))
	}
	waitFor(t, func() bool {
		info, ok := e.obs.last("/pub/a")
		return ok && info.Client == "203.0.113.9"
	})
}

// The upstream gets its own host, or the client's with pass_host.
func TestPassHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) { c.Upstreams[0].PassHost = true })
	gwHost, upHost := strings.TrimPrefix(e.srv.URL, "http://"), strings.TrimPrefix(e.up.URL, "http://")
	if s := e.guest().upstreamSaw(t, e.srv.URL+"/pub/a"); s.Host != gwHost {
		t.Errorf("pass_host: Host %q, want %q", s.Host, gwHost)
	}
	if s := e.guest().upstreamSaw(t, e.srv.URL+"/strip/a"); s.Host != upHost {
		t.Errorf("Host %q, want %q", s.Host, upHost)
	}
}

// strip_prefix removes the prefix, however the path spelled it; the
// upstream URL's path comes first, and the rest of the path is sent as
// the client encoded it.
func TestStripPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) { c.Upstreams[4].AllowEncodedSlashes = true })
	b := e.browser(alice) // /STRIP/a also needs the catch-all's rule: read
	for _, tt := range []struct{ path, want string }{
		{"/strip/a%2Fb/c", "/base/a%2Fb/c|/base/a/b/c"},
		{"/strip", "|/base/"},
		{"/strip/", "|/base/"},
		{"/STRIP/a", "|/base/a"},
		{"/str%69p/a%2Fb", "/base/a%2Fb|/base/a/b"},
		{"/strip//a", "|/base/a"},
		{"/strip/caf%c3%a9", "/base/caf%c3%a9|/base/café"},
	} {
		if s := b.upstreamSaw(t, e.srv.URL+tt.path); s.Path != tt.want {
			t.Errorf("GET %s: upstream path %q, want %q", tt.path, s.Path, tt.want)
		}
	}
}

// The optional JWT describes the identity and verifies with the keys the
// gateway publishes.
func TestUpstreamJWT(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) {
		c.PassHeaders = []string{"x-auth-request-email", "Authorization"}
		c.UpstreamJWT.Audience = "my-app"
	})
	s := e.browser(alice).upstreamSaw(t, e.srv.URL+"/app/a")
	if s.get("X-Auth-Request-User") != "" || s.get("X-Auth-Request-Email") != alice {
		t.Errorf("pass_headers not followed: %v", s.Header)
	}
	raw, ok := strings.CutPrefix(s.get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("no JWT: %q", s.get("Authorization"))
	}
	var jwks jose.JSONWebKeySet
	e.guest().getJSON(t, e.srv.URL+"/oauth2"+gateway.UpstreamJWKSPath, &jwks)
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		jwt.Claims
		Email        string   `json:"email"`
		Kind         string   `json:"kind"`
		Capabilities []string `json:"capabilities"`
	}
	if err := tok.Claims(jwks.Key(tok.Headers[0].KeyID)[0].Key, &claims); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := claims.Validate(jwt.Expected{Issuer: e.gw.Config().Auth.BaseURL + "/oauth2", AnyAudience: jwt.Audience{"my-app"}, Time: time.Now()}); err != nil {
		t.Errorf("claims: %v", err)
	}
	if claims.Subject != alice || claims.Email != alice || claims.Kind != "user" || strings.Join(claims.Capabilities, ",") != "read" {
		t.Errorf("claims %+v", claims)
	}
	if life := claims.Expiry.Time().Sub(claims.IssuedAt.Time()); life != gateway.DefaultJWTTTL {
		t.Errorf("life %v", life)
	}
}

// Forward-auth: 2xx with the identity headers, 401, 403, or the login
// redirect back to the original URI.
func TestCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	check := e.srv.URL + "/oauth2/check"
	b := e.browser(alice)
	admin := e.bearer("admin", e.userToken(admin))
	tests := []struct {
		name  string
		c     *caller
		query string
		want  int
	}{
		{"guest login", e.guest(), "", 401},
		{"guest public", e.guest(), "?require=public", 200},
		{"user login", b, "", 200},
		{"user read", b, "?require=read", 200},
		{"user write", b, "?require=write", 403},
		{"admin write", admin, "?require=write", 200},
		{"unknown capability", b, "?require=nope", 400},
		{"forged token", e.bearer("forged", "x"), "?require=public", 401},
	}
	for _, tt := range tests {
		resp, body := tt.c.get(t, check+tt.query)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d (%s)", tt.name, resp.StatusCode, tt.want, body)
		}
	}
	resp, _ := b.get(t, check+"?require=read")
	if resp.Header.Get("X-Auth-Request-Email") != alice || resp.Header.Get("X-Auth-Request-Capabilities") != "read" {
		t.Errorf("check headers: %v", resp.Header)
	}
	resp, _ = e.guest().get(t, check+"?require=read&redirect=1", "X-Forwarded-Uri", "/orders/7?x=1", "X-Forwarded-Method", "GET")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "/oauth2/login?next=%2Forders%2F7%3Fx%3D1" {
		t.Errorf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = e.guest().get(t, check+"?redirect=1", "X-Forwarded-Uri", "/orders", "X-Forwarded-Method", "POST")
	if resp.StatusCode != 401 {
		t.Errorf("a POST is not redirected: %d", resp.StatusCode)
	}
}

// A gateway without upstreams answers forward-auth checks only.
func TestCheckOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) { c.Upstreams = nil })
	b := e.browser(alice)
	if resp, body := b.get(t, e.srv.URL+"/oauth2/check?require=read"); resp.StatusCode != 200 {
		t.Errorf("check: %d %s", resp.StatusCode, body)
	}
	if resp, _ := b.get(t, e.srv.URL+"/app/x"); resp.StatusCode != 404 {
		t.Errorf("a path outside the prefix: %d, want 404", resp.StatusCode)
	}
}

// Paths under the prefix that no route answers get 404 from the gateway;
// they never reach the catch-all upstream.
func TestUnknownPathUnderPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	b := e.browser(alice)
	for _, path := range []string{"/oauth2", "/oauth2/", "/oauth2/nope", "/oauth2/oauth/token"} {
		resp, body := b.get(t, e.srv.URL+path)
		if resp.StatusCode != 404 || !strings.Contains(string(body), `"detail"`) {
			t.Errorf("GET %s: %d %s; want 404 JSON", path, resp.StatusCode, body)
		}
	}
	if resp, body := b.get(t, e.srv.URL+"/oauth2/check?require=read"); resp.StatusCode != 200 {
		t.Errorf("the gateway's own route: %d %s", resp.StatusCode, body)
	}
}

// Health and readiness, and readiness while the provider is down.
func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	waitFor(t, e.gw.Ready)
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, body := e.guest().get(t, e.srv.URL+p); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}

	down := newEnv(t, nil, func(c *gateway.Config) {
		c.Auth.ServerMetadataURL = "http://127.0.0.1:1/.well-known/openid-configuration"
		c.Auth.JWTIssuers = nil
		c.Auth.ScopeCapabilities = nil
	})
	if resp, _ := down.guest().get(t, down.srv.URL+"/readyz"); resp.StatusCode != 503 {
		t.Errorf("readyz with the provider down: %d", resp.StatusCode)
	}
	if resp, _ := down.guest().get(t, down.srv.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz with the provider down: %d", resp.StatusCode)
	}
}

// The observer hears every request with its route class and decision.
func TestObserver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	b := e.browser(alice)
	b.get(t, e.srv.URL+"/write/x")
	e.bearer("forged", "zzz").get(t, e.srv.URL+"/app/x?token=secret")
	b.get(t, e.srv.URL+"/app/y")
	b.get(t, e.srv.URL+"/oauth2/check?require=write")
	waitFor(t, func() bool { _, ok := e.obs.last("/oauth2/check"); return ok })
	tests := []struct {
		path, route, decision string
		status                int
		bearer                bool
	}{
		{"/write/x", gateway.RouteUpstream, gateway.DecisionForbidden, 403, false},
		{"/app/x", gateway.RouteUpstream, gateway.DecisionInvalidToken, 401, true},
		{"/app/y", gateway.RouteUpstream, gateway.DecisionAllow, 200, false},
		{"/oauth2/check", gateway.RouteCheck, gateway.DecisionForbidden, 403, false},
		{"/oauth2/auth", gateway.RouteAuth, "", 303, false},
	}
	for _, tt := range tests {
		info, ok := e.obs.last(tt.path)
		if !ok {
			t.Errorf("%s: not observed", tt.path)
			continue
		}
		if info.Route != tt.route || info.Decision != tt.decision || info.Status != tt.status || info.Bearer != tt.bearer {
			t.Errorf("%s: %+v", tt.path, info)
		}
	}
	if info, _ := e.obs.last("/app/y"); info.Identity != "user:"+alice || info.Upstream != "/app" {
		t.Errorf("allowed request: %+v", info)
	}
	e.obs.mu.Lock()
	defer e.obs.mu.Unlock()
	if e.obs.idp == 0 {
		t.Error("no request to the provider observed")
	}
	for _, r := range e.obs.reqs {
		if strings.Contains(r.Path, "secret") || strings.Contains(r.Path, "?") {
			t.Errorf("query in the observed path: %q", r.Path)
		}
	}
}

// An upstream that cannot be reached gives 502 JSON.
func TestUpstreamDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) { c.Upstreams[0].URL = "http://127.0.0.1:1" })
	resp, body := e.guest().get(t, e.srv.URL+"/pub/a")
	var d struct{ Detail string }
	_ = json.Unmarshal(body, &d)
	if resp.StatusCode != http.StatusBadGateway || d.Detail != "upstream unavailable" {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

// A reload with a bad configuration keeps the running one; a good one
// applies to the next request.
func TestReload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	b := e.browser(alice)
	if resp, _ := b.get(t, e.srv.URL+"/write/x"); resp.StatusCode != 403 {
		t.Fatalf("before: %d", resp.StatusCode)
	}
	bad := *e.gw.Config()
	bad.Upstreams = append([]gateway.Upstream(nil), bad.Upstreams...)
	bad.Upstreams[3].Require = "no-such-capability"
	err := e.gw.Reload(context.Background(), &bad)
	if err == nil || !strings.Contains(err.Error(), "upstreams[3].require") {
		t.Errorf("bad reload: %v", err)
	}
	if resp, _ := b.get(t, e.srv.URL+"/write/x"); resp.StatusCode != 403 {
		t.Errorf("after a bad reload: %d", resp.StatusCode)
	}
	good := *e.gw.Config()
	good.Upstreams = append([]gateway.Upstream(nil), good.Upstreams...)
	good.Upstreams[3].Require = "read"
	if err := e.gw.Reload(context.Background(), &good); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get(t, e.srv.URL+"/write/x"); resp.StatusCode != 200 {
		t.Errorf("after a good reload: %d (the session must survive)", resp.StatusCode)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met in 10s")
}

// Paths whose dots or slashes are encoded cannot reach an upstream under
// another prefix's rule (pathconfusion_test.go tries many more).
func TestDotSegments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	tests := []struct {
		path string
		want int
	}{
		{"/pub/%2e%2e/write/x", 400},
		{"/pub/..%2Fwrite/x", 400},
		{"/pub/.%2e/write/x", 400},
		{"/pub/..%5Cwrite/x", 400},
		{"/pub/..;/write/x", 400},
		{"/pub/%2e/x", 400},
		{"/pub/../write/x", 400},
		{"/pub/a..b/.x/x.", 200},
		{"/pub/a%2Fb", 400},
		{"/pub/.../write", 400},
	}
	for _, tt := range tests {
		resp, body := e.guest().get(t, e.srv.URL+tt.path)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d (%s)", tt.path, resp.StatusCode, tt.want, body)
		}
	}
}

// An upstream slower than timeouts.response_header gives 504.
func TestUpstreamTimeout(t *testing.T) {
	t.Parallel()
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	e := newEnv(t, slow, func(c *gateway.Config) { c.Timeouts.ResponseHeader = 100 * time.Millisecond })
	resp, body := e.guest().get(t, e.srv.URL+"/pub/a")
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

// The client's Accept-Encoding reaches the upstream unchanged: the
// gateway neither asks for gzip itself nor decompresses.
func TestAcceptEncodingPasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	c := &caller{name: "plain", hc: &http.Client{Transport: &http.Transport{DisableCompression: true}}}
	if s := c.upstreamSaw(t, e.srv.URL+"/pub/a"); s.get("Accept-Encoding") != "" {
		t.Errorf("Accept-Encoding %q added", s.get("Accept-Encoding"))
	}
	if s := c.upstreamSaw(t, e.srv.URL+"/pub/a", "Accept-Encoding", "br"); s.get("Accept-Encoding") != "br" {
		t.Errorf("Accept-Encoding %q", s.get("Accept-Encoding"))
	}
}

// Reloads while requests run: every request is served, by the old or the
// new configuration, and the old Managers close once idle.
func TestReloadUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) { c.Observer = gateway.NopObserver{} })
	tok := e.userToken(alice)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/app/x", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := hc.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- resp.Status
					return
				}
			}
		}()
	}
	for range 10 {
		cfg := *e.gw.Config()
		if err := e.gw.Reload(context.Background(), &cfg); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A gateway restarted while the provider is down is ready at once when
// discovery_cache holds the provider's document from an earlier run.
func TestDiscoveryCache(t *testing.T) {
	t.Parallel()
	cache := filepath.Join(t.TempDir(), "discovery.json")
	e := newEnv(t, nil, func(c *gateway.Config) { c.DiscoveryCache = cache })
	waitFor(t, func() bool { _, err := os.Stat(cache); return err == nil })

	e.idp.Close() // the provider goes down
	restart := func(change func(*gateway.Config)) *gateway.Gateway {
		cfg := *e.gw.Config()
		cfg.Observer = nil
		if change != nil {
			change(&cfg)
		}
		g, err := gateway.New(context.Background(), &cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = g.Close() })
		return g
	}
	if g := restart(nil); !g.Ready() {
		t.Error("not ready with the cached document")
	}
	if g := restart(func(c *gateway.Config) { c.DiscoveryCache = filepath.Join(t.TempDir(), "none.json") }); g.Ready() {
		t.Error("ready without a cached document while the provider is down")
	}
	other := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(other, []byte(`{"issuer": "https://elsewhere.example.com"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if g := restart(func(c *gateway.Config) { c.DiscoveryCache = other }); g.Ready() {
		t.Error("ready with another provider's document")
	}
}

// The discovery cache keeps a Microsoft multi-tenant document, whose
// issuer is a template rather than the URL it is served at.
func TestDiscoveryCacheMicrosoft(t *testing.T) {
	t.Parallel()
	ms, err := mockidp.NewServer(mockidp.Options{Mode: mockidp.ModeMicrosoft})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	cache := filepath.Join(t.TempDir(), "discovery.json")
	e := newEnv(t, nil, func(c *gateway.Config) {
		c.DiscoveryCache = cache
		c.Auth.Provider = "microsoft"
		c.Auth.ServerMetadataURL = ms.URL + "/common/v2.0/.well-known/openid-configuration"
	})
	waitFor(t, func() bool { _, err := os.Stat(cache); return err == nil })
	data, _ := os.ReadFile(cache)
	if !strings.Contains(string(data), ms.URL+"/{tenantid}/v2.0") {
		t.Fatalf("cached: %s", data)
	}
	ms.Close() // the provider goes down
	cfg := *e.gw.Config()
	cfg.Observer = nil
	g, err := gateway.New(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Ready() {
		t.Error("not ready with the cached document")
	}
}
