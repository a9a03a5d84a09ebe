package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/gateway"
)

func testManager(t *testing.T, secret string) *auth.Manager {
	t.Helper()
	m, err := auth.New(context.Background(), &auth.Config{
		ServerMetadataURL: "http://127.0.0.1:9/.well-known/openid-configuration",
		SecretKey:         secret,
		ClientID:          "loadapp",
		BaseURL:           "http://127.0.0.1:8080",
		Capabilities: capabilities.Config{
			Graph:               map[string][]string{"read": {}},
			DefaultCapabilities: []string{"read"},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	secret := randomSecret()
	h := routes(testManager(t, secret))
	token, err := mintUserToken(secret, loadUser, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, err := mintUserToken(randomSecret(), loadUser, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, token, remote string
		want                      int
		body                      string
	}{
		{"public with token", "/public", token, "", http.StatusOK, "hello guest\n"},
		{"public without token", "/public", "", "", http.StatusOK, "hello guest\n"},
		{"protected with token", "/protected", token, "", http.StatusOK, "hello user\n"},
		{"protected without token", "/protected", "", "", http.StatusUnauthorized, ""},
		{"protected, token of another secret", "/protected", other, "", http.StatusUnauthorized, ""},
		{"heap from loopback", "/debug/heap", "", "127.0.0.1:5555", http.StatusOK, ""},
		{"heap from elsewhere", "/debug/heap", "", "192.0.2.1:5555", http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			if tc.remote != "" {
				r.RemoteAddr = tc.remote
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("GET %s: status %d, want %d", tc.path, w.Code, tc.want)
			}
			if tc.body != "" && w.Body.String() != tc.body {
				t.Errorf("GET %s: body %q, want %q", tc.path, w.Body.String(), tc.body)
			}
			if tc.path == "/debug/heap" && w.Code == http.StatusOK {
				var rep heapReport
				if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || rep.HeapAlloc == 0 || rep.NumGC == 0 {
					t.Errorf("heap report %q: %+v, %v", w.Body.String(), rep, err)
				}
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "[::1]:8080": true, "127.0.0.2:80": true,
		"0.0.0.0:0": false, ":8080": false, "localhost:0": false, "192.0.2.1:80": false, "nonsense": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok %v", addr, err, ok)
		}
	}
}

func TestRunRefusesOtherAddresses(t *testing.T) {
	t.Parallel()
	if err := run([]string{"--addr", "0.0.0.0:0"}, io.Discard); err == nil {
		t.Fatal("run listened on 0.0.0.0")
	}
	if err := run([]string{"extra"}, io.Discard); err == nil {
		t.Fatal("run took an extra argument")
	}
}

// TestRunServes starts the app as load.sh does; its self-check makes the
// measured requests, and --max-life stops it.
func TestRunServes(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := run([]string{"--addr", "127.0.0.1:0", "--max-life", "500ms"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "url=http://127.0.0.1:") || !strings.Contains(out.String(), "\ntoken=") {
		t.Errorf("output %q", out.String())
	}
}

// TestRunUpstream starts the proxy mode's app as load.sh does: it writes
// the gateway's configuration, answers GET /hello without any token, and
// --max-life stops it.
func TestRunUpstream(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "gateway.yaml")
	var out strings.Builder
	args := []string{"--addr", "127.0.0.1:0", "--max-life", "500ms", "--upstream", "--gateway-config", conf, "--gateway-addr", "127.0.0.1:0"}
	if err := run(args, &out); err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(l, "=")
		lines[k] = v
	}
	if !strings.HasPrefix(lines["url"], "http://127.0.0.1:") || !strings.HasPrefix(lines["gateway"], "http://127.0.0.1:") ||
		strings.HasSuffix(lines["gateway"], ":0") || lines["token"] == "" {
		t.Errorf("output %q", out.String())
	}
	fi, err := os.Stat(conf)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600 (it holds the secret key)", fi.Mode().Perm())
	}
	got, err := gateway.LoadConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	if "http://"+got.Listen != lines["gateway"] || len(got.Upstreams) != 1 || got.Upstreams[0].URL != lines["url"] ||
		got.Upstreams[0].Require != "read" || got.Upstreams[0].Redirects() {
		t.Errorf("config %+v", got)
	}
	if err := run([]string{"--upstream"}, io.Discard); err == nil {
		t.Error("--upstream ran without --gateway-config")
	}
	if err := run([]string{"--gateway-addr", "127.0.0.1:0"}, io.Discard); err == nil {
		t.Error("--gateway-addr was taken without --upstream")
	}
	if err := run([]string{"--upstream", "--gateway-config", conf, "--gateway-addr", "10.0.0.1:80"}, io.Discard); err == nil {
		t.Error("--gateway-addr took a non-loopback address")
	}
	if got.UpstreamTransport != gateway.TransportDirect {
		t.Errorf("upstream_transport %q; want the default", got.UpstreamTransport)
	}
	if err := run(append(args, "--upstream-transport", "standard"), io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, err := gateway.LoadConfig(conf); err != nil || got.UpstreamTransport != gateway.TransportStandard {
		t.Errorf("--upstream-transport standard: %v, %q", err, got.UpstreamTransport)
	}
	if err := run(append(args, "--upstream-transport", "fast"), io.Discard); err == nil {
		t.Error("--upstream-transport took fast")
	}
	if err := run([]string{"--upstream-transport", "standard"}, io.Discard); err == nil {
		t.Error("--upstream-transport was taken without --upstream")
	}
	for _, target := range []string{"http://10.0.0.1:80", "ftp://127.0.0.1:21", "%zz"} {
		if err := run([]string{"--proxy-to", target, "--max-life", "100ms"}, io.Discard); err == nil {
			t.Errorf("--proxy-to took %q", target)
		}
	}
	out.Reset()
	if err := run([]string{"--proxy-to", lines["url"], "--max-life", "100ms"}, &out); err != nil || !strings.HasPrefix(out.String(), "url=http://127.0.0.1:") {
		t.Errorf("--proxy-to: %v %q", err, out.String())
	}
}

func TestUpstreamRoutes(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	upstreamRoutes(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/hello", nil))
	if rec.Code != 200 || rec.Body.String() != "hello user\n" {
		t.Errorf("GET /hello: %d %q", rec.Code, rec.Body)
	}
	app := httptest.NewServer(upstreamRoutes(nil))
	defer app.Close()
	h, err := bareProxy(app.URL)
	if err != nil {
		t.Fatal(err)
	}
	bare := httptest.NewServer(h)
	defer bare.Close()
	resp, err := http.Get(bare.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello user\n" {
		t.Errorf("GET /hello through the bare proxy: %d %q", resp.StatusCode, body)
	}
}

// --app-cpu makes each request take about that much CPU.
func TestAppWork(t *testing.T) {
	if newAppWork(0) != nil {
		t.Error("no work for 0")
	}
	w := newAppWork(2 * time.Millisecond)
	best := time.Hour
	for range 5 {
		start := time.Now()
		w.do()
		best = min(best, time.Since(start))
	}
	// Loose bounds: the machine is shared.
	if best < 500*time.Microsecond || best > 20*time.Millisecond {
		t.Errorf("2ms of work took %v (%d rounds)", best, w.rounds)
	}
}
