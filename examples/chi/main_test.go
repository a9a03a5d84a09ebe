package main

import (
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/capabilities"
)

func TestRouter(t *testing.T) {
	t.Parallel()
	cfg := &auth.Config{Capabilities: capabilities.Config{
		Graph:               map[string][]string{"read": {}, "write": {"read"}, "user_management": {}},
		DefaultCapabilities: []string{"read"},
	}}
	at := authtest.New(t, cfg, newRouter, authtest.WithCapabilities(map[string][]string{
		"writer@example.com": {"write"},
	}))

	if got := at.Guest().Get("/").Expect(t, http.StatusOK).Text(t); got != "hello, guest: log in at /login\n" {
		t.Errorf("GET / as a guest = %q", got)
	}
	if got := at.Client("reader@example.com").Get("/").Expect(t, http.StatusOK).Text(t); got != "hello, reader@example.com\n" {
		t.Errorf("GET / as a user = %q", got)
	}
	at.Guest().Get("/me").Expect(t, http.StatusFound)
	at.Browser("reader@example.com").Get("/me").Expect(t, http.StatusOK)

	at.Guest().Get("/notes").Expect(t, http.StatusUnauthorized)
	at.Client("reader@example.com").Get("/notes").Expect(t, http.StatusOK)
	at.Client("reader@example.com").Post("/notes", `{"text": "x"}`).Expect(t, http.StatusForbidden)
	var created struct{ By string }
	at.Client("writer@example.com").Post("/notes", `{"text": "x"}`).Expect(t, http.StatusCreated).JSON(t, &created)
	if created.By != "writer@example.com" {
		t.Errorf("created by %q", created.By)
	}
	at.Service("notes-bot@service", "write").Post("/notes", nil).Expect(t, http.StatusCreated)
}
