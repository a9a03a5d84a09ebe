package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers"
)

const issuer = "https://auth.example.com/"

// newTestFunction loads the bundled config.yaml with a clients file and
// a signing key in a temporary folder, as the function's environment
// would name them.
func newTestFunction(t *testing.T) *function {
	t.Helper()
	dir := t.TempDir()
	hash, err := clientcreds.HashClientSecret("shop-secret")
	if err != nil {
		t.Fatal(err)
	}
	clients := "clients:\n  shop:\n    client_secret: \"" + hash + "\"\n    audience: [prod, staging]\n    sub: shop-backend\n" +
		"    scope: read:pets write:pets\n    permissions: [read:pets]\n"
	if err := os.WriteFile(filepath.Join(dir, "clients.yaml"), []byte(clients), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLIENTS_FILE", filepath.Join(dir, "clients.yaml"))
	t.Setenv("SIGNING_KEY_FILE", filepath.Join(dir, "signing-key.pem"))
	t.Setenv("ISSUER", issuer)
	t.Setenv("OAUTHGATE_SECRET_KEY", "piYiEC8AatXLJZmnF1eFg3J4sxNlAfLzgyTk7zEoV6c")
	t.Setenv(ConfigEnv, "config.yaml")
	f, err := newFunction(context.Background(), configPath(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.grant.Close() })
	return f
}

// invoke runs testdata/NAME.json, its {{marks}} replaced, through
// aws-lambda-go's own invocation path (the event decoded and the response
// encoded as the Lambda runtime does).
func invoke(t *testing.T, f *function, name string, marks map[string]string) events.APIGatewayProxyResponse {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for k, v := range marks {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	out, err := lambda.NewHandler(f.Handle).Invoke(context.Background(), []byte(s))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return resp
}

func basic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

func TestTokenEvents(t *testing.T) {
	f := newTestFunction(t)
	jwksResp := invoke(t, f, "jwks", nil)
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(jwksResp.Body), &keys); jwksResp.StatusCode != 200 || err != nil || len(keys.Keys) == 0 {
		t.Fatalf("jwks: %d %v %s", jwksResp.StatusCode, err, jwksResp.Body)
	}
	for _, tc := range []struct {
		event string
		marks map[string]string
		aud   string
		scope string
	}{
		{"token-basic-form", map[string]string{"basic": basic("shop", "shop-secret")}, "prod", "read:pets"},
		{"token-json", map[string]string{"client_id": "shop", "client_secret": "shop-secret"}, "prod", "read:pets write:pets"},
		{"token-base64-form", map[string]string{"base64_body": base64.StdEncoding.EncodeToString(
			[]byte("grant_type=client_credentials&client_id=shop&client_secret=shop-secret&audience=staging"))}, "staging", "read:pets write:pets"},
	} {
		resp := invoke(t, f, tc.event, tc.marks)
		var body struct {
			AccessToken string `json:"access_token"`
			Token       string `json:"token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int64  `json:"expires_in"`
			Scope       string `json:"scope"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v %s", tc.event, resp.StatusCode, err, resp.Body)
		}
		if body.Token != body.AccessToken || body.TokenType != "Bearer" || body.ExpiresIn != 3600 || body.Scope != tc.scope ||
			strings.Join(resp.MultiValueHeaders["Cache-Control"], ",") != "no-store" {
			t.Errorf("%s: %+v, headers %v", tc.event, body, resp.MultiValueHeaders)
		}
		// The token verifies with the key set the function serves.
		jws, err := jose.ParseSignedCompact(body.AccessToken, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		k := keys.Key(jws.Signatures[0].Header.KeyID)
		if len(k) != 1 {
			t.Fatalf("%s: kid %q not in the key set", tc.event, jws.Signatures[0].Header.KeyID)
		}
		payload, err := jws.Verify(k[0].Public())
		if err != nil {
			t.Fatalf("%s: %v", tc.event, err)
		}
		var claims struct {
			Iss, Sub, Aud string
		}
		if err := json.Unmarshal(payload, &claims); err != nil || claims.Iss != issuer || claims.Sub != "shop-backend" || claims.Aud != tc.aud {
			t.Errorf("%s: claims %s", tc.event, payload)
		}
	}
}

// Refusals are HTTP answers (RFC 6749 §5.2 errors), never Lambda errors.
func TestTokenRefusals(t *testing.T) {
	f := newTestFunction(t)
	for _, tc := range []struct {
		name, event string
		marks       map[string]string
		status      int
		code        string
	}{
		{"wrong secret", "token-basic-form", map[string]string{"basic": basic("shop", "nope")}, 401, "invalid_client"},
		{"unknown client", "token-json", map[string]string{"client_id": "ghost", "client_secret": "x"}, 401, "invalid_client"},
		{"other audience", "token-base64-form", map[string]string{"base64_body": base64.StdEncoding.EncodeToString(
			[]byte("grant_type=client_credentials&client_id=shop&client_secret=shop-secret&audience=dev"))}, 400, ""},
		{"password grant", "token-base64-form", map[string]string{"base64_body": base64.StdEncoding.EncodeToString(
			[]byte("grant_type=password&client_id=shop&client_secret=shop-secret"))}, 400, "unsupported_grant_type"},
		{"bad base64", "token-base64-form", map[string]string{"base64_body": "%%%"}, 400, "invalid_request"},
	} {
		resp := invoke(t, f, tc.event, tc.marks)
		var body struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal([]byte(resp.Body), &body)
		if resp.StatusCode != tc.status || tc.code != "" && body.Error != tc.code || strings.Contains(resp.Body, "access_token") {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, resp.Body)
		}
	}
	// Other methods and paths: what an HTTP server answers.
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"GET", "/oauth/token", http.StatusMethodNotAllowed}, {"POST", "/elsewhere", http.StatusNotFound}} {
		resp, err := f.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: tc.method, Path: tc.path})
		if err != nil || resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, resp.StatusCode, err)
		}
	}
	// The admin routes need a logged-in user: not served here.
	resp, _ := f.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: handlers.ClientsAdminPath})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("admin route: %d", resp.StatusCode)
	}
}
