package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/mockidp"
)

// serveConfig is a gateway configuration for the upstream at upURL and
// the provider at idpURL; require is /pub's rule.
func serveConfig(idpURL, upURL, require string) string {
	return fmt.Sprintf(`server_metadata_url: %s/.well-known/openid-configuration
client_id: %s
client_secret: %s
secret_key: %s
base_url: http://127.0.0.1
prefix: /oauth2
capabilities: {graph: {read: [], write: [read]}}
listen: 127.0.0.1:0
metrics_listen: 127.0.0.1:0
timeouts: {shutdown: 10s}
upstreams:
  - {path_prefix: /slow, url: %q, require: public}
  - {path_prefix: /pub, url: %q, require: %s, login_redirect: false}
  - {path_prefix: /, url: %q, require: write}
`, idpURL, mockidp.DemoClientID, mockidp.DemoClientSecret, testSecretKey, upURL, upURL, require, upURL)
}

// servingProcess is a running `oauthgate serve` and its log lines.
type servingProcess struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []string
	done chan struct{}
}

// waitLog waits for a log line containing s and returns it.
func (p *servingProcess) waitLog(t *testing.T, s string) string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		for _, l := range p.logs {
			if strings.Contains(l, s) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
	}
	t.Fatalf("no log line with %q in:\n%s", s, p.allLogs())
	return ""
}

func (p *servingProcess) allLogs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// addr returns the address of the log line with msg.
func (p *servingProcess) addr(t *testing.T, msg string) string {
	t.Helper()
	var line struct{ Addr string }
	if err := json.Unmarshal([]byte(p.waitLog(t, msg)), &line); err != nil || line.Addr == "" {
		t.Fatalf("no address in the %q line: %v", msg, err)
	}
	return "http://" + line.Addr
}

// The built binary serves, reloads on SIGHUP (keeping the running
// configuration when the new one is broken), exports metrics, writes
// JSON access logs without tokens, and drains a slow request on SIGTERM
// before exiting 0.
func TestServeBinary(t *testing.T) {
	bin := oauthgateBinary(t)
	idp, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	slowStarted := make(chan struct{}, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/slow") {
			slowStarted <- struct{}{}
			time.Sleep(500 * time.Millisecond)
			_, _ = io.WriteString(w, "slow done")
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer up.Close()

	path := filepath.Join(t.TempDir(), "gateway.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(serveConfig(idp.URL, up.URL, "public"))

	p := startServing(t, bin, path)
	base := p.addr(t, "oauthgate serve: listening")
	metricsBase := p.addr(t, "oauthgate serve: metrics")

	get := func(u string, hdr ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	if code, body := get(base + "/pub/a"); code != 200 || body != "ok" {
		t.Fatalf("public route: %d %q", code, body)
	}
	if code, _ := get(base+"/other?code=query-secret", "Authorization", "Bearer token-secret"); code != 401 {
		t.Errorf("a forged token on a capability route: %d", code)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := get(base + "/readyz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
	}

	// A broken configuration is refused and the running one stays.
	write("upstreams: [{path_prefix: /, url: 'ftp://nowhere', require: login}]\n")
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, "reload failed")
	if code, _ := get(base + "/pub/a"); code != 200 {
		t.Errorf("after a broken reload: %d", code)
	}
	// A good one applies.
	write(serveConfig(idp.URL, up.URL, "login"))
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, "configuration reloaded")
	if code, _ := get(base + "/pub/a"); code != 401 {
		t.Errorf("after a good reload, a login route: %d", code)
	}

	code, metrics := get(metricsBase + "/metrics")
	for _, want := range []string{
		`oauthgate_requests_total{code="200",route="upstream"}`,
		`oauthgate_auth_decisions_total{decision="invalid_token",route="upstream"} 1`,
		`oauthgate_token_verifications_total{result="invalid"} 1`,
		`oauthgate_ready 1`,
		`oauthgate_idp_request_duration_seconds_count{host=`,
	} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Errorf("metrics: no %s", want)
		}
	}
	if code, _ := get(base + "/metrics"); code == 200 {
		t.Error("/metrics is served on the main listener")
	}

	// SIGTERM while a slow request is in flight: it completes, then the
	// process exits 0.
	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/slow/x")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		res <- result{code: resp.StatusCode, body: string(body)}
	}()
	select {
	case <-slowStarted:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request never reached the upstream")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil || r.code != 200 || r.body != "slow done" {
		t.Errorf("in-flight request: %v %d %q", r.err, r.code, r.body)
	}
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s", err, p.allLogs())
	}

	logs := p.allLogs()
	for _, secret := range []string{"token-secret", "query-secret", testSecretKey} {
		if strings.Contains(logs, secret) {
			t.Errorf("%q in the logs", secret)
		}
	}
	var access struct {
		Msg, Route, Path, Decision string
		Status                     int
	}
	_ = json.Unmarshal([]byte(p.waitLog(t, `"path":"/other"`)), &access)
	if access.Msg != "access" || access.Route != "upstream" || access.Status != 401 || access.Decision != "invalid_token" {
		t.Errorf("access log: %+v", access)
	}
	p.waitLog(t, "oauthgate serve: stopped")
}

// The other commands read a gateway file too, and config check checks
// its gateway keys.
func TestCommandsOnGatewayFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	good := serveConfig("https://idp.example.com", "http://127.0.0.1:8000", "public")
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path); code != 0 || !strings.Contains(stdout, "\nok: ") {
		t.Errorf("config check: %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := cli(t, "token", "mint", "--config", path, "--user", "a@example.com"); code != 0 || stdout == "" {
		t.Errorf("token mint: %d %q", code, stderr)
	}
	bad := strings.Replace(good, "require: public", "require: public, stripprefix: true", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, "config", "check", "--offline", "--config", path); code != 1 || !strings.Contains(stderr, "upstreams[0].stripprefix") {
		t.Errorf("config check of a bad gateway key: %d %q", code, stderr)
	}
	if code, _, stderr := cli(t, "serve", "--config", path); code != 1 || !strings.Contains(stderr, "upstreams[0].stripprefix") {
		t.Errorf("serve with a bad gateway key: %d %q", code, stderr)
	}
	if code, _, _ := cli(t, "serve", "--config", path, "--access-log", "sometimes"); code != 2 {
		t.Errorf("serve with a bad --access-log: %d", code)
	}
	if code, _, _ := cli(t, "serve"); code != 2 {
		t.Errorf("serve without --config: %d", code)
	}
}

// serve starts with upstreams that reach the same app paths under
// different rules, and logs a warning naming both (config check refuses
// them).
func TestServeWarnsOfOverlappingUpstreams(t *testing.T) {
	bin := oauthgateBinary(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer up.Close()
	cfg := serveConfig("http://127.0.0.1:1", up.URL, "public") +
		fmt.Sprintf("  - {path_prefix: /api, url: %q, require: read, strip_prefix: true}\n", up.URL+"/v1")
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServing(t, bin, path)
	base := p.addr(t, "oauthgate serve: listening")
	line := p.waitLog(t, "upstreams[3] (/api, require: read)")
	var entry struct{ Level, Msg string }
	if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Level != "WARN" || !strings.Contains(entry.Msg, "upstreams[2] (/, require: write)") || !strings.Contains(entry.Msg, up.URL+"/v1") {
		t.Errorf("overlap log line: %s", line)
	}
	resp, err := http.Get(base + "/slow/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the gateway does not serve: %d", resp.StatusCode)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	_ = p.cmd.Wait()
}
