package clientcreds_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

func TestClientsConfigFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, ccfg, err := loadCC(t, dir, strings.Replace(ccYAML, "capabilities:\n", "capabilities:\n  user_file: users.yaml\n", 1)+`
clients:
  writer:
    client_secret: "s2"
    audience: "dev"
    sub: "writer-1"
    roles: ["sales_manager", "sales_associate"]
    groups: east
    scope: "write:* read:pets"
  lister:
    client_secret: s3
    audience: [dev, prod]
    scope: [read:pets, "list:pets other:x"]
    permissions: read:pets
`)
	if err != nil {
		t.Fatal(err)
	}
	w, l := ccfg.Clients["writer"], ccfg.Clients["lister"]
	for name, c := range map[string]struct{ got, want []string }{
		"writer.audience": {w.Audience, []string{"dev"}},
		"writer.roles":    {w.Roles, []string{"sales_manager", "sales_associate"}},
		"writer.groups":   {w.Groups, []string{"east"}},
		"writer.scope":    {w.Scope, []string{"write:*", "read:pets"}},
		"lister.audience": {l.Audience, []string{"dev", "prod"}},
		"lister.scope":    {l.Scope, []string{"read:pets", "list:pets", "other:x"}},
		"lister.perms":    {l.Permissions, []string{"read:pets"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %q; want %q", name, c.got, c.want)
		}
	}
	cc := ccfg.Grant
	if cc.Issuer != "http://127.0.0.1:8080/" || cc.TokenTTL != time.Hour || cc.Algorithm != "RS256" ||
		cc.SigningKeyFile != filepath.Join(dir, "users.yaml.signing-key.pem") {
		t.Errorf("defaults: %+v", cc)
	}
	if err := ccfg.CheckConfig(&auth.Config{}); err != nil || !slices.Equal(ccfg.Clients["writer"].Scope, []string{"write:*", "read:pets"}) {
		t.Errorf("CheckConfig again: %v %v", err, ccfg.Clients["writer"].Scope)
	}
}

func TestClientsConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, key, reason string }{
		{"typo", "clients:\n  a:\n    client_secert: x\n", "clients.a.client_secert", `did you mean "client_secret"`},
		{"section typo", "client_credentials:\n  token_tll: 1h\n", "client_credentials.token_tll", `did you mean "token_ttl"`},
		{"no secret", "clients:\n  a:\n    scope: x\n", "clients.a.client_secret", "missing"},
		{"bad hash", "clients:\n  a:\n    client_secret: \"$argon2id$v=19$m=1\"\n", "clients.a.client_secret", "malformed"},
		{"bad id", "clients:\n  \"a b\":\n    client_secret: x\n", "clients.a b", "client id"},
		{"algorithm", "client_credentials:\n  algorithm: HS256\n", "client_credentials.algorithm", "not RS256 or ES256"},
		{"ttl", "client_credentials:\n  token_ttl: 10s\n", "client_credentials.token_ttl", "shorter than 1m"},
		{"issuer", "client_credentials:\n  issuer: ftp://x/\n", "client_credentials.issuer", "not an absolute http(s) URL"},
		{"issuer http", "client_credentials:\n  issuer: http://app.example.com/\n", "client_credentials.issuer", "loopback"},
		{"issuer name", "client_credentials:\n  issuer: my admin\n", "client_credentials.issuer", "neither a URL nor a name"},
		{"roles", "clients:\n  a:\n    client_secret: x\n    roles: {a: b}\n", "clients.a.roles", "expected a string or a list of strings"},
	} {
		_, _, err := loadCC(t, "", ccYAML+tc.yaml)
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.key+": ") || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v; want %s: …%s…", tc.name, err, tc.key, tc.reason)
		}
	}
	// Without base_url, the issuer must be given.
	_, _, err := loadCC(t, "", strings.Replace(ccYAML, "base_url: http://127.0.0.1:8080\n", "", 1)+"clients:\n  a:\n    client_secret: x\n")
	if err == nil || !strings.Contains(err.Error(), "client_credentials.issuer: missing") {
		t.Errorf("no issuer: %v", err)
	}
}

// Not parallel: it sets the process environment (the ~CRYPT~ password).
func TestClientSecretsOfTheConfiguration(t *testing.T) {
	hash, err := clientcreds.HashClientSecret("hashed-secret")
	if err != nil {
		t.Fatal(err)
	}
	enc := confdecode.Encrypt("pw", "encrypted-secret")
	t.Setenv(confdecode.PasswordEnv, "pw")
	cfg, ccfg, err := loadCC(t, "", ccYAML+`
clients:
  hashed: {client_secret: "`+hash+`"}
  encrypted: {client_secret: "`+enc+`"}
  plain: {client_secret: plain-secret}
`)
	if err != nil {
		t.Fatal(err)
	}
	_, g, err := start(t, cfg, ccfg, clientcreds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for id, secret := range map[string]string{"hashed": "hashed-secret", "encrypted": "encrypted-secret", "plain": "plain-secret"} {
		tok, err := g.IssueToken(context.Background(), clientcreds.TokenRequest{ClientID: id, ClientSecret: secret})
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		// No audience configured: the issuer.
		if tok.Audience != g.Issuer() || tok.Subject != id || tok.ExpiresIn != 3600 {
			t.Errorf("%s: %+v", id, tok)
		}
		_, err = g.IssueToken(context.Background(), clientcreds.TokenRequest{ClientID: id, ClientSecret: secret + "x"})
		var oe *auth.Error
		if !errors.As(err, &oe) || oe.Code != clientcreds.CodeInvalidClient || oe.Status != 401 {
			t.Errorf("%s, wrong secret: %v", id, err)
		}
	}
}

// simple_oauth_server's clients file, unchanged.
const simpleClientsFile = `clients:
  client1:
    client_secret: "client1-secret"
    audience: "test-api"
    sub: "client1-subject"
    scope: "read:data"
    permissions:
      - "read:data"
  writer:
    client_secret: "s2"
    audience: "dev"
    sub: "writer-1"
    roles: ["sales_manager", "sales_associate"]
    groups: ["east", "retail"]
    scope: "write:*"
`

func TestClientsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "clients.yaml"), []byte(simpleClientsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, ccfg, err := loadCC(t, dir, ccYAML+"clients_file: clients.yaml\nclient_credentials:\n  algorithm: ES256\n")
	if err != nil {
		t.Fatal(err)
	}
	m, g, err := start(t, cfg, ccfg, clientcreds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := g.IssueToken(context.Background(), clientcreds.TokenRequest{ClientID: "writer", ClientSecret: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(tok.AccessToken, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("ES256: %v", err)
	}
	var c map[string]any
	_ = json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &c)
	if c["sub"] != "writer-1" || c["aud"] != "dev" || c["scope"] != "write:*" || len(c["groups"].([]any)) != 2 {
		t.Errorf("claims %v", c)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	id, err := m.Identify(req)
	if err != nil || id.Kind != auth.KindClient || id.Subject != "writer-1" || id.Machine().ClientID != "writer" ||
		!slices.Equal(id.Machine().Roles, []string{"sales_manager", "sales_associate"}) {
		t.Fatalf("Identify: %v %+v", err, id)
	}

	// A client in both places, and a bad file, name the key.
	for _, extra := range []string{
		"clients_file: clients.yaml\nclients:\n  writer: {client_secret: x}\n",
		"clients_file: missing.yaml\n",
	} {
		_, ccfg, err := loadCC(t, dir, ccYAML+extra)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := clientcreds.New(context.Background(), ccfg, clientcreds.Options{}); err == nil || !strings.Contains(err.Error(), "clients_file") {
			t.Errorf("%q: %v", extra, err)
		}
	}
	os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte("clients:\n  a:\n    client_secret: x\n    scop: y\n"), 0o600)
	_, ccfg, _ = loadCC(t, dir, ccYAML+"clients_file: typo.yaml\n")
	if _, err := clientcreds.New(context.Background(), ccfg, clientcreds.Options{}); err == nil || !strings.Contains(err.Error(), `did you mean "scope"`) {
		t.Errorf("typo in the clients file: %v", err)
	}
}

func TestSigningKeyFileKeptAndRotated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	extra := "clients:\n  a: {client_secret: a-secret, scope: read:pets}\nclient_credentials:\n  signing_key_file: " + keyFile + "\n"
	_, g1 := newCC(t, extra)
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	tok, err := g1.IssueToken(context.Background(), clientcreds.TokenRequest{ClientID: "a", ClientSecret: "a-secret"})
	if err != nil {
		t.Fatal(err)
	}
	identify := func(m *auth.Manager) error {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		_, err := m.Identify(req)
		return err
	}
	// Restarted with the same file: the token still verifies.
	if m2, _ := newCC(t, extra); identify(m2) != nil {
		t.Fatalf("after a restart: %v", identify(m2))
	}
	// Rotated: a new key signs, the old one still verifies and is listed.
	oldFile := filepath.Join(dir, "old.pem")
	if err := os.Rename(keyFile, oldFile); err != nil {
		t.Fatal(err)
	}
	m3, g3 := newCC(t, extra+"  previous_signing_key_files: ["+oldFile+"]\n")
	if err := identify(m3); err != nil {
		t.Fatalf("after a rotation: %v", err)
	}
	set, _ := g3.JWKS()
	var jwks jose.JSONWebKeySet
	if err := json.Unmarshal(set, &jwks); err != nil || len(jwks.Keys) != 2 || jwks.Keys[0].KeyID == jwks.Keys[1].KeyID {
		t.Fatalf("JWKS %s", set)
	}
	// Without the old key, its tokens are refused.
	if m4, _ := newCC(t, extra); !errors.Is(identify(m4), auth.ErrTokenInvalid) {
		t.Fatalf("old key dropped: %v", identify(m4))
	}
}

func TestConfigClientHidesStoredClient(t *testing.T) {
	t.Parallel()
	cfg, ccfg, err := loadCC(t, "", ccYAML+"clients:\n  a: {client_secret: config-secret}\n")
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	hash, _ := clientcreds.HashClientSecret("stored-secret")
	_, g, err := start(t, cfg, ccfg, clientcreds.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		ClientStore: memstore.NewClientStore(store.Client{ID: "a", SecretHash: hash}, store.Client{ID: "b", SecretHash: hash})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: "a", ClientSecret: "stored-secret"}); err == nil {
		t.Error("the stored client's secret works for a configured client")
	}
	for id, secret := range map[string]string{"a": "config-secret", "b": "stored-secret"} {
		if _, err := g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: id, ClientSecret: secret}); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if n := strings.Count(logs.String(), "hides the stored client"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, logs.String())
	}
}

// TestClientTokenFlood: many concurrent token requests, fewer hash
// computations at once than requests; all answered.
func TestClientTokenFlood(t *testing.T) {
	t.Parallel()
	_, g := newCC(t, "clients:\n  a: {client_secret: a-secret}\n")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secret := "a-secret"
			if i%2 == 1 {
				secret = "wrong"
			}
			_, err := g.IssueToken(context.Background(), clientcreds.TokenRequest{ClientID: "a", ClientSecret: secret})
			if (err == nil) != (i%2 == 0) {
				errs <- fmt.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A cancelled request gives up waiting.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: "a", ClientSecret: "a-secret"})
	var oe *auth.Error
	if err != nil && (!errors.As(err, &oe) || oe.Status != 503) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestAuthorizeGatewayOwnToken: the grant's tokens pass the AWS API
// Gateway authorizer like an external issuer's, for the stage's audience,
// and stop when their client is disabled.
func TestAuthorizeGatewayOwnToken(t *testing.T) {
	t.Parallel()
	clients := memstore.NewClientStore()
	cfg, ccfg, err := loadCC(t, "", ccYAML)
	if err != nil {
		t.Fatal(err)
	}
	m, g, err := start(t, cfg, ccfg, clientcreds.Options{ClientStore: clients})
	if err != nil {
		t.Fatal(err)
	}
	az, err := awsauthorizer.New(nil, m, awsauthorizer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hash, _ := clientcreds.HashClientSecret("gw-secret")
	if err := clients.PutClient(ctx, store.Client{ID: "gw", Subject: "gw-1", SecretHash: hash, Audience: []string{"prod", "dev"}, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	tok, err := g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: "gw", ClientSecret: "gw-secret", Audience: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	authorize := func(stage string) (*awsauthorizer.Response, error) {
		return az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: "Bearer " + tok.AccessToken,
			MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/" + stage + "/GET/pets"})
	}
	resp, err := authorize("prod")
	if err != nil || resp.PrincipalID != "gw-1" || resp.PolicyDocument.Statement[0].Effect != awsauthorizer.EffectAllow {
		t.Fatalf("prod: %+v %v", resp, err)
	}
	if _, err := authorize("dev"); err == nil {
		t.Error("a token for prod passed for dev")
	}
	if _, err := authorize("prod"); err != nil { // cached
		t.Fatal(err)
	}
	c, _, _ := clients.Client(ctx, "gw")
	c.Disabled = true
	if err := clients.PutClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := authorize("prod"); err == nil {
		t.Error("a disabled client's token passed the authorizer")
	}
}

// TestLoad: one call reads the file (auth's keys, the grant's and another
// section's, in one run) and plugs the grant into the configuration.
func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	yml := ccYAML + "clients:\n  a: {client_secret: a-secret, scope: read:pets}\ngateway_authorizer: {audience: prod}\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	var az awsauthorizer.Config
	cfg, g, err := clientcreds.Load(context.Background(), path, clientcreds.Options{Logger: slog.New(slog.DiscardHandler)}, &az)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if az.Audience != "prod" || len(cfg.MachineIssuers) != 1 || cfg.MachineIssuers[0] != auth.MachineIssuer(g) || !cfg.MachineCallers() {
		t.Fatalf("loaded %+v, %v", az, cfg.MachineIssuers)
	}
	// Problems of every owner come back from one run.
	if err := os.WriteFile(path, []byte(ccYAML+"clients:\n  a: {scope: x}\ngateway_authorizer: {audiense: prod}\nsecert: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = clientcreds.Load(context.Background(), path, clientcreds.Options{}, &awsauthorizer.Config{})
	for _, key := range []string{"clients.a.client_secret", "gateway_authorizer.audiense", "secert"} {
		if err == nil || !strings.Contains(err.Error(), key+": ") {
			t.Errorf("want a problem with %s: %v", key, err)
		}
	}
}

// An issuer that is not a URL ("admin") signs and verifies the app's own
// tokens; Warnings says it is not a URL.
func TestIssuerName(t *testing.T) {
	t.Parallel()
	cfg, cc, err := loadCC(t, "", ccYAML+"client_credentials:\n  issuer: admin\nclients:\n  cron:\n    client_secret: cron-secret\n    scope: read:pets\n")
	if err != nil {
		t.Fatal(err)
	}
	if w := cc.Warnings(); len(w) != 1 || !strings.Contains(w[0], `client_credentials.issuer "admin" is not a URL`) {
		t.Fatalf("warnings %q", w)
	}
	m, g, err := start(t, cfg, cc, clientcreds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := g.IssueToken(context.Background(), clientcreds.TokenRequest{ClientID: "cron", ClientSecret: "cron-secret"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := m.VerifyMachineToken(context.Background(), tok.AccessToken, "admin")
	if err != nil || id.Subject != "cron" {
		t.Fatalf("verify: %+v %v", id, err)
	}
	// The default issuer (base_url + "/") is a URL: no warning.
	_, cc, err = loadCC(t, "", ccYAML+"clients:\n  cron:\n    client_secret: cron-secret\n")
	if err != nil || len(cc.Warnings()) != 0 {
		t.Fatalf("default issuer: %q %v", cc.Warnings(), err)
	}
}
