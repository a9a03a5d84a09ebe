package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// Every flag combination config encrypt's usage shows works: each
// synopsis line, with its optional flags and without, exits 0.
func TestConfigEncryptUsageLinesWork(t *testing.T) {
	_, usage, _ := cli(t, "config", "encrypt", "-h")
	var synopses []string
	for _, line := range strings.Split(usage, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "usage:"))
		if strings.HasPrefix(line, "oauthgate config encrypt") {
			synopses = append(synopses, strings.TrimPrefix(line, "oauthgate config encrypt"))
		}
	}
	if len(synopses) < 2 {
		t.Fatalf("usage shows %d synopses:\n%s", len(synopses), usage)
	}
	optional := regexp.MustCompile(`\[([^\]]*)\]`)
	const password = "correct horse battery staple"
	for _, synopsis := range synopses {
		for _, withOptional := range []bool{false, true} {
			line := optional.ReplaceAllStringFunc(synopsis, func(m string) string {
				if withOptional {
					return strings.Trim(m, "[]")
				}
				return ""
			})
			line, input, _ := strings.Cut(line, "<")
			path := writeConfig(t, "")
			var args []string
			for _, f := range strings.Fields(line) {
				switch f {
				case "FILE":
					f = path
				case "K1,K2":
					f = "secret_key,client_secret"
				}
				args = append(args, f)
			}
			stdinText := ""
			if strings.Contains(line, "--password-stdin") {
				stdinText = password + "\n"
				t.Setenv(confdecode.PasswordEnv, "")
			} else {
				t.Setenv(confdecode.PasswordEnv, password)
			}
			if strings.TrimSpace(input) != "" {
				stdinText += "a secret value\n"
			}
			code, _, stderr := cliStdin(t, stdinText, append([]string{"config", "encrypt"}, args...)...)
			if code != 0 {
				t.Errorf("usage shows `oauthgate config encrypt%s`; `config encrypt %s` exits %d: %s", synopsis, strings.Join(args, " "), code, stderr)
			}
		}
	}
}

// A password under 12 characters is refused unless
// --insecure-short-password says that it is meant.
func TestConfigEncryptShortPassword(t *testing.T) {
	path := writeConfig(t, "")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(confdecode.PasswordEnv, "eleven char")
	for _, args := range [][]string{
		{"config", "encrypt", "--config", path},
		{"config", "encrypt", "--value"},
	} {
		code, stdout, stderr := cliStdin(t, "value\n", args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "at least 12 characters") || !strings.Contains(stderr, "--insecure-short-password") {
			t.Errorf("%q with an 11-character password: status %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	t.Setenv(confdecode.PasswordEnv, "")
	if code, _, stderr := cliStdin(t, "short\n", "config", "encrypt", "--config", path, "--password-stdin"); code != 1 || !strings.Contains(stderr, "at least 12 characters") {
		t.Errorf("short password on standard input: status %d, %q", code, stderr)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the file changed after a refused password:\n%s", after)
	}
	// Counted in characters, not bytes: 11 runes of 2 bytes are short.
	t.Setenv(confdecode.PasswordEnv, strings.Repeat("é", 11))
	if code, _, _ := cli(t, "config", "encrypt", "--config", path); code != 1 {
		t.Errorf("11 two-byte characters: status %d; want 1", code)
	}
	// Meant: an old file's password (easy-oauth had no minimum).
	t.Setenv(confdecode.PasswordEnv, "pw")
	code, stdout, stderr := cli(t, "config", "encrypt", "--config", path, "--insecure-short-password")
	if code != 0 || !strings.Contains(stdout, "encrypted") || !strings.Contains(stderr, "warning") {
		t.Errorf("--insecure-short-password: status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(filepath.Clean(path)); !strings.Contains(string(data), "~CRYPT~") {
		t.Errorf("nothing encrypted:\n%s", data)
	}
}
