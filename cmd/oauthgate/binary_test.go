package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// The built binary: exit statuses, a pipe from token mint to token
// inspect, and a password on standard input.
func TestBinaryTools(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	exe := func(input string, env []string, args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
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
	path := writeConfig(t, "")

	if code, stdout, _ := exe("", nil, "keygen"); code != 0 || len(strings.TrimSpace(stdout)) != 43 {
		t.Errorf("keygen: %d %q", code, stdout)
	}
	if code, _, stderr := exe("", nil, "token", "mint", "--bogus"); code != 2 || !strings.Contains(stderr, "usage: oauthgate token mint") {
		t.Errorf("bad flag: %d %q", code, stderr)
	}
	code, tok, _ := exe("", nil, "token", "mint", "--config", path, "--service", "bot@service", "--caps", "write")
	if code != 0 {
		t.Fatalf("mint: status %d", code)
	}
	if code, stdout, stderr := exe(tok, nil, "token", "inspect", "--config", path); code != 0 || !strings.Contains(stdout, "capabilities:  read, write\n") {
		t.Errorf("inspect: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := exe("", nil, "caps", "add", "--config", path, "a@example.com", "nope"); code != 1 || !strings.HasPrefix(stderr, "oauthgate caps add: ") {
		t.Errorf("caps add: %d %q", code, stderr)
	}
	if code, _, stderr := exe("pw-long-enough\n", nil, "config", "encrypt", "--config", path, "--password-stdin"); code != 0 {
		t.Fatalf("encrypt: %d %q", code, stderr)
	}
	if code, _, stderr := exe("", nil, "config", "check", "--offline", "--config", path); code != 1 || !strings.Contains(stderr, confdecode.PasswordEnv+" is not set") {
		t.Errorf("check without the password: %d %q", code, stderr)
	}
	if code, stdout, stderr := exe("", []string{confdecode.PasswordEnv + "=pw-long-enough"}, "config", "check", "--offline", "--config", path); code != 0 || !strings.Contains(stdout, "\nok: ") || strings.Contains(stderr, "plaintext") {
		t.Errorf("check: %d %q %q", code, stdout, stderr)
	}

	// Machine clients: a store file, a hashed seed file, a token.
	dir := t.TempDir()
	store := filepath.Join(dir, "clients.yaml")
	code, stdout, stderr := exe("", nil, "clients", "add", "--file", store, "--id", "bin-job")
	if m := credentialsRE.FindStringSubmatch(stdout); code != 0 || m == nil || m[1] != "bin-job" {
		t.Errorf("clients add: %d %q %q", code, stdout, stderr)
	} else if data, _ := os.ReadFile(store); strings.Contains(string(data), m[2]) || !strings.Contains(string(data), "$argon2id$") {
		t.Errorf("the store file holds the secret, or no hash:\n%s", data)
	}
	if code, stdout, _ := exe("", nil, "clients", "list", "--file", store); code != 0 || !strings.Contains(stdout, "bin-job") {
		t.Errorf("clients list: %d %q", code, stdout)
	}
	if code, _, stderr := exe("", nil, "clients", "bogus"); code != 2 || !strings.Contains(stderr, "usage: oauthgate clients") {
		t.Errorf("clients bogus: %d %q", code, stderr)
	}
	seed := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seed, []byte("clients:\n  c1:\n    client_secret: \"client1-secret\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := exe("", nil, "clients", "hash", "--file", seed); code != 0 || !strings.Contains(stdout, "1 client secret(s) hashed") {
		t.Errorf("clients hash: %d %q", code, stdout)
	}
	var logs lockedBuffer
	idp := startClientIdP(t, &logs)
	code, stdout, stderr = exe("job-secret-value\n", nil, "token", "client", "--url", idp.URL+"/token", "--id", "job", "--secret-stdin")
	if code != 0 || accessClaims(t, stdout)["sub"] != "job-subject" {
		t.Errorf("token client: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := exe("", nil, "token", "client", "--url", idp.URL+"/token", "--id", "job", "--secret", "nope"); code != 1 || !strings.Contains(stderr, "invalid_client") {
		t.Errorf("token client with a wrong secret: %d %q", code, stderr)
	}

	// authorize: an event on stdin, the response on stdout; Unauthorized
	// exits 1, a malformed AUTH0_AUTH_MAPPINGS stops it at start-up.
	authPath, event := authorizeSetup(t)
	if code, stdout, stderr := exe(event, nil, "authorize", "--config", authPath); code != 0 || !strings.Contains(stdout, `"principalId": "reader-1"`) {
		t.Errorf("authorize: %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := exe(restEvent("x.y.z", "GET/pets"), nil, "authorize", "--config", authPath); code != 1 || stdout != "" || !strings.HasPrefix(stderr, "oauthgate authorize: refused: ") || !strings.HasSuffix(stderr, "oauthgate authorize: Unauthorized\n") {
		t.Errorf("authorize, bad token: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := exe(event, []string{awsauthorizer.AuthMappingsEnv + "={"}, "authorize", "--config", authPath); code != 1 || !strings.Contains(stderr, awsauthorizer.AuthMappingsEnv) {
		t.Errorf("authorize, bad %s: %d %q", awsauthorizer.AuthMappingsEnv, code, stderr)
	}
	if code, _, stderr := exe("", nil, "authorize"); code != 2 || !strings.Contains(stderr, "missing --config") {
		t.Errorf("authorize without --config: %d %q", code, stderr)
	}
}
