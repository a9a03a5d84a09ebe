package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

func TestLogFormatFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--config", "x.yaml", "--log-format", "logfmt"},
		{"mockidp", "--log-format", "JSON"},
	} {
		if code, _, stderr := cli(t, args...); code != 2 || !strings.Contains(stderr, `bad --log-format "`) || !strings.Contains(stderr, "want text or json") {
			t.Errorf("%v: %d %q", args, code, stderr)
		}
	}
}

func TestLogFormatDefault(t *testing.T) {
	t.Parallel()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, tc := range []struct {
		value, notTerminal string
		w                  any
		want               string
	}{
		{"", "json", &bytes.Buffer{}, "json"},
		{"", "text", &bytes.Buffer{}, "text"},
		{"", "json", null, "json"}, // a character device, but no terminal
		{"text", "json", null, "text"},
		{"json", "text", &bytes.Buffer{}, "json"},
	} {
		f := &logFormat{value: tc.value, notTerminal: tc.notTerminal}
		w := tc.w.(interface{ Write([]byte) (int, error) })
		if err := f.resolve(w); err != nil || f.value != tc.want {
			t.Errorf("%q, %q on %T: %q %v; want %q", tc.value, tc.notTerminal, tc.w, f.value, err, tc.want)
		}
	}
}

// On a terminal (a pseudo-terminal made by script(1)) serve logs text,
// says that it listens on loopback only, and --log-format json still
// gives JSON; through a pipe mockidp --log-format json gives JSON.
func TestBinaryLogFormat(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	script, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no script(1) (util-linux)")
		}
		t.Skip("no script(1) (util-linux)")
	}
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(serveConfig(idp.URL, "http://127.0.0.1:1", "public")), 0o600); err != nil {
		t.Fatal(err)
	}
	onTerminal := func(args string) string {
		// timeout stops serve with SIGTERM once it has started.
		out, _ := exec.Command(script, "-qec", "timeout -s TERM 2 "+bin+" "+args, "/dev/null").CombinedOutput()
		return strings.ReplaceAll(string(out), "\r\n", "\n")
	}
	out := onTerminal("serve --config " + path)
	if !strings.Contains(out, `level=INFO msg="oauthgate serve: listening" addr=127.0.0.1:`) ||
		!strings.Contains(out, `msg="oauthgate serve: listening on loopback only; set listen: \":4180\"`) {
		t.Errorf("serve on a terminal, no text log lines:\n%s", out)
	}
	out = onTerminal("serve --log-format json --config " + path)
	if !strings.Contains(out, `{"time":`) || !strings.Contains(out, `"msg":"oauthgate serve: listening"`) {
		t.Errorf("serve --log-format json on a terminal:\n%s", out)
	}

	cmd := exec.Command("timeout", "-s", "TERM", "2", bin, "mockidp", "--addr", "127.0.0.1:0", "--log-format", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	var line struct{ Msg, Issuer string }
	first, _, _ := strings.Cut(stderr.String(), "\n")
	if err := json.Unmarshal([]byte(first), &line); err != nil || line.Msg != "mockidp ready" || line.Issuer == "" {
		t.Errorf("mockidp --log-format json: %v\n%s", err, stderr.String())
	}
}
