package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMockIDPBadUsersFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(path, []byte("users:\n  - email: a@example.com\n    password: plaintext\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"mockidp", "--addr", "127.0.0.1:0", "--users", path, "--consent"}, &stdout, &stderr)
	if out := stdout.String() + stderr.String(); code != 1 || !strings.Contains(out, "users[0].password") || !strings.Contains(out, path) {
		t.Errorf("run = %d, output %q; want 1 naming users[0].password and the file", code, out)
	}
}
