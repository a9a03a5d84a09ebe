package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"

	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

func TestRevokeOneToken(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	first := app.User(t, e2etest.UserEmail)
	second := app.User(t, e2etest.UserEmail)

	post(t, first, "/token/revoke", `{"token":"`+first.Bearer+`"}`, 200)
	resp := first.Get(t, "/me").Expect(t, 401)
	if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q; want invalid_token", got)
	}
	second.Get(t, "/me").Expect(t, 200)

	// Someone else's token needs user_management.
	other := app.User(t, e2etest.BossEmail)
	post(t, other, "/token/revoke", `{"token":"`+second.Bearer+`"}`, 403)
	second.Get(t, "/me").Expect(t, 200)
	manager := app.User(t, e2etest.ManagerEmail)
	post(t, manager, "/token/revoke", `{"token":"`+second.Bearer+`"}`, 200)
	second.Get(t, "/me").Expect(t, 401)

	if strings.Contains(app.Logs.String(), second.Bearer) {
		t.Error("a revoked token is in the logs")
	}
}

func TestRevokeAll(t *testing.T) {
	t.Parallel()
	clock := e2etest.NewClock()
	app := start(t, e2etest.Options{Edit: func(c *auth.Config) { c.Now = clock.Now }})
	a := app.User(t, e2etest.UserEmail)
	b := app.User(t, e2etest.UserEmail)
	post(t, a, "/token/revoke", `{"all":true}`, 200)
	a.Get(t, "/me").Expect(t, 401)
	b.Get(t, "/me").Expect(t, 401)

	// The admin revokes all of another user's tokens; a later login works.
	c := app.User(t, e2etest.BossEmail)
	admin := app.User(t, e2etest.AdminEmail)
	post(t, c, "/token/revoke", `{"email":"admin@corp.example","all":true}`, 403)
	admin.Get(t, "/me").Expect(t, 200)
	post(t, admin, "/token/revoke", `{"email":"boss@corp.example","all":true}`, 200)
	c.Get(t, "/me").Expect(t, 401)
	clock.Advance(2 * time.Second) // tokens keep whole seconds
	app.User(t, e2etest.BossEmail).Get(t, "/me").Expect(t, 200)

	// Malformed requests.
	post(t, admin, "/token/revoke", `{"email":"boss@corp.example"}`, 400)
	post(t, admin, "/token/revoke", `{"token":"x","all":true}`, 400)
	post(t, admin, "/token/revoke", `{"all":"yes"}`, 400)
}
