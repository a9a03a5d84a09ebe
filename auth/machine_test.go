package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/mockidp"
)

const petsAudience = "pets-api"

// machineClients are the mock provider's clients: the demo login client
// and machine clients of the pets API.
func machineClients() map[string]mockidp.Client {
	c := mockidp.DemoClients()
	c["cron"] = mockidp.Client{Secret: "cron-secret", Audience: petsAudience, Scope: "read:pets write:pets", Permissions: mockidp.StringList{"bake:bread"}}
	c["reader"] = mockidp.Client{Secret: "reader-secret", Audience: petsAudience, Scope: "read:pets"}
	c["elsewhere"] = mockidp.Client{Secret: "elsewhere-secret", Audience: "another-api", Scope: "read:pets"}
	return c
}

func machineEnv(t *testing.T, discovery bool) *env {
	t.Helper()
	return newEnv(t, envOptions{
		idp:       machineEnvOptions(),
		configure: func(c *auth.Config) { configureMachine(c, discovery) },
	})
}

// machineEnvOptions is the mock provider of machineEnv.
func machineEnvOptions() mockidp.Options {
	return mockidp.Options{Clients: machineClients(), KeyGrace: time.Hour}
}

// configureMachine trusts the env's provider as the one jwt_issuers entry.
func configureMachine(c *auth.Config, discovery bool) {
	iss := auth.JWTIssuer{Issuer: strings.TrimSuffix(c.ServerMetadataURL, "/.well-known/openid-configuration"), Audience: petsAudience}
	if discovery {
		iss.Discovery = true
	} else {
		iss.JWKSURL = iss.Issuer + "/jwks"
	}
	c.JWTIssuers = []auth.JWTIssuer{iss}
	c.ScopeCapabilities = map[string][]string{"read:pets": {"read"}, "bake:bread": {"baker"}}
}

func (e *env) clientToken(id string) string {
	e.t.Helper()
	tok, err := e.idp.Provider.MintClientToken(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) faultyToken(f mockidp.Fault) string {
	e.t.Helper()
	tok, err := e.idp.Provider.MintIDToken(mockidp.MintOptions{ClientID: petsAudience, Fault: f})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// callBearer does GET path with the token and returns status, body and
// WWW-Authenticate.
func (e *env) callBearer(path, tok string) (int, string, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.app.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("WWW-Authenticate")
}

func (e *env) jwksFetches() int {
	n := 0
	for _, r := range e.idp.Provider.Requests() {
		if r.Path == "/jwks" {
			n++
		}
	}
	return n
}

func TestMachineTokenGivesClientIdentity(t *testing.T) {
	for _, discovery := range []bool{false, true} {
		e := machineEnv(t, discovery)
		tok := e.clientToken("cron")
		code, body, _ := e.callBearer("/read", tok)
		if code != 200 || body != "client:cron baker,read" {
			t.Fatalf("discovery=%v: /read = %d %q", discovery, code, body)
		}
		// Permissions map like scopes: bake:bread → baker.
		if code, _, _ := e.callBearer("/bake", tok); code != 200 {
			t.Fatalf("/bake with permission = %d", code)
		}
		if code, body, _ := e.callBearer("/bake", e.clientToken("reader")); code != 403 {
			t.Fatalf("/bake without baker = %d %q", code, body)
		}
		// Cached: the same token again needs no fetch.
		before := e.jwksFetches()
		e.callBearer("/read", tok)
		if e.jwksFetches() != before || before != 1 {
			t.Fatalf("JWKS fetched %d then %d times", before, e.jwksFetches())
		}
	}
}

func TestMachineIdentityFields(t *testing.T) {
	e := machineEnv(t, false)
	req, _ := http.NewRequest("GET", "/x", nil)
	req.Header.Set("Authorization", "Bearer "+e.clientToken("cron"))
	id, err := e.m.Identify(req)
	if err != nil {
		t.Fatal(err)
	}
	mi := id.Machine()
	if id.Kind != auth.KindClient || id.Kind.String() != "client" || id.Email != "" || id.Subject != "cron" || mi == nil {
		t.Fatalf("identity %+v", id)
	}
	if mi.ClientID != "cron" || !mi.HasScope || strings.Join(mi.Scopes, " ") != "read:pets write:pets" ||
		strings.Join(mi.Permissions, ",") != "bake:bread" || mi.Issuer != e.idp.URL {
		t.Fatalf("machine %+v", mi)
	}
	if id.ExpiresAt.IsZero() || id.TokenID == "" {
		t.Fatalf("expiry %v, token id %q", id.ExpiresAt, id.TokenID)
	}
	// The claims are in Machine too: sub, aud, jti, iat, and exp with the
	// issuer's leeway, as the identity's expiry.
	if mi.Subject != "cron" || strings.Join(mi.Audience, ",") != petsAudience || mi.ID != id.TokenID ||
		mi.IssuedAt.IsZero() || !mi.ExpiresAt.Equal(id.ExpiresAt) {
		t.Fatalf("machine claims %+v", mi)
	}
	// "Myself" means nothing for a client: the manage calls ask for a user.
	if _, err := e.m.Users().Get(context.Background(), id, ""); !errors.Is(err, auth.ErrBadRequest) {
		t.Fatalf("StoredCapabilities(client, \"\") = %v; want ErrBadRequest", err)
	}
	if _, err := e.m.Users().Add(context.Background(), id, "", "read"); !errors.Is(err, auth.ErrForbidden) {
		t.Fatalf("AddCapabilities(client, \"\") = %v; want ErrForbidden", err)
	}
}

func TestMachineTokenRefusals(t *testing.T) {
	e := machineEnv(t, false)
	// A first good token loads the keys.
	good := e.clientToken("cron")
	if code, _, _ := e.callBearer("/read", good); code != 200 {
		t.Fatal(code)
	}
	tampered := []byte(good)
	i := strings.LastIndexByte(good, '.') + 5
	tampered[i] ^= 1
	if tampered[i] == '.' || tampered[i] == good[i] {
		t.Fatal("bad tampering")
	}
	// A payload change keeps the signature: iss stays readable.
	parts := strings.Split(good, ".")
	swapped := parts[0] + "." + parts[1][:len(parts[1])-2] + "x" + parts[1][len(parts[1])-1:] + "." + parts[2]
	cases := []struct {
		name string
		tok  func() string
	}{
		{"tampered signature", func() string { return string(tampered) }},
		{"tampered payload", func() string { return swapped }},
		{"wrong audience", func() string { return e.clientToken("elsewhere") }},
		{"wrong issuer", func() string { return e.faultyToken(mockidp.FaultWrongIssuer) }},
		{"alg none", func() string { return e.faultyToken(mockidp.FaultAlgNone) }},
		{"HS256 with the public key", func() string { return e.faultyToken(mockidp.FaultHS256PublicKey) }},
		{"unknown kid", func() string { return e.faultyToken(mockidp.FaultUnknownKID) }},
		{"expired", func() string { return e.faultyToken(mockidp.FaultExpired) }},
		{"bad signature", func() string { return e.faultyToken(mockidp.FaultBadSignature) }},
		{"issued in the future", func() string { return e.faultyToken(mockidp.FaultIssuedInFuture) }},
	}
	for _, c := range cases {
		code, body, www := e.callBearer("/read", c.tok())
		if code != 401 || !strings.Contains(www, `error="invalid_token"`) || !strings.Contains(body, "detail") {
			t.Errorf("%s: %d %q %q", c.name, code, www, body)
		}
	}
	// Expiry of a cached token, with the leeway.
	e.clock.Advance(time.Hour + 30*time.Second)
	if code, _, _ := e.callBearer("/read", good); code != 200 {
		t.Fatalf("within leeway: %d", code)
	}
	e.clock.Advance(time.Minute)
	if code, _, www := e.callBearer("/read", good); code != 401 || !strings.Contains(www, "invalid_token") {
		t.Fatalf("expired cached token: %d %q", code, www)
	}
}

func TestMachineKeyRotationAndRefetchLimit(t *testing.T) {
	e := machineEnv(t, false)
	old := e.clientToken("cron")
	if code, _, _ := e.callBearer("/read", old); code != 200 {
		t.Fatal(code)
	}
	if _, err := e.idp.Provider.RotateKeys(); err != nil {
		t.Fatal(err)
	}
	fresh := e.clientToken("cron")
	// Right after a fetch, an unknown kid does not cause another one.
	fetches := e.jwksFetches()
	if code, _, _ := e.callBearer("/read", fresh); code != 401 {
		t.Fatalf("new kid within the refetch interval: %d", code)
	}
	for range 5 {
		e.callBearer("/read", e.faultyToken(mockidp.FaultUnknownKID))
	}
	if got := e.jwksFetches(); got != fetches {
		t.Fatalf("%d fetches for unknown kids within the interval", got-fetches)
	}
	e.clock.Advance((10 * time.Second))
	if code, body, _ := e.callBearer("/read", fresh); code != 200 {
		t.Fatalf("after rotation: %d %q", code, body)
	}
	if got := e.jwksFetches(); got != fetches+1 {
		t.Fatalf("%d fetches after the interval, want 1", got-fetches)
	}
	// A known kid with a forged signature causes no fetch.
	e.clock.Advance((10 * time.Second))
	forged := []byte(e.clientToken("reader"))
	forged[len(forged)-3] ^= 2
	if code, _, _ := e.callBearer("/read", string(forged)); code != 401 {
		t.Fatal(code)
	}
	if got := e.jwksFetches(); got != fetches+1 {
		t.Fatalf("forged signature fetched the keys")
	}
	if code, _, _ := e.callBearer("/read", old); code != 200 {
		t.Fatalf("old key within its grace: %d", code)
	}
}

func TestMachineIssuerDown(t *testing.T) {
	e := newEnv(t, envOptions{configure: func(c *auth.Config) {
		c.JWTIssuers = []auth.JWTIssuer{{Issuer: "http://127.0.0.1:9", Audience: petsAudience, Discovery: true}}
	}})
	// A token naming the unreachable issuer: refused as invalid, not 500.
	tok := "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjkiLCJzdWIiOiJ4In0.c2ln"
	code, _, www := e.callBearer("/read", tok)
	if code != 401 || !strings.Contains(www, "invalid_token") {
		t.Fatalf("%d %q", code, www)
	}
}

func TestMachineConfig(t *testing.T) {
	t.Parallel()
	good := `
secret_key: ` + testSecret + `
server_metadata_url: https://idp.example.com/.well-known/openid-configuration
client_id: app
capabilities: {graph: {read: []}}
jwt_issuers:
  - issuer: https://tenant.example.com/
    audience: pets
    jwks_url: https://tenant.example.com/.well-known/jwks.json
    algorithms: [RS256, ES256]
    leeway: 30s
scope_capabilities:
  "read:pets": [read]
`
	cfg, err := auth.ParseConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.JWTIssuers) != 1 || cfg.JWTIssuers[0].Leeway != 30*time.Second || cfg.JWTIssuers[0].RefetchInterval != (10*time.Second) ||
		cfg.ScopeCapabilities["read:pets"][0] != "read" {
		t.Fatalf("%+v %+v", cfg.JWTIssuers, cfg.ScopeCapabilities)
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	bad := []struct{ name, yaml, key string }{
		{"unknown key in an issuer", "jwt_issuers: [{issuer: https://a.example, audience: x, jwks_url: https://a.example/k, leway: 1s}]", "jwt_issuers[0].leway"},
		{"typo at top level", "scope_capabilites: {}", "scope_capabilites"},
		{"alg none", "jwt_issuers: [{issuer: https://a.example, audience: x, jwks_url: https://a.example/k, algorithms: [none]}]", "jwt_issuers[0].algorithms[0]"},
		{"HS256", "jwt_issuers: [{issuer: https://a.example, audience: x, jwks_url: https://a.example/k, algorithms: [HS256]}]", "jwt_issuers[0].algorithms[0]"},
		{"no keys", "jwt_issuers: [{issuer: https://a.example, audience: x}]", "jwt_issuers[0].jwks_url"},
		{"no audience", "jwt_issuers: [{issuer: https://a.example, jwks_url: https://a.example/k}]", "jwt_issuers[0].audience"},
		{"http issuer", "jwt_issuers: [{issuer: http://a.example, audience: x, jwks_url: https://a.example/k}]", "jwt_issuers[0].issuer"},
		{"empty mapping", `scope_capabilities: {"read:pets": []}`, "scope_capabilities.read:pets"},
	}
	base := "secret_key: " + testSecret + "\nserver_metadata_url: https://idp.example.com/.well-known/openid-configuration\nclient_id: app\n"
	for _, c := range bad {
		cfg, err := auth.ParseConfig([]byte(base + c.yaml))
		if err == nil {
			err = cfg.Validate()
		}
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	cfg, err = auth.ParseConfig([]byte(base + "capabilities: {graph: {read: []}}\nscope_capabilities: {\"read:pets\": [nope]}"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), `unknown capability "nope"`) {
		t.Fatalf("unknown capability: %v", err)
	}
}
