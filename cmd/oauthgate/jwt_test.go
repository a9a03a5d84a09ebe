package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// exeBinary runs the built binary with stdin and returns its exit status
// and outputs.
func exeBinary(t *testing.T, bin, input string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stdout.String(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestJWTRoundTrip: keys made by openssl → jwt jwks → jwt sign → jwt
// verify, against the JWKS file and the JWKS served over HTTP, and jwt
// decode of the same token.
func TestJWTRoundTrip(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	for _, tc := range []struct {
		shape pemkeytest.Shape
		alg   string
		kty   string
	}{
		{pemkeytest.RSAGenrsaTraditional, "RS256", "RSA"}, // PKCS#1
		{pemkeytest.RSAGenpkey, "RS256", "RSA"},           // PKCS#8
		{pemkeytest.ECParamGenkey, "ES256", "EC"},         // EC PARAMETERS, then SEC 1
		{pemkeytest.ECParamP384, "ES384", "EC"},
		{pemkeytest.Ed25519Genpkey, "EdDSA", "OKP"},
	} {
		t.Run(string(tc.shape), func(t *testing.T) {
			t.Parallel()
			key := pemkeytest.Write(t, tc.shape)
			code, jwks, stderr := exeBinary(t, bin, "", "jwt", "jwks", "--key", key)
			if code != 0 {
				t.Fatalf("jwt jwks: %d %s", code, stderr)
			}
			var set struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal([]byte(jwks), &set); err != nil || len(set.Keys) != 1 {
				t.Fatalf("jwt jwks printed %q: %v", jwks, err)
			}
			k := set.Keys[0]
			if k["kty"] != tc.kty || k["alg"] != tc.alg || k["use"] != "sig" || k["d"] != nil || len(k["kid"].(string)) != 43 {
				t.Errorf("the JWK %v; want kty %s, alg %s, use sig, a thumbprint kid, no private part", k, tc.kty, tc.alg)
			}
			// The public key alone gives the same JWKS.
			pub := filepath.Join(t.TempDir(), "pub.pem")
			if err := os.WriteFile(pub, pemkeytest.OpenSSL(t, nil, "pkey", "-in", key, "-pubout"), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, again, _ := exeBinary(t, bin, "", "jwt", "jwks", "--key", pub); code != 0 || again != jwks {
				t.Errorf("jwks of the public key: %d\n%s\nwant\n%s", code, again, jwks)
			}
			jwksFile := filepath.Join(t.TempDir(), "jwks.json")
			if err := os.WriteFile(jwksFile, []byte(jwks), 0o600); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(jwks))
			}))
			t.Cleanup(srv.Close)

			code, tok, stderr := exeBinary(t, bin, `{"iss":"https://issuer.example","aud":"api","client_id":"job","scope":["read:products"]}`,
				"jwt", "sign", "--key", key, "--claims", "@-", "--ttl", "5m")
			if code != 0 {
				t.Fatalf("jwt sign: %d %s", code, stderr)
			}
			tok = strings.TrimSpace(tok)
			for _, src := range []string{jwksFile, srv.URL + "/jwks.json"} {
				code, out, stderr := exeBinary(t, bin, tok+"\n", "jwt", "verify", "--jwks", src, "--issuer", "https://issuer.example", "--audience", "api", "-")
				var claims map[string]any
				if code != 0 || json.Unmarshal([]byte(out), &claims) != nil || claims["client_id"] != "job" || claims["exp"] == nil || claims["iat"] == nil {
					t.Errorf("verify against %s: %d %q %q", src, code, out, stderr)
				}
			}
			code, out, _ := exeBinary(t, bin, "", "jwt", "decode", tok)
			if code != 0 || !strings.HasPrefix(out, "UNVERIFIED") || !strings.Contains(out, `"alg": "`+tc.alg+`"`) || !strings.Contains(out, `"client_id": "job"`) {
				t.Errorf("decode: %d %q", code, out)
			}
		})
	}
}

// TestJWTVerifyRefuses: each bad token exits 1 naming what failed.
func TestJWTVerifyRefuses(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	dir := t.TempDir()
	key := pemkeytest.Write(t, pemkeytest.RSAGenpkey)
	other := pemkeytest.Write(t, pemkeytest.RSAGenpkey)
	pubPEM := pemkeytest.OpenSSL(t, nil, "pkey", "-in", key, "-pubout")
	_, jwks, _ := exeBinary(t, bin, "", "jwt", "jwks", "--key", key)
	jwksFile := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, []byte(jwks), 0o600); err != nil {
		t.Fatal(err)
	}
	sign := func(key, claims string, extra ...string) string {
		t.Helper()
		code, tok, stderr := exeBinary(t, bin, "", append([]string{"jwt", "sign", "--key", key, "--claims", claims}, extra...)...)
		if code != 0 {
			t.Fatalf("sign: %d %s", code, stderr)
		}
		return strings.TrimSpace(tok)
	}
	good := sign(key, `{"iss":"https://issuer.example","aud":["api","web"],"sub":"job"}`)
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	// The claims changed under the same signature.
	tampered := parts[0] + "." + b64([]byte(`{"iss":"https://issuer.example","aud":["api","web"],"sub":"admin"}`)) + "." + parts[2]
	// The same claims, unsigned.
	none := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	// HS256 with the public key's PEM as the secret: the key-confusion attack.
	hsInput := b64([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + parts[1]
	mac := hmac.New(sha256.New, pubPEM)
	mac.Write([]byte(hsInput))
	hs256 := hsInput + "." + b64(mac.Sum(nil))

	for _, tc := range []struct {
		name  string
		token string
		args  []string
		want  string
	}{
		{"tampered", tampered, nil, "signature: does not verify"},
		{"other key", sign(other, `{"sub":"job"}`, "--kid", ""), nil, "signature: does not verify"},
		{"unknown kid", sign(other, `{"sub":"job"}`), nil, "signature: no RS256 key with kid"},
		{"expired", sign(key, `{"sub":"job","exp":1000}`), nil, "expired at 1970-01-01T00:16:40Z"},
		{"not yet", sign(key, `{"sub":"job","nbf":4000000000}`), nil, "not valid yet"},
		{"wrong issuer", good, []string{"--issuer", "https://other.example"}, `issuer: iss is "https://issuer.example", want "https://other.example"`},
		{"wrong audience", good, []string{"--audience", "billing"}, `audience: aud is [api, web], want "billing"`},
		{"alg none", none, nil, `alg "none" refused`},
		{"HS256 with the public key", hs256, nil, `alg "HS256" refused: HMAC is never accepted`},
		{"alg not allowed", sign(key, `{"sub":"job"}`, "--alg", "PS256"), nil, `alg "PS256" not allowed (allowed: RS256)`},
		{"not a JWT", "abc", nil, "not a compact JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"jwt", "verify", "--jwks", jwksFile, tc.token}, tc.args...)
			code, out, stderr := exeBinary(t, bin, "", args...)
			if code != 1 || out != "" || !strings.HasPrefix(stderr, "oauthgate jwt verify: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("%d %q %q; want exit 1 saying %q", code, out, stderr, tc.want)
			}
		})
	}
	// The controls: the good token passes, and PS256 passes once allowed;
	// HMAC cannot be allowed.
	if code, _, stderr := exeBinary(t, bin, "", "jwt", "verify", "--jwks", jwksFile, "--audience", "web", good); code != 0 {
		t.Errorf("good token: %d %s", code, stderr)
	}
	ps := sign(key, `{"sub":"job"}`, "--alg", "PS256")
	if code, _, stderr := exeBinary(t, bin, "", "jwt", "verify", "--key", key, "--alg", "RS256,PS256", ps); code != 0 {
		t.Errorf("PS256 allowed, with --key: %d %s", code, stderr)
	}
	if code, _, stderr := exeBinary(t, bin, "", "jwt", "verify", "--jwks", jwksFile, "--alg", "HS256", hs256); code != 2 || !strings.Contains(stderr, "none and HMAC are always refused") {
		t.Errorf("--alg HS256: %d %s", code, stderr)
	}
	// decode shows any token, marked, and never verifies it.
	if code, out, _ := exeBinary(t, bin, none, "jwt", "decode", "-"); code != 0 || !strings.HasPrefix(out, "UNVERIFIED") || !strings.Contains(out, `"alg": "none"`) {
		t.Errorf("decode of alg none: %d %q", code, out)
	}
}

// TestJWTCommandLine: help with examples, usage errors, a JWKS URL that
// fails.
func TestJWTCommandLine(t *testing.T) {
	t.Parallel()
	for _, sub := range []string{"jwks", "sign", "verify", "decode"} {
		code, out, _ := cli(t, "jwt", sub, "--help")
		if code != 0 || !strings.Contains(out, "usage: oauthgate jwt "+sub) || !strings.Contains(out, "\nexamples:\n") || !strings.Contains(out, "\n  oauthgate jwt "+sub+" ") {
			t.Errorf("jwt %s --help: %d %q", sub, code, out)
		}
	}
	if code, _, stderr := cli(t, "jwt", "verify", "x.y.z"); code != 2 || !strings.Contains(stderr, "give --jwks FILE|URL or --key FILE") {
		t.Errorf("verify without keys: %d %q", code, stderr)
	}
	key := pemkeytest.Write(t, pemkeytest.ECParamGenkey)
	if code, _, stderr := cli(t, "jwt", "sign", "--key", key, "--claims", "[1]"); code != 1 || !strings.Contains(stderr, "not a JSON object of claims") {
		t.Errorf("sign with an array: %d %q", code, stderr)
	}
	if code, _, stderr := cli(t, "jwt", "sign", "--key", key, "--claims", `{"exp":1}`, "--ttl", "1m"); code != 2 || !strings.Contains(stderr, "the claims have an exp") {
		t.Errorf("sign with exp and --ttl: %d %q", code, stderr)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write(bytes.Repeat([]byte(" "), 2<<20))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	for path, want := range map[string]string{"/missing": "answered 404 Not Found", "/big": "larger than 1048576 bytes"} {
		if code, _, stderr := cli(t, "jwt", "verify", "--jwks", srv.URL+path, "x.y.z"); code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("JWKS at %s: %d %q; want %q", path, code, stderr, want)
		}
	}
	if code, _, stderr := cli(t, "jwt", "verify", "--jwks", "http://keys.example.com/jwks", "x.y.z"); code != 1 || !strings.Contains(stderr, "http is allowed only for loopback hosts") {
		t.Errorf("http JWKS URL: %d %q", code, stderr)
	}
}
