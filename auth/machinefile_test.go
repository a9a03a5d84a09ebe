package auth_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

const lambdaIssuer = "https://lambda.example.com"

// pemKeyPair makes an RSA key with openssl and returns its signer and its
// public key as openssl writes it (PEM).
func pemKeyPair(t *testing.T) (crypto.Signer, []byte) {
	t.Helper()
	path := pemkeytest.Write(t, pemkeytest.RSAGenpkey)
	key, err := pemkey.ReadPrivateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return key, pemkeytest.OpenSSL(t, data, "pkey", "-pubout")
}

// signJWT signs claims with key (alg RS256 unless given, kid when not
// empty); exp and iat are added from now unless set.
func signJWT(t *testing.T, key crypto.Signer, alg jose.SignatureAlgorithm, kid string, now time.Time, claims map[string]any) string {
	t.Helper()
	if alg == "" {
		alg = jose.RS256
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	full := map[string]any{"iss": lambdaIssuer, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(full, k)
			continue
		}
		full[k] = v
	}
	payload, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// writeFile writes data to path through a rename, as the README advises.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// fileIssuerEnv is an env trusting lambdaIssuer with the keys of file
// (public_key_file, or jwks_file when jwks), tuned by tune.
func fileIssuerEnv(t *testing.T, file string, jwks bool, tune func(*auth.JWTIssuer)) *env {
	t.Helper()
	return newEnv(t, envOptions{configure: func(c *auth.Config) {
		iss := auth.JWTIssuer{Issuer: lambdaIssuer, Audience: petsAudience}
		if jwks {
			iss.JWKSFile = file
		} else {
			iss.PublicKeyFile = file
		}
		if tune != nil {
			tune(&iss)
		}
		c.JWTIssuers = []auth.JWTIssuer{iss}
		c.ScopeCapabilities = map[string][]string{"read:pets": {"read"}, "bake:bread": {"baker"}}
	}})
}

func audienceOptional(iss *auth.JWTIssuer) {
	no := false
	iss.AudienceRequired = &no
}

// TestArticleTokenThroughRequire: the token of a Lambda authorizer that
// signs with a PEM key (array scope, no aud, client_id and no sub, no
// kid) passes Require with public_key_file and audience_required: false,
// and is refused with the default settings, the reason in the log.
func TestArticleTokenThroughRequire(t *testing.T) {
	key, pub := pemKeyPair(t)
	file := filepath.Join(t.TempDir(), "public_key.pem")
	writeFile(t, file, pub)
	article := map[string]any{"client_id": "lambda-client", "scope": []string{"read:pets"}}

	e := fileIssuerEnv(t, file, false, audienceOptional)
	tok := signJWT(t, key, "", "", e.clock.Now(), article)
	if code, body, _ := e.callBearer("/read", tok); code != 200 || body != "client:lambda-client read" {
		t.Fatalf("configured for it: %d %q", code, body)
	}
	if code, body, _ := e.callBearer("/bake", tok); code != 403 || !strings.Contains(body, `missing capability \"baker\"`) {
		t.Fatalf("beyond its scope: %d %q", code, body)
	}

	def := fileIssuerEnv(t, file, false, nil)
	code, _, www := def.callBearer("/read", signJWT(t, key, "", "", def.clock.Now(), article))
	if code != 401 || !strings.Contains(www, "invalid_token") {
		t.Fatalf("default settings: %d %q", code, www)
	}
	if logs := def.logs.String(); !strings.Contains(logs, "machine token refused") ||
		!strings.Contains(logs, "JWT without aud (the issuer's audience_required is true)") {
		t.Fatalf("the refusal's reason is not in the log:\n%s", logs)
	}
}

// TestTokenShapesOfOtherIssuers: scope and scp as strings or lists, the
// principal's fallbacks and principal_claim, a present aud still checked.
func TestTokenShapesOfOtherIssuers(t *testing.T) {
	key, pub := pemKeyPair(t)
	file := filepath.Join(t.TempDir(), "public_key.pem")
	writeFile(t, file, pub)
	e := fileIssuerEnv(t, file, false, audienceOptional)
	now := e.clock.Now()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		code   int
		body   string // the /read answer, or a part of the logged reason
	}{
		{"scope string", map[string]any{"sub": "a", "scope": "write:pets read:pets"}, 200, "client:a read"},
		{"scope list", map[string]any{"sub": "a", "scope": []string{"write:pets", "read:pets"}}, 200, "client:a read"},
		{"scp string", map[string]any{"sub": "a", "scp": "read:pets"}, 200, "client:a read"},
		{"scp list", map[string]any{"sub": "a", "scp": []string{"read:pets"}}, 200, "client:a read"},
		{"scope lacks it", map[string]any{"sub": "a", "scope": []string{"write:pets"}, "scp": "x"}, 403, "missing capability"},
		{"scope of a number", map[string]any{"sub": "a", "scope": 3}, 401, "neither a string nor a list of strings"},
		{"sub first", map[string]any{"sub": "s", "client_id": "c", "azp": "z", "scope": "read:pets"}, 200, "client:s read"},
		{"client_id next", map[string]any{"client_id": "c", "azp": "z", "scope": "read:pets"}, 200, "client:c read"},
		{"azp last", map[string]any{"azp": "z", "scope": "read:pets"}, 200, "client:z read"},
		{"nothing names it", map[string]any{"scope": "read:pets"}, 401, "JWT without sub, client_id or azp"},
		{"our aud", map[string]any{"sub": "a", "aud": petsAudience, "scope": "read:pets"}, 200, "client:a read"},
		{"another aud", map[string]any{"sub": "a", "aud": []string{"billing"}, "scope": "read:pets"}, 401, "JWT for audience [\\\"billing\\\"], not \\\"pets-api\\\""},
		{"expired", map[string]any{"sub": "a", "exp": now.Add(-time.Hour).Unix()}, 401, "JWT expired"},
		{"other issuer", map[string]any{"sub": "a", "iss": "https://other.example.com"}, 401, ""},
	} {
		tok := signJWT(t, key, "", "", now, tc.claims)
		code, body, _ := e.callBearer("/read", tok)
		if code != tc.code || code != 401 && !strings.Contains(body, tc.body) {
			t.Errorf("%s: %d %q; want %d %q", tc.name, code, body, tc.code, tc.body)
		}
		if code == 401 && !strings.Contains(e.logs.String(), tc.body) {
			t.Errorf("%s: %q not in the log", tc.name, tc.body)
		}
	}
	// Only the configured algorithms: PS256 with the same key is refused.
	if code, _, _ := e.callBearer("/read", signJWT(t, key, jose.PS256, "", now, map[string]any{"sub": "a"})); code != 401 {
		t.Errorf("PS256 while algorithms is [RS256]: %d", code)
	}

	named := fileIssuerEnv(t, file, false, func(iss *auth.JWTIssuer) { iss.PrincipalClaim = "username" })
	tok := signJWT(t, key, "", "", now, map[string]any{"sub": "s", "aud": petsAudience, "username": "xtof", "scope": "read:pets"})
	if code, body, _ := named.callBearer("/read", tok); code != 200 || body != "client:xtof read" {
		t.Errorf("principal_claim: %d %q", code, body)
	}
	tok = signJWT(t, key, "", "", now, map[string]any{"sub": "s", "aud": petsAudience, "username": 7})
	if code, _, _ := named.callBearer("/read", tok); code != 401 || !strings.Contains(named.logs.String(), "without a string username claim") {
		t.Errorf("principal_claim not a string: %d\n%s", code, named.logs.String())
	}
	// The default still wants aud.
	def := fileIssuerEnv(t, file, false, nil)
	if code, _, _ := def.callBearer("/read", signJWT(t, key, "", "", now, map[string]any{"sub": "a", "aud": petsAudience, "scope": "read:pets"})); code != 200 {
		t.Errorf("default with aud: %d", code)
	}
}

// TestKeyFileReplaced: once a key file is replaced, tokens of its new key
// pass and those of the old one (cached ones too) fail, within a second;
// a broken new version keeps the previous keys.
func TestKeyFileReplaced(t *testing.T) {
	oldKey, oldPub := pemKeyPair(t)
	newKey, newPub := pemKeyPair(t)
	for _, jwks := range []bool{false, true} {
		file := filepath.Join(t.TempDir(), "keys")
		content := func(pub []byte, kid string) []byte {
			if !jwks {
				return pub
			}
			keys, err := pemkey.ParsePublicKeys(pub)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: keys[0], KeyID: kid, Algorithm: "RS256", Use: "sig"}}})
			return b
		}
		writeFile(t, file, content(oldPub, "old"))
		e := fileIssuerEnv(t, file, jwks, nil)
		claims := map[string]any{"sub": "bot", "aud": petsAudience, "scope": "read:pets"}
		oldTok := signJWT(t, oldKey, "", "old", e.clock.Now(), claims)
		newTok := signJWT(t, newKey, "", "new", e.clock.Now(), claims)
		if code, _, _ := e.callBearer("/read", oldTok); code != 200 {
			t.Fatalf("jwks=%v: old key before the change: %d", jwks, code)
		}
		if code, _, _ := e.callBearer("/read", newTok); code != 401 {
			t.Fatalf("jwks=%v: new key before the change: %d", jwks, code)
		}
		writeFile(t, file, content(newPub, "new"))
		e.clock.Advance(time.Second)
		if code, body, _ := e.callBearer("/read", newTok); code != 200 {
			t.Fatalf("jwks=%v: new key after the change: %d %q\n%s", jwks, code, body, e.logs.String())
		}
		if code, _, _ := e.callBearer("/read", oldTok); code != 401 {
			t.Fatalf("jwks=%v: old (cached) token after the change: %d", jwks, code)
		}
		if !strings.Contains(e.logs.String(), "JWT issuer keys read again") {
			t.Errorf("jwks=%v: the reload is not logged", jwks)
		}
		writeFile(t, file, []byte("half a key"))
		e.clock.Advance(time.Second)
		if code, _, _ := e.callBearer("/read", newTok); code != 200 {
			t.Fatalf("jwks=%v: a broken file dropped the keys: %d", jwks, code)
		}
		if !strings.Contains(e.logs.String(), "key file cannot be used; its previous keys stay") {
			t.Errorf("jwks=%v: the broken file is not logged:\n%s", jwks, e.logs.String())
		}
	}
}

// TestKeyFileConfig: exactly one key source; a key file that cannot be
// used stops New with an error naming its key.
func TestKeyFileConfig(t *testing.T) {
	dir := t.TempDir()
	_, pub := pemKeyPair(t)
	rsaFile, ecFile, privFile := filepath.Join(dir, "rsa.pem"), filepath.Join(dir, "ec.pem"), filepath.Join(dir, "private.pem")
	writeFile(t, rsaFile, pub)
	writeFile(t, ecFile, pemkeytest.Generate(t, pemkeytest.PublicPKIX))
	writeFile(t, privFile, pemkeytest.Generate(t, pemkeytest.ECGenpkey))
	writeFile(t, filepath.Join(dir, "private.jwks"), []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
	writeFile(t, filepath.Join(dir, "config.yaml"), []byte("x: 1"))
	base := "secret_key: " + testSecret + "\ncapabilities: {graph: {read: []}}\njwt_issuers:\n  - {issuer: https://a.example, audience: x, "
	for _, tc := range []struct{ name, yaml, key, reason string }{
		{"two sources", "jwks_url: https://a.example/k, public_key_file: rsa.pem}", "jwt_issuers[0].public_key_file", "set only one of"},
		{"file and discovery", "discovery: true, jwks_file: k.json}", "jwt_issuers[0].jwks_file", "set only one of"},
		{"none", "}", "jwt_issuers[0].jwks_url", "public_key_file or jwks_file"},
		{"reserved principal", "public_key_file: rsa.pem, principal_claim: aud}", "jwt_issuers[0].principal_claim", "does not name a client"},
		{"missing file", "public_key_file: nope.pem}", "jwt_issuers[0].public_key_file", "no such file"},
		{"private key", "public_key_file: private.pem}", "jwt_issuers[0].public_key_file", "holds a private key; give the public key only"},
		{"key of no algorithm", "public_key_file: ec.pem}", "jwt_issuers[0].public_key_file", "key 1 (EC P-256) can check none of the algorithms [RS256]"},
		{"secret in a JWKS", "jwks_file: private.jwks}", "jwt_issuers[0].jwks_file", "key 1 is a private key"},
		{"not a JWKS", "jwks_file: config.yaml}", "jwt_issuers[0].jwks_file", "is not a JSON Web Key Set"},
	} {
		cfgPath := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(cfgPath, []byte(base+tc.yaml+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := auth.LoadConfig(cfgPath)
		if err == nil {
			var m *auth.Manager
			if m, err = auth.New(context.Background(), cfg); err == nil {
				m.Close()
			}
		}
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v; want %s: %s", tc.name, err, tc.key, tc.reason)
		}
	}
	// An EC key is fine with ES256 among the algorithms; relative to the config.
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte(base+"public_key_file: ec.pem, algorithms: [RS256, ES256]}\n"), 0o600)
	cfg, err := auth.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if !*cfg.JWTIssuers[0].AudienceRequired || cfg.JWTIssuers[0].PublicKeyFile != ecFile {
		t.Errorf("defaults: %+v", cfg.JWTIssuers[0])
	}
}
