package auth_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
)

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
