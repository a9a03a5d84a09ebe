package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/mockidp"
)

// newTestAuthorizer starts a mock provider with machine clients of the
// "prod" stage and loads the bundled config.yaml pointed at it.
func newTestAuthorizer(t *testing.T) (*authorizer, *mockidp.Server) {
	t.Helper()
	clients := mockidp.DemoClients()
	clients["shop"] = mockidp.Client{Secret: "s", Audience: "prod", Sub: "shop-backend", Scope: "read:pets",
		Permissions: mockidp.StringList{"read:pets"}, Roles: mockidp.StringList{"reader"}}
	clients["staging"] = mockidp.Client{Secret: "s", Audience: "staging", Scope: "read:*"}
	idp, err := mockidp.NewServer(mockidp.Options{Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	t.Setenv("ISSUER", idp.URL)
	t.Setenv("JWKS_URL", idp.URL+"/jwks")
	t.Setenv("OAUTHGATE_SECRET_KEY", "piYiEC8AatXLJZmnF1eFg3J4sxNlAfLzgyTk7zEoV6c")
	t.Setenv(awsauthorizer.AuthMappingsEnv, `{"read:pets": [{"method": "GET", "resourcePath": "/ignored"}], "admin": [{"method": "*", "resourcePath": "*"}]}`)
	t.Setenv(ConfigEnv, "config.yaml")
	a, err := newAuthorizer(context.Background(), configPath(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.m.Close() })
	return a, idp
}

// The bundled configuration names no identity provider: the authorizer
// serves no browser login.
func TestBundledConfigHasNoLogin(t *testing.T) {
	a, _ := newTestAuthorizer(t)
	if c := a.m.Config(); !a.m.Config().NoLogin() || c.ServerMetadataURL != "" || c.ClientID != "" {
		t.Errorf("NoLogin() = %v, server_metadata_url %q, client_id %q", a.m.Config().NoLogin(), c.ServerMetadataURL, c.ClientID)
	}
	if err := a.m.Login().Discover(context.Background()); err != nil {
		t.Errorf("Discover: %v", err)
	}
}

// event reads testdata/NAME.json with {{token}} replaced by tok.
func event(t *testing.T, name, tok string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(data), "{{token}}", tok))
}

// The handler through aws-lambda-go's own invocation path: the event is
// decoded and the response encoded as the Lambda runtime does.
func TestHandlerEvents(t *testing.T) {
	a, idp := newTestAuthorizer(t)
	h := lambda.NewHandler(a.Handle)
	tok, err := idp.Provider.MintClientToken("shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		event    string
		effect   string
		resource []string
	}{
		{"rest-token", "Allow", []string{
			"arn:aws:execute-api:eu-west-1:123456789012:q1w2e3r4t5/prod/GET/pets/42",
			"arn:aws:execute-api:eu-west-1:123456789012:q1w2e3r4t5/prod/GET/pets",
			"arn:aws:execute-api:eu-west-1:123456789012:q1w2e3r4t5/prod/GET/pets/*",
		}},
		{"rest-request", "Deny", []string{"arn:aws:execute-api:eu-west-1:123456789012:q1w2e3r4t5/prod/POST/pets"}},
		{"websocket-connect", "Allow", []string{
			"arn:aws:execute-api:eu-west-1:123456789012:z9y8x7w6v5/prod/$connect",
			"arn:aws:execute-api:eu-west-1:123456789012:z9y8x7w6v5/prod/$disconnect",
		}},
	} {
		out, err := h.Invoke(context.Background(), event(t, tc.event, tok))
		if err != nil {
			t.Fatalf("%s: %v", tc.event, err)
		}
		var resp struct {
			PrincipalID    string `json:"principalId"`
			PolicyDocument struct {
				Version   string
				Statement []struct {
					Action   string
					Effect   string
					Resource []string
				}
			} `json:"policyDocument"`
			Context map[string]any `json:"context"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		var resources []string
		for _, s := range resp.PolicyDocument.Statement {
			if s.Effect != tc.effect || s.Action != "execute-api:Invoke" {
				t.Errorf("%s: statement %+v", tc.event, s)
			}
			resources = append(resources, s.Resource...)
		}
		if resp.PrincipalID != "shop-backend" || resp.PolicyDocument.Version != "2012-10-17" ||
			strings.Join(resources, " ") != strings.Join(tc.resource, " ") ||
			resp.Context["roles"] != `["reader"]` || resp.Context["scope"] != "read:pets" {
			t.Errorf("%s: %s", tc.event, out)
		}
	}

	// No token, another stage's token, a forged one: the error message
	// API Gateway turns into 401.
	staging, _ := idp.Provider.MintClientToken("staging")
	for _, tok := range []string{"", staging, tok[:len(tok)-4] + "AAAA"} {
		_, err := h.Invoke(context.Background(), event(t, "rest-token", tok))
		if err == nil || err.Error() != "Unauthorized" {
			t.Errorf("token %.12q: %v", tok, err)
		}
		resp, err := a.Handle(context.Background(), mustEvent(t, event(t, "websocket-connect", tok)))
		if resp != nil || !errors.Is(err, awsauthorizer.ErrUnauthorized) {
			t.Errorf("websocket, token %.12q: %v", tok, err)
		}
	}
}

func mustEvent(t *testing.T, data []byte) awsauthorizer.Event {
	t.Helper()
	var ev awsauthorizer.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestConfigPath(t *testing.T) {
	t.Setenv(ConfigEnv, "")
	exe, _ := os.Executable()
	if got := configPath(); got != filepath.Join(filepath.Dir(exe), "config.yaml") {
		t.Errorf("default %q", got)
	}
	t.Setenv(ConfigEnv, "/etc/authorizer.yaml")
	if got := configPath(); got != "/etc/authorizer.yaml" {
		t.Errorf("from %s: %q", ConfigEnv, got)
	}
	// A bad configuration stops the function at start-up, naming the key.
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("jwt_issuers: [{issuer: ftp://x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := newAuthorizer(context.Background(), path, slog.Default())
	if err == nil || !strings.Contains(err.Error(), "jwt_issuers[0].issuer") {
		t.Errorf("bad config: %v", err)
	}
}
