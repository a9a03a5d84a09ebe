package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
)

func TestClientsUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"clients"}, 2, "usage: oauthgate clients"},
		{[]string{"clients", "-h"}, 0, "rotate-secret"},
		{[]string{"help", "clients"}, 0, "hash"},
		{[]string{"clients", "nope"}, 2, `unknown subcommand "nope"`},
		{[]string{"clients", "add", "-h"}, 0, "only its argon2id hash is stored"},
		{[]string{"clients", "add", "--help"}, 0, "-permissions"},
		{[]string{"clients", "list", "-h"}, 0, "Secrets and their hashes are never"},
		{[]string{"clients", "disable", "-h"}, 0, "revocation window"},
		{[]string{"clients", "enable", "-h"}, 0, "usage: oauthgate clients enable"},
		{[]string{"clients", "rotate-secret", "-h"}, 0, "new random secret"},
		{[]string{"clients", "remove", "-h"}, 0, "Deletes"},
		{[]string{"clients", "hash", "-h"}, 0, "argon2id"},
		{[]string{"clients", "add", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"clients", "add"}, 2, "missing --config FILE"},
		{[]string{"clients", "add", "--config", "a", "--file", "b"}, 2, "not both"},
		{[]string{"clients", "add", "--file", "x.yaml", "--id", "a:b"}, 2, "invalid client"},
		{[]string{"clients", "add", "--file", "x.yaml", "stray"}, 2, `unexpected argument "stray"`},
		{[]string{"clients", "list", "--file", "x.yaml", "a", "b"}, 2, `unexpected argument "b"`},
		{[]string{"clients", "disable", "--file", "x.yaml"}, 2, "missing ID"},
		{[]string{"clients", "enable", "--file", "x.yaml", "a", "b"}, 2, `unexpected argument "b"`},
		{[]string{"clients", "rotate-secret", "a"}, 2, "missing --config FILE"},
		{[]string{"clients", "remove", "--file", "x.yaml", ""}, 2, "empty ID"},
		{[]string{"clients", "hash"}, 2, "missing --config FILE"},
		{[]string{"clients", "hash", "--file", "a", "--config", "b"}, 2, "not both"},
		{[]string{"clients", "hash", "--file", "/nonexistent/clients.yaml"}, 1, "no such file"},
		{[]string{"clients", "list", "--config", "/nonexistent/config.yaml"}, 1, "no such file"},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.out) {
			t.Errorf("run %q = %d, output %q; want %d containing %q", tc.args, code, stdout+stderr, tc.code, tc.out)
		}
	}
}

// credentialsRE matches what add and rotate-secret print.
var credentialsRE = regexp.MustCompile(`^client_id:     (\S+)\nclient_secret: (\S+)\n$`)

// clientsSession runs clients commands and keeps everything they printed
// on stderr (the captured logs), for the no-plaintext check.
type clientsSession struct {
	t      *testing.T
	stderr strings.Builder
}

func (s *clientsSession) run(want int, args ...string) string {
	s.t.Helper()
	code, stdout, stderr := cli(s.t, append([]string{"clients"}, args...)...)
	s.stderr.WriteString(stderr)
	if code != want {
		s.t.Fatalf("clients %q: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, stdout, stderr)
	}
	return stdout
}

// credentials runs add or rotate-secret and returns the id and secret.
func (s *clientsSession) credentials(args ...string) (string, string) {
	s.t.Helper()
	m := credentialsRE.FindStringSubmatch(s.run(0, args...))
	if m == nil {
		s.t.Fatalf("clients %q printed no credentials", args)
	}
	return m[1], m[2]
}

// checkSecret checks secret against the stored hash of client id.
func checkSecret(t *testing.T, s store.ClientStore, id, secret string) bool {
	t.Helper()
	c, ok, err := s.Client(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("Client(%q) = %v, %v", id, ok, err)
	}
	match, err := clientcreds.CheckClientSecret(c.SecretHash, secret)
	if err != nil {
		t.Fatal(err)
	}
	return match
}

// The whole life of a client on the file store the configuration names,
// then the check that no secret reached the file or the logs.
func TestClientsLifecycleFile(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "client_credentials: {token_ttl: 1h}\n")
	storePath := filepath.Join(filepath.Dir(path), "caps.yaml.clients.yaml")
	s := &clientsSession{t: t}
	var secrets []string
	open := func() *filestore.ClientStore {
		st, err := filestore.OpenClientStore(storePath, filestore.Options{PollInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}

	id, secret := s.credentials("add", "--config", path, "--id", "reporting-job", "--scope", "read:data write:data",
		"--audience", "api,other", "--sub", "reporting", "--permissions", "read:data", "--roles", "r1,r2", "--groups", "east")
	secrets = append(secrets, secret)
	if id != "reporting-job" || len(secret) != 43 {
		t.Fatalf("add printed %q, %q", id, secret)
	}
	if !strings.Contains(s.stderr.String(), "shown only now") {
		t.Errorf("no warning that the secret is shown once: %q", s.stderr.String())
	}
	st := open()
	c, _, _ := st.Client(context.Background(), id)
	if !checkSecret(t, st, id, secret) || c.Subject != "reporting" || strings.Join(c.Scope, " ") != "read:data write:data" ||
		strings.Join(c.Audience, ",") != "api,other" || strings.Join(c.Roles, ",") != "r1,r2" || c.Groups[0] != "east" || c.Disabled {
		t.Fatalf("stored %+v", c)
	}

	// A random id; an existing id is refused.
	randomID, secret2 := s.credentials("add", "--file", storePath, "--scope", "read:data")
	secrets = append(secrets, secret2)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(randomID) || secret2 == secret {
		t.Fatalf("random id %q", randomID)
	}
	s.run(1, "add", "--config", path, "--id", "reporting-job")
	if !strings.Contains(s.stderr.String(), `client "reporting-job" exists`) {
		t.Errorf("no explanation of the refusal: %q", s.stderr.String())
	}

	out := s.run(0, "list", "--config", path)
	if !strings.Contains(out, "reporting-job") || !strings.Contains(out, randomID) || !strings.Contains(out, "enabled") || strings.Contains(out, "argon2") {
		t.Fatalf("list:\n%s", out)
	}
	s.run(0, "disable", "--config", path, "reporting-job")
	out = s.run(0, "list", "--config", path, "--json", "reporting-job")
	var views []map[string]any
	if err := json.Unmarshal([]byte(out), &views); err != nil || len(views) != 1 || views[0]["disabled"] != true || views[0]["sub"] != "reporting" {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if strings.Contains(out, "argon2") || strings.Contains(out, "secret") {
		t.Fatalf("list --json shows a secret or hash:\n%s", out)
	}
	if out := s.run(0, "list", "--config", path); !strings.Contains(out, "disabled") {
		t.Fatalf("list does not show the disabled state:\n%s", out)
	}
	if c, _, _ := open().Client(context.Background(), "reporting-job"); !c.Disabled {
		t.Fatal("disable did not reach the store")
	}
	s.run(0, "enable", "reporting-job", "--config", path)
	if c, _, _ := open().Client(context.Background(), "reporting-job"); c.Disabled {
		t.Fatal("enable did not reach the store")
	}

	_, rotated := s.credentials("rotate-secret", "--config", path, "reporting-job")
	secrets = append(secrets, rotated)
	st = open()
	if checkSecret(t, st, "reporting-job", secret) || !checkSecret(t, st, "reporting-job", rotated) {
		t.Fatal("after rotate-secret the old secret still works or the new one does not")
	}
	out = s.run(0, "rotate-secret", "--config", path, "--json", randomID)
	var creds map[string]string
	if err := json.Unmarshal([]byte(out), &creds); err != nil || creds["client_id"] != randomID || len(creds["client_secret"]) != 43 {
		t.Fatalf("rotate-secret --json: %v %q", err, out)
	}
	secrets = append(secrets, creds["client_secret"])

	s.run(0, "remove", "--config", path, randomID)
	s.run(1, "remove", "--config", path, randomID)
	s.run(1, "disable", "--config", path, randomID)
	if !strings.Contains(s.stderr.String(), "no client") {
		t.Errorf("no explanation: %q", s.stderr.String())
	}
	if out := s.run(0, "list", "--config", path); strings.Contains(out, randomID) {
		t.Fatalf("removed client still listed:\n%s", out)
	}

	// No plaintext secret in the store or in anything logged.
	assertNoSecrets(t, secrets, map[string]string{"store file": string(mustReadFile(t, storePath)), "stderr": s.stderr.String()})
}

// assertNoSecrets fails when any secret, or a long piece of one, appears
// in any of the texts.
func assertNoSecrets(t *testing.T, secrets []string, texts map[string]string) {
	t.Helper()
	if len(secrets) == 0 {
		t.Fatal("no secret to look for")
	}
	for _, secret := range secrets {
		for name, text := range texts {
			if strings.Contains(text, secret) || strings.Contains(text, secret[:16]) {
				t.Errorf("the %s holds a plaintext secret", name)
			}
		}
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestClientsConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(testAppConfig+"capabilities: {graph: {read: []}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(t, "clients", "list", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "user_file is not set") {
		t.Errorf("no user file: %d %q", code, stderr)
	}
	broken := filepath.Join(dir, "clients.yaml")
	if err := os.WriteFile(broken, []byte("clients:\n  c:\n    client_secret: plaintext-here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, "clients", "add", "--file", broken)
	if code != 1 || !strings.Contains(stderr, "not an argon2id hash") || strings.Contains(stderr, "plaintext-here") {
		t.Errorf("plaintext in the store file: %d %q", code, stderr)
	}
}

// clientsYAML is a configuration's clients section in
// simple_oauth_server's format, with every kind of secret value.
const clientsYAML = `# machine clients
clients:
  client1:
    client_secret: "client1-secret" # plaintext, as in simple_oauth_server
    audience: "test-api"
    sub: "client1-subject"
    scope: "read:data"
    permissions:
      - "read:data"
  client2: {client_secret: client2-secret, audience: test-api, roles: [a, b]}
  hashed:
    client_secret: $argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g
  crypted:
    client_secret: ~CRYPT~gAAAAABnot-really-encrypted
  from-env:
    client_secret: ${CLIENT_SECRET_FROM_ENV}
  dollar:
    client_secret: 'pa$${ss'
`

func TestClientsHash(t *testing.T) {
	t.Parallel()
	for _, flagName := range []string{"--file", "--config"} {
		t.Run(flagName, func(t *testing.T) {
			t.Parallel()
			content := clientsYAML
			if flagName == "--config" {
				content = testConfig + clientsYAML
			}
			path := filepath.Join(t.TempDir(), "file.yaml")
			if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := cli(t, "clients", "hash", flagName, path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, want := range []string{
				"clients.client1.client_secret: hashed\n", "clients.client2.client_secret: hashed\n",
				"clients.hashed.client_secret: left alone (already hashed)\n",
				"clients.crypted.client_secret: left alone (already encrypted)\n",
				"clients.from-env.client_secret: left alone (environment reference)\n",
				"clients.dollar.client_secret: hashed\n", ": 3 client secret(s) hashed\n",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, stdout)
				}
			}
			data := string(mustReadFile(t, path))
			for _, plain := range []string{"client1-secret", "client2-secret", "pa$${ss"} {
				if strings.Contains(data, plain) || strings.Contains(stdout+stderr, plain) {
					t.Errorf("%q is still in the file or the output", plain)
				}
			}
			for _, kept := range []string{"# machine clients", "# plaintext, as in simple_oauth_server", "~CRYPT~gAAAAABnot-really-encrypted",
				"${CLIENT_SECRET_FROM_ENV}", "client_secret: $argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"} {
				if !strings.Contains(data, kept) {
					t.Errorf("the rewrite lost %q:\n%s", kept, data)
				}
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("mode: %v %v", fi, err)
			}
			// Each hash matches its secret ("$${" is an escaped "${").
			hashes := regexp.MustCompile(`(client1|client2|dollar):\s*\{?\s*client_secret: ["']?(\$argon2id\$[^"'\s]+)`).FindAllStringSubmatch(data, -1)
			want := map[string]string{"client1": "client1-secret", "client2": "client2-secret", "dollar": "pa${ss"}
			if len(hashes) != 3 {
				t.Fatalf("found %d hashes:\n%s", len(hashes), data)
			}
			for _, h := range hashes {
				if ok, err := clientcreds.CheckClientSecret(h[2], want[h[1]]); err != nil || !ok {
					t.Errorf("%s: hash does not match its secret: %v", h[1], err)
				}
			}
			// Nothing left to do the second time.
			code, stdout, _ = cli(t, "clients", "hash", flagName, path)
			if code != 0 || !strings.Contains(stdout, "no plaintext client secret; file unchanged") {
				t.Errorf("second run: %d %q", code, stdout)
			}
		})
	}
}

// A simple_oauth_server clients file, once hashed, opens as a store.
func TestClientsHashMakesAStoreFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "clients.yaml")
	seed := "clients:\n  reader:\n    client_secret: \"s\"\n    audience: \"dev\"\n    sub: \"reader-1\"\n    scope: \"read:pets\"\n" +
		"  writer:\n    client_secret: \"s2\"\n    roles: [\"sales_manager\", \"sales_associate\"]\n    groups: east\n    scope: \"write:*\"\n"
	if err := os.WriteFile(path, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := filestore.OpenClientStore(path, filestore.Options{PollInterval: -1}); err == nil {
		t.Fatal("a store opened a file with plaintext secrets")
	}
	if code, _, stderr := cli(t, "clients", "hash", "--file", path); code != 0 {
		t.Fatalf("hash: %s", stderr)
	}
	st, err := filestore.OpenClientStore(path, filestore.Options{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !checkSecret(t, st, "reader", "s") || !checkSecret(t, st, "writer", "s2") {
		t.Fatal("the hashed file does not check the secrets")
	}
	code, stdout, _ := cli(t, "clients", "list", "--file", path)
	if code != 0 || !strings.Contains(stdout, "sales_manager,sales_associate") || !strings.Contains(stdout, "reader-1") {
		t.Fatalf("list: %d\n%s", code, stdout)
	}
}

func TestConfigCheckWarnsOfPlaintextClientSecrets(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, clientsYAML)
	code, _, stderr := cli(t, "config", "check", "--offline", "--config", path)
	for _, id := range []string{"client1", "client2", "dollar"} {
		want := "warning: clients." + id + ".client_secret is plaintext"
		if !strings.Contains(stderr, want) {
			t.Errorf("no warning %q:\n%s", want, stderr)
		}
	}
	var warnings, errs []string
	for _, line := range strings.Split(stderr, "\n") {
		switch {
		case strings.Contains(line, "warning:"):
			warnings = append(warnings, line)
		case strings.HasPrefix(line, "error:"):
			errs = append(errs, line)
		}
	}
	for _, id := range []string{"hashed", "crypted", "from-env"} {
		if strings.Contains(strings.Join(warnings, "\n"), "clients."+id+".") {
			t.Errorf("warning about %s:\n%s", id, stderr)
		}
	}
	if strings.Contains(stderr, "client1-secret") {
		t.Errorf("the warning quotes a secret:\n%s", stderr)
	}
	// Plaintext is a warning, not an error. The loader decodes every
	// secret, so the fake ~CRYPT~ value and the unset variable are errors
	// of their own, and the only ones.
	for _, e := range errs {
		if !strings.Contains(e, "clients.crypted.client_secret") && !strings.Contains(e, "clients.from-env.client_secret") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	}
	if code, _, _ := cli(t, "clients", "hash", "--config", path); code != 0 {
		t.Fatal("hash failed")
	}
	if _, _, stderr := cli(t, "config", "check", "--offline", "--config", path); strings.Contains(stderr, "client_secret is plaintext") {
		t.Errorf("still warns after hashing:\n%s", stderr)
	}
}

// A stored client whose id is also under the configuration's clients: would
// be hidden by it, so add refuses it instead of printing a secret that
// never works; any other id is stored.
func TestClientsAddRefusesAConfiguredID(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "clients:\n  reader: {client_secret: reader-plain, scope: \"read:data\"}\n")
	code, stdout, stderr := cli(t, "clients", "add", "--config", cfg, "--id", "reader")
	if code != 1 || stdout != "" || !strings.Contains(stderr, `client "reader" is under clients:`) {
		t.Errorf("add of a configured id: status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "caps.yaml.clients.yaml")); err == nil {
		if _, list, _ := cli(t, "clients", "list", "--config", cfg); strings.Contains(list, "reader") {
			t.Errorf("the hidden client was stored: %q", list)
		}
	}
	if code, _, stderr := cli(t, "clients", "add", "--config", cfg, "--id", "writer"); code != 0 {
		t.Errorf("add of another id: status %d, stderr %q", code, stderr)
	}
}
