package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/internal/pgtest"
	"github.com/oauthgate/oauthgate/internal/readmetest"
)

// TestReadmeWalkthrough follows the README as a new user on a clean clone
// does, command by command, with the README's own files:
//
//   - install: `go build` from the clone (`go install ...@latest` needs
//     the network and a published version);
//   - quick start: `go run ./examples/quickstart` until it serves its page;
//   - the library snippets: internal/readmetest runs each against its
//     configuration; examples/chi and examples/gin run with their
//     config.yaml and a mock provider in their own tests;
//   - the command line on the README's configuration and user file: config
//     check and encrypt, keygen, token mint and inspect, caps;
//   - PostgreSQL: the first admin granted with caps add on the store of the
//     README's store: block (with OAUTHGATE_TEST_POSTGRES).
//
// The gateway's gateway.yaml is checked by TestReadmeYAMLParses (config
// check), not started here.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	configs := readmetest.Configs(readmetest.Blocks(readme))
	for _, name := range []string{"app", "users", "store"} {
		if configs[name] == "" {
			t.Fatalf("the README has no configuration %q", name)
		}
	}
	home := t.TempDir()

	// Install, from the clone: the README's `go build` line when it shows
	// one (its -o names a file in the test's folder instead).
	bin := filepath.Join(home, "oauthgate")
	args := []string{"build", "-o", bin, "./cmd/oauthgate"}
	if m := regexp.MustCompile(`(?m)^go build ((?:-o \S+ )?)(\./cmd/oauthgate)\b`).FindStringSubmatch(string(readme)); m != nil {
		args = []string{"build", "-o", bin, m[2]}
	} else {
		t.Log("the README shows no `go build ... ./cmd/oauthgate` line: building as it would")
	}
	build := exec.Command("go", args...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/oauthgate: %v\n%s", err, out)
	}
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = home
		out, err := cmd.Output()
		if err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("oauthgate %s: %v\n%s%s", strings.Join(args, " "), err, out, exit.Stderr)
			}
			t.Fatal(err)
		}
		return string(out)
	}
	cli("-h")

	t.Run("quick start", func(t *testing.T) { walkQuickstart(t, root, home) })

	// The command line on the README's configuration and user file.
	config := filepath.Join(home, "config.yaml")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(config, readmetest.Realize(t, configs["app"], ""))
	write(filepath.Join(home, "caps.yaml"), configs["users"])
	// --offline: the README's provider and store are examples, not
	// services this test can reach (config_network_test.go checks those).
	if out := cli("config", "check", "--offline", "--config", config); !strings.Contains(out, "\nok: ") {
		t.Errorf("config check: %q", out)
	}
	if key := strings.TrimSpace(cli("keygen")); len(key) != 43 {
		t.Errorf("keygen printed %q", key)
	}
	token := strings.TrimSpace(cli("token", "mint", "--config", config, "--user", "your-email@you.com", "--ttl", "2h"))
	if out := cli("token", "inspect", "--config", config, token); !strings.Contains(out, "your-email@you.com") {
		t.Errorf("token inspect: %q", out)
	}
	if out := cli("caps", "add", "--config", config, "new-admin@example.com", "admin"); out != "new-admin@example.com: admin\n" {
		t.Errorf("caps add: %q", out)
	}
	if out := cli("caps", "list", "--config", config); !strings.Contains(out, "friend@rainbows.com: announce, moderate\n") || !strings.Contains(out, "new-admin@example.com: admin\n") {
		t.Errorf("caps list: %q", out)
	}
	if out := cli("caps", "set", "--config", config, "bot@service", "announce,baker"); out != "bot@service: announce, baker\n" {
		t.Errorf("caps set: %q", out)
	}
	// A secret written in the file, as before encryption.
	realized := readmetest.Realize(t, configs["app"], "")
	write(config, strings.Replace(realized, "${OAUTHGATE_SECRET_KEY}", readmetest.SecretKey, 1))
	if out := cli("config", "encrypt", "--config", config); !strings.Contains(out, "secret_key: encrypted") {
		t.Errorf("config encrypt: %q", out)
	}
	if out := cli("config", "check", "--offline", "--config", config); !strings.Contains(out, "\nok: ") {
		t.Errorf("config check after encrypt: %q", out)
	}

	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		t.Cleanup(func() {
			ctx := context.Background()
			if conn, err := pgx.Connect(ctx, dsn); err == nil {
				conn.Exec(ctx, "DELETE FROM "+pgstore.DefaultSchema+".users WHERE email = 'walkthrough-admin@example.com'")
				conn.Close(ctx)
			}
		})
		pg := filepath.Join(home, "pg.yaml")
		write(pg, readmetest.Realize(t, configs["app"]+configs["store"], dsn))
		if out := cli("caps", "add", "--config", pg, "walkthrough-admin@example.com", "admin"); out != "walkthrough-admin@example.com: admin\n" {
			t.Errorf("caps add on PostgreSQL: %q", out)
		}
		if out := cli("caps", "list", "--config", pg, "walkthrough-admin@example.com"); out != "walkthrough-admin@example.com: admin\n" {
			t.Errorf("caps list on PostgreSQL: %q", out)
		}
	})
}

// walkQuickstart runs `go run ./examples/quickstart` (on a free port,
// its development files in home) until it prints its URL, opens the page
// and stops it with SIGINT.
func walkQuickstart(t *testing.T, root, home string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// go run would leave the built program running after a signal to
	// itself: build, then run, as go run does.
	bin := filepath.Join(home, "quickstart")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/quickstart")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/quickstart: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "--addr", "127.0.0.1:0", "--dir", filepath.Join(home, ".oauthgate-dev"))
	cmd.Dir = home
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	open := regexp.MustCompile(`open (http://\S+)`)
	url := ""
	for sc := bufio.NewScanner(stdout); url == "" && sc.Scan(); {
		if m := open.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatal("the quickstart printed no URL")
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("the quickstart did not stop cleanly on SIGINT: %v", err)
	}
}
