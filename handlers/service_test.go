package handlers_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// post sends a JSON body and expects code.
func post(t *testing.T, c *e2etest.Client, path, body string, code int) *e2etest.Response {
	t.Helper()
	return c.Do(t, http.MethodPost, path, body).Expect(t, code)
}

func TestServiceTokenSnapshotAndCurrent(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	admin := app.User(t, e2etest.AdminEmail)

	tok := admin.ServiceToken(t, e2etest.ServiceName)
	if tok.User != e2etest.ServiceName {
		t.Errorf("user = %q", tok.User)
	}
	// The snapshot is the closure of the account's capabilities.
	if want := []string{"baker", "read", "write"}; !slices.Equal(tok.Capabilities, want) {
		t.Errorf("capabilities = %v; want %v", tok.Capabilities, want)
	}
	bot := app.WithBearer("bot", tok.ServiceToken)
	if got := string(bot.Get(t, "/me").Expect(t, 200).Body); got != "service bot@service" {
		t.Errorf("/me = %q", got)
	}
	bot.Get(t, "/write").Expect(t, 200)
	bot.Get(t, "/read").Expect(t, 200)

	// Removing a capability in the store revokes it at once.
	post(t, admin, "/manage_capabilities/remove", `{"email":"bot@service","capability":"write"}`, 200)
	bot.Get(t, "/write").Expect(t, 403)
	bot.Get(t, "/read").Expect(t, 200) // still held: a default capability, and in the snapshot
	bot.Get(t, "/bake").Expect(t, 200)

	// Adding it back: held now and in the snapshot.
	post(t, admin, "/manage_capabilities/add", `{"email":"bot@service","capability":"write"}`, 200)
	bot.Get(t, "/write").Expect(t, 200)

	// A capability added after minting needs a new token.
	post(t, admin, "/manage_capabilities/add", `{"email":"bot@service","capability":"announce"}`, 200)
	bot.Get(t, "/announce").Expect(t, 403)
	app.Service(t, admin, e2etest.ServiceName).Get(t, "/announce").Expect(t, 200)
}

func TestServiceTokenDelegation(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	// The manager holds user_management and write (read by implication
	// and default), not baker: its token for the bot cannot bake.
	manager := app.User(t, e2etest.ManagerEmail)
	tok := manager.ServiceToken(t, e2etest.ServiceName)
	if want := []string{"read", "write"}; !slices.Equal(tok.Capabilities, want) {
		t.Errorf("capabilities = %v; want %v", tok.Capabilities, want)
	}
	bot := app.WithBearer("bot", tok.ServiceToken)
	bot.Get(t, "/write").Expect(t, 200)
	bot.Get(t, "/bake").Expect(t, 403)

	user := app.User(t, e2etest.UserEmail)
	if d := user.Get(t, "/token?user=bot@service").Expect(t, 403).Detail(t); d == "" {
		t.Error("403 without detail")
	}
	admin := app.User(t, e2etest.AdminEmail)
	admin.Get(t, "/token?user=someone@corp.example").Expect(t, 400)
	admin.Get(t, "/token?user=").Expect(t, 400)
	admin.Get(t, "/token?user=a@service&user=b@service").Expect(t, 400)
	// A service token cannot mint tokens.
	bot.Get(t, "/token?user=bot@service").Expect(t, 403)
}
