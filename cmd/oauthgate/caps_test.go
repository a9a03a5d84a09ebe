package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

// storedUsers reads the user file beside the configuration at path
// through the store, as the app would.
func storedUsers(t *testing.T, configPath string) map[string][]string {
	t.Helper()
	g, err := capabilities.NewGraph(map[string][]string{"read": nil, "write": {"read"}, "moderate": {"write"}, "user_management": nil}, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := filestore.Open(filepath.Join(filepath.Dir(configPath), "caps.yaml"), g, filestore.Options{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return users
}

func TestCapsEdits(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "")
	steps := []struct {
		args   []string
		stdout string
		stored map[string][]string
	}{
		{[]string{"add", "--config", path, "Boss@Example.com", "moderate", "read"}, "boss@example.com: moderate, read\n",
			map[string][]string{"boss@example.com": {"moderate", "read"}}},
		// Flags after the arguments; comma-separated capabilities.
		{[]string{"add", "bot@service", "write,user_management", "--config", path}, "bot@service: user_management, write\n",
			map[string][]string{"boss@example.com": {"moderate", "read"}, "bot@service": {"user_management", "write"}}},
		{[]string{"remove", "--config", path, "bot@service", "write"}, "bot@service: user_management\n",
			map[string][]string{"boss@example.com": {"moderate", "read"}, "bot@service": {"user_management"}}},
		{[]string{"set", "--config", path, "BOSS@example.com", "admin"}, "boss@example.com: admin\n",
			map[string][]string{"boss@example.com": {"admin"}, "bot@service": {"user_management"}}},
		{[]string{"set", "--config", path, "bot@service"}, "bot@service:\n",
			map[string][]string{"boss@example.com": {"admin"}, "bot@service": {}}},
		{[]string{"list", "--config", path}, "boss@example.com: admin\nbot@service:\n", nil},
		{[]string{"list", "--config", path, "Boss@example.com"}, "boss@example.com: admin\n", nil},
		{[]string{"list", "--config", path, "nobody@example.com"}, "nobody@example.com:\n", nil},
	}
	for _, step := range steps {
		code, stdout, stderr := cli(t, append([]string{"caps"}, step.args...)...)
		if code != 0 || stdout != step.stdout || stderr != "" {
			t.Fatalf("caps %q: status %d, stdout %q, stderr %q; want %q", step.args, code, stdout, stderr, step.stdout)
		}
		if step.stored == nil {
			continue
		}
		got := storedUsers(t, path)
		for e, caps := range got {
			if len(caps) == 0 {
				got[e] = []string{}
			}
		}
		if !reflect.DeepEqual(got, step.stored) {
			t.Errorf("after caps %q the store holds %v; want %v", step.args, got, step.stored)
		}
	}

	code, stdout, _ := cli(t, "caps", "list", "--config", path, "--json")
	var all map[string][]string
	if err := json.Unmarshal([]byte(stdout), &all); code != 0 || err != nil ||
		!reflect.DeepEqual(all, map[string][]string{"boss@example.com": {"admin"}, "bot@service": {}}) {
		t.Errorf("list --json: %d %v %s", code, err, stdout)
	}
	code, stdout, _ = cli(t, "caps", "add", "--json", "--config", path, "x@example.com", "read")
	all = nil
	if err := json.Unmarshal([]byte(stdout), &all); code != 0 || err != nil || !reflect.DeepEqual(all, map[string][]string{"x@example.com": {"read"}}) {
		t.Errorf("add --json: %d %v %s", code, err, stdout)
	}
}

// TestCapsLookalikeEmails: the caps commands fold ASCII letters only, as
// the app does: KELVIN SIGN K is not k, so editing the lookalike leaves
// kate@example.com alone.
func TestCapsLookalikeEmails(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "")
	for _, step := range [][]string{
		{"add", "--config", path, "kate@example.com", "admin"},
		{"add", "--config", path, "\u212AATE@Example.com", "read"},
		{"set", "--config", path, "\u0130nes@example.com", "read"},
		{"add", "--config", path, "ines@example.com", "write"},
	} {
		if code, stdout, stderr := cli(t, append([]string{"caps"}, step...)...); code != 0 {
			t.Fatalf("caps %q: status %d, stdout %q, stderr %q", step, code, stdout, stderr)
		}
	}
	want := map[string][]string{
		"kate@example.com": {"admin"}, "\u212Aate@example.com": {"read"},
		"ines@example.com": {"write"}, "\u0130nes@example.com": {"read"},
	}
	if got := storedUsers(t, path); !reflect.DeepEqual(got, want) {
		t.Errorf("the store holds %q; want %q", got, want)
	}
	if code, stdout, _ := cli(t, "caps", "list", "--config", path, "\u212AATE@example.com"); code != 0 || stdout != "\u212Aate@example.com: read\n" {
		t.Errorf("list the lookalike: %d %q", code, stdout)
	}
}

func TestCapsErrors(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "")
	userFile := writeUserFile(t, path, "# kept until the first write\nboss@example.com: [read]\n")
	before, _ := os.ReadFile(userFile)
	code, stdout, stderr := cli(t, "caps", "add", "--config", path, "boss@example.com", "write", "fly")
	if code != 1 || stdout != "" || !strings.Contains(stderr, `unknown capability "fly"`) || !strings.HasPrefix(stderr, "oauthgate caps add: ") {
		t.Errorf("unknown capability: status %d, %q", code, stderr)
	}
	if after, _ := os.ReadFile(userFile); string(after) != string(before) {
		t.Errorf("the user file changed:\n%s", after)
	}

	// A hand edit that does not load is reported, not overwritten.
	if err := os.WriteFile(userFile, []byte("boss@example.com: [fly]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, "caps", "set", "--config", path, "boss@example.com", "read")
	if code != 1 || !strings.Contains(stderr, "caps.yaml") || !strings.Contains(stderr, `"fly"`) {
		t.Errorf("a bad user file: status %d, %q", code, stderr)
	}
	if after, _ := os.ReadFile(userFile); string(after) != "boss@example.com: [fly]\n" {
		t.Errorf("the bad user file was overwritten:\n%s", after)
	}

	// A PostgreSQL store is opened as the app opens it (caps_pg_test.go
	// edits one); one that cannot be reached is an error naming it.
	pg := writeConfig(t, "store:\n  driver: postgres\n  dsn: postgres://app@127.0.0.1:1/app\n")
	if code, _, stderr := cli(t, "caps", "list", "--config", pg); code != 1 || !strings.Contains(stderr, "unavailable") || !strings.Contains(stderr, "127.0.0.1") {
		t.Errorf("postgres down: status %d, %q", code, stderr)
	}
	noFile := filepath.Join(t.TempDir(), "config.yaml")
	data := strings.Replace(testConfig, "  user_file: caps.yaml\n", "", 1)
	if err := os.WriteFile(noFile, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, "caps", "list", "--config", noFile); code != 1 || !strings.Contains(stderr, "capabilities.user_file is not set") {
		t.Errorf("no user file: status %d, %q", code, stderr)
	}
}
