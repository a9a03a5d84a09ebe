package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// startMockIDP runs `oauthgate mockidp args...` in process. It returns
// the exit status once the command ends by itself, or, when it starts
// serving instead (its issuer URL on stdout), stops it and reports
// started.
func startMockIDP(t *testing.T, args ...string) (code int, stderr string, started bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"mockidp"}, args...), pw, &errOut)
		pw.Close()
	}()
	_, err := bufio.NewReader(pr).ReadString('\n')
	started = err == nil
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	code = <-done
	return code, errOut.String(), started
}

// The mock provider's control endpoints choose who logs in, so it
// listens beyond loopback only with --allow-remote.
func TestMockIDPRemoteAddr(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "idp.example.com:0"} {
		code, stderr, started := startMockIDP(t, "--addr", addr)
		if started || code != 2 || !strings.Contains(stderr, "--allow-remote") {
			t.Errorf("mockidp --addr %s: started %v, exit %d, stderr %q; want exit 2 naming --allow-remote", addr, started, code, stderr)
		}
	}
	for _, args := range [][]string{
		{"--addr", "127.0.0.1:0"},
		{"--addr", "localhost:0"},
		{"--addr", "0.0.0.0:0", "--allow-remote"},
	} {
		if code, stderr, started := startMockIDP(t, args...); !started {
			t.Errorf("mockidp %q did not start: exit %d, %s", args, code, stderr)
		}
	}
	if code, stdout, _ := cli(t, "mockidp", "-h"); code != 0 || !strings.Contains(stdout, "-allow-remote") {
		t.Errorf("mockidp -h does not document --allow-remote: %s", stdout)
	}
}

func TestLoopbackAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:1", true}, {"127.9.9.9:1", true}, {"[::1]:1", true}, {"[::ffff:127.0.0.1]:1", true},
		{"localhost:1", true}, {"LocalHost:1", true},
		{":1", false}, {"0.0.0.0:1", false}, {"[::]:1", false}, {"10.0.0.1:1", false}, {"[fe80::1%eth0]:1", false},
		{"example.com:1", false}, {"localhost.example.com:1", false}, {"127.0.0.1.nip.io:1", false},
	} {
		if got, err := loopbackAddr(tt.addr); err != nil || got != tt.want {
			t.Errorf("loopbackAddr(%q) = %v, %v; want %v", tt.addr, got, err, tt.want)
		}
	}
	if _, err := loopbackAddr("127.0.0.1"); err == nil {
		t.Error("an address without port is accepted")
	}
}
