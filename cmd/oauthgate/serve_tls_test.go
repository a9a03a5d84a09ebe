package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// The built binary serves HTTPS with tls:, takes a new pair on SIGHUP
// and keeps the running one when the new pair is broken, reaches an
// https upstream through its ca_file, keeps /metrics in plain HTTP, and
// warns (at start and in config check) about the http base_url.
func TestServeBinaryTLS(t *testing.T) {
	bin := oauthgateBinary(t)
	idp, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	ca := gatewaytest.NewCA(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer up.Close()
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "secure ok") }))
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Certificate(t, 99)}}
	secure.StartTLS()
	defer secure.Close()

	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c1, k1 := ca.Issue(t, 11)
	write("gw.crt", c1)
	write("gw.key", k1)
	write("ca.pem", ca.PEM)
	path := filepath.Join(dir, "gateway.yaml")
	write("gateway.yaml", []byte(serveConfig(idp.URL, up.URL, "public")+
		fmt.Sprintf("  - {path_prefix: /secure, url: %q, require: public, ca_file: ca.pem}\n", secure.URL)+
		"tls: {cert_file: gw.crt, key_file: gw.key}\n"))

	if code, _, stderr := cli(t, "config", "check", "--offline", "--config", path); code != 0 || !strings.Contains(stderr, "tls is set but base_url is http://127.0.0.1") {
		t.Errorf("config check: %d %q", code, stderr)
	}

	p := startServing(t, bin, path)
	base := "https://" + strings.TrimPrefix(p.addr(t, "oauthgate serve: listening"), "http://")
	metricsBase := p.addr(t, "oauthgate serve: metrics")
	p.waitLog(t, "tls is set but base_url is http://127.0.0.1")

	hc := ca.Client()
	get := func(u string) (int, string, int64) {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var serial int64
		if resp.TLS != nil {
			serial = resp.TLS.PeerCertificates[0].SerialNumber.Int64()
		}
		return resp.StatusCode, string(body), serial
	}
	if code, body, serial := get(base + "/pub/a"); code != 200 || body != "ok" || serial != 11 {
		t.Fatalf("over TLS: %d %q serial %d", code, body, serial)
	}
	if code, body, _ := get(base + "/secure/x"); code != 200 || body != "secure ok" {
		t.Errorf("https upstream with ca_file: %d %q", code, body)
	}
	if code, _, serial := get(metricsBase + "/metrics"); code != 200 || serial != 0 {
		t.Errorf("metrics: %d, serial %d (want plain HTTP)", code, serial)
	}

	// A new pair is taken on SIGHUP.
	c2, k2 := ca.Issue(t, 12)
	write("gw.crt", c2)
	write("gw.key", k2)
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, "configuration reloaded")
	hc.CloseIdleConnections()
	if code, _, serial := get(base + "/pub/a"); code != 200 || serial != 12 {
		t.Errorf("after the reload: %d serial %d, want 12", code, serial)
	}
	// A key that is not the certificate's is refused; the pair stays.
	_, k3 := ca.Issue(t, 13)
	write("gw.key", k3)
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	if line := p.waitLog(t, "reload failed"); !strings.Contains(line, "tls.key_file") {
		t.Errorf("reload failure does not name tls.key_file: %s", line)
	}
	hc.CloseIdleConnections()
	if code, _, serial := get(base + "/pub/a"); code != 200 || serial != 12 {
		t.Errorf("after a broken reload: %d serial %d, want 12", code, serial)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s", err, p.allLogs())
	}
}
