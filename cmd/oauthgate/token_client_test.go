package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

// lockedBuffer is a log destination safe for the server and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startClientIdP starts a mock IdP with one client-credentials client,
// logging to logs.
func startClientIdP(t *testing.T, logs *lockedBuffer) *mockidp.Server {
	t.Helper()
	clients, err := mockidp.ParseClients([]byte(`clients:
  job:
    client_secret: "job-secret-value"
    audience: test-api
    sub: job-subject
    scope: "read:data write:data"
    permissions: [read:data]
    roles: reporter
`))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mockidp.NewServer(mockidp.Options{Clients: clients, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// accessClaims decodes the access token of a token answer without
// checking its signature (the mock IdP's keys are not the point here).
func accessClaims(t *testing.T, answer string) map[string]any {
	t.Helper()
	var resp struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal([]byte(answer), &resp); err != nil || resp.AccessToken == "" || resp.TokenType != "Bearer" {
		t.Fatalf("answer %q: %v", answer, err)
	}
	parts := strings.Split(resp.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", resp.AccessToken)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// TestTokenClient asks our mock IdP for client-credentials tokens with the
// secret in the form, in a Basic header, from the environment and from
// standard input. It sets an environment variable and standard input, so
// it does not run in parallel.
func TestTokenClient(t *testing.T) {
	var logs lockedBuffer
	srv := startClientIdP(t, &logs)
	tokenURL := srv.URL + "/token"
	t.Setenv("JOB_SECRET", "job-secret-value")
	var stderrs strings.Builder

	code, stdout, stderr := cli(t, "token", "client", "--url", tokenURL, "--id", "job", "--secret-env", "JOB_SECRET")
	stderrs.WriteString(stderr)
	if code != 0 {
		t.Fatalf("form: exit %d: %s", code, stderr)
	}
	c := accessClaims(t, stdout)
	if c["sub"] != "job-subject" || c["aud"] != "test-api" || c["scope"] != "read:data write:data" {
		t.Errorf("claims %v", c)
	}

	code, stdout, stderr = cliStdin(t, "job-secret-value\n", "token", "client", "--url", tokenURL, "--id", "job", "--secret-stdin",
		"--basic", "--scope", "read:data", "--audience", "test-api")
	stderrs.WriteString(stderr)
	if code != 0 {
		t.Fatalf("basic: exit %d: %s", code, stderr)
	}
	if c := accessClaims(t, stdout); c["scope"] != "read:data" {
		t.Errorf("claims %v", c)
	}
	if !strings.Contains(stdout, "\n  \"access_token\"") {
		t.Errorf("the JSON is not indented: %q", stdout)
	}

	code, _, stderr = cli(t, "token", "client", "--url", tokenURL, "--id", "job", "--secret", "wrong-secret-value", "--basic")
	stderrs.WriteString(stderr)
	if code != 1 || !strings.Contains(stderr, "invalid_client") || !strings.Contains(stderr, "401") {
		t.Errorf("wrong secret: %d %q", code, stderr)
	}
	code, _, stderr = cli(t, "token", "client", "--url", tokenURL, "--id", "job", "--secret-env", "JOB_SECRET", "--scope", "admin")
	stderrs.WriteString(stderr)
	if code != 1 || !strings.Contains(stderr, "invalid_scope") {
		t.Errorf("scope not granted: %d %q", code, stderr)
	}
	assertNoSecrets(t, []string{"job-secret-value"}, map[string]string{"command output": stderrs.String(), "IdP log": logs.String()})
}

func TestTokenClientUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"token", "client", "-h"}, 0, "--secret-env"},
		{[]string{"token", "-h"}, 0, "client"},
		{[]string{"token", "client"}, 2, "missing --url URL"},
		{[]string{"token", "client", "--url", "https://x.example/token"}, 2, "missing --id ID"},
		{[]string{"token", "client", "--url", "https://x.example/token", "--id", "a"}, 2, "missing the secret"},
		{[]string{"token", "client", "--url", "https://x.example/token", "--id", "a", "--secret", "s", "--secret-stdin"}, 2, "one way only"},
		{[]string{"token", "client", "--url", "ftp://x.example/token", "--id", "a", "--secret", "s"}, 2, "want an http(s) URL"},
		{[]string{"token", "client", "--url", "https://x.example/token", "--id", "a", "--secret", "s", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"token", "client", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"token", "client", "--url", "http://idp.example.com/token", "--id", "a", "--secret", "s"}, 1, "plain http"},
		{[]string{"token", "client", "--url", "https://x.example/token", "--id", "a", "--secret-env", "OAUTHGATE_SURELY_UNSET_SECRET"}, 1, "OAUTHGATE_SURELY_UNSET_SECRET"},
		{[]string{"token", "client", "--url", "http://127.0.0.1:1/token", "--id", "a", "--secret", "s", "--timeout", "2s"}, 1, "POST http://127.0.0.1:1/token"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.out) {
			t.Errorf("run %q = %d, output %q; want %d containing %q", tc.args, code, stdout.String()+stderr.String(), tc.code, tc.out)
		}
	}
}
