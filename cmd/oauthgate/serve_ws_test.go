package main

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/oauthgate/oauthgate/mockidp"
)

// The built binary keeps a WebSocket open across a reload and, at
// SIGTERM, until its client closes it; with a short timeouts.shutdown it
// closes it and still exits 0.
func TestServeBinaryWebSocket(t *testing.T) {
	bin := oauthgateBinary(t)
	idp, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	up := httptest.NewServer(websocket.Server{Handler: func(c *websocket.Conn) {
		for {
			var msg string
			if websocket.Message.Receive(c, &msg) != nil || websocket.Message.Send(c, "echo: "+msg) != nil {
				return
			}
		}
	}})
	defer up.Close()

	for _, tc := range []struct {
		name, shutdown string
		closeClient    bool // the client closes during the drain
		wantLog        string
	}{
		{"client closes", "10s", true, "upgraded connections ended"},
		{"timeout", "1s", false, "closed upgraded connections still open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gateway.yaml")
			conf := strings.Replace(serveConfig(idp.URL, up.URL, "public"), "shutdown: 10s", "shutdown: "+tc.shutdown, 1)
			if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			p := startServing(t, bin, path)
			base := p.addr(t, "oauthgate serve: listening")
			cfg, err := websocket.NewConfig("ws"+strings.TrimPrefix(base, "http")+"/pub/ws", base)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := websocket.DialConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			echo := func(msg string) error {
				if err := websocket.Message.Send(conn, msg); err != nil {
					return err
				}
				_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				var got string
				if err := websocket.Message.Receive(conn, &got); err != nil {
					return err
				}
				if got != "echo: "+msg {
					t.Errorf("got %q", got)
				}
				return nil
			}
			if err := echo("hello"); err != nil {
				t.Fatal(err)
			}
			_ = p.cmd.Process.Signal(syscall.SIGHUP)
			p.waitLog(t, "configuration reloaded")
			if err := echo("after the reload"); err != nil {
				t.Fatalf("after SIGHUP: %v", err)
			}

			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			p.waitLog(t, "waiting for upgraded connections")
			if err := echo("during the drain"); err != nil {
				t.Fatalf("after SIGTERM: %v", err)
			}
			if _, err := http.Get(base + "/healthz"); err == nil {
				t.Error("the listener still accepts during the drain")
			}
			if tc.closeClient {
				_ = conn.Close()
			}
			waited := make(chan error, 1)
			go func() { <-p.done; waited <- p.cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Errorf("exit: %v\n%s", err, p.allLogs())
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("still running:\n%s", p.allLogs())
			}
			p.waitLog(t, tc.wantLog)
			p.waitLog(t, "oauthgate serve: stopped")
			if !tc.closeClient {
				if err := echo("after the exit"); err == nil {
					t.Error("the WebSocket outlived the process")
				}
			}
		})
	}
}

// startServing runs `bin serve --config path`, collecting its log lines;
// it is killed at the end of t if still running.
func startServing(t *testing.T, bin, path string) *servingProcess {
	t.Helper()
	p := &servingProcess{cmd: exec.Command(bin, "serve", "--config", path), done: make(chan struct{})}
	p.cmd.Env = []string{"PATH=/usr/bin:/bin"}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs = append(p.logs, sc.Text())
			p.mu.Unlock()
		}
	}()
	return p
}
