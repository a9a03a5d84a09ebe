package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/mockidp"
)

func TestDerivedScope(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, path, prefix, want string
		ok                         bool
	}{
		{"GET", "/pets", "", "read:pets", true},
		{"HEAD", "/pets/7", "", "read:pets", true},
		{"POST", "/pets", "", "write:pets", true},
		{"PUT", "/pets/7", "", "write:pets", true},
		{"PATCH", "/pets/7/name", "", "write:pets", true},
		{"DELETE", "/pets/7", "", "delete:pets", true},
		{"OPTIONS", "/pets", "", "", false},
		{"TRACE", "/pets", "", "", false},
		{"get", "/pets", "", "", false},
		{"GET", "/pets/", "", "read:pets", true},
		{"GET", "//pets//7", "", "read:pets", true},
		{"GET", "/owners/3/pets/7", "", "read:owners", true},
		{"GET", "/api/v1/pets/7", "/api/v1", "read:pets", true},
		{"GET", "/api/v1/pets/", "/api/v1", "read:pets", true},
		{"DELETE", "/api/v1", "/api/v1", "delete:*", true},
		{"GET", "/api/v1/", "/api/v1", "read:*", true},
		{"GET", "/api/v10/pets", "/api/v1", "read:api", true},
		{"GET", "/other/pets", "/api/v1", "read:other", true},
		{"GET", "/", "", "read:*", true},
		{"GET", "", "", "read:*", true},
	}
	for _, c := range cases {
		got, ok := auth.DerivedScope(c.method, c.path, c.prefix)
		if got != c.want || ok != c.ok {
			t.Errorf("DerivedScope(%q, %q, %q) = %q, %v; want %q, %v", c.method, c.path, c.prefix, got, ok, c.want, c.ok)
		}
	}
}

// scopeEnv is an app under /api/v1 whose /api/v1/ routes need derived
// scopes, called by clients of the mock provider.
func scopeEnv(t *testing.T) (*env, string) {
	t.Helper()
	clients := mockidp.DemoClients()
	add := func(id, scope string, perms ...string) {
		clients[id] = mockidp.Client{Secret: id + "-secret", Audience: petsAudience, Scope: scope, Permissions: perms}
	}
	add("exact", "read:pets")
	add("reads", "read:*")
	add("star", "*")
	add("starstar", "*:*")
	add("writer", "write:pets")
	add("emptyscope", "", "write:pets") // no scope claim, permissions only
	add("noclaims", "")                 // no scope claim, no permissions
	add("perm", "read:owners", "delete:pets")
	e := newEnv(t, envOptions{
		idp: mockidp.Options{Clients: clients},
		configure: func(c *auth.Config) {
			c.Prefix = "/api/v1"
			c.JWTIssuers = []auth.JWTIssuer{{Issuer: strings.TrimSuffix(c.ServerMetadataURL, "/.well-known/openid-configuration"), Audience: petsAudience,
				JWKSURL: strings.TrimSuffix(c.ServerMetadataURL, "/.well-known/openid-configuration") + "/jwks"}}
			c.ScopeCapabilities = map[string][]string{"read:pets": {"read"}, "write:*": {"write"}}
		},
	})
	return e, "/api/v1"
}

func TestRequireDerivedScope(t *testing.T) {
	e, prefix := scopeEnv(t)
	mux := http.NewServeMux()
	routes(mux, e.m)
	mux.Handle(prefix+"/", e.m.RequireDerivedScope()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.IdentityFrom(r.Context()).String())
	})))
	e.app.Config.Handler = mux

	do := func(method, path, tok string) (int, map[string]string, string) {
		t.Helper()
		req, _ := http.NewRequest(method, e.app.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &body)
		return resp.StatusCode, body, resp.Header.Get("WWW-Authenticate")
	}
	cases := []struct {
		client, method, path string
		want                 int
	}{
		{"exact", "GET", "/pets/7", 200},
		{"exact", "HEAD", "/pets", 200},
		{"exact", "GET", "/pets/", 200},
		{"exact", "POST", "/pets", 403},
		{"exact", "GET", "/owners/1/pets", 403},
		{"reads", "GET", "/anything/1", 200},
		{"reads", "DELETE", "/pets/1", 403},
		{"star", "DELETE", "/pets/1", 200},
		{"starstar", "PATCH", "/owners", 200},
		{"writer", "PUT", "/pets/1", 200},
		{"writer", "GET", "/pets/1", 403},
		{"emptyscope", "POST", "/pets", 200},
		{"emptyscope", "GET", "/pets", 403},
		{"noclaims", "DELETE", "/pets/1", 200},
		{"perm", "DELETE", "/pets/1", 200},
		{"perm", "GET", "/owners", 200},
		{"perm", "GET", "/pets", 403},
		{"star", "OPTIONS", "/pets", 403},
	}
	for _, c := range cases {
		tok := e.clientToken(c.client)
		code, body, www := do(c.method, prefix+c.path, tok)
		if code != c.want {
			t.Errorf("%s %s %s = %d %v, want %d", c.client, c.method, c.path, code, body, c.want)
			continue
		}
		if code == 403 {
			want, _ := auth.DerivedScope(c.method, prefix+c.path, prefix)
			if body["required_scope"] != want || body["detail"] == "" ||
				www != `Bearer error="insufficient_scope", error_description="`+body["detail"]+`", scope="`+want+`"` {
				t.Errorf("%s %s %s: body %v, WWW-Authenticate %q", c.client, c.method, c.path, body, www)
			}
		}
	}
	// A quote in the path cannot break the header.
	if code, body, www := do("GET", prefix+`/a%22b`, e.clientToken("exact")); code != 403 || body["required_scope"] != `read:a"b` || www != `Bearer error="insufficient_scope", error_description="insufficient scope: this request needs read:a\"b", scope="read:a\"b"` {
		t.Errorf("quoted: %d %v %q", code, body, www)
	}
	// No credential: 401; a bad token: 401 invalid_token.
	if code, _, www := do("GET", prefix+"/pets", ""); code != 401 || www != "Bearer" {
		t.Errorf("guest: %d %q", code, www)
	}
	if code, _, www := do("GET", prefix+"/pets", "x.y.z"); code != 401 || !strings.Contains(www, "invalid_token") {
		t.Errorf("bad token: %d %q", code, www)
	}

	// Users: the capabilities scope_capabilities maps the scope (or its
	// action:*) to. Default capability "read" gives read:pets only.
	b := e.browser()
	b.login("someone@example.com", prefix+"/login")
	for _, c := range []struct {
		method, path string
		want         int
	}{{"GET", "/pets", 200}, {"GET", "/owners", 403}, {"POST", "/pets", 403}} {
		resp := b.do(c.method, prefix+c.path, nil)
		if resp.code != c.want {
			t.Errorf("user %s %s = %d, want %d", c.method, c.path, resp.code, c.want)
		}
	}
}
