package auth_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestLoginFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	expect(t, b.get("/me"), http.StatusUnauthorized)

	next := b.login("Alice@Example.com", "/login?next=/me%3Fx%3D1")
	if next != "/me?x=1" {
		t.Fatalf("next = %q, want /me?x=1", next)
	}
	r := b.get("/me")
	expect(t, r, http.StatusOK)
	if r.body != "user:alice@example.com read" {
		t.Fatalf("body %q", r.body)
	}
	// The flow cookie is gone, and no IdP token is in any cookie.
	for _, c := range b.c.Jar.Cookies(mustURL(t, e.app.URL+"/auth")) {
		if strings.Contains(c.Name, "_flow_") {
			t.Fatalf("flow cookie %s still set", c.Name)
		}
	}
}
