package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		path := writeConfig(t, "")
		writeUserFile(t, path, "boss@example.com: [moderate]\nbot@service: [read]\n")
		code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path)
		if code != 0 {
			t.Fatalf("status %d: %s", code, stderr)
		}
		for _, want := range []string{"ok: " + path, "mode:              browser login through the identity provider", "https://idp.example.com/", "client_id:         app", "(2 users)", "1 current, 1 previous", "5 in the graph (auto_admin on)"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		for _, secret := range []string{testSecretKey, testPreviousKey, "GOCSPX"} {
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("a secret is printed: %q", secret)
			}
		}
		if !strings.Contains(stderr, "warning: secret_key, client_secret, previous_secret_keys[0] stored in plaintext") ||
			!strings.Contains(stderr, "oauthgate config encrypt --config") {
			t.Errorf("no plaintext warning: %q", stderr)
		}
		if strings.Contains(stderr, "base_url") || strings.Contains(stderr, "force_user") {
			t.Errorf("unexpected warning: %q", stderr)
		}
	})
	t.Run("missing user file", func(t *testing.T) {
		t.Parallel()
		code, stdout, _ := cli(t, "config", "check", "--offline", "--config", writeConfig(t, ""))
		if code != 0 || !strings.Contains(stdout, "(missing; created by the first write)") {
			t.Errorf("status %d: %s", code, stdout)
		}
	})
	t.Run("warnings", func(t *testing.T) {
		t.Parallel()
		path := writeConfig(t, "force_user: dev@example.com\ninsecure_allow_force_user: true\n")
		data, _ := os.ReadFile(path)
		data = []byte(strings.Replace(string(data), "base_url: https://app.example.com\n", "", 1))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path)
		if code != 0 {
			t.Fatalf("status %d: %s", code, stderr)
		}
		for _, want := range []string{"base_url is empty", "force_user is set: every request is logged in as dev@example.com", "readable by every local user (mode 0644)"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if !strings.Contains(stdout, "identity provider: none: force_user dev@example.com") {
			t.Errorf("stdout: %s", stdout)
		}
	})
	for _, tc := range []struct {
		name, extra, mode, warning string
	}{
		{"no login, machine clients", "jwt_issuers: [{issuer: https://a.example, audience: api, jwks_url: https://a.example/keys}]\n",
			"mode:              no browser login: machine clients and service tokens", ""},
		{"no login, service tokens only", "",
			"mode:              no browser login: service tokens only", "only service tokens (`oauthgate token mint --service`) identify callers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var kept []string
			for _, line := range strings.SplitAfter(testConfig+tc.extra, "\n") {
				if !strings.HasPrefix(line, "server_metadata_url:") && !strings.HasPrefix(line, "client_id:") &&
					!strings.HasPrefix(line, "client_secret:") && !strings.HasPrefix(line, "base_url:") {
					kept = append(kept, line)
				}
			}
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(strings.Join(kept, "")), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path)
			if code != 0 {
				t.Fatalf("status %d: %s", code, stderr)
			}
			for _, want := range []string{tc.mode, "identity provider: none\n", "client_id:         (none)"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(stderr, "base_url") {
				t.Errorf("base_url warning without login: %s", stderr)
			}
			warned := strings.Contains(stderr, "no machine clients")
			if warned != (tc.warning != "") || !strings.Contains(stderr, tc.warning) {
				t.Errorf("stderr: %s; want warning %q", stderr, tc.warning)
			}
		})
	}
	for _, tc := range []struct {
		name, extra, userFile string
		want                  []string
	}{
		{"bad values", "cookie:\n  same_site: loose\nflow_ttl: 2d\n", "",
			[]string{"error: config: cookie.same_site:", "error: config: flow_ttl:", "2 problem(s)"}},
		{"unknown key", "secert_key: x\n", "",
			[]string{`secert_key: unknown key (did you mean "secret_key"?)`}},
		{"bad user file", "", "boss@example.com: [read, fly]\n",
			[]string{`unknown capability "fly"`, "caps.yaml", "1 problem(s)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.extra)
			if tc.userFile != "" {
				writeUserFile(t, path, tc.userFile)
			}
			code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path)
			if code != 1 || strings.Contains(stdout, "\nok: ") {
				t.Fatalf("status %d, stdout %q", code, stdout)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
	t.Run("bad graph", func(t *testing.T) {
		t.Parallel()
		path := writeConfig(t, "")
		data, _ := os.ReadFile(path)
		data = []byte(strings.Replace(string(data), "default_capabilities: [read]", "default_capabilities: [reed]", 1))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := cli(t, "config", "check", "--offline", "--config", path)
		if code != 1 || !strings.Contains(stderr, "capabilities.default_capabilities") || !strings.Contains(stderr, `"reed"`) {
			t.Errorf("status %d: %s", code, stderr)
		}
	})
}

// config check refuses upstreams that reach the same paths of one app
// under different rules (through the looser one, the stricter one's paths
// are open), naming both and a path; the same routes with the API on an
// app of its own pass.
func TestConfigCheckOverlappingUpstreams(t *testing.T) {
	t.Parallel()
	const upstreams = `prefix: /oauth2
upstreams:
  - {path_prefix: /api, url: "http://127.0.0.1:8000/v1", require: write, strip_prefix: true, login_redirect: false}
  - {path_prefix: /static, url: "http://127.0.0.1:8000", require: public}
  - {path_prefix: /, url: "http://127.0.0.1:8000", require: login}
  - {path_prefix: /reports, url: "https://reports.internal:8443", require: read}
`
	code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", writeConfig(t, upstreams))
	if code != 1 || strings.Contains(stdout, "\nok: ") {
		t.Fatalf("overlapping upstreams: status %d, stdout %q, stderr %q; want 1", code, stdout, stderr)
	}
	for _, want := range []string{"upstreams[0] (/api, require: write)", "upstreams[2] (/, require: login)", "http://127.0.0.1:8000/v1", "through /api and through /v1", "1 problem(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "upstreams[1]") || strings.Contains(stderr, "upstreams[3]") {
		t.Errorf("an upstream without overlap is named:\n%s", stderr)
	}
	safe := strings.Replace(upstreams, "127.0.0.1:8000/v1", "127.0.0.1:8001/v1", 1)
	if code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", writeConfig(t, safe)); code != 0 || !strings.Contains(stdout, "\nok: ") {
		t.Errorf("the API on its own app: status %d, %q %q", code, stdout, stderr)
	}
}

// config encrypt then auth.LoadConfig with the password gives back every
// value; comments, order, mode, symbolic links and ${ENV} references are
// kept; a second run changes nothing.
func TestConfigEncryptRoundTrip(t *testing.T) {
	t.Setenv("OAUTHGATE_TEST_DSN_PASSWORD", "pgpw")
	t.Setenv(confdecode.PasswordEnv, "")
	t.Setenv(confdecode.SerieuxPasswordEnv, "")
	extra := "client_kwargs:\n  prompt: select_account\nstore:\n  driver: postgres\n  dsn: postgres://app:${OAUTHGATE_TEST_DSN_PASSWORD}@db/app\n"
	path := writeConfig(t, extra)
	data, _ := os.ReadFile(path)
	data = []byte(strings.Replace(string(data), "client_secret: GOCSPX-client-secret", `client_secret: "GOCSPX-$${not-a-var}"`, 1))
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	link := path + ".link"
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	before, err := auth.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if before.ClientSecret != "GOCSPX-${not-a-var}" {
		t.Fatalf("client_secret = %q", before.ClientSecret)
	}

	if code, _, stderr := cli(t, "config", "encrypt", "--config", link); code != 1 || !strings.Contains(stderr, "set OAUTHGATE_PASSWORD (or SERIEUX_PASSWORD) or pass --password-stdin") {
		t.Fatalf("without a password: status %d, %s", code, stderr)
	}
	if now, _ := os.ReadFile(path); string(now) != string(data) {
		t.Fatal("the file changed without a password")
	}

	t.Setenv(confdecode.PasswordEnv, "correct horse")
	code, stdout, stderr := cli(t, "config", "encrypt", "--config", link)
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	for _, want := range []string{"secret_key: encrypted", "client_secret: encrypted", "previous_secret_keys[0]: encrypted",
		"store.dsn: left alone (environment reference)", "3 value(s) encrypted"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced: %v %v", fi.Mode(), err)
	}
	fi, err = os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", fi.Mode().Perm(), err)
	}
	encrypted, _ := os.ReadFile(path)
	text := string(encrypted)
	for _, secret := range []string{testSecretKey, testPreviousKey, "GOCSPX"} {
		if strings.Contains(text, secret) {
			t.Errorf("plaintext %q left in the file:\n%s", secret, text)
		}
	}
	for _, kept := range []string{"# test configuration\n", "# from the console", "${OAUTHGATE_TEST_DSN_PASSWORD}", "  prompt: select_account\n"} {
		if !strings.Contains(text, kept) {
			t.Errorf("%q lost:\n%s", kept, text)
		}
	}
	if strings.Index(text, "server_metadata_url") > strings.Index(text, "secret_key") || strings.Index(text, "client_id") > strings.Index(text, "client_secret") {
		t.Errorf("keys reordered:\n%s", text)
	}

	after, err := auth.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.SecretKey != before.SecretKey || after.ClientSecret != before.ClientSecret ||
		len(after.PreviousSecretKeys) != 1 || after.PreviousSecretKeys[0] != before.PreviousSecretKeys[0] ||
		after.Store.DSN != "postgres://app:pgpw@db/app" || after.String() != before.String() {
		t.Errorf("values changed:\nbefore %v\nafter  %v", before, after)
	}

	t.Setenv(confdecode.PasswordEnv, "wrong password")
	if _, err := auth.LoadConfig(path); !strings.Contains(errText(err), "wrong password") {
		t.Errorf("a wrong password: %v", err)
	}
	code, stdout, _ = cli(t, "config", "encrypt", "--config", path)
	if again, _ := os.ReadFile(path); code != 0 || string(again) != text || !strings.Contains(stdout, "nothing to encrypt") {
		t.Errorf("second run: status %d, %s", code, stdout)
	}
	if code, _, stderr := cli(t, "config", "check", "--offline", "--config", path); code != 1 || !strings.Contains(stderr, "secret_key: cannot decrypt") {
		t.Errorf("check with a wrong password: %d %s", code, stderr)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestConfigEncryptKeys(t *testing.T) {
	t.Setenv(confdecode.PasswordEnv, "pw-long-enough")
	path := writeConfig(t, "")
	code, stdout, stderr := cli(t, "config", "encrypt", "--config", path, "--keys", "client_id")
	if code != 0 || !strings.Contains(stdout, "client_id: encrypted") || strings.Contains(stdout, "secret_key") {
		t.Fatalf("status %d: %s %s", code, stdout, stderr)
	}
	cfg, err := auth.LoadConfig(path)
	if err != nil || cfg.ClientID != "app" || cfg.ClientSecret != "GOCSPX-client-secret" {
		t.Fatalf("%v %+v", err, cfg)
	}
	text, _ := os.ReadFile(path)
	if !strings.Contains(string(text), "client_secret: GOCSPX-client-secret") {
		t.Errorf("client_secret changed:\n%s", text)
	}
	for _, tc := range []struct{ keys, want string }{
		{"client_id,nope", "nope: no such key"},
		{"capabilities", "capabilities: is a mapping"},
		{"client_kwargs.scope", "client_kwargs.scope: no such key"},
	} {
		code, _, stderr := cli(t, "config", "encrypt", "--config", path, "--keys", tc.keys)
		if now, _ := os.ReadFile(path); code != 1 || !strings.Contains(stderr, tc.want) || string(now) != string(text) {
			t.Errorf("--keys %s: status %d, %s", tc.keys, code, stderr)
		}
	}
}

func TestConfigEncryptPasswordStdin(t *testing.T) {
	t.Setenv(confdecode.PasswordEnv, "")
	path := writeConfig(t, "")
	if code, _, stderr := cliStdin(t, "\n", "config", "encrypt", "--config", path, "--password-stdin"); code != 1 || !strings.Contains(stderr, "no password on standard input") {
		t.Fatalf("empty password: %d %s", code, stderr)
	}
	if code, _, stderr := cliStdin(t, "from stdin, long\r\nignored\n", "config", "encrypt", "--config", path, "--password-stdin"); code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	t.Setenv(confdecode.PasswordEnv, "from stdin, long")
	cfg, err := auth.LoadConfig(path)
	if err != nil || cfg.ClientSecret != "GOCSPX-client-secret" {
		t.Fatalf("%v", err)
	}
}

func TestConfigEncryptValue(t *testing.T) {
	t.Setenv(confdecode.PasswordEnv, "pw-long-enough")
	code, stdout, stderr := cliStdin(t, "s3cret value\n", "config", "encrypt", "--value")
	if code != 0 || !strings.HasPrefix(stdout, confdecode.CryptPrefix) || stderr != "" {
		t.Fatalf("status %d: %q %q", code, stdout, stderr)
	}
	plain, err := confdecode.Decrypt("pw-long-enough", strings.TrimSpace(stdout))
	if err != nil || plain != "s3cret value" {
		t.Errorf("decrypts to %q, %v", plain, err)
	}
	if _, err := confdecode.Decrypt("other", strings.TrimSpace(stdout)); !errors.Is(err, confdecode.ErrWrongPassword) {
		t.Errorf("another password: %v", err)
	}
	if code, _, stderr := cliStdin(t, "", "config", "encrypt", "--value"); code != 1 || !strings.Contains(stderr, "no value") {
		t.Errorf("empty value: %d %s", code, stderr)
	}
}

func TestEncryptConfigDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"alias", "a: &x s3cret\nsecret_key: *x\n", "is an alias"},
		{"not a mapping", "- a\n", "not a YAML mapping"},
		{"two documents", "a: 1\n---\nb: 2\n", "more than one YAML document"},
		{"empty", "", "empty configuration"},
		{"bad yaml", "a: [\n", "invalid YAML"},
		{"nested list", "previous_secret_keys: [[a]]\n", "previous_secret_keys[0]: expected a single value"},
	} {
		_, _, err := encryptConfig([]byte(tc.yaml), defaultSecretKeys, false, "pw")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
}

// A number stays the same text once decrypted; quoting and indentation
// are kept. (Not parallel: the password comes from the environment.)
func TestEncryptConfigNumber(t *testing.T) {
	out, report, err := encryptConfig([]byte("secret_key: 1234567890\nstore:\n    dsn: 'x y'\n    driver: postgres\n"), defaultSecretKeys, false, "pw-long-enough")
	if err != nil || report.encrypted != 2 || !strings.Contains(string(out), "\n    dsn: '~CRYPT~") {
		t.Fatalf("%v %d\n%s", err, report.encrypted, out)
	}
	t.Setenv(confdecode.PasswordEnv, "pw-long-enough")
	cfg, err := auth.ParseConfig(append(out, "force_user: a@b.c\ninsecure_allow_force_user: true\n"...))
	if cfg != nil || err == nil || !strings.Contains(err.Error(), "secret_key: too short") {
		t.Errorf("the number did not decrypt as its text: %v", err)
	}
}

// config encrypt leaves the secrets of clients: alone and points at
// clients hash for the plaintext ones: a hash serves and needs no password.
func TestConfigEncryptClientSecrets(t *testing.T) {
	t.Setenv(confdecode.PasswordEnv, "pw-long-enough")
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(testConfig+clientsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, "config", "encrypt", "--config", path)
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	hint := "left alone (a client's secret is only checked, so hash it instead: oauthgate clients hash)"
	for _, id := range []string{"client1", "client2", "dollar"} {
		if want := "clients." + id + ".client_secret: " + hint; !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, id := range []string{"hashed", "crypted", "from-env"} {
		if strings.Contains(stdout, "clients."+id+".") {
			t.Errorf("%s is not plaintext, yet named:\n%s", id, stdout)
		}
	}
	if !strings.Contains(stdout, "client_secret: encrypted") {
		t.Errorf("the app's own client_secret was not encrypted:\n%s", stdout)
	}
	data := string(mustReadFile(t, path))
	for _, kept := range []string{`client_secret: "client1-secret"`, "client_secret: client2-secret", `client_secret: 'pa$${ss'`} {
		if !strings.Contains(data, kept) {
			t.Errorf("a client's secret changed, %q is gone:\n%s", kept, data)
		}
	}

	// Naming one with --keys is refused, the file untouched.
	code, _, stderr = cli(t, "config", "encrypt", "--config", path, "--keys", "clients.client1.client_secret")
	if now := string(mustReadFile(t, path)); code != 1 || !strings.Contains(stderr, "oauthgate clients hash") || now != data {
		t.Errorf("--keys clients.client1.client_secret: status %d, %s", code, stderr)
	}

	// Once hashed, nothing is left to say.
	if code, _, stderr := cli(t, "clients", "hash", "--config", path); code != 0 {
		t.Fatalf("clients hash: %d %s", code, stderr)
	}
	code, stdout, _ = cli(t, "config", "encrypt", "--config", path)
	if code != 0 || strings.Contains(stdout, "clients.") || !strings.Contains(stdout, "nothing to encrypt") {
		t.Errorf("after clients hash: status %d\n%s", code, stdout)
	}

	_, stdout, _ = cli(t, "config", "encrypt", "-h")
	if !strings.Contains(stdout, "A hash needs no encryption") {
		t.Errorf("the usage does not say why clients' secrets are left alone:\n%s", stdout)
	}
}
