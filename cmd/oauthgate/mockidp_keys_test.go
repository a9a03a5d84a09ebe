package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// --signing-key, --jwt-access-tokens and --cors-any from the command line:
// an openssl Ed25519 key signs (EdDSA), the code flow's access token is a
// JWT, and a page of any origin passes the CORS preflight.
func TestMockIDPSigningKeyJWTAccessCORS(t *testing.T) {
	t.Parallel()
	keyFile := pemkeytest.Write(t, pemkeytest.Ed25519Genpkey)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mockidp", "--addr", "127.0.0.1:0", "--signing-key", keyFile, "--jwt-access-tokens", "--cors-any"}, pw, io.Discard)
		pw.Close()
	}()
	issuer, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit code %d", code)
		}
	}()
	issuer = strings.TrimSpace(issuer)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	var jwks struct {
		Keys []struct{ Kty, Crv, Alg string }
	}
	if err := json.NewDecoder(get(issuer + "/jwks").Body).Decode(&jwks); err != nil || len(jwks.Keys) != 1 ||
		jwks.Keys[0].Alg != "EdDSA" || jwks.Keys[0].Crv != "Ed25519" {
		t.Fatalf("JWKS: %v %+v", err, jwks)
	}
	loc, err := url.Parse(get(issuer + "/authorize?" + url.Values{"client_id": {mockidp.DemoClientID}, "response_type": {"code"},
		"scope": {"openid"}, "redirect_uri": {"http://127.0.0.1:9/cb"}}.Encode()).Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %v %v", err, loc)
	}
	req, _ := http.NewRequest("POST", issuer+"/token", strings.NewReader(url.Values{"grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:9/cb"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(mockidp.DemoClientID, mockidp.DemoClientSecret)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || strings.Count(tok.AccessToken, ".") != 2 {
		t.Fatalf("token: %v %q", err, tok.AccessToken)
	}
	req, _ = http.NewRequest("OPTIONS", issuer+"/token", nil)
	req.Header.Set("Origin", "https://spa.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	pre, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://spa.example" {
		t.Fatalf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
}

func TestMockIDPSigningKeyRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, want string
	}{
		{"P-384", pemkeytest.Write(t, pemkeytest.ECParamP384), "use RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA)"},
		{"public key", pemkeytest.Write(t, pemkeytest.PublicPKIX), "--signing-key"},
		{"missing", t.TempDir() + "/none.pem", "--signing-key"},
	} {
		code, stderr, started := startMockIDP(t, "--addr", "127.0.0.1:0", "--signing-key", tc.file)
		if started || code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: started %v, exit %d, stderr %q; want a failure with %q", tc.name, started, code, stderr, tc.want)
		}
	}
	code, stderr, started := startMockIDP(t, "--addr", "127.0.0.1:0", "--signing-key", pemkeytest.Write(t, pemkeytest.ECGenpkey), "--alg", "RS256")
	if started || code == 0 || !strings.Contains(stderr, "signs with ES256, not RS256") {
		t.Errorf("EC key with --alg RS256: started %v, exit %d, stderr %q", started, code, stderr)
	}
	_, stdout, _ := cli(t, "mockidp", "-h")
	for _, flag := range []string{"-signing-key", "-jwt-access-tokens", "-cors-any", "EdDSA"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("mockidp -h does not list %s", flag)
		}
	}
}
