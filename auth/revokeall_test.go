package auth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
)

// A "revoke all" covers every token and session issued before it, also
// those issued in the same second after an earlier "revoke all" (their
// issue time is moved past that one).
func TestRevokeAllTwiceInOneSecond(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	grant(t, e, "boss@example.com", "user_management")
	grant(t, e, "bot@service", "user_management")
	b := e.browser()
	b.login("boss@example.com", "/login")
	boss := identityOf(t, e, userToken(t, b))

	// The clock stands still: everything below happens in one second.
	if err := e.m.RevokeAll(ctx, boss, "bot@service"); err != nil {
		t.Fatal(err)
	}
	if err := e.m.RevokeAll(ctx, boss, "erin@example.com"); err != nil {
		t.Fatal(err)
	}
	st, err := e.m.IssueServiceToken(ctx, boss, "bot@service")
	if err != nil {
		t.Fatal(err)
	}
	erin := e.browser()
	erin.login("erin@example.com", "/login")
	tok := userToken(t, erin)
	// Issued after the first revocation: alive.
	expect(t, e.browser().bearer("/me", st.Token), http.StatusOK)
	expect(t, e.browser().bearer("/me", tok), http.StatusOK)
	expect(t, erin.get("/me"), http.StatusOK)

	if err := e.m.RevokeAll(ctx, boss, "bot@service"); err != nil {
		t.Fatal(err)
	}
	if err := e.m.RevokeAll(ctx, boss, "erin@example.com"); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]response{
		"service token": e.browser().bearer("/me", st.Token),
		"user token":    e.browser().bearer("/me", tok),
		"session":       erin.get("/me"),
	} {
		if r.code != http.StatusUnauthorized {
			t.Errorf("%s after the second revoke all: %d %s; want 401", name, r.code, r.body)
		}
	}
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+st.Token)
	if _, err := e.m.Identify(req); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Errorf("service token: %v; want ErrTokenRevoked", err)
	}

	// A token issued after the second one lives.
	st2, err := e.m.IssueServiceToken(ctx, boss, "bot@service")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, e.browser().bearer("/me", st2.Token), http.StatusOK)

	// So many in one second that a new token would be dated further
	// ahead than tokens are accepted: no token rather than a dead one.
	for range 130 {
		if err := e.m.RevokeAll(ctx, boss, "bot@service"); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := e.m.IssueServiceToken(ctx, boss, "bot@service"); err == nil {
		t.Errorf("issued %+v after 130 revocations in one second", st)
	}
}
