package gateway_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
)

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// logBuffer is a log destination that tests can read while the gateway
// writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveTLS serves e's gateway over HTTPS as `oauthgate serve` does and
// returns its URL.
func serveTLS(t *testing.T, e *env) string {
	t.Helper()
	srv := e.gw.Server()
	if srv.TLSConfig == nil || srv.TLSConfig.MinVersion != tls.VersionTLS12 {
		t.Fatalf("Server().TLSConfig = %+v, want TLS 1.2 and later", srv.TLSConfig)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return "https://" + ln.Addr().String()
}

// The listener speaks HTTPS with the tls: pair; a client trusting the CA
// is proxied with the identity headers and X-Forwarded-Proto https. A
// reload takes a new pair for new connections, keeps open ones, and
// keeps the running pair when the new one is broken. An http base_url is
// warned about.
func TestListenerTLS(t *testing.T) {
	t.Parallel()
	ca := gatewaytest.NewCA(t)
	dir := t.TempDir()
	c1, k1 := ca.Issue(t, 1001)
	certFile, keyFile := writeFile(t, dir, "one.crt", c1), writeFile(t, dir, "one.key", k1)
	logs := &logBuffer{}
	e := newEnv(t, nil, func(c *gateway.Config) {
		c.TLS = gateway.ServerTLS{CertFile: certFile, KeyFile: keyFile}
		c.Auth.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	base := serveTLS(t, e)
	if !strings.Contains(logs.String(), "tls is set but base_url is http://") {
		t.Errorf("no warning about the http base_url in:\n%s", logs)
	}

	hc := ca.Client()
	bot := &caller{name: "bot over TLS", hc: hc, bearer: e.serviceToken(bot)}
	s := bot.upstreamSaw(t, base+"/write/x")
	for h, want := range map[string]string{"X-Auth-Request-User": gatewaytest.Bot, "X-Auth-Request-Kind": "service", "X-Forwarded-Proto": "https"} {
		if got := s.get(h); got != want {
			t.Errorf("upstream saw %s = %q, want %q", h, got, want)
		}
	}
	serial := func() int64 {
		t.Helper()
		resp, _ := bot.get(t, base+"/pub/x")
		if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
			t.Fatal("no TLS connection state")
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 1001 {
		t.Fatalf("serial %d, want 1001", got)
	}
	// Plain HTTP on the TLS listener gets net/http's 400, never the app.
	if resp, body := (&caller{name: "plain", hc: &http.Client{}}).get(t, "http://"+strings.TrimPrefix(base, "https://")+"/pub/x"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain HTTP: %d %s", resp.StatusCode, body)
	}
	old := &tls.Config{MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true}
	if conn, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), old); err == nil {
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	reload := func(certPEM, keyPEM []byte, name string) error {
		next := *e.gw.Config()
		next.TLS = gateway.ServerTLS{
			CertFile: writeFile(t, dir, name+".crt", certPEM),
			KeyFile:  writeFile(t, dir, name+".key", keyPEM),
		}
		return e.gw.Reload(context.Background(), &next)
	}
	c2, k2 := ca.Issue(t, 1002)
	if err := reload(c2, k2, "two"); err != nil {
		t.Fatal(err)
	}
	if got := serial(); got != 1001 {
		t.Errorf("open connection after the reload: serial %d, want 1001 (kept)", got)
	}
	hc.CloseIdleConnections()
	if got := serial(); got != 1002 {
		t.Errorf("new connection after the reload: serial %d, want 1002", got)
	}

	_, k3 := ca.Issue(t, 1003)
	err := reload(c2, k3, "mismatched")
	var ce *auth.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "tls.key_file") {
		t.Errorf("mismatched pair: %v, want a config error naming tls.key_file", err)
	}
	if err := reload([]byte("not a certificate"), k2, "garbage"); err == nil || !strings.Contains(err.Error(), "tls.cert_file") {
		t.Errorf("broken certificate: %v, want an error naming tls.cert_file", err)
	}
	hc.CloseIdleConnections()
	if got := serial(); got != 1002 {
		t.Errorf("after broken reloads: serial %d, want 1002 (kept)", got)
	}
}

// An https upstream signed by a private CA is reached with ca_file, and
// not without it (502); insecure_skip_tls_verify reaches it and is
// warned about. Both upstream transports take the settings.
func TestUpstreamTLS(t *testing.T) {
	t.Parallel()
	ca := gatewaytest.NewCA(t)
	up := httptest.NewUnstartedServer(gatewaytest.Echo())
	up.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Certificate(t, 7)}}
	up.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	up.StartTLS()
	t.Cleanup(up.Close)
	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.PEM", ca.PEM)
	otherCA := writeFile(t, dir, "other.pem", gatewaytest.NewCA(t).PEM)

	tests := []struct {
		name     string
		caFile   string
		insecure bool
		want     int
		warn     bool
	}{
		{"ca_file", caFile, false, http.StatusOK, false},
		{"system roots", "", false, http.StatusBadGateway, false},
		{"another CA", otherCA, false, http.StatusBadGateway, false},
		{"insecure_skip_tls_verify", "", true, http.StatusOK, true},
	}
	for _, kind := range []string{gateway.TransportDirect, gateway.TransportStandard} {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				logs := &logBuffer{}
				e := newEnv(t, nil, func(c *gateway.Config) {
					c.UpstreamTransport = kind
					c.Upstreams[0].URL = up.URL
					c.Upstreams[0].CAFile = tt.caFile
					c.Upstreams[0].InsecureSkipTLSVerify = tt.insecure
					c.Auth.Logger = slog.New(slog.NewTextHandler(logs, nil))
				})
				for _, m := range []string{http.MethodGet, http.MethodPost} {
					req, _ := http.NewRequest(m, e.srv.URL+"/pub/x", strings.NewReader("body"))
					resp, body := e.guest().do(t, req)
					if resp.StatusCode != tt.want {
						t.Errorf("%s /pub/x: %d, want %d (%s)", m, resp.StatusCode, tt.want, body)
					}
				}
				warned := strings.Contains(logs.String(), "upstreams[0].insecure_skip_tls_verify is set")
				if warned != tt.warn {
					t.Errorf("warned %v, want %v; logs:\n%s", warned, tt.warn, logs)
				}
				// The other upstreams (plain http) still pass.
				if resp, body := e.browser(alice).get(t, e.srv.URL+"/app/x"); resp.StatusCode != http.StatusOK {
					t.Errorf("/app/x: %d %s", resp.StatusCode, body)
				}
			})
		}
	}
}

// Each mistake in tls: or in an upstream's TLS keys is a config error
// naming the key; relative paths are resolved against the folder.
func TestTLSConfigErrors(t *testing.T) {
	t.Parallel()
	ca := gatewaytest.NewCA(t)
	dir := t.TempDir()
	c1, k1 := ca.Issue(t, 1)
	_, k2 := ca.Issue(t, 2)
	writeFile(t, dir, "gw.crt", c1)
	writeFile(t, dir, "gw.key", k1)
	writeFile(t, dir, "other.key", k2)
	writeFile(t, dir, "ca.PEM", ca.PEM)
	writeFile(t, dir, "junk.pem", []byte("no pem here\n"))
	base := "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\nclient_id: app\n" +
		"secret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o\nbase_url: https://gw.example.com\ncapabilities: {graph: {read: []}}\n"
	up := func(extra string) string {
		return "upstreams: [{path_prefix: /, url: 'https://10.0.0.1:8443', require: login" + extra + "}]\n"
	}
	tests := []struct {
		name, yaml, key string
	}{
		{"ok", up("") + "tls: {cert_file: gw.crt, key_file: gw.key}", ""},
		{"ok ca_file", up(", ca_file: ca.PEM"), ""},
		{"ok insecure", up(", insecure_skip_tls_verify: true"), ""},
		{"no key_file", up("") + "tls: {cert_file: gw.crt}", "tls.key_file"},
		{"no cert_file", up("") + "tls: {key_file: gw.key}", "tls.cert_file"},
		{"missing cert_file", up("") + "tls: {cert_file: none.crt, key_file: gw.key}", "tls.cert_file"},
		{"missing key_file", up("") + "tls: {cert_file: gw.crt, key_file: none.key}", "tls.key_file"},
		{"cert_file not PEM", up("") + "tls: {cert_file: junk.pem, key_file: gw.key}", "tls.cert_file"},
		{"key_file not PEM", up("") + "tls: {cert_file: gw.crt, key_file: junk.pem}", "tls.key_file"},
		{"mismatched pair", up("") + "tls: {cert_file: gw.crt, key_file: other.key}", "tls.key_file"},
		{"unknown tls key", up("") + "tls: {cert: gw.crt}", "tls.cert"},
		{"missing ca_file", up(", ca_file: none.pem"), "upstreams[0].ca_file"},
		{"ca_file without certificates", up(", ca_file: junk.pem"), "upstreams[0].ca_file"},
		{"ca_file on http", "upstreams: [{path_prefix: /, url: 'http://10.0.0.1', require: login, ca_file: ca.PEM}]", "upstreams[0].ca_file"},
		{"insecure on http", "upstreams: [{path_prefix: /, url: 'http://10.0.0.1', require: login, insecure_skip_tls_verify: true}]", "upstreams[0].insecure_skip_tls_verify"},
		{"ca_file and insecure", up(", ca_file: ca.PEM, insecure_skip_tls_verify: true"), "upstreams[0].insecure_skip_tls_verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := gateway.ParseConfig([]byte(base+tt.yaml), dir)
			if tt.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.TLS.Enabled() && cfg.TLS.CertFile != filepath.Join(dir, "gw.crt") {
					t.Errorf("cert_file %q not resolved against %s", cfg.TLS.CertFile, dir)
				}
				if f := cfg.Upstreams[0].CAFile; f != "" && f != filepath.Join(dir, "ca.PEM") {
					t.Errorf("ca_file %q not resolved against %s", f, dir)
				}
				return
			}
			var ce *auth.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *auth.ConfigError", err)
			}
			if !strings.Contains(err.Error(), tt.key+":") && !strings.Contains(err.Error(), tt.key+" ") {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
		})
	}
}

// Warnings names the risky TLS settings.
func TestTLSWarnings(t *testing.T) {
	t.Parallel()
	ca := gatewaytest.NewCA(t)
	dir := t.TempDir()
	c1, k1 := ca.Issue(t, 1)
	writeFile(t, dir, "gw.crt", c1)
	writeFile(t, dir, "gw.key", k1)
	base := "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\nclient_id: app\n" +
		"secret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o\ncapabilities: {graph: {read: []}}\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"https base_url", "base_url: https://gw.example.com\ntls: {cert_file: gw.crt, key_file: gw.key}\nupstreams: [{path_prefix: /, url: 'http://10.0.0.1', require: login}]", nil},
		{"http base_url", "base_url: http://127.0.0.1:4180\ntls: {cert_file: gw.crt, key_file: gw.key}\nupstreams: [{path_prefix: /, url: 'http://10.0.0.1', require: login}]", []string{"base_url is http://127.0.0.1:4180"}},
		{"http base_url without tls", "base_url: http://127.0.0.1:4180\nupstreams: [{path_prefix: /, url: 'http://10.0.0.1', require: login}]", nil},
		{"insecure upstream", "base_url: https://gw.example.com\nupstreams: [{path_prefix: /, url: 'https://10.0.0.1', require: login, insecure_skip_tls_verify: true}]", []string{"upstreams[0].insecure_skip_tls_verify"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := gateway.ParseConfig([]byte(base+tt.yaml), dir)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Warnings()
			if len(got) != len(tt.want) {
				t.Fatalf("warnings %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q does not mention %q", got[i], w)
				}
			}
		})
	}
}
