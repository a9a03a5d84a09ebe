package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// TestBinaryAuthorizeArticleToken: the built binary allows the token of a
// Lambda that signs with a PEM key (array scope, no aud, client_id and no
// sub) when its issuer has public_key_file and audience_required: false,
// refuses it with the default settings naming the reason, and `config
// check` warns about audience_required: false.
func TestBinaryAuthorizeArticleToken(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	keyPath := pemkeytest.Write(t, pemkeytest.RSAGenrsa)
	key, err := pemkey.ReadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "public_key.pem"), pemkeytest.OpenSSL(t, keyPEM, "pkey", "-pubout"), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{
		"iss": "https://auth.example.com", "client_id": "lambda-client", "scope": []string{"read:pets"},
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := obj.CompactSerialize()
	event := restEvent(tok, "GET/pets")

	exe := func(config string, input string, args ...string) (int, string, string) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(testConfig+config), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, append(args, "--config", path)...)
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
	issuer := "jwt_issuers:\n  - issuer: https://auth.example.com\n    audience: pets-api\n    public_key_file: public_key.pem\n"
	mappings := "gateway_authorizer:\n  auth_mappings:\n    read:pets:\n      - {method: GET, resourcePath: /pets}\n"

	code, stdout, stderr := exe(issuer+"    audience_required: false\n"+mappings, event, "authorize")
	if code != 0 {
		t.Fatalf("configured for it: %d\n%s", code, stderr)
	}
	var resp awsauthorizer.Response
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if resp.PrincipalID != "lambda-client" || len(resp.PolicyDocument.Statement) == 0 || resp.PolicyDocument.Statement[0].Effect != "Allow" {
		t.Fatalf("response:\n%s", stdout)
	}

	code, stdout, stderr = exe(issuer+mappings, event, "authorize")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "refused: auth: JWT without aud (the issuer's audience_required is true)") ||
		!strings.Contains(stderr, "Unauthorized") {
		t.Fatalf("default settings: %d %q\n%s", code, stdout, stderr)
	}

	code, _, stderr = exe(issuer+"    audience_required: false\n", "", "config", "check", "--offline")
	if code != 0 || !strings.Contains(stderr, "jwt_issuers[0].audience_required is false: tokens of https://auth.example.com without aud are accepted") {
		t.Fatalf("config check: %d\n%s", code, stderr)
	}
	code, _, stderr = exe(issuer, "", "config", "check", "--offline")
	if code != 0 || strings.Contains(stderr, "audience_required") {
		t.Fatalf("config check of the default: %d\n%s", code, stderr)
	}
}
