package security_test

import (
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// Authorization: minting service tokens and changing capabilities need
// user_management, a manager delegates only what it holds (never admin
// unless it is one), a service token loses a capability the moment its
// account does, and guests are 401 on every management route.

func TestAuthorizationMinting(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	user := a.User(t, e2etest.UserEmail)
	boss := a.User(t, e2etest.BossEmail)
	browser := a.Browser(t, e2etest.UserEmail)
	for _, c := range []*e2etest.Client{user, boss, browser} {
		c.Get(t, "/token?user="+e2etest.ServiceName).Expect(t, http.StatusForbidden)
	}
	// A service token cannot mint one either, even for itself.
	admin := a.User(t, e2etest.AdminEmail)
	svc := a.Service(t, admin, e2etest.ServiceName)
	svc.Get(t, "/token?user="+e2etest.ServiceName).Expect(t, http.StatusForbidden)
	svc.Get(t, "/token").Expect(t, http.StatusBadRequest)
	// The manager's service token carries only what the manager holds
	// (write, not baker).
	manager := a.User(t, e2etest.ManagerEmail)
	mtok := manager.ServiceToken(t, e2etest.ServiceName)
	ms := a.WithBearer("ms", mtok.ServiceToken)
	ms.Get(t, "/write").Expect(t, http.StatusOK)
	ms.Get(t, "/bake").Expect(t, http.StatusForbidden)
}

func TestAuthorizationDelegation(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	manager := a.User(t, e2etest.ManagerEmail)
	user := a.User(t, e2etest.UserEmail)
	const target = `"email":"target@corp.example"`
	for _, tc := range []struct {
		who  *e2etest.Client
		path string
		body string
		want int
	}{
		{user, "add", `{` + target + `,"capability":"read"}`, 403},
		{user, "add", `{"email":"user@corp.example","capability":"write"}`, 403}, // not even to oneself
		{manager, "add", `{` + target + `,"capability":"announce"}`, 403},
		{manager, "add", `{` + target + `,"capabilities":["write","announce"]}`, 403},
		{manager, "add", `{` + target + `,"capability":"admin"}`, 403},
		{manager, "add", `{"email":"manager@corp.example","capability":"admin"}`, 403},
		{manager, "set", `{` + target + `,"capabilities":["admin"]}`, 403},
		{manager, "set", `{` + target + `,"capabilities":["write","baker"]}`, 403},
		{manager, "set", `{"email":"admin@corp.example","capabilities":["write"]}`, 403}, // removes admin
		{manager, "remove", `{"email":"admin@corp.example","capability":"admin"}`, 403},
		{manager, "remove", `{"email":"bot@service","capability":"baker"}`, 403},
		{manager, "add", `{` + target + `,"capability":"write"}`, 200},
		{manager, "remove", `{` + target + `,"capability":"write"}`, 200},
	} {
		tc.who.Do(t, http.MethodPost, "/manage_capabilities/"+tc.path, tc.body).Expect(t, tc.want)
	}
	// Nothing refused was stored.
	var got struct{ Capabilities []string }
	a.User(t, e2etest.AdminEmail).Get(t, "/manage_capabilities/list?email=target@corp.example").Expect(t, 200).JSON(t, &got)
	if len(got.Capabilities) != 0 {
		t.Errorf("target holds %v; want nothing", got.Capabilities)
	}
	user.Get(t, "/write").Expect(t, http.StatusForbidden)
	a.User(t, e2etest.AdminEmail).Get(t, "/manage_capabilities/list?email=admin@corp.example").Expect(t, 200)
}

func TestAuthorizationServiceCapabilityRemoved(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	admin := a.User(t, e2etest.AdminEmail)
	svc := a.Service(t, admin, e2etest.ServiceName)
	svc.Get(t, "/bake").Expect(t, http.StatusOK)
	svc.Get(t, "/write").Expect(t, http.StatusOK)
	admin.Do(t, http.MethodPost, "/manage_capabilities/remove", `{"email":"bot@service","capability":"baker"}`).Expect(t, 200)
	svc.Get(t, "/bake").Expect(t, http.StatusForbidden) // at once: no cache delay
	svc.Get(t, "/write").Expect(t, http.StatusOK)
	// Giving it back does not widen the old token beyond its snapshot...
	admin.Do(t, http.MethodPost, "/manage_capabilities/add", `{"email":"bot@service","capability":"announce"}`).Expect(t, 200)
	svc.Get(t, "/announce").Expect(t, http.StatusForbidden)
	// ...and a capability the snapshot held comes back only with the store.
	admin.Do(t, http.MethodPost, "/manage_capabilities/add", `{"email":"bot@service","capability":"baker"}`).Expect(t, 200)
	svc.Get(t, "/bake").Expect(t, http.StatusOK)
	// Emptying the account leaves the token nothing.
	admin.Do(t, http.MethodPost, "/manage_capabilities/set", `{"email":"bot@service","capabilities":[]}`).Expect(t, 200)
	svc.Get(t, "/write").Expect(t, http.StatusForbidden)
	svc.Get(t, "/bake").Expect(t, http.StatusForbidden)
}

func TestAuthorizationGuests(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	guest := a.Guest()
	body := `{"email":"user@corp.example","capability":"read"}`
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/manage_capabilities/list", ""},
		{"GET", "/manage_capabilities/list?email=admin@corp.example", ""},
		{"GET", "/manage_capabilities/list_user?email=admin@corp.example", ""},
		{"POST", "/manage_capabilities/add", body},
		{"POST", "/manage_capabilities/remove", body},
		{"POST", "/manage_capabilities/set", `{"email":"user@corp.example","capabilities":["read"]}`},
		{"POST", "/token/revoke", `{"email":"user@corp.example","all":true}`},
	} {
		resp := guest.Do(t, r.method, r.path, r.body).Expect(t, http.StatusUnauthorized)
		if resp.Header.Get("WWW-Authenticate") != "Bearer" || resp.Detail(t) == "" {
			t.Errorf("%s %s: 401 without challenge or detail", r.method, r.path)
		}
	}
	// A guest with a guest capability is still no manager.
	guest.Get(t, "/look").Expect(t, http.StatusOK)
	guest.Get(t, "/users").Expect(t, http.StatusUnauthorized)
}
