package mockidp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"golang.org/x/oauth2"
)

// verifyAccessToken checks an RFC 9068 access token with go-jose against
// the provider's JWKS and returns its claims.
func verifyAccessToken(t *testing.T, s *Server, tok string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("access token is not a JWS: %v", err)
	}
	h := jws.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		t.Fatalf("typ = %q; want at+jwt", typ)
	}
	set := fetchJWKS(t, s)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", h.KeyID)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("verify with the JWKS: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJWTAccessTokens(t *testing.T) {
	s := newTestServer(t, Options{JWTAccessTokens: true, Users: []User{{Email: "test@example.com", Claims: map[string]any{"groups": []string{"family"}}}}})
	rp := newRP(t, s)
	for _, tc := range []struct {
		name    string
		opts    []oauth2.AuthCodeOption
		wantAud string
	}{
		{"client", nil, DemoClientID},
		{"resource", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("resource", "https://api.example/")}, "https://api.example/"},
		{"audience", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("audience", "pets-api")}, "pets-api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := rp.login(t, tc.opts...)
			c := verifyAccessToken(t, s, res.token.AccessToken)
			for k, want := range map[string]any{"iss": s.URL, "sub": SubjectFor("test@example.com"), "aud": tc.wantAud,
				"client_id": DemoClientID, "scope": "openid email profile", "email": "test@example.com"} {
				if c[k] != want {
					t.Errorf("%s = %v; want %v", k, c[k], want)
				}
			}
			for _, k := range []string{"exp", "iat", "jti", "auth_time", "sid"} {
				if c[k] == nil {
					t.Errorf("no %s claim", k)
				}
			}
			if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 3600 {
				t.Errorf("exp - iat = %v", exp-iat)
			}
			if g, _ := c["groups"].([]any); len(g) != 1 || g[0] != "family" {
				t.Errorf("groups = %v", c["groups"])
			}
			idt, err := rp.verifier.Verify(rp.ctx, res.raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := idt.VerifyAccessToken(res.token.AccessToken); err != nil {
				t.Fatalf("at_hash: %v", err)
			}
			// userinfo accepts it.
			info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(res.token))
			if err != nil || info.Email != "test@example.com" {
				t.Fatalf("userinfo: %v %+v", err, info)
			}
			// A refresh keeps the audience.
			tok, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: res.token.RefreshToken}).Token()
			if err != nil {
				t.Fatal(err)
			}
			rc := verifyAccessToken(t, s, tok.AccessToken)
			if rc["aud"] != tc.wantAud || rc["jti"] == c["jti"] {
				t.Fatalf("refreshed: aud %v, jti %v (was %v)", rc["aud"], rc["jti"], c["jti"])
			}
			// Revoking the refresh token ends the session: its access tokens too.
			resp, _ := postForm(t, s.Client(), s.URL+"/revoke", url.Values{"token": {tok.RefreshToken}}, DemoClientID, DemoClientSecret)
			if resp.StatusCode != 200 {
				t.Fatal(resp.Status)
			}
			if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok)); err == nil {
				t.Fatal("userinfo accepted an access token of a revoked session")
			}
		})
	}
}

func TestJWTAccessTokenTargets(t *testing.T) {
	s := newTestServer(t, Options{JWTAccessTokens: true})
	rp := newRP(t, s)
	code := func(opts ...oauth2.AuthCodeOption) (string, string) {
		verifier := oauth2.GenerateVerifier()
		loc := rp.authorize(t, "st", "n", verifier, opts...)
		return loc.Query().Get("code"), verifier
	}
	// The token request may repeat the authorization's resource or name it first.
	for _, tc := range []struct {
		name          string
		authz, token  url.Values
		wantAud, want string
	}{
		{"same resource", url.Values{"resource": {"https://api.example"}}, url.Values{"resource": {"https://api.example"}}, "https://api.example", ""},
		{"resource at the token endpoint only", nil, url.Values{"resource": {"https://api.example"}}, "https://api.example", ""},
		{"audience at the token endpoint only", nil, url.Values{"audience": {"pets"}}, "pets", ""},
		{"other resource", url.Values{"resource": {"https://api.example"}}, url.Values{"resource": {"https://other.example"}}, "", "invalid_target"},
		{"relative resource", nil, url.Values{"resource": {"api"}}, "", "invalid_target"},
		{"resource with a fragment", nil, url.Values{"resource": {"https://api.example/#x"}}, "", "invalid_target"},
		{"resource and audience differ", nil, url.Values{"resource": {"https://api.example"}, "audience": {"pets"}}, "", "invalid_target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []oauth2.AuthCodeOption
			for k, v := range tc.authz {
				opts = append(opts, oauth2.SetAuthURLParam(k, v[0]))
			}
			c, verifier := code(opts...)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {c}, "code_verifier": {verifier}, "redirect_uri": {testRedirect}}
			for k, v := range tc.token {
				form[k] = v
			}
			resp, body := postForm(t, s.Client(), s.URL+"/token", form, DemoClientID, DemoClientSecret)
			if tc.want != "" {
				if resp.StatusCode != 400 || decodeError(t, body).Error != tc.want {
					t.Fatalf("%d %s; want %s", resp.StatusCode, body, tc.want)
				}
				return
			}
			var tr tokenResponse
			if err := json.Unmarshal(body, &tr); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if aud := verifyAccessToken(t, s, tr.AccessToken)["aud"]; aud != tc.wantAud {
				t.Fatalf("aud = %v; want %v", aud, tc.wantAud)
			}
		})
	}
	// A bad resource at authorize goes back to the client.
	loc := rp.authorize(t, "st", "n", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("resource", "not a uri"))
	if loc.Query().Get("error") != "invalid_target" {
		t.Fatalf("callback %s", loc)
	}
	// Without the option, access tokens stay opaque.
	plain := newTestServer(t, Options{})
	if tok := newRP(t, plain).login(t).token.AccessToken; strings.Count(tok, ".") != 0 {
		t.Fatalf("opaque token expected, got %q", tok)
	}
}

// TestJWTAccessTokensThroughJWTIssuers: an API protected by oauthgate,
// with the provider as a jwt_issuers entry, accepts the code flow's access
// tokens of its audience.
func TestJWTAccessTokensThroughJWTIssuers(t *testing.T) {
	s := newTestServer(t, Options{JWTAccessTokens: true})
	const api = "https://api.example"
	cfg := &auth.Config{
		SecretKey:         "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
		ClientID:          DemoClientID,
		ClientSecret:      DemoClientSecret,
		ServerMetadataURL: s.URL + "/.well-known/openid-configuration",
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}}},
		JWTIssuers:        []auth.JWTIssuer{{Issuer: s.URL, Audience: api, JWKSURL: s.URL + "/jwks"}},
		ScopeCapabilities: map[string][]string{"profile": {"read"}},
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	app := httptest.NewServer(m.Require("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+auth.IdentityFrom(r.Context()).Subject)
	})))
	t.Cleanup(app.Close)
	call := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", app.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, body := do(t, app.Client(), req)
		return resp.StatusCode, string(body)
	}
	rp := newRP(t, s)
	tok := rp.login(t, oauth2.SetAuthURLParam("resource", api)).token.AccessToken
	if code, body := call(tok); code != 200 || !strings.HasPrefix(body, "ok ") {
		t.Fatalf("API with a token for it: %d %q", code, body)
	}
	// A token for the client itself is not for the API.
	if code, body := call(rp.login(t).token.AccessToken); code != 401 {
		t.Fatalf("API with a token for another audience: %d %q", code, body)
	}
}
