package auth_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
)

func TestRevokeToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	b := e.browser()
	b.login("erin@example.com", "/login")
	tok := userToken(t, b)
	tok2 := userToken(t, b)
	erin := identityOf(t, e, tok)

	m := e.browser()
	m.login("mallory@example.com", "/login")
	mallory := identityOf(t, e, userToken(t, m))
	if err := e.m.RevokeToken(ctx, mallory, tok); !errors.Is(err, auth.ErrForbidden) {
		t.Fatalf("revoked by another user: %v", err)
	}
	if err := e.m.RevokeToken(ctx, erin, "garbage"); !errors.Is(err, auth.ErrBadRequest) {
		t.Fatalf("garbage: %v", err)
	}
	if err := e.m.RevokeToken(ctx, erin, tok); err != nil {
		t.Fatal(err)
	}
	r := e.browser().bearer("/me", tok)
	expect(t, r, http.StatusUnauthorized)
	if d := detail(t, r); d != "token revoked" {
		t.Fatalf("detail %q", d)
	}
	expect(t, e.browser().bearer("/me", tok2), http.StatusOK)

	// Revoke all: every token and the session of the user.
	if err := e.m.RevokeAll(ctx, mallory, "erin@example.com"); !errors.Is(err, auth.ErrForbidden) {
		t.Fatalf("revoke all by another user: %v", err)
	}
	if err := e.m.RevokeAll(ctx, identityOf(t, e, tok2), "erin@example.com"); err != nil {
		t.Fatal(err)
	}
	expect(t, e.browser().bearer("/me", tok2), http.StatusUnauthorized)
	expect(t, b.get("/me"), http.StatusUnauthorized)
	// A new login right after works (issue times are kept to the second).
	b.login("erin@example.com", "/login")
	expect(t, b.get("/me"), http.StatusOK)
	expect(t, e.browser().bearer("/me", userToken(t, b)), http.StatusOK)
}

func TestRevocationSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	userFile := filepath.Join(dir, "caps.yaml")
	configure := func(c *auth.Config) { c.Capabilities.UserFile = userFile }
	e := newEnv(t, envOptions{configure: configure})
	ctx := context.Background()
	grant(t, e, "boss@example.com", "user_management", "baker")
	grant(t, e, "bot@service", "baker")
	b := e.browser()
	b.login("boss@example.com", "/login")
	tok, keep, all := userToken(t, b), userToken(t, b), ""
	boss := identityOf(t, e, keep)
	st, err := e.m.IssueServiceToken(ctx, boss, "bot@service")
	if err != nil {
		t.Fatal(err)
	}
	all = st.Token
	if err := e.m.RevokeToken(ctx, boss, tok); err != nil {
		t.Fatal(err)
	}
	if err := e.m.RevokeAll(ctx, boss, "bot@service"); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Close(); err != nil {
		t.Fatal(err)
	}

	cfg := *e.cfg
	m2, err := auth.New(ctx, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	for _, tc := range []struct {
		token string
		ok    bool
	}{{tok, false}, {keep, true}, {all, false}} {
		req, _ := http.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		_, err := m2.Identify(req)
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, auth.ErrTokenRevoked) {
			t.Errorf("after restart: %v (want ok=%v)", err, tc.ok)
		}
	}
}
