package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDispatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{nil, 2, "usage: oauthgate"},
		{[]string{"help"}, 0, "mockidp"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"mockidp", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"mockidp", "stray"}, 2, `unexpected argument "stray"`},
		{[]string{"mockidp", "-h"}, 0, "-interactive"},
		{[]string{"mockidp", "-h"}, 0, "-users"},
		{[]string{"mockidp", "-h"}, 0, "-consent"},
		{[]string{"mockidp", "--addr", "127.0.0.1:0", "--alg", "HS256"}, 1, "unsupported signing algorithm"},
		{[]string{"mockidp", "--addr", "127.0.0.1:0", "--clients", "/nonexistent.yaml"}, 1, "clients file"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.out) {
			t.Errorf("run %q = %d, output %q; want %d containing %q", tc.args, code, stdout.String()+stderr.String(), tc.code, tc.out)
		}
	}
}

// The subcommand in process: prints the issuer, serves, stops on cancel.
func TestMockIDPInProcess(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mockidp", "--addr", "127.0.0.1:0", "--alg", "ES256"}, pw, io.Discard)
		pw.Close()
	}()
	issuer, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	issuer = strings.TrimSpace(issuer)
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"issuer":"`+issuer+`"`) || !strings.Contains(string(body), "ES256") {
		t.Errorf("discovery: %s", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// The built binary starts, answers /health and stops cleanly on SIGTERM
// and SIGINT. Time to first /health is logged, not asserted.
func TestBinaryStartsAndStops(t *testing.T) {
	t.Parallel()
	bin := oauthgateBinary(t)
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		start := time.Now()
		cmd := exec.Command(bin, "mockidp", "--addr", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		issuer, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			_ = cmd.Process.Kill()
			t.Fatalf("no issuer line: %v (%s)", err, stderr.String())
		}
		issuer = strings.TrimSpace(issuer)
		resp, err := http.Get(issuer + "/health")
		if err != nil {
			_ = cmd.Process.Kill()
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("%v: start to first /health: %v", sig, time.Since(start))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/health: %s", resp.Status)
		}
		_ = cmd.Process.Signal(sig)
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case err := <-waited:
			if err != nil {
				t.Errorf("exit after %v: %v (%s)", sig, err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("did not stop on %v", sig)
		}
		if !strings.Contains(stderr.String(), "mockidp stopped") {
			t.Errorf("stderr: %s", stderr.String())
		}
	}
}
