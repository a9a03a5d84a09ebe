package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeGatewayExample returns the README's gateway.yaml and the openssl
// command it says makes the key file.
func readmeGatewayExample(t *testing.T) (yaml, keyCommand string) {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "### gateway.yaml\n")
	if !ok {
		t.Fatal("README: no gateway.yaml section")
	}
	_, block, ok1 := strings.Cut(section, "```yaml\n")
	block, after, ok2 := strings.Cut(block, "```\n")
	cmd := regexp.MustCompile("`(openssl genpkey [^`]*)`").FindStringSubmatch(strings.Join(strings.Fields(after), " "))
	if !ok1 || !ok2 || cmd == nil {
		t.Fatal("README: the gateway.yaml block or its openssl command was not found")
	}
	return block, cmd[1]
}

// The README's gateway.yaml, with the files it names made as the README
// says, passes config check and serves; without the key file, config
// check names it.
func TestReadmeGatewayExampleRuns(t *testing.T) {
	yaml, keyCommand := readmeGatewayExample(t)
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is needed")
		}
		t.Skip("no openssl")
	}
	env := map[string]string{
		"OAUTH_CLIENT_ID": "app", "OAUTH_CLIENT_SECRET": "GOCSPX-client-secret",
		"OAUTHGATE_SECRET_KEY": testSecretKey, "NIGHTLY_JOB_SECRET": "nightly-job-secret",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	// Free ports instead of the example's.
	yaml = regexp.MustCompile(`(?m)^(listen|metrics_listen): .*$`).ReplaceAllString(yaml, `$1: "127.0.0.1:0"`)
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	// Offline: the example's identity provider is a real one.
	code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path)
	if l := lineOf(stdout, "file upstream_jwt.key_file "); code != 1 || !strings.Contains(l, ": failed: ") || !strings.Contains(l, "does not exist") {
		t.Errorf("config check without the key file: exit %d\n%s%s", code, stdout, stderr)
	}

	sh := exec.Command("sh", "-c", keyCommand)
	sh.Dir = dir
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", keyCommand, err, out)
	}
	if code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path); code != 0 {
		t.Fatalf("config check: exit %d\n%s%s", code, stdout, stderr)
	}

	serve := exec.Command(oauthgateBinary(t), "serve", "--config", path)
	serve.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range env {
		serve.Env = append(serve.Env, k+"="+v)
	}
	out, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = serve.Process.Kill(); _ = serve.Wait() }()
	lines := make(chan string)
	go func() {
		defer close(lines)
		for sc := bufio.NewScanner(out); sc.Scan(); {
			lines <- sc.Text()
		}
	}()
	var seen []string
	timeout := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before listening:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, "oauthgate serve: listening") {
				return
			}
		case <-timeout:
			t.Fatalf("serve did not listen:\n%s", strings.Join(seen, "\n"))
		}
	}
}
