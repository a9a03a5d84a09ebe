// Package webservertest starts real web servers (nginx, Caddy) in front of
// test handlers, so that the forward-auth set-ups shown in the README run
// against the servers people deploy, not a model of them.
//
// Each server runs in the foreground as a child of the test, with a config
// and every file it writes in t.TempDir(), on a free loopback port, and is
// killed when the test ends; its error log goes into the test output when
// the test fails. A missing binary skips the test with the package to
// install, except with CI=true, where it fails it: CI installs the servers
// and must not pass by skipping.
package webservertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to accept connections;
// an interpreter (Python) on a busy machine has taken over 15 s.
const startTimeout = 45 * time.Second

// Server is a web server started for one test.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT, without a trailing slash.
	URL string
	// Addr is the listening address, 127.0.0.1:PORT.
	Addr string
	// Dir holds the config, the logs and the server's working files.
	Dir string

	name    string
	cmd     *exec.Cmd
	output  *lockedBuffer
	logFile string
	exited  chan struct{}
}

// Log returns what the server has logged so far: its error log file (if
// it has one) and its standard output and error.
func (s *Server) Log() string {
	var b strings.Builder
	if s.logFile != "" {
		if data, err := os.ReadFile(s.logFile); err == nil {
			b.Write(data)
		}
	}
	b.WriteString(s.output.String())
	return b.String()
}

// lookPath finds a server binary, also in the sbin directories that a
// non-root PATH often lacks, or skips the test (fails it when CI=true).
func lookPath(t testing.TB, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"} {
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	hint := fmt.Sprintf("%s not found: apt-get install %s", name, pkg)
	if os.Getenv("CI") == "true" {
		t.Fatal(hint + " (CI=true: this test may not be skipped)")
	}
	t.Skip(hint)
	return ""
}

// freeAddr returns a loopback address with a port that was free a moment
// ago. Another process may take it before the server binds it; start
// retries with a new port when that happens.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// launch is one server start: write the config for addr into dir and
// return the command to run, and the error log file it writes (or "").
type launch func(addr, dir string) (cmd *exec.Cmd, logFile string, err error)

// start runs a server until the test ends: up to three tries, each on a
// fresh port, in case another process took the port first.
func start(t testing.TB, name string, l launch) *Server {
	t.Helper()
	var lastErr error
	for try := 0; try < 3; try++ {
		dir := t.TempDir()
		s, err := startOnce(t, name, dir, freeAddr(t), l)
		if err == nil {
			return s
		}
		lastErr = err
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	t.Fatalf("%s did not start: %v", name, lastErr)
	return nil
}

func startOnce(t testing.TB, name, dir, addr string, l launch) (*Server, error) {
	cmd, logFile, err := l(addr, dir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL: "http://" + addr, Addr: addr, Dir: dir,
		name: name, cmd: cmd, output: new(lockedBuffer), logFile: logFile,
		exited: make(chan struct{}),
	}
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = s.output, s.output
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd.Path, err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-s.exited
	}
	if err := s.waitReady(); err != nil {
		stop()
		return nil, fmt.Errorf("%w\n%s log:\n%s", err, name, s.Log())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("%s log (%s):\n%s", name, dir, s.Log())
		}
	})
	return s, nil
}

// waitReady waits until the server answers HTTP on its port, or exits.
// The answer must name the server (its Server header): another process
// may have taken the port, and a dial to a free port of the ephemeral
// range can even connect to itself (TCP simultaneous open).
func (s *Server) waitReady() error {
	client := &http.Client{
		Timeout:       time.Second,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited at start (%v)", s.name, s.cmd.ProcessState)
		default:
		}
		// A host no site serves: nginx refuses it (400) and Caddy
		// answers it empty, both before any location or route, so
		// that the answer comes without the upstreams.
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/", nil)
		req.Host = "webservertest..invalid"
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if strings.Contains(strings.ToLower(resp.Header.Get("Server")), s.name) {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New(s.name + " did not answer on " + s.Addr + " within " + startTimeout.String())
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
