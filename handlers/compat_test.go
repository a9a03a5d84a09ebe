package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"github.com/oauthgate/oauthgate/internal/confdecode"
	"github.com/oauthgate/oauthgate/mockidp"
)

// easyOAuthConfig is a config.yaml as easy-oauth's README writes it, with
// the client secret encrypted in place as serieux does.
const easyOAuthConfig = `server_metadata_url: {{IDP}}/.well-known/openid-configuration
secret_key: "{{SECRET}}"
client_id: "oauthgate-demo"
client_secret: "{{CRYPT}}"
client_kwargs:
  scope: openid email
  prompt: select_account
capabilities:
  graph:
    read: []
    write: [read]
    moderate: [read, write]
    announce: [read, write]
    user_management: []
  auto_admin: true
  user_file: caps.yaml
  default_capabilities: [read]
  guest_capabilities: []
prefix: ""
`

// easyOAuthCaps is easy-oauth's example user capability file.
const easyOAuthCaps = `your-email@you.com:
  - admin
friend@rainbows.com:
  - moderate
  - announce
pierre-jean-jacques@youhou.fr:
  - read
hateful-being@cornhole.co: []
`

// TestEasyOAuthConfig loads an easy-oauth configuration unchanged (no key of
// ours) and checks that the app behaves as easy-oauth documents.
func TestEasyOAuthConfig(t *testing.T) {
	const password = "change_me!!1"
	t.Setenv("OAUTHGATE_PASSWORD", password)
	crypt := confdecode.Encrypt(password, mockidp.DemoClientSecret)
	idp := e2etest.IdP(t)
	dir := t.TempDir()
	conf := strings.NewReplacer("{{IDP}}", idp.URL, "{{SECRET}}", e2etest.SecretKey(), "{{CRYPT}}", crypt).Replace(easyOAuthConfig)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "caps.yaml"), []byte(easyOAuthCaps), 0o600); err != nil {
		t.Fatal(err)
	}
	// Load from another folder: user_file is relative to the config file.
	t.Chdir(t.TempDir())
	cfg, err := auth.LoadConfig(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.ClientSecret != mockidp.DemoClientSecret {
		t.Fatalf("client_secret was not decrypted")
	}
	logs := &e2etest.SyncBuffer{}
	cfg.Logger = newLogger(logs)
	build := func(m *auth.Manager) http.Handler {
		mux := http.NewServeMux()
		handlers.Mount(mux, m)
		for _, c := range []string{"read", "write", "announce"} {
			mux.Handle("GET /"+c, m.Require(c)(http.HandlerFunc(e2etest.Echo)))
		}
		mux.Handle("GET /shout", m.Require("announce", auth.RedirectToLogin)(http.HandlerFunc(e2etest.Echo)))
		mux.Handle("GET /hello", m.Optional()(http.HandlerFunc(e2etest.Echo)))
		return mux
	}
	// No base_url: the app runs on loopback, where the callback URL may
	// be derived from the request.
	app := e2etest.StartConfig(t, httptest.NewUnstartedServer(nil), cfg, idp, build, map[string][]string{}, logs)

	// Guests are refused (401), users by capability (403), as in
	// easy-oauth's AppTester example.
	app.Guest().Get(t, "/read").Expect(t, 401)
	app.Guest().Get(t, "/shout").Expect(t, http.StatusFound)
	app.User(t, "pierre-jean-jacques@youhou.fr").Get(t, "/write").Expect(t, 403)
	app.User(t, "hateful-being@cornhole.co").Get(t, "/read").Expect(t, 200) // default_capabilities
	app.User(t, "friend@rainbows.com").Get(t, "/announce").Expect(t, 200)
	admin := app.User(t, "your-email@you.com")
	admin.Get(t, "/announce").Expect(t, 200)

	// The README's service account workflow.
	post(t, admin, "/manage_capabilities/set", `{"email": "bot@service", "capabilities": ["write"]}`, 200)
	tok := admin.ServiceToken(t, "bot@service")
	if tok.User != "bot@service" || !slices.Equal(tok.Capabilities, []string{"read", "write"}) {
		t.Errorf("service token answer = %+v", tok)
	}
	app.WithBearer("bot", tok.ServiceToken).Get(t, "/write").Expect(t, 200)

	// Changes land in caps.yaml, in the same format.
	post(t, admin, "/manage_capabilities/add", `{"email": "pierre-jean-jacques@youhou.fr", "capability": "write"}`, 200)
	data, err := os.ReadFile(filepath.Join(dir, "caps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "pierre-jean-jacques@youhou.fr:\n    - read\n    - write\n") &&
		!strings.Contains(string(data), "pierre-jean-jacques@youhou.fr:\n  - read\n  - write\n") {
		t.Errorf("caps.yaml = %s", data)
	}
	var b capsBody
	admin.Get(t, "/manage_capabilities/list?email=friend@rainbows.com").Expect(t, 200).JSON(t, &b)
	if b.Status != "ok" || b.Email != "friend@rainbows.com" || !slices.Equal(*b.Capabilities, []string{"announce", "moderate"}) {
		t.Errorf("list = %+v", b)
	}
	if strings.Contains(logs.String(), mockidp.DemoClientSecret) || strings.Contains(logs.String(), password) {
		t.Error("a secret is in the logs")
	}
}
