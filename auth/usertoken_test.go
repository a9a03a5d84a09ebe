package auth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
)

func TestUserToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	// Not logged in: /token goes through the login and back.
	r := b.get("/token")
	expect(t, r, http.StatusFound)
	if got := r.header.Get("Location"); got != "/login?next=%2Ftoken" {
		t.Fatalf("Location %q", got)
	}
	b.login("dave@example.com", "/login?next=/token")
	tok := userToken(t, b)
	other := e.browser()
	r = other.bearer("/me", tok)
	expect(t, r, http.StatusOK)
	if r.body != "user:dave@example.com read" {
		t.Fatalf("body %q", r.body)
	}
	// Expiry follows the injected clock.
	e.clock.Advance(e.m.Config().TokenTTL)
	r = other.bearer("/me", tok)
	expect(t, r, http.StatusUnauthorized)
	if d := detail(t, r); d != "token expired" {
		t.Fatalf("detail %q", d)
	}
}

func TestTokenFromTokenDoesNotOutliveIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.login("dave@example.com", "/login")
	first := userToken(t, b)
	e.clock.Advance(time.Hour)
	id := identityOf(t, e, first)
	second, err := e.m.IssueUserToken(nil, nil, id)
	if err != nil {
		t.Fatal(err)
	}
	if !second.ExpiresAt.Equal(id.ExpiresAt) {
		t.Fatalf("token from a token expires %s, parent %s", second.ExpiresAt, id.ExpiresAt)
	}
	if _, err := e.m.IssueUserToken(nil, nil, auth.IdentityFrom(context.Background())); !errors.Is(err, auth.ErrNoIdentity) {
		t.Fatalf("guest got a token: %v", err)
	}
}

func identityOf(t *testing.T, e *env, token string) *auth.Identity {
	t.Helper()
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	id, err := e.m.Identify(req)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func grant(t *testing.T, e *env, email string, caps ...string) {
	t.Helper()
	if _, err := e.m.Users().Store().Set(context.Background(), email, caps); err != nil {
		t.Fatal(err)
	}
}

func TestForceUser(t *testing.T) {
	t.Setenv(auth.ForceUserEnv, "")
	cfg := testConfig()
	cfg.InsecureForceUser = "dev@example.com"
	if _, err := auth.New(context.Background(), cfg); err == nil {
		t.Fatal("force_user accepted without the explicit allow")
	}
	e := newEnv(t, envOptions{configure: func(c *auth.Config) {
		c.InsecureForceUser = "dev@example.com"
		c.InsecureAllowForceUser = true
	}})
	if !containsAll(e.logs.String(), "level=WARN", "INSECURE", "dev@example.com") {
		t.Fatalf("no loud warning: %s", e.logs.String())
	}
	r := e.browser().get("/me")
	expect(t, r, http.StatusOK)
	if r.body != "user:dev@example.com read" {
		t.Fatalf("body %q", r.body)
	}
	grant(t, e, "dev@example.com", "baker")
	expect(t, e.browser().get("/bake"), http.StatusOK)
}
