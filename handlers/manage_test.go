package handlers_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// capsBody is the answer of the /manage_capabilities routes; pointers tell
// a missing key from an empty one.
type capsBody struct {
	Status       string               `json:"status"`
	Email        string               `json:"email"`
	Capabilities *[]string            `json:"capabilities"`
	Effective    *[]string            `json:"effective"`
	Users        *map[string][]string `json:"users"`
	Graph        *map[string][]string `json:"graph"`
}

func decodeCaps(t *testing.T, r *e2etest.Response) capsBody {
	t.Helper()
	var b capsBody
	r.JSON(t, &b)
	if b.Status != "ok" || b.Capabilities == nil {
		t.Fatalf("body = %s; want status ok and capabilities", r.Body)
	}
	return b
}

func TestListShapes(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})

	// A newcomer: nothing stored, the defaults in effect.
	user := app.User(t, e2etest.UserEmail)
	b := decodeCaps(t, user.Get(t, "/manage_capabilities/list").Expect(t, 200))
	if b.Email != e2etest.UserEmail || len(*b.Capabilities) != 0 || b.Effective == nil || !slices.Equal(*b.Effective, []string{"read"}) {
		t.Errorf("newcomer: %+v", b)
	}
	if b.Users != nil || b.Graph != nil {
		t.Errorf("a user without user_management sees users or graph")
	}

	// Overrides count in the effective set, never in the stored one.
	boss := app.User(t, e2etest.BossEmail)
	b = decodeCaps(t, boss.Get(t, "/manage_capabilities/list_user").Expect(t, 200))
	if len(*b.Capabilities) != 0 || !slices.Equal(*b.Effective, []string{"announce", "read", "write"}) {
		t.Errorf("override: capabilities %v effective %v", *b.Capabilities, *b.Effective)
	}

	// A manager listing without email gets every user and the graph.
	admin := app.User(t, e2etest.AdminEmail)
	b = decodeCaps(t, admin.Get(t, "/manage_capabilities/list").Expect(t, 200))
	if b.Users == nil || !slices.Equal((*b.Users)[e2etest.ManagerEmail], []string{"user_management", "write"}) {
		t.Errorf("users = %v", b.Users)
	}
	if b.Graph == nil || !slices.Equal((*b.Graph)["write"], []string{"read"}) {
		t.Errorf("graph = %v", b.Graph)
	}
	// With email: that user only, in the easy-oauth form.
	resp := admin.Get(t, "/manage_capabilities/list?email=Manager@Corp.Example").Expect(t, 200)
	b = decodeCaps(t, resp)
	if b.Email != e2etest.ManagerEmail || !slices.Equal(*b.Capabilities, []string{"user_management", "write"}) || b.Users != nil {
		t.Errorf("list?email = %s", resp.Body)
	}
	var raw map[string]json.RawMessage
	resp.JSON(t, &raw)
	for k := range raw {
		if !slices.Contains([]string{"status", "email", "capabilities", "effective"}, k) {
			t.Errorf("unexpected key %q in %s", k, resp.Body)
		}
	}
}

// A user holding nothing, and a manager listing an empty store, still get
// the effective and users keys, as empty list and object.
func TestListEmptyKeysPresent(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{Users: map[string][]string{}, Edit: func(c *auth.Config) {
		c.Capabilities.DefaultCapabilities = nil
		c.Capabilities.UserOverrides = map[string][]string{e2etest.AdminEmail: {"admin"}}
	}})
	b := decodeCaps(t, app.User(t, e2etest.UserEmail).Get(t, "/manage_capabilities/list").Expect(t, 200))
	if b.Effective == nil || len(*b.Effective) != 0 {
		t.Errorf("a user holding nothing: effective = %v; want []", b.Effective)
	}
	b = decodeCaps(t, app.User(t, e2etest.AdminEmail).Get(t, "/manage_capabilities/list").Expect(t, 200))
	if b.Users == nil || len(*b.Users) != 0 || b.Graph == nil {
		t.Errorf("a manager over an empty store: users = %v, graph = %v; want {} and the graph", b.Users, b.Graph)
	}
}

func TestChangeCapabilities(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	admin := app.User(t, e2etest.AdminEmail)
	const who = "Newbie@Corp.Example"

	b := decodeCaps(t, post(t, admin, "/manage_capabilities/add", `{"email":"`+who+`","capability":"write"}`, 200))
	if b.Email != "newbie@corp.example" || !slices.Equal(*b.Capabilities, []string{"write"}) {
		t.Errorf("add: %+v %v", b, *b.Capabilities)
	}
	b = decodeCaps(t, post(t, admin, "/manage_capabilities/add", `{"email":"`+who+`","capabilities":["baker","look"]}`, 200))
	if !slices.Equal(*b.Capabilities, []string{"baker", "look", "write"}) {
		t.Errorf("add list: %v", *b.Capabilities)
	}
	b = decodeCaps(t, post(t, admin, "/manage_capabilities/remove", `{"email":"`+who+`","capabilities":["look","baker"]}`, 200))
	if !slices.Equal(*b.Capabilities, []string{"write"}) {
		t.Errorf("remove: %v", *b.Capabilities)
	}
	b = decodeCaps(t, post(t, admin, "/manage_capabilities/set", `{"email":"`+who+`","capabilities":[]}`, 200))
	if len(*b.Capabilities) != 0 {
		t.Errorf("set []: %v", *b.Capabilities)
	}

	// The newbie logs in and holds what was granted, at once.
	newbie := app.User(t, "newbie@corp.example")
	newbie.Get(t, "/write").Expect(t, 403)
	post(t, admin, "/manage_capabilities/set", `{"email":"newbie@corp.example","capabilities":["write"]}`, 200)
	newbie.Get(t, "/write").Expect(t, 200)

	// Delegation: the manager may grant write (held) but not baker.
	manager := app.User(t, e2etest.ManagerEmail)
	post(t, manager, "/manage_capabilities/add", `{"email":"newbie@corp.example","capability":"read"}`, 200)
	d := post(t, manager, "/manage_capabilities/add", `{"email":"newbie@corp.example","capability":"baker"}`, 403).Detail(t)
	if d == "" {
		t.Error("403 without detail")
	}
	// set checks what it removes too.
	post(t, admin, "/manage_capabilities/add", `{"email":"newbie@corp.example","capability":"baker"}`, 200)
	post(t, manager, "/manage_capabilities/set", `{"email":"newbie@corp.example","capabilities":["write"]}`, 403)
	// Unknown capability: 400 naming it; nothing changes.
	d = post(t, admin, "/manage_capabilities/add", `{"email":"newbie@corp.example","capabilities":["write","bogus"]}`, 400).Detail(t)
	if d != `unknown capability "bogus"` {
		t.Errorf("detail = %q", d)
	}
	b = decodeCaps(t, admin.Get(t, "/manage_capabilities/list?email=newbie@corp.example").Expect(t, 200))
	if !slices.Equal(*b.Capabilities, []string{"baker", "read", "write"}) {
		t.Errorf("after refusals: %v", *b.Capabilities)
	}
}

func TestGuestCapabilities(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	g := app.Guest()
	if got := string(g.Get(t, "/look").Expect(t, 200).Body); got != "guest " {
		t.Errorf("/look = %q", got)
	}
	g.Get(t, "/read").Expect(t, 401)
	g.Get(t, "/manage_capabilities/list").Expect(t, 401)
}
