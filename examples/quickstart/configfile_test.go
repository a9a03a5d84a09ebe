package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

// --config with a file that has no base_url: the app takes the URL it
// listens on, an http loopback one, and its cookies follow it (a
// __Host- cookie needs https).
func TestConfigFileWithoutBaseURL(t *testing.T) {
	t.Parallel()
	idp, err := mockidp.Listen("127.0.0.1:0", mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	yaml := "server_metadata_url: " + idp.URL + "/.well-known/openid-configuration\n" +
		"client_id: " + mockidp.DemoClientID + "\n" +
		"client_secret: " + mockidp.DemoClientSecret + "\n" +
		"secret_key: k7Jq9vXyPz3mN2bR8tW5cL1dF6gH4sA0eU9iO7pQ2wE=\n" +
		"capabilities:\n  graph: {payroll: [], user_management: []}\n  user_file: users.yaml\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	const base = "http://127.0.0.1:8000"
	app, err := newApp(t.Context(), appOptions{ConfigFile: path, BaseURL: base, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	defer app.Close()
	if got := app.Manager.Config(); got.BaseURL != base || got.Cookie.Name != "oauthgate_session" {
		t.Errorf("base_url %q cookie %q", got.BaseURL, got.Cookie.Name)
	}
	rec := httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	if rec.Code != http.StatusFound {
		t.Fatalf("GET /login: %d %s", rec.Code, rec.Body)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), idp.URL) || loc.Query().Get("redirect_uri") != base+"/auth" {
		t.Errorf("login redirect %v (%v)", loc, err)
	}
}
