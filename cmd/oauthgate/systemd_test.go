package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const systemdDir = "../../examples/systemd"

// unitSettings parses a systemd unit into section.key → values.
func unitSettings(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: not a key=value line: %q", path, line)
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

// The example unit keeps its hardening, and systemd-analyze finds nothing
// to say about it.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	unit := filepath.Join(systemdDir, "oauthgate.service")
	got := unitSettings(t, unit)
	for key, want := range map[string]string{
		"Service.DynamicUser":             "yes",
		"Service.StateDirectory":          "oauthgate",
		"Service.ProtectSystem":           "strict",
		"Service.ProtectHome":             "yes",
		"Service.PrivateTmp":              "yes",
		"Service.PrivateDevices":          "yes",
		"Service.NoNewPrivileges":         "yes",
		"Service.CapabilityBoundingSet":   "",
		"Service.RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"Service.SystemCallFilter":        "@system-service",
		"Service.MemoryDenyWriteExecute":  "yes",
		"Service.LoadCredential":          "secret_key:/etc/oauthgate/secret_key",
	} {
		if vs, ok := got[key]; !ok || vs[0] != want {
			t.Errorf("%s = %q; want %q", key, vs, want)
		}
	}
	if vs := got["Service.LoadCredential"]; len(vs) != 2 || vs[1] != "client_secret:/etc/oauthgate/client_secret" {
		t.Errorf("LoadCredential: %q", vs)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is not installed (.ci/run installs systemd)")
		}
		t.Skip("systemd-analyze is not installed (apt-get install systemd): the unit is not verified")
	}
	// verify exits 0 after most complaints (an unknown key, a bad value):
	// any output is a failure.
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// The unit's ExecStart, run as systemd would with the credentials in
// CREDENTIALS_DIRECTORY, starts oauthgate serve with the example
// gateway.yaml (its state paths and port moved to a temporary folder).
func TestSystemdExecStart(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	exec0 := unitSettings(t, filepath.Join(systemdDir, "oauthgate.service"))["Service.ExecStart"]
	if len(exec0) != 1 || !strings.HasPrefix(exec0[0], "/bin/sh -c '") || !strings.HasSuffix(exec0[0], "'") {
		t.Fatalf("ExecStart: %q", exec0)
	}
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	state := filepath.Join(dir, "state")
	for _, d := range []string{creds, state} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(creds, "secret_key"), []byte(testSecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(creds, "client_secret"), []byte("GOCSPX-from-a-credential\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(systemdDir, "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("/var/lib/oauthgate", state, "listen: 127.0.0.1:4180", "listen: 127.0.0.1:0").Replace(string(data))
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	script := strings.TrimSuffix(strings.TrimPrefix(exec0[0], "/bin/sh -c '"), "'")
	script = strings.NewReplacer("/usr/local/bin/oauthgate", bin, "/etc/oauthgate/gateway.yaml", cfgPath).Replace(script)
	cmd := exec.Command("timeout", "-s", "TERM", "3", "/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "CREDENTIALS_DIRECTORY=" + creds}
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), `"msg":"oauthgate serve: listening"`) || !strings.Contains(string(out), `"msg":"oauthgate serve: stopped"`) {
		t.Errorf("ExecStart did not serve:\n%s", out)
	}
}
