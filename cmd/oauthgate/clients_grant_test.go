package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/clientcreds"
)

// A stored client is only useful when the app runs the grant: add
// refuses a configuration that does not, naming the key that turns it on,
// and stores nothing.
func TestClientsAddNeedsTheGrant(t *testing.T) {
	t.Parallel()
	off := writeConfig(t, "")
	code, stdout, stderr := cli(t, "clients", "add", "--config", off, "--id", "nightly-job")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "client-credentials grant is off") ||
		!strings.Contains(stderr, "client_credentials:") || !strings.Contains(stderr, "token_ttl") {
		t.Errorf("add with the grant off: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(off), "caps.yaml.clients.yaml")); !os.IsNotExist(err) {
		t.Errorf("a client was stored: %v", err)
	}
	// Without base_url the issuer is the key to add.
	noBase := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(noBase, []byte(strings.Replace(testConfig, "base_url: https://app.example.com\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, "clients", "add", "--config", noBase); code != 1 || !strings.Contains(stderr, "issuer:") {
		t.Errorf("add without base_url: exit %d, stderr %s", code, stderr)
	}

	// With the grant on, the client added gets a token from the app.
	on := writeConfig(t, "client_credentials: {token_ttl: 1h}\n")
	s := &clientsSession{t: t}
	id, secret := s.credentials("add", "--config", on, "--id", "nightly-job")
	cfg, grant, err := clientcreds.Load(t.Context(), on, clientcreds.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer grant.Close()
	_ = cfg
	if _, err := grant.IssueToken(t.Context(), clientcreds.TokenRequest{ClientID: id, ClientSecret: secret}); err != nil {
		t.Errorf("the added client gets no token: %v", err)
	}
}
