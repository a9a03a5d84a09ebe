package main

import (
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/capabilities"
)

func TestEngine(t *testing.T) {
	t.Parallel()
	cfg := &auth.Config{Prefix: "/api/v1", Capabilities: capabilities.Config{
		Graph:               map[string][]string{"read": {}, "write": {"read"}, "user_management": {}},
		DefaultCapabilities: []string{"read"},
	}}
	at := authtest.New(t, cfg, newEngine, authtest.WithCapabilities(map[string][]string{
		"writer@example.com": {"write"},
	}))

	if got := at.Guest().Get("/").Expect(t, http.StatusOK).Text(t); got != "hello, guest\n" {
		t.Errorf("GET / as a guest = %q", got)
	}
	if got := at.Browser("reader@example.com").Get("/").Expect(t, http.StatusOK).Text(t); got != "hello, reader@example.com\n" {
		t.Errorf("GET / in a session = %q", got)
	}
	at.Guest().Get("/me").Expect(t, http.StatusFound)
	var caps []string
	at.Client("reader@example.com").Get("/me").Expect(t, http.StatusOK).JSON(t, &caps)
	if len(caps) != 1 || caps[0] != "read" {
		t.Errorf("capabilities = %q; want [read]", caps)
	}
	at.Guest().Get("/notes").Expect(t, http.StatusUnauthorized)
	at.Client("reader@example.com").Post("/notes", nil).Expect(t, http.StatusForbidden)
	at.Client("writer@example.com").Post("/notes", nil).Expect(t, http.StatusCreated)
	at.Service("notes-bot@service", "read").Get("/notes").Expect(t, http.StatusOK)
	at.Service("notes-bot@service", "read").Post("/notes", nil).Expect(t, http.StatusForbidden)
}
