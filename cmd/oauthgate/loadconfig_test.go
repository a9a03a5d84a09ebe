package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A forward-auth gateway file (the gateway's keys without upstreams:),
// which serve runs, is read by every command that takes a configuration.
func TestCommandsReadForwardAuthGatewayFile(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	path, event := authorizeSetup(t)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("listen: 127.0.0.1:4180\nhealth_path: /health\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeUserFile(t, path, "boss@example.com: [write]\n")

	for _, tc := range []struct {
		args  []string
		stdin string
		want  string // in stdout; "" for any output
	}{
		{[]string{"config", "check", "--offline", "--config", path}, "", "ok: "},
		{[]string{"caps", "list", "--config", path}, "", "boss@example.com: write"},
		{[]string{"token", "mint", "--config", path, "--user", "boss@example.com"}, "", ""},
		{[]string{"authorize", "--config", path}, event, `"Allow"`},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			cmd.Stdin = strings.NewReader(tc.stdin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if err != nil || stdout.Len() == 0 || !strings.Contains(stdout.String(), tc.want) {
				t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", strings.Join(tc.args[:2], " "), err, stdout.String(), stderr.String())
			}
		})
	}
}
