package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/internal/pgtest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// networkConfig is a configuration whose identity provider and JWT
// issuers are at issuer (twice: by discovery and by jwks_url).
func networkConfig(t *testing.T, issuer string) string {
	t.Helper()
	cfg := strings.Replace(testConfig, "https://idp.example.com/.well-known/openid-configuration", issuer+"/.well-known/openid-configuration", 1)
	cfg += fmt.Sprintf(`jwt_issuers:
  - issuer: %[1]s
    audience: api
    discovery: true
  - issuer: %[1]s/keys-only
    audience: other
    jwks_url: %[1]s/jwks
`, issuer)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// lineOf returns the line of out that starts with prefix.
func lineOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// config check fetches the identity provider's discovery document and
// the JWT issuers' keys, prints a line for each, and fails once the
// provider is down; --offline skips them.
func TestConfigCheckIdentityProvider(t *testing.T) {
	t.Parallel()
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := networkConfig(t, idp.URL)
	provider := "identity provider " + idp.URL + " (server_metadata_url): "
	byDiscovery := "jwt issuer " + idp.URL + " (jwt_issuers[0], discovery): "
	byJWKS := "jwt issuer " + idp.URL + "/keys-only (jwt_issuers[1], jwks_url): "
	userFile := "file capabilities.user_file " + filepath.Join(filepath.Dir(path), "caps.yaml") + ": "

	code, stdout, stderr := cli(t, "config", "check", "--config", path)
	if code != 0 {
		t.Fatalf("provider up: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{provider + "ok", byDiscovery + "ok", byJWKS + "ok", userFile + "ok"} {
		if lineOf(stdout, want) != want {
			t.Errorf("provider up: no line %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stdout, "\nok: "+path+"\n") {
		t.Errorf("provider up: no verdict:\n%s", stdout)
	}

	idp.Close()
	code, stdout, stderr = cli(t, "config", "check", "--config", path)
	if code != 1 || !strings.Contains(stderr, "3 problem(s)") || strings.Contains(stdout, "ok: "+path) {
		t.Errorf("provider down: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, prefix := range []string{provider, byDiscovery, byJWKS} {
		if l := lineOf(stdout, prefix); !strings.HasPrefix(l, prefix+"failed: ") || !strings.Contains(l, "connection refused") {
			t.Errorf("provider down: line %q, want failed with the reason:\n%s", l, stdout)
		}
	}
	if l := lineOf(stdout, userFile); l != userFile+"ok" {
		t.Errorf("provider down: the file checks are not listed: %q\n%s", l, stdout)
	}

	code, stdout, stderr = cli(t, "config", "check", "--offline", "--config", path)
	if code != 0 || lineOf(stdout, provider) != "" || !strings.Contains(stdout, "network: skipped (--offline)\n") || lineOf(stdout, userFile) != userFile+"ok" {
		t.Errorf("--offline: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A discovery document that names another issuer, or lacks an endpoint
// the login needs, fails the check with the reason.
func TestConfigCheckDiscoveryDocument(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		doc    func(issuer string) map[string]any
		reason string
	}{
		{"other issuer", func(string) map[string]any {
			return map[string]any{"issuer": "https://other.example.com", "authorization_endpoint": "https://other.example.com/a",
				"token_endpoint": "https://other.example.com/t", "jwks_uri": "https://other.example.com/k"}
		}, "https://other.example.com"},
		{"no token endpoint", func(issuer string) map[string]any {
			return map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/a", "jwks_uri": issuer + "/k"}
		}, "token_endpoint"},
		{"not JSON", nil, "failed: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var url string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.doc == nil {
					fmt.Fprint(w, "<html>sign in</html>")
					return
				}
				_ = json.NewEncoder(w).Encode(tt.doc(url))
			}))
			defer srv.Close()
			url = srv.URL
			path := writeConfig(t, "")
			data, _ := os.ReadFile(path)
			data = []byte(strings.Replace(string(data), "https://idp.example.com", url, 1))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := cli(t, "config", "check", "--config", path)
			l := lineOf(stdout, "identity provider "+url)
			if code != 1 || !strings.Contains(l, ": failed: ") || !strings.Contains(l, tt.reason) {
				t.Errorf("exit %d, line %q, want failed naming %q\n%s%s", code, l, tt.reason, stdout, stderr)
			}
		})
	}
}

// A provider that accepts the connection but never answers fails within
// the check's timeout; the checks run at once, not one after the other.
func TestConfigCheckNetworkTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	code, stdout, stderr := cli(t, "config", "check", "--config", networkConfig(t, "http://"+ln.Addr().String()))
	took := time.Since(start)
	if code != 1 || strings.Count(stdout, ": failed: ") != 3 {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	if took > 9*time.Second {
		t.Errorf("took %s: want one timeout (5s) for all three checks", took)
	}
}

// noLoginConfig is a configuration without identity provider, plus extra.
func noLoginConfig(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := "secret_key: " + testSecretKey + "\ncapabilities:\n  graph: {read: []}\n" + extra
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// config check connects to the PostgreSQL store; a closed port fails it.
func TestConfigCheckPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const line = "store postgres (store.dsn): "
	path := noLoginConfig(t, fmt.Sprintf("store:\n  driver: postgres\n  dsn: %q\n", dsn))
	code, stdout, stderr := cli(t, "config", "check", "--config", path)
	if code != 0 || lineOf(stdout, line) != line+"ok" {
		t.Errorf("reachable: exit %d\n%s%s", code, stdout, stderr)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	path = noLoginConfig(t, fmt.Sprintf("store:\n  driver: postgres\n  dsn: \"postgres://postgres@%s/test?sslmode=disable\"\n", closed))
	code, stdout, stderr = cli(t, "config", "check", "--config", path)
	if l := lineOf(stdout, line); code != 1 || !strings.HasPrefix(l, line+"failed: ") || !strings.Contains(l, "refused") {
		t.Errorf("unreachable: exit %d, line %q\n%s%s", code, l, stdout, stderr)
	}
	if code, stdout, _ := cli(t, "config", "check", "--offline", "--config", path); code != 0 || lineOf(stdout, line) != "" {
		t.Errorf("unreachable, --offline: exit %d\n%s", code, stdout)
	}
}

// A file the program writes (capabilities.user_file) whose folder is
// missing or read-only is reported.
func TestConfigCheckWrittenFileFolder(t *testing.T) {
	t.Parallel()
	readOnly := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	if f, err := os.CreateTemp(readOnly, "probe"); err == nil {
		// root writes anyway: /proc refuses new files to everyone.
		f.Close()
		os.Remove(f.Name())
		readOnly = "/proc"
	}
	for name, dir := range map[string]string{"missing": filepath.Join(t.TempDir(), "nowhere"), "read-only": readOnly} {
		userFile := filepath.Join(dir, "caps.yaml")
		path := noLoginConfig(t, "  user_file: "+userFile+"\n")
		code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path)
		prefix := "file capabilities.user_file " + userFile + ": failed: "
		if l := lineOf(stdout, prefix); code != 1 || !strings.Contains(l, "cannot be created in "+dir) {
			t.Errorf("%s folder: exit %d, line %q\n%s%s", name, code, l, stdout, stderr)
		}
	}
}
