package auth_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
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

func TestServiceTokenSnapshotAndCurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	grant(t, e, "boss@example.com", "user_management", "baker", "announce")
	grant(t, e, "bot@service", "baker", "announce")
	b := e.browser()
	b.login("boss@example.com", "/login")
	boss := identityOf(t, e, userToken(t, b))

	st, err := e.m.IssueServiceToken(ctx, boss, "Bot@Service")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"announce", "baker", "read", "write"}
	if st.Subject != "bot@service" || st.Kind != auth.KindService || !slices.Equal(st.Capabilities, want) {
		t.Fatalf("issued %+v", st)
	}
	bot := e.browser()
	r := bot.bearer("/bake", st.Token)
	expect(t, r, http.StatusOK)
	if r.body != "service:bot@service announce,baker,read,write" {
		t.Fatalf("body %q", r.body)
	}
	// Removing a capability from the account revokes it at once.
	grant(t, e, "bot@service", "announce")
	expect(t, bot.bearer("/bake", st.Token), http.StatusForbidden)
	// Adding it back works again; a new capability needs a new token.
	grant(t, e, "bot@service", "announce", "baker", "user_management")
	expect(t, bot.bearer("/bake", st.Token), http.StatusOK)
	if id := identityOf(t, e, st.Token); id.Has("user_management") {
		t.Fatal("a capability added after minting is held")
	}
	// The minter only hands out what it holds.
	grant(t, e, "boss@example.com", "user_management")
	st2, err := e.m.IssueServiceToken(ctx, identityOf(t, e, userToken(t, b)), "bot@service")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st2.Capabilities, []string{"read", "user_management"}) {
		t.Fatalf("snapshot %v", st2.Capabilities)
	}
}

func TestServiceTokenRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	grant(t, e, "boss@example.com", "user_management")
	b := e.browser()
	b.login("boss@example.com", "/login")
	boss := identityOf(t, e, userToken(t, b))
	for _, name := range []string{"bot", "bot@example.com", "@service", "a@b@service", "bot@service.com"} {
		_, err := e.m.IssueServiceToken(ctx, boss, name)
		if !errors.Is(err, auth.ErrBadRequest) {
			t.Errorf("%q: %v, want ErrBadRequest", name, err)
		}
		if code := auth.ErrorOf(err).Status; code != http.StatusBadRequest {
			t.Errorf("%q: status %d", name, code)
		}
	}
	u := e.browser()
	u.login("user@example.com", "/login")
	_, err := e.m.IssueServiceToken(ctx, identityOf(t, e, userToken(t, u)), "bot@service")
	if !errors.Is(err, auth.ErrForbidden) {
		t.Fatalf("user without user_management: %v", err)
	}
	_, err = e.m.IssueServiceToken(ctx, auth.IdentityFrom(ctx), "bot@service")
	if !errors.Is(err, auth.ErrNoIdentity) {
		t.Fatalf("guest: %v", err)
	}
}

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
