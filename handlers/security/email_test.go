package security_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// Emails: one rule decides what an address is, at every door. An address
// the login refuses cannot be given capabilities through the management
// routes either, nor be minted a service token, and the reverse: white
// space of any kind, control and invisible formatting characters, an
// empty domain label, quotes, list separators, a second "@".

// TestEmailOneRule: each bad address is refused by the login (a 400 page,
// no session) when the provider asserts it, by the management routes (400,
// nothing stored) and, as a service account name, by the token route.
func TestEmailOneRule(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	a := startWith(t, idp, e2etest.Options{})
	admin := a.User(t, e2etest.AdminEmail)
	for _, tc := range []struct {
		name, email string
		login       bool // the mock provider can assert it (no ASCII space or control character)
	}{
		{"no-break space", "eve\u00a0x@corp.example", true},
		{"line separator", "eve\u2028@corp.example", true},
		{"zero-width space", "admin\u200b@corp.example", true},
		{"right-to-left override", "eve\u202e@corp.example", true},
		{"comma", "eve,admin@corp.example", true},
		{"angle brackets", "<eve>@corp.example", true},
		{"quotes", `"eve"@corp.example`, true},
		{"empty domain label", "eve@corp..example", true},
		{"trailing dot", "eve@corp.example.", true},
		{"two @", "eve@evil.example@corp.example", true},
		{"NUL", "eve\x00@corp.example", false},
		{"escape", "eve\x1b[8m@corp.example", false},
		{"next line", "eve\u0085@corp.example", false},
		{"tab", "eve\t@corp.example", false},
		{"trailing no-break space", "eve@corp.example\u00a0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.login {
				if err := idp.Provider.NextLogin(tc.email, nil); err != nil {
					t.Fatal(err)
				}
				b := a.NewBrowser("b")
				refused(t, b, b.StartLogin(t, "", "/me", false))
			}
			body, _ := json.Marshal(map[string]any{"email": tc.email, "capability": "read"})
			if d := admin.Do(t, http.MethodPost, a.Prefix+"/manage_capabilities/add", string(body)).Expect(t, http.StatusBadRequest).Detail(t); d == "" {
				t.Error("add: no detail")
			}
			admin.Get(t, a.Prefix+"/manage_capabilities/list?email="+url.QueryEscape(tc.email)).Expect(t, http.StatusBadRequest)
			if name, ok := strings.CutSuffix(tc.email, "@corp.example"); ok {
				admin.Get(t, a.Prefix+"/token?user="+url.QueryEscape(name+"@service")).Expect(t, http.StatusBadRequest)
			}
		})
	}
	// Nothing was stored on the way.
	var all struct{ Users map[string][]string }
	admin.Get(t, a.Prefix+"/manage_capabilities/list").Expect(t, http.StatusOK).JSON(t, &all)
	for email := range all.Users {
		switch email {
		case e2etest.AdminEmail, e2etest.ManagerEmail, e2etest.ServiceName:
		default:
			t.Errorf("stored %q", email)
		}
	}
}
