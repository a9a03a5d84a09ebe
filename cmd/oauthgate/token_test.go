package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
)

// openWith opens tok with the test configuration's keys, as the app does.
func openWith(t *testing.T, tok string) auth.TokenInfo {
	t.Helper()
	c, err := auth.InspectToken(&auth.Config{SecretKey: testSecretKey, PreviousSecretKeys: []string{testPreviousKey}}, tok)
	if err != nil {
		t.Fatalf("the app's keys do not open the token: %v", err)
	}
	return c
}

func TestTokenMintInspectUser(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "")
	code, tok, stderr := cli(t, "token", "mint", "--config", path, "--user", "Boss@Example.com", "--ttl", "2h")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	tok = strings.TrimSpace(tok)
	if !strings.Contains(stderr, "warning: user token for boss@example.com minted offline") {
		t.Errorf("no offline warning: %q", stderr)
	}
	c := openWith(t, tok)
	if c.Kind != auth.KindUser || c.Subject != "boss@example.com" || c.ExpiresAt.Sub(c.IssuedAt) != 2*time.Hour ||
		len(c.Capabilities) != 0 || c.Recheck || c.ID == "" || !strings.Contains(stderr, "id "+c.ID) {
		t.Errorf("claims %+v", c)
	}

	code, stdout, stderr := cli(t, "token", "inspect", "--config", path, tok)
	if code != 0 || stderr != "" {
		t.Fatalf("inspect: status %d: %s", code, stderr)
	}
	for _, want := range []string{
		"purpose:       user-token\n", "kind:          user\n", "subject:       boss@example.com\n", "id:            " + c.ID + "\n",
		"issued:        " + c.IssuedAt.UTC().Format(time.RFC3339) + "\n", "expires:       " + c.ExpiresAt.UTC().Format(time.RFC3339) + " (in ",
		"refresh token: no\n", "status:        valid",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "capabilities:") {
		t.Errorf("a user token shows capabilities:\n%s", stdout)
	}
}

func TestTokenMintInspectService(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "")
	data, _ := os.ReadFile(path)
	data = []byte(strings.Replace(string(data), "  default_capabilities: [read]\n",
		"  default_capabilities: [read]\n  user_overrides:\n    bot@service: [user_management]\n", 1))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	writeUserFile(t, path, "bot@service: [write]\nidle@service: []\n")

	for _, tc := range []struct {
		name     string
		args     []string
		snapshot []string
		warning  string
	}{
		{"stored", []string{"--service", "Bot@service"}, []string{"read", "user_management", "write"}, ""},
		{"closure of --caps", []string{"--service", "bot@service", "--caps", "moderate"}, []string{"moderate", "read", "write"}, "bot@service does not hold moderate now"},
		{"--caps within holdings", []string{"--service", "bot@service", "--caps", "read"}, []string{"read"}, ""},
		{"defaults only", []string{"--service", "idle@service"}, []string{"read"}, ""},
		{"unknown account", []string{"--service", "new@service", "--ttl", "7d"}, []string{"read"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, tok, stderr := cli(t, append([]string{"token", "mint", "--config", path}, tc.args...)...)
			if code != 0 {
				t.Fatalf("status %d: %s", code, stderr)
			}
			c := openWith(t, strings.TrimSpace(tok))
			if c.Kind != auth.KindService || !strings.HasSuffix(c.Subject, "@service") || !slices.Equal(c.Capabilities, tc.snapshot) {
				t.Errorf("claims %+v; want snapshot %q", c, tc.snapshot)
			}
			if !strings.Contains(stderr, "minted offline") || tc.warning != "" && !strings.Contains(stderr, tc.warning) {
				t.Errorf("stderr %q; want %q", stderr, tc.warning)
			}
			// As an Authorization header's value.
			code, stdout, stderr := cli(t, "token", "inspect", "--config", path, "Bearer "+tok)
			if code != 0 {
				t.Fatalf("inspect: status %d: %s", code, stderr)
			}
			for _, want := range []string{"kind:          service\n", "subject:       " + c.Subject + "\n", "capabilities:  " + strings.Join(tc.snapshot, ", ") + "\n"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("inspect lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}

func TestTokenMintErrors(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "")
	pg := writeConfig(t, "store:\n  driver: postgres\n  dsn: postgres://db/app\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown capability", []string{"--config", path, "--service", "bot@service", "--caps", "read,fly"}, `unknown capability "fly"`},
		{"postgres without --caps", []string{"--config", pg, "--service", "bot@service"}, "PostgreSQL"},
		{"bad config", []string{"--config", path + ".missing", "--user", "a@b.c"}, "cannot read the configuration file"},
	} {
		code, stdout, stderr := cli(t, append([]string{"token", "mint"}, tc.args...)...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: status %d, stdout %q, stderr %q", tc.name, code, stdout, stderr)
		}
	}
	// With --caps, a PostgreSQL configuration mints.
	if code, _, stderr := cli(t, "token", "mint", "--config", pg, "--service", "bot@service", "--caps", "read"); code != 0 {
		t.Errorf("postgres with --caps: %d %s", code, stderr)
	}
	// Longer than token_ttl, outside the allowed domains: minted, with warnings.
	dom := writeConfig(t, "allowed_email_domains: [example.com]\ntoken_ttl: 1d\n")
	code, _, stderr := cli(t, "token", "mint", "--config", dom, "--user", "a@other.org", "--ttl", "2d")
	if code != 0 || !strings.Contains(stderr, "outside allowed_email_domains") || !strings.Contains(stderr, "longer than token_ttl (1d)") {
		t.Errorf("status %d: %s", code, stderr)
	}
}

func TestTokenInspectRefused(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "")
	now := time.Now().Truncate(time.Second)
	mint := func(secret string, info auth.TokenInfo) string {
		tok, err := auth.MintToken(&auth.Config{SecretKey: secret}, info)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	user := auth.TokenInfo{Kind: auth.KindUser, Subject: "u@example.com", IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)}
	expired := user
	expired.ExpiresAt = now.Add(-time.Minute)
	withClaims := user
	withClaims.Claims = map[string][]string{"username": {"xtof"}, "groups": {"a", "b"}}

	for _, tc := range []struct {
		name, tok string
		code      int
		stdout    []string
		stderr    string
	}{
		{"current key", mint(testSecretKey, user), 0, []string{"subject:       u@example.com", "refresh token: no"}, ""},
		{"previous key", mint(testPreviousKey, user), 0, []string{"subject:       u@example.com"}, ""},
		{"claims", mint(testSecretKey, withClaims), 0, []string{"claims:        groups=a|b, username=xtof\n"}, ""},
		{"expired", mint(testSecretKey, expired), 1,
			[]string{"subject:       u@example.com", "status:        EXPIRED", " ago)\n"}, "token expired at " + expired.ExpiresAt.UTC().Format(time.RFC3339)},
		{"other key", mint(testOtherKey, user), 1, nil, "does not open with this configuration's keys"},
		{"malformed", "not*a*token", 1, nil, "not a token: auth: user-token: bad length"},
		{"empty", "   ", 1, nil, "no token given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := cli(t, "token", "inspect", "--config", path, tc.tok)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) || tc.code == 1 && !strings.HasPrefix(stderr, "oauthgate token inspect: ") {
				t.Fatalf("status %d, stderr %q; want %d, %q", code, stderr, tc.code, tc.stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(stdout+stderr, testSecretKey) {
				t.Errorf("a secret is printed:\n%s%s", stdout, stderr)
			}
		})
	}
}

// The token may come on standard input, alone or after "Bearer ".
func TestTokenInspectStdin(t *testing.T) {
	path := writeConfig(t, "")
	code, tok, stderr := cli(t, "token", "mint", "--config", path, "--user", "a@example.com")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	for _, input := range []string{tok, "bearer " + tok, "\n  " + tok + "  \n"} {
		for _, args := range [][]string{{"token", "inspect", "--config", path}, {"token", "inspect", "-", "--config", path}} {
			code, stdout, stderr := cliStdin(t, input, args...)
			if code != 0 || !strings.Contains(stdout, "subject:       a@example.com\n") {
				t.Errorf("%q with input %q: status %d, %s%s", args, input, code, stdout, stderr)
			}
		}
	}
	if code, _, stderr := cliStdin(t, strings.Repeat("A", maxTokenInput+100), "token", "inspect", "--config", path); code != 1 || !strings.Contains(stderr, "longer than") {
		t.Errorf("an oversized input: status %d, %s", code, stderr)
	}
}

// A token from an offline login says that it is re-checked, never with
// what (TokenInfo holds no refresh token).
func TestPrintTokenInfoRecheck(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	var out strings.Builder
	printTokenInfo(&out, auth.TokenInfo{Kind: auth.KindUser, Subject: "u@example.com", ID: "x", IssuedAt: now.Add(-time.Hour),
		ExpiresAt: now.Add(time.Hour), Recheck: true, CheckedAt: now.Add(-time.Minute)}, now)
	for _, want := range []string{"purpose:       user-token\n", "refresh token: yes", "checked:       " + now.Add(-time.Minute).UTC().Format(time.RFC3339)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
}
