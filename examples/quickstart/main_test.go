package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
)

// startDemo runs the quickstart in-process, as main does, on free ports
// with its development folder in a temporary directory.
func startDemo(t testing.TB) (*demoApp, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	baseURL := "http://" + ln.Addr().String()
	app, err := newApp(context.Background(), appOptions{
		Dir:     t.TempDir(),
		BaseURL: baseURL,
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app.Handler}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return app, baseURL
}

// demoTester serves the quickstart's routes through authtest, with the
// demo's graph and users.
func demoTester(t *testing.T) *authtest.Tester {
	t.Helper()
	_, caps, err := devFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return authtest.New(t, &auth.Config{Capabilities: caps}, routes, authtest.WithCapabilities(demoUsers))
}

func TestPages(t *testing.T) {
	t.Parallel()
	at := demoTester(t)
	// Statuses by caller: guest (no redirect followed), bob (no
	// capability), alice (write, payroll), admin.
	tests := []struct {
		path                     string
		guest, bob, alice, admin int
	}{
		{"/", 200, 200, 200, 200},
		{"/me", 302, 200, 200, 200},
		{"/payroll", 302, 403, 200, 200},
		{"/admin", 302, 403, 403, 200},
		{"/api/whoami", 401, 200, 200, 200},
		{"/nowhere", 404, 404, 404, 404},
	}
	callers := []struct {
		name   string
		client *authtest.Client
		want   func(int, int, int, int) int
	}{
		{"guest", at.Guest(), func(g, b, a, ad int) int { return g }},
		{"bob", at.Browser("bob@example.com"), func(g, b, a, ad int) int { return b }},
		{"alice", at.Browser("alice@example.com"), func(g, b, a, ad int) int { return a }},
		{"admin", at.Browser("admin@example.com"), func(g, b, a, ad int) int { return ad }},
	}
	for _, tt := range tests {
		for _, c := range callers {
			t.Run(c.name+tt.path, func(t *testing.T) {
				t.Parallel()
				c.client.Get(tt.path).Expect(t, c.want(tt.guest, tt.bob, tt.alice, tt.admin))
			})
		}
	}
}

func TestPagesShowTheIdentity(t *testing.T) {
	t.Parallel()
	at := demoTester(t)
	me := at.Browser("alice@example.com").Get("/me").Expect(t, 200).Text(t)
	for _, want := range []string{"alice@example.com", "<code>payroll</code>", "<code>read</code>", "<code>write</code>", `href="/logout"`, `id="get-token"`} {
		if !strings.Contains(me, want) {
			t.Errorf("/me lacks %q:\n%s", want, me)
		}
	}
	home := at.Guest().Get("/").Expect(t, 200).Text(t)
	if !strings.Contains(home, `href="/login?next=/me"`) || !strings.Contains(home, "guest") {
		t.Errorf("home of a guest:\n%s", home)
	}
	admin := at.Browser("admin@example.com").Get("/admin").Expect(t, 200).Text(t)
	for _, want := range []string{"alice@example.com", "<option>user_management</option>", `id="manage"`} {
		if !strings.Contains(admin, want) {
			t.Errorf("/admin lacks %q:\n%s", want, admin)
		}
	}
	var who struct {
		Email        string
		Kind         string
		Capabilities []string
	}
	at.Service("bot@service", "read").Get("/api/whoami").Expect(t, 200).JSON(t, &who)
	if who.Email != "bot@service" || who.Kind != "service" || strings.Join(who.Capabilities, ",") != "read" {
		t.Errorf("whoami of a service = %+v", who)
	}
}

func TestAdminChangesCapabilities(t *testing.T) {
	t.Parallel()
	at := demoTester(t)
	bob := at.Browser("bob@example.com")
	bob.Get("/payroll").Expect(t, 403)
	change := map[string]string{"email": "bob@example.com", "capability": "payroll"}
	// alice lacks user_management.
	at.Browser("alice@example.com").Post("/manage_capabilities/add", change).Expect(t, 403)
	at.Browser("admin@example.com").Post("/manage_capabilities/add", change).Expect(t, 200)
	bob.Get("/payroll").Expect(t, 200)
	at.Browser("admin@example.com").Post("/manage_capabilities/remove", change).Expect(t, 200)
	bob.Get("/payroll").Expect(t, 403)
}

func TestInProcess(t *testing.T) {
	t.Parallel()
	app, baseURL := startDemo(t)
	if err := app.IdP.Provider.NextLogin("alice@example.com", nil); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	// /me → /login → the provider (one-shot login, no page) → /auth → /me.
	resp, err := browser.Get(baseURL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/me" || !strings.Contains(string(body), "alice@example.com") {
		t.Fatalf("GET /me: got %d at %s; body: %s", resp.StatusCode, resp.Request.URL, body)
	}

	// Without a queued login, the provider shows its login page.
	resp, err = (&http.Client{}).Get(baseURL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "bob@example.com") || !strings.Contains(string(body), "Sign in") {
		t.Errorf("login page: got %d; body: %s", resp.StatusCode, body)
	}
}

func TestDevFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret, caps, err := devFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{secretKeyFile, graphFile, usersFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", name, fi.Mode().Perm())
		}
	}
	if caps.UserFile != filepath.Join(dir, usersFile) || len(caps.Graph) != 4 {
		t.Errorf("capabilities = %+v", caps)
	}
	// A second run keeps the secret and the users' changes.
	if err := os.WriteFile(caps.UserFile, []byte("bob@example.com: [read]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret2, _, err := devFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if secret2 != secret {
		t.Error("the secret changed between runs")
	}
	if data, _ := os.ReadFile(caps.UserFile); string(data) != "bob@example.com: [read]\n" {
		t.Errorf("users file rewritten: %s", data)
	}
}

func TestPortTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run([]string{"--addr", ln.Addr().String(), "--dir", t.TempDir()}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("run on a taken port: %v", err)
	}
	err = run([]string{"--addr", "127.0.0.1:0", "--idp-addr", ln.Addr().String(), "--dir", t.TempDir()}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--idp-addr") {
		t.Errorf("run with the provider on a taken port: %v", err)
	}
}

// --help prints the usage on standard output and succeeds, as -h does;
// a bad flag fails.
func TestHelp(t *testing.T) {
	for _, flagName := range []string{"--help", "-h"} {
		var out bytes.Buffer
		if err := run([]string{flagName}, &out); err != nil {
			t.Errorf("run %s = %v; want nil", flagName, err)
		}
		for _, want := range []string{"usage: go run ./examples/quickstart", "-addr", "-config", "-dir", "-idp-addr"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %s printed %q; want %q in it", flagName, out.String(), want)
			}
		}
	}
	var out bytes.Buffer
	if err := run([]string{"--nope"}, &out); err == nil {
		t.Error("run --nope succeeded")
	}
}
