package clientcreds_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// The plaintext warning is for a secret written out in a file: a secret
// from the environment or a ~CRYPT~ value starts quietly, in the
// configuration and in a clients file.
func TestPlaintextSecretWarning(t *testing.T) {
	t.Setenv("NIGHTLY_JOB_SECRET", "s3cret-from-the-environment")
	t.Setenv(confdecode.PasswordEnv, "a long enough password")
	crypt := confdecode.Encrypt("a long enough password", "s3cret-encrypted")
	tests := []struct {
		name, secret string
		inFile       bool // in clients_file instead of clients:
		warn         bool
	}{
		{"environment", `"${NIGHTLY_JOB_SECRET}"`, false, false},
		{"encrypted", crypt, false, false},
		{"literal", `"s3cret-in-the-file"`, false, true},
		{"environment in clients_file", `"${NIGHTLY_JOB_SECRET}"`, true, false},
		{"literal in clients_file", `"s3cret-in-the-file"`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clients := "clients:\n  nightly-job:\n    client_secret: " + tt.secret + "\n"
			yml := ccYAML + clients
			if tt.inFile {
				if err := os.WriteFile(filepath.Join(dir, "clients.yaml"), []byte(clients), 0o600); err != nil {
					t.Fatal(err)
				}
				yml = ccYAML + "clients_file: clients.yaml\n"
			}
			cfg, cc, err := loadCC(t, dir, yml)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			if _, _, err := start(t, cfg, cc, clientcreds.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(logs.String(), "plaintext client secret"); got != tt.warn {
				t.Errorf("warned %v; want %v; logs:\n%s", got, tt.warn, logs.String())
			}
		})
	}
}
