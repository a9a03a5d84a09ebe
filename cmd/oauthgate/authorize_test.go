package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/mockidp"
)

// authorizeSetup starts a mock provider with a machine client of stage
// "prod" and writes a configuration trusting it; it returns the
// configuration's path and a REST event with the client's token.
func authorizeSetup(t *testing.T) (path, event string) {
	t.Helper()
	clients := mockidp.DemoClients()
	clients["reader"] = mockidp.Client{Secret: "s", Audience: "prod", Sub: "reader-1", Scope: "read:pets", Permissions: mockidp.StringList{"read:pets"}}
	idp, err := mockidp.NewServer(mockidp.Options{Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	path = writeConfig(t, `jwt_issuers:
  - issuer: `+idp.URL+`
    audience: pets-api
    jwks_url: `+idp.URL+`/jwks
gateway_authorizer:
  auth_mappings:
    read:pets:
      - {method: GET, resourcePath: "/pets/{petId}"}
`)
	tok, err := idp.Provider.MintClientToken("reader")
	if err != nil {
		t.Fatal(err)
	}
	return path, restEvent(tok, "GET/pets")
}

func restEvent(tok, rest string) string {
	return `{"type": "TOKEN", "authorizationToken": "Bearer ` + tok + `",
		"methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/` + rest + `"}`
}

func TestAuthorize(t *testing.T) {
	path, event := authorizeSetup(t)
	code, stdout, stderr := cliStdin(t, event, "authorize", "--config", path)
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	var resp awsauthorizer.Response
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	st := resp.PolicyDocument.Statement
	if resp.PrincipalID != "reader-1" || len(st) != 2 || st[0].Effect != "Allow" ||
		st[1].Resource[0] != "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/*" ||
		resp.Context["permissions"] != `["read:pets"]` {
		t.Fatalf("response:\n%s", stdout)
	}

	code, stdout, _ = cliStdin(t, strings.Replace(event, "GET/pets", "POST/pets", 1), "authorize", "--config", path)
	if code != 0 || !strings.Contains(stdout, `"Effect": "Deny"`) || !strings.Contains(stdout, `"required_scope": "write:pets"`) {
		t.Fatalf("deny: %d\n%s", code, stdout)
	}

	for _, tc := range []struct {
		name, input string
		code        int
		stderr      string
	}{
		{"bad token", restEvent("x.y.z", "GET/pets"), 1, "oauthgate authorize: Unauthorized\n"},
		{"no token", `{"type": "TOKEN", "methodArn": "arn:aws:execute-api:r:1:api/prod/GET/pets"}`, 1, "oauthgate authorize: Unauthorized\n"},
		{"bad arn", restEvent("x.y.z", ""), 1, "malformed methodArn"},
		{"not JSON", "{", 1, "not JSON of an authorizer event"},
		{"two events", event + event, 1, "give one event"},
	} {
		code, stdout, stderr := cliStdin(t, tc.input, "authorize", "--config", path)
		if code != tc.code || stdout != "" || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%s: %d %q %q", tc.name, code, stdout, stderr)
		}
	}
	// The reason is shown, never the token.
	_, _, stderr = cliStdin(t, restEvent("x.y.z", "GET/pets"), "authorize", "--config", path)
	if !strings.Contains(stderr, "refused: ") || strings.Contains(stderr, "x.y.z") {
		t.Errorf("refusal reason: %q", stderr)
	}
}

func TestAuthorizeUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"authorize"}, {"authorize", "--config", "x", "extra"}, {"authorize", "--bogus"}} {
		if code, _, stderr := cli(t, args...); code != 2 || !strings.Contains(stderr, "usage: oauthgate authorize --config FILE") {
			t.Errorf("%q: %d %q", args, code, stderr)
		}
	}
	if code, stdout, _ := cli(t, "authorize", "-h"); code != 0 || !strings.Contains(stdout, "Lambda authorizer event") {
		t.Errorf("-h: %d %q", code, stdout)
	}
	if code, stdout, _ := cli(t, "help"); code != 0 || !strings.Contains(stdout, "authorize ") {
		t.Errorf("help lacks authorize: %q", stdout)
	}
}
