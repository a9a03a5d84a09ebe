package awsauthorizer_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/mockidp"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// gatewayClock is the fixed time of the gateway tests.
var gatewayClock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// gatewayClients are machine clients of the "prod" stage, with fixed
// claims.
func gatewayClients() map[string]mockidp.Client {
	c := mockidp.DemoClients()
	c["cron"] = mockidp.Client{Secret: "cron-secret", Audience: "prod", Sub: "cron-1", Scope: "read:pets write:pets",
		Permissions: mockidp.StringList{"read:pets", "admin"}, Roles: mockidp.StringList{"ops"}, Groups: mockidp.StringList{"east", "retail"}}
	c["reader"] = mockidp.Client{Secret: "reader-secret", Audience: "prod", Sub: "reader-1", Scope: "read:pets"}
	c["auditor"] = mockidp.Client{Secret: "auditor-secret", Audience: "prod", Sub: "auditor-1", Permissions: mockidp.StringList{"read:pets"}}
	c["star"] = mockidp.Client{Secret: "star-secret", Audience: "prod", Sub: "star-1", Scope: "*"}
	c["readall"] = mockidp.Client{Secret: "readall-secret", Audience: "prod", Sub: "readall-1", Scope: "read:* openid"}
	c["bare"] = mockidp.Client{Secret: "bare-secret", Audience: "prod", Sub: "bare-1"}
	c["rootreader"] = mockidp.Client{Secret: "rootreader-secret", Audience: "prod", Sub: "rootreader-1", Scope: "openid", Permissions: mockidp.StringList{"read:*", "write:own*rs"}}
	return c
}

// gatewayMappings are the auth mappings of the golden tests.
func gatewayMappings() map[string][]awsauthorizer.AuthMapping {
	return map[string][]awsauthorizer.AuthMapping{
		"read:pets":   {{Method: "GET", ResourcePath: "/pets"}, {Method: "get", ResourcePath: "/pets/{petId}"}, {RouteKey: "sendMessage"}},
		"admin":       {{Method: "DELETE", ResourcePath: "/pets/{petId}"}, {Method: "ANY", ResourcePath: "*"}},
		"principalId": {{Method: "POST", ResourcePath: "/echo"}, {RouteKey: "$disconnect"}},
	}
}

// gatewayEnv is an authorizer verifying through a Manager that trusts a
// mock provider's client tokens, with a clock all share.
type gatewayEnv struct {
	t     *testing.T
	idp   *mockidp.Server
	m     *auth.Manager
	az    *awsauthorizer.Authorizer
	clock *clock
}

func newGatewayEnv(t *testing.T, configure func(*auth.Config, *awsauthorizer.Config)) *gatewayEnv {
	t.Helper()
	clk := &clock{t: gatewayClock}
	idp, err := mockidp.NewServer(mockidp.Options{Clients: gatewayClients(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	cfg := testConfig()
	cfg.ServerMetadataURL = idp.URL + "/.well-known/openid-configuration"
	cfg.Now = clk.Now
	cfg.JWTIssuers = []auth.JWTIssuer{{Issuer: idp.URL, Audience: "pets-api", JWKSURL: idp.URL + "/jwks"}}
	azCfg := &awsauthorizer.Config{AuthMappings: gatewayMappings()}
	if configure != nil {
		configure(cfg, azCfg)
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	az, err := awsauthorizer.New(azCfg, m, awsauthorizer.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &gatewayEnv{t: t, idp: idp, m: m, az: az, clock: clk}
}

var tokenMark = regexp.MustCompile(`\{\{token:([a-z]+)\}\}`)

// event reads testdata/gateway/NAME.event.json, with each {{token:CLIENT}}
// replaced by a token the provider mints for CLIENT.
func (e *gatewayEnv) event(name string) awsauthorizer.Event {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".event.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	data = tokenMark.ReplaceAllFunc(data, func(m []byte) []byte {
		tok, err := e.idp.Provider.MintClientToken(string(tokenMark.FindSubmatch(m)[1]))
		if err != nil {
			e.t.Fatal(err)
		}
		return []byte(tok)
	})
	var ev awsauthorizer.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// gatewayOutcome is what a golden file holds: the response, or the
// error's message.
func gatewayOutcome(resp *awsauthorizer.Response, err error) []byte {
	var v any = resp
	if err != nil {
		v = map[string]string{"error": err.Error()}
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return append(b, '\n')
}

func TestAuthorizeGatewayGolden(t *testing.T) {
	e := newGatewayEnv(t, nil)
	for _, name := range []string{
		"rest-allow", "rest-deny", "rest-no-bearer-prefix", "websocket", "websocket-lowercase", "mapped",
		"request-permission", "error-no-token", "error-wrong-stage", "error-garbage-token",
		"error-websocket-one-protocol", "error-bad-arn",
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.az.Authorize(context.Background(), e.event(name))
			got := gatewayOutcome(resp, err)
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err2 := os.ReadFile(path)
			if err2 != nil {
				t.Fatalf("%v (run go test -run TestAuthorizeGatewayGolden -update)", err2)
			}
			compareGatewayJSON(t, got, want)
			if strings.HasPrefix(name, "error-") != (err != nil) {
				t.Fatalf("error = %v", err)
			}
		})
	}
}

// compareGatewayJSON compares two outcomes field by field: the JSON names,
// the policy's statements in order, each context value (strings only).
func compareGatewayJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file: %v", err)
	}
	if keys(g) != keys(w) {
		t.Fatalf("fields %s; want %s\ngot:\n%s", keys(g), keys(w), got)
	}
	if msg, ok := w["error"]; ok {
		if g["error"] != msg {
			t.Fatalf("error %q; want %q", g["error"], msg)
		}
		return
	}
	if g["principalId"] != w["principalId"] {
		t.Errorf("principalId %v; want %v", g["principalId"], w["principalId"])
	}
	gp, wp := g["policyDocument"].(map[string]any), w["policyDocument"].(map[string]any)
	if keys(gp) != "Statement,Version" || keys(wp) != keys(gp) || gp["Version"] != "2012-10-17" || gp["Version"] != wp["Version"] {
		t.Errorf("policyDocument %v; want %v", gp, wp)
	}
	gs, ws := gp["Statement"].([]any), wp["Statement"].([]any)
	if len(gs) != len(ws) {
		t.Errorf("%d statements; want %d\ngot:\n%s", len(gs), len(ws), got)
	}
	for i := range min(len(gs), len(ws)) {
		a, b := gs[i].(map[string]any), ws[i].(map[string]any)
		if keys(a) != "Action,Effect,Resource" {
			t.Errorf("statement %d has fields %s", i, keys(a))
		}
		for _, f := range []string{"Action", "Effect", "Resource"} {
			if !reflect.DeepEqual(a[f], b[f]) {
				t.Errorf("statement %d %s = %v; want %v", i, f, a[f], b[f])
			}
		}
	}
	gc, wc := g["context"].(map[string]any), w["context"].(map[string]any)
	if keys(gc) != keys(wc) {
		t.Errorf("context keys %s; want %s", keys(gc), keys(wc))
	}
	for k, v := range gc {
		if _, ok := v.(string); !ok {
			t.Errorf("context[%q] = %v (%T): not a string", k, v, v)
		}
		if v != wc[k] {
			t.Errorf("context[%q] = %q; want %q", k, v, wc[k])
		}
	}
}

func keys(m map[string]any) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestAuthorizeGatewayErrors(t *testing.T) {
	e := newGatewayEnv(t, nil)
	ctx := context.Background()
	arn := "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets"
	tok, err := e.idp.Provider.MintClientToken("reader")
	if err != nil {
		t.Fatal(err)
	}
	ev := awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: "bearer " + tok, MethodArn: arn}
	if _, err := e.az.Authorize(ctx, ev); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	// Verified for prod (and cached): still refused on another stage.
	other := ev
	other.MethodArn = strings.Replace(arn, "/prod/", "/dev/", 1)
	if _, err := e.az.Authorize(ctx, other); !errors.Is(err, awsauthorizer.ErrUnauthorized) {
		t.Fatalf("cached token on another stage: %v", err)
	}
	// Concurrent events share the cache safely (go test -race).
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				resp, err := e.az.Authorize(ctx, ev)
				if err != nil || resp.PrincipalID != "reader-1" {
					t.Errorf("concurrent: %+v %v", resp, err)
					return
				}
				resp.Context["sub"] = "changed" // each response is the caller's own
			}
		}()
	}
	wg.Wait()
	// Expired: Unauthorized, with the cause for logs.
	e.clock.Advance(2 * time.Hour)
	_, err = e.az.Authorize(ctx, ev)
	if !errors.Is(err, awsauthorizer.ErrUnauthorized) || !errors.Is(err, auth.ErrTokenExpired) || err.Error() != "Unauthorized" {
		t.Fatalf("expired token: %v", err)
	}
	// Missing token: the same message.
	_, err = e.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", MethodArn: arn})
	if !errors.Is(err, awsauthorizer.ErrUnauthorized) || !errors.Is(err, auth.ErrNoIdentity) || err.Error() != "Unauthorized" {
		t.Fatalf("no token: %v", err)
	}
	// Malformed methodArns are errors, never Unauthorized, never a panic.
	for _, bad := range []string{"", "arn", "arn:aws:execute-api:r:a:api", "arn:aws:execute-api:r:a:api/prod", "arn:aws:execute-api:r:a:api/prod/",
		"arn:aws:execute-api:r:a:/prod/GET/x", "arn:aws:execute-api::a:api/prod/GET/x", "arn:aws:execute-api:r:a:api/prod//x",
		"arn:aws:execute-api:r:a:api/prod/GET/a b", "arn:aws:s3:r:a:api/prod/GET/x"} {
		_, err := e.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok, MethodArn: bad})
		if err == nil || errors.Is(err, awsauthorizer.ErrUnauthorized) || !strings.Contains(err.Error(), "methodArn") {
			t.Errorf("methodArn %q: %v", bad, err)
		}
	}
	// A method without a derived scope is denied.
	e.clock.Advance(-2 * time.Hour)
	resp, err := e.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok,
		MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/OPTIONS/pets"})
	if err != nil || resp.PolicyDocument.Statement[0].Effect != "Deny" || resp.Context["required_scope"] != "" {
		t.Fatalf("OPTIONS: %+v %v", resp, err)
	}
}

func TestAuthorizeGatewayAudience(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		audience string
		stage    string
		ok       bool
	}{
		{"", "prod", true},
		{"stage", "dev", false},
		{"prod", "dev", true},     // a fixed audience, whatever the stage
		{"other", "prod", false},  // the token is not for "other"
		{"issuer", "prod", false}, // the issuer's audience is pets-api
	} {
		e := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) { az.Audience = tc.audience })
		tok, _ := e.idp.Provider.MintClientToken("reader")
		_, err := e.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok,
			MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/" + tc.stage + "/GET/pets"})
		if (err == nil) != tc.ok {
			t.Errorf("audience %q, stage %q: %v", tc.audience, tc.stage, err)
		}
	}
	// audience: issuer accepts tokens made for the issuer's audience.
	e := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) {
		az.Audience = "issuer"
		c.JWTIssuers[0].Audience = "prod"
	})
	tok, _ := e.idp.Provider.MintClientToken("cron")
	resp, err := e.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok,
		MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/anything/POST/pets"})
	if err != nil || resp.PrincipalID != "cron-1" || resp.PolicyDocument.Statement[0].Effect != "Allow" {
		t.Fatalf("audience issuer: %+v %v", resp, err)
	}
}

func TestAuthorizeGatewayWebSocketScope(t *testing.T) {
	e := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) { az.WebSocketScope = "write:*" })
	ev := func(client string) awsauthorizer.Event {
		tok, _ := e.idp.Provider.MintClientToken(client)
		return awsauthorizer.Event{Type: "REQUEST", MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/$connect",
			Headers: map[string]string{"Sec-WebSocket-Protocol": "chat, " + tok}}
	}
	resp, err := e.az.Authorize(context.Background(), ev("reader"))
	if err != nil || resp.PolicyDocument.Statement[0].Effect != "Deny" || resp.Context["required_scope"] != "write:*" {
		t.Fatalf("reader: %+v %v", resp, err)
	}
	// cron's scope write:pets is not write:*; its permissions are not either.
	resp, err = e.az.Authorize(context.Background(), ev("cron"))
	if err != nil || resp.PolicyDocument.Statement[0].Effect != "Deny" {
		t.Fatalf("cron: %+v %v", resp, err)
	}
}

func TestAuthMappingsConfig(t *testing.T) {
	base := "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\nsecret_key: " + testSecret + "\nclient_id: app\n"
	var g awsauthorizer.Config
	_, err := auth.ParseConfig([]byte(base+`gateway_authorizer:
  audience: prod
  websocket_scope: "read:*"
  auth_mappings:
    read:pets:
      - {method: get, resourcePath: "/pets/{petId}"}
      - {routeKey: $default}
`), &g)
	if err != nil {
		t.Fatal(err)
	}
	if g.Audience != "prod" || g.WebSocketScope != "read:*" || !slices.Equal(g.AuthMappings["read:pets"], []awsauthorizer.AuthMapping{{Method: "GET", ResourcePath: "/pets/{petId}"}, {RouteKey: "$default"}}) {
		t.Fatalf("parsed %+v", g)
	}
	for _, tc := range []struct{ yaml, key string }{
		{"gateway_authorizer:\n  audiense: x\n", "gateway_authorizer.audiense"},
		{"gateway_authorizer:\n  auth_mappings:\n    read:pets:\n      - {method: FETCH, resourcePath: /pets}\n", "gateway_authorizer.auth_mappings.read:pets[0].method"},
		{"gateway_authorizer:\n  auth_mappings:\n    read:pets:\n      - {method: GET, resourcePath: pets}\n", "gateway_authorizer.auth_mappings.read:pets[0].resourcePath"},
		{"gateway_authorizer:\n  auth_mappings:\n    read:pets:\n      - {method: GET, resourcePath: /pets, routeKey: x}\n", "gateway_authorizer.auth_mappings.read:pets[0]"},
		{"gateway_authorizer:\n  auth_mappings:\n    read:pets:\n      - {method: GET, resource_path: /pets}\n", "gateway_authorizer.auth_mappings.read:pets[0].resource_path"},
		{"gateway_authorizer:\n  auth_mappings:\n    read:pets: []\n", "gateway_authorizer.auth_mappings.read:pets"},
		{"gateway_authorizer:\n  websocket_scope: a b\n", "gateway_authorizer.websocket_scope"},
	} {
		_, err := auth.ParseConfig([]byte(base+tc.yaml), &awsauthorizer.Config{})
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%q: %v; want key %s", tc.yaml, err, tc.key)
		}
	}
}

// AUTH0_AUTH_MAPPINGS adds mappings for the permissions the configuration
// does not name; malformed JSON stops New with the variable's name.
func TestAuthMappingsEnv(t *testing.T) {
	t.Setenv(awsauthorizer.AuthMappingsEnv, `{"read:pets": [{"method": "GET", "resourcePath": "/ignored"}],
		"write:pets": [{"method": "POST", "resourcePath": "/pets"}], "principalId": [{"method": "GET", "resourcePath": "/health"}]}`)
	e := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) {
		az.AuthMappings = map[string][]awsauthorizer.AuthMapping{"read:pets": {{Method: "GET", ResourcePath: "/pets"}}}
	})
	tok, _ := e.idp.Provider.MintClientToken("auditor")
	resp, err := e.az.Authorize(context.Background(), awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok,
		MethodArn: "arn:aws:execute-api:eu-west-1:1:api/prod/GET/pets"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range resp.PolicyDocument.Statement {
		got = append(got, s.Effect+" "+strings.Join(s.Resource, " "))
	}
	want := []string{
		"Allow arn:aws:execute-api:eu-west-1:1:api/prod/GET/pets",
		"Allow arn:aws:execute-api:eu-west-1:1:api/prod/GET/health",
		"Allow arn:aws:execute-api:eu-west-1:1:api/prod/GET/pets",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("statements\n%q; want\n%q", got, want)
	}

	for _, bad := range []string{`{"read:pets": [`, `{"read:pets": [{"verb": "GET"}]}`, `["x"]`, `{"read:pets": [{"method": "GET", "resourcePath": "/p"}]} x`,
		`{"read:pets": [{"method": "GET"}]}`} {
		t.Setenv(awsauthorizer.AuthMappingsEnv, bad)
		_, err := awsauthorizer.New(&awsauthorizer.Config{}, e.m, awsauthorizer.Options{})
		if err == nil || !strings.Contains(err.Error(), awsauthorizer.AuthMappingsEnv) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// failingVerifier answers every token with err.
type failingVerifier struct{ err error }

func (v failingVerifier) VerifyMachineToken(context.Context, string, string) (*auth.Identity, error) {
	return nil, v.err
}

// TestAuthorizeStoreOutage: a token that could not be checked because a
// store is down is not "Unauthorized" (API Gateway would answer 401 and
// the caller drop a good token): the error is another, so that API
// Gateway answers 500. A refused token stays Unauthorized.
func TestAuthorizeStoreOutage(t *testing.T) {
	t.Parallel()
	ev := awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: "a.b.c",
		MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets"}
	for _, tc := range []struct {
		name         string
		err          error
		unauthorized bool
	}{
		{"store unavailable", fmt.Errorf("client cron: %w: %w", auth.ErrTokenInvalid, store.ErrUnavailable), false},
		{"store closed", fmt.Errorf("client cron: %w", store.ErrClosed), false},
		{"cancelled", context.Canceled, false},
		{"invalid", fmt.Errorf("bad signature: %w", auth.ErrTokenInvalid), true},
		{"revoked", fmt.Errorf("client removed: %w", auth.ErrTokenRevoked), true},
	} {
		az, err := awsauthorizer.New(nil, failingVerifier{tc.err}, awsauthorizer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := az.Authorize(context.Background(), ev)
		switch {
		case resp != nil || err == nil:
			t.Errorf("%s: %+v %v; want an error", tc.name, resp, err)
		case errors.Is(err, awsauthorizer.ErrUnauthorized) != tc.unauthorized || (err.Error() == "Unauthorized") != tc.unauthorized:
			t.Errorf("%s: %v; want Unauthorized: %v", tc.name, err, tc.unauthorized)
		case !errors.Is(err, tc.err):
			t.Errorf("%s: %v does not wrap the cause", tc.name, err)
		}
	}
}
