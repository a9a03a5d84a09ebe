package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Keys of the test configurations: 32 random bytes, base64url.
const (
	testSecretKey   = "piYiEC8AatXLJZmnF1eFg3J4sxNlAfLzgyTk7zEoV6c"
	testPreviousKey = "k7Jq9vXyPz3mN2bR8tW5cL1dF6gH4sA0eU9iO7pQ2wE="
	testOtherKey    = "Wq3yX0m9T4b8nLr2Vd6sZk1Ch5Gf7Ju0Pe3Ai9Ox2Ny"
)

// testConfig is a valid configuration; %s is replaced by extra keys.
const testConfig = `# test configuration
server_metadata_url: https://idp.example.com/.well-known/openid-configuration
secret_key: ` + testSecretKey + `
previous_secret_keys: [` + testPreviousKey + `]
client_id: app
client_secret: GOCSPX-client-secret # from the console
base_url: https://app.example.com
capabilities:
  graph:
    read: []
    write: [read]
    moderate: [write]
    user_management: []
  user_file: caps.yaml
  default_capabilities: [read]
`

// writeConfig writes testConfig plus extra to a new folder and returns
// the configuration's path.
func writeConfig(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(testConfig+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeUserFile writes the user file beside the configuration at path.
func writeUserFile(t *testing.T, configPath, content string) string {
	t.Helper()
	path := filepath.Join(filepath.Dir(configPath), "caps.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cli runs the command line in process and returns its exit status and
// outputs.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// cliStdin is cli with standard input. It sets a package variable: tests
// using it must not be parallel.
func cliStdin(t *testing.T, input string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(input)
	defer func() { stdin = old }()
	return cli(t, args...)
}
