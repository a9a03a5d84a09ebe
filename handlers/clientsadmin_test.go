package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

type clientsList struct {
	Status  string `json:"status"`
	Clients []struct {
		ClientID string   `json:"client_id"`
		Sub      string   `json:"sub"`
		Audience []string `json:"audience"`
		Scope    string   `json:"scope"`
		Disabled bool     `json:"disabled"`
		Source   string   `json:"source"`
	} `json:"clients"`
}

// The machine clients' routes: a manager lists them, disables, enables
// and rotates a stored client's secret; the clients of the configuration
// are listed but not changed; others are refused.
func TestClientsAdminRoutes(t *testing.T) {
	t.Parallel()
	a := startCC(t, "")
	ctx := context.Background()
	hash, err := clientcreds.HashClientSecret("stored-secret-42")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutClient(ctx, store.Client{ID: "stored", SecretHash: hash, Audience: []string{petsAPI}, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	manager := a.User(t, e2etest.ManagerEmail)

	var list clientsList
	manager.Get(t, "/manage_capabilities/clients").Expect(t, 200).JSON(t, &list)
	got := map[string]string{}
	for _, c := range list.Clients {
		got[c.ClientID] = c.Source
		if c.ClientID == "cron" && (c.Sub != "cron-subject" || c.Scope != "read:pets write:pets") {
			t.Errorf("cron listed as %+v", c)
		}
		if c.ClientID == "sleeper" && !c.Disabled {
			t.Errorf("sleeper listed enabled")
		}
	}
	if got["cron"] != "config" || got["sleeper"] != "config" || got["stored"] != "store" || len(got) != 3 {
		t.Errorf("clients listed: %v", got)
	}

	post := func(c *e2etest.Client, path, body string, code int) *e2etest.Response {
		t.Helper()
		return c.Do(t, http.MethodPost, "/manage_capabilities/clients/"+path, body).Expect(t, code)
	}
	post(manager, "disable", `{"client_id": "stored"}`, 200)
	if resp, ans := a.tokenRequest(t, "/oauth/token", "json", map[string]string{"grant_type": "client_credentials", "client_id": "stored", "client_secret": "stored-secret-42"}); resp.StatusCode != 401 || ans.Error != "invalid_client" {
		t.Errorf("disabled client's token request: %d %s", resp.StatusCode, resp.Body)
	}
	post(manager, "enable", `{"client_id": "stored"}`, 200)
	a.token(t, "stored", "stored-secret-42")

	var rotated struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	resp := post(manager, "rotate_secret", `{"client_id": "stored"}`, 200)
	resp.JSON(t, &rotated)
	if rotated.ClientID != "stored" || len(rotated.ClientSecret) < 40 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate: %s (Cache-Control %q)", resp.Body, resp.Header.Get("Cache-Control"))
	}
	a.token(t, "stored", rotated.ClientSecret)
	if resp, _ := a.tokenRequest(t, "/oauth/token", "json", map[string]string{"grant_type": "client_credentials", "client_id": "stored", "client_secret": "stored-secret-42"}); resp.StatusCode != 401 {
		t.Errorf("the old secret still works: %d", resp.StatusCode)
	}
	if c, _, _ := a.store.Client(ctx, "stored"); c.SecretHash == hash || !clientcreds.IsClientSecretHash(c.SecretHash) {
		t.Errorf("stored hash after rotation: %q", c.SecretHash)
	}

	// Refusals, JSON with a detail.
	for _, tc := range []struct {
		name string
		c    *e2etest.Client
		path string
		body string
		code int
	}{
		{"config client", manager, "disable", `{"client_id": "cron"}`, 409},
		{"config client rotate", manager, "rotate_secret", `{"client_id": "cron"}`, 409},
		{"unknown client", manager, "enable", `{"client_id": "nobody"}`, 404},
		{"missing id", manager, "disable", `{}`, 400},
		{"unknown field", manager, "disable", `{"id": "stored"}`, 400},
		{"no user_management", a.User(t, e2etest.UserEmail), "disable", `{"client_id": "stored"}`, 403},
		{"guest", a.Guest(), "disable", `{"client_id": "stored"}`, 401},
	} {
		if d := post(tc.c, tc.path, tc.body, tc.code).Detail(t); d == "" {
			t.Errorf("%s: no detail", tc.name)
		}
	}
	a.User(t, e2etest.UserEmail).Get(t, "/manage_capabilities/clients").Expect(t, 403)

	// A page of another origin changes nothing, even with the manager's session.
	browser := a.Browser(t, e2etest.ManagerEmail)
	browser.DoHeader(t, http.MethodPost, "/manage_capabilities/clients/disable", `{"client_id": "stored"}`,
		http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}).Expect(t, 403)
	if c, _, _ := a.store.Client(ctx, "stored"); c.Disabled {
		t.Error("a cross-origin request disabled the client")
	}
	browser.DoHeader(t, http.MethodPost, "/manage_capabilities/clients/disable", `{"client_id": "stored"}`,
		http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {a.URL}}).Expect(t, 200)

	// The admin page offers the section.
	page := browser.DoHeader(t, http.MethodGet, "/manage_capabilities/", "", htmlAccept).Expect(t, 200)
	if byID(parseHTML(t, page.Body), "clients-section") == nil {
		t.Error("no machine clients section on the admin page of an app with the grant")
	}
}
