package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/internal/pgtest"
)

func TestCapsUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"caps"}, 2, "usage: oauthgate caps"},
		{[]string{"caps", "-h"}, 0, "import"},
		{[]string{"help", "caps"}, 0, "export"},
		{[]string{"caps", "nope"}, 2, `unknown subcommand "nope"`},
		{[]string{"caps", "import", "-h"}, 0, "-replace"},
		{[]string{"caps", "import", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"caps", "import", "a.yaml", "b.yaml"}, 2, `unexpected argument "b.yaml"`},
		{[]string{"caps", "import", "a.yaml"}, 1, "--config is required"},
		{[]string{"caps", "export", "--config", "/nonexistent/config.yaml"}, 1, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.out) {
			t.Errorf("run %q = %d, output %q; want %d containing %q", tc.args, code, stdout.String()+stderr.String(), tc.code, tc.out)
		}
	}
}

func TestCapsConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, config, out string
	}{
		{"file store", "capabilities: {graph: {read: []}}\n", `store.driver is "file"`},
		{"unset variable", "store: {driver: postgres, dsn: '${OAUTHGATE_SURELY_UNSET_VARIABLE}'}\n", "OAUTHGATE_SURELY_UNSET_VARIABLE"},
		{"bad graph", "capabilities: {graph: {read: [nope]}}\n", "nope"},
		{"no user file", "store: {driver: postgres, dsn: 'postgres://127.0.0.1:1/x'}\n", "no user file"},
	} {
		cfg := write(strings.ReplaceAll(tc.name, " ", "_")+".yaml", testAppConfig+tc.config)
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"caps", "import", "--config", cfg}, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), tc.out) {
			t.Errorf("%s: code %d, stderr %q; want 1 containing %q", tc.name, code, stderr.String(), tc.out)
		}
	}
}

// testAppConfig is the start of a valid app configuration.
const testAppConfig = `server_metadata_url: http://127.0.0.1:1/.well-known/openid-configuration
client_id: app
secret_key: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`

// TestCapsImportExportRoundTrip needs a PostgreSQL server (see
// capabilities/pgstore); it sets an environment variable, so it does not
// run in parallel.
func TestCapsImportExportRoundTrip(t *testing.T) {
	dsn := os.Getenv("OAUTHGATE_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("caps import/export: set OAUTHGATE_TEST_POSTGRES (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run; .ci/run does")
	}
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "caps_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	t.Setenv("OAUTHGATE_CAPS_TEST_DSN", dsn)

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := write("config.yaml", testAppConfig+`capabilities:
  graph: {read: [], write: [read], "needs: quote": []}
  user_file: caps.yaml
store:
  driver: postgres
  dsn: ${OAUTHGATE_CAPS_TEST_DSN}
`)
	write("caps.yaml", "Alice@Example.com: [write, read]\nbob@example.com: []\n\"o'brien@example.com\": ['needs: quote']\n")
	caps := func(args ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, append([]string{"caps"}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("caps %q: exit %d: %s", args, code, stderr.String())
		}
		return stdout.String(), stderr.String()
	}

	// The user file named by the config, the DSN from the config.
	out, _ := caps("import", "--config", cfg, "--schema", schema)
	if !strings.Contains(out, "imported 3 users") {
		t.Errorf("import said %q", out)
	}
	exported := filepath.Join(dir, "exported.yaml")
	caps("export", "--config", cfg, "--schema", schema, exported)
	data, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	g, err := capabilities.NewGraph(map[string][]string{"read": nil, "write": {"read"}, "needs: quote": nil}, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := filestore.DecodeUserFile(data, g, exported)
	if err != nil {
		t.Fatalf("the exported file does not load: %v\n%s", err, data)
	}
	want := map[string][]string{
		"alice@example.com":   {"read", "write"},
		"bob@example.com":     {},
		"o'brien@example.com": {"needs: quote"},
	}
	if !maps.EqualFunc(got, want, func(a, b []string) bool { return slices.Equal(a, b) }) {
		t.Fatalf("exported %q; want %q", got, want)
	}
	stdout, _ := caps("export", "--schema", schema, "--config", cfg)
	if stdout != string(data) {
		t.Errorf("export to stdout = %q; want the file's %q", stdout, data)
	}

	// A file with an unknown capability writes nothing.
	bad := write("bad.yaml", "carol@example.com: [read]\ndave@example.com: [fly]\n")
	var stderr bytes.Buffer
	if code := run(ctx, []string{"caps", "import", "--config", cfg, "--schema", schema, bad}, &bytes.Buffer{}, &stderr); code != 1 || !strings.Contains(stderr.String(), `"fly"`) {
		t.Errorf("import of an unknown capability: code %d, %q", code, stderr.String())
	}

	// --replace, and --dsn given explicitly, flags after the file.
	small := write("small.yaml", "carol@example.com: [read]\n")
	caps("import", small, "--config", cfg, "--schema", schema, "--replace", "--dsn", dsn)
	stdout, _ = caps("export", "--config", cfg, "--schema", schema, "-")
	got, err = filestore.DecodeUserFile([]byte(stdout), g, "stdout")
	if err != nil || len(got) != 1 || !slices.Equal(got["carol@example.com"], []string{"read"}) {
		t.Errorf("after import --replace, export = %q (%v); want only carol", stdout, err)
	}
}

// TestCapsEditPostgres grants the first admin, then lists, removes and
// replaces capabilities, on the PostgreSQL store the configuration names:
// the schema the app's store.driver opens. It needs a PostgreSQL server
// and sets an environment variable, so it does not run in parallel.
func TestCapsEditPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	admin := "admin-" + hex.EncodeToString(b) + "@example.com"
	bot := "bot-" + hex.EncodeToString(b) + "@service"
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("removing the test users: %v", err)
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DELETE FROM "+pgstore.DefaultSchema+".users WHERE email = $1 OR email = $2", admin, bot)
	})
	t.Setenv("OAUTHGATE_CAPS_EDIT_TEST_DSN", dsn)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(testAppConfig+`capabilities:
  graph: {read: [], write: [read], user_management: []}
store:
  driver: postgres
  dsn: ${OAUTHGATE_CAPS_EDIT_TEST_DSN}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	caps := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, append([]string{"caps"}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("caps %q: exit %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	if out := caps("add", "--config", cfg, strings.ToUpper(admin[:1])+admin[1:], "admin"); out != admin+": admin\n" {
		t.Errorf("add = %q", out)
	}
	if out := caps("add", "--config", cfg, bot, "read,write"); out != bot+": read, write\n" {
		t.Errorf("add = %q", out)
	}
	if out := caps("remove", "--config", cfg, bot, "read"); out != bot+": write\n" {
		t.Errorf("remove = %q", out)
	}
	if out := caps("list", "--config", cfg, admin); out != admin+": admin\n" {
		t.Errorf("list EMAIL = %q", out)
	}
	if out := caps("list", "--config", cfg, "--json"); !strings.Contains(out, `"`+admin+`": [`) || !strings.Contains(out, `"`+bot+`": [`) {
		t.Errorf("list --json = %q; want both users", out)
	}
	if out := caps("set", "--config", cfg, bot); out != bot+":\n" {
		t.Errorf("set to none = %q", out)
	}
	var stderr bytes.Buffer
	if code := run(ctx, []string{"caps", "add", "--config", cfg, bot, "fly"}, &bytes.Buffer{}, &stderr); code != 1 || !strings.Contains(stderr.String(), `unknown capability "fly"`) {
		t.Errorf("add of an unknown capability: code %d, %q", code, stderr.String())
	}

	// The app's store sees the grant: the schema is the one store.driver opens.
	g, err := capabilities.NewGraph(map[string][]string{"read": nil, "write": {"read"}, "user_management": nil}, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgstore.Open(ctx, dsn, g, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Get(ctx, admin); err != nil || !slices.Equal(got, []string{"admin"}) {
		t.Errorf("the app's store holds %q (%v) for the admin; want [admin]", got, err)
	}
}
