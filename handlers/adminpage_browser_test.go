package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"github.com/oauthgate/oauthgate/internal/browsertest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// TestAdminPageBrowser drives the admin page in headless Chromium as a
// manager (user_management and write, not admin) logged in on the mock
// provider's page: the list, an add, a refused delegation shown with the
// server's message, a remove, the search, minting a service token and
// revoking it, and then every token of the account. A failing step saves
// a screenshot and prints its path.
func TestAdminPageBrowser(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	idp, err := mockidp.NewServer(mockidp.Options{Interactive: true, Users: []mockidp.User{
		{Email: e2etest.ManagerEmail}, {Email: e2etest.UserEmail},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{Prefix: "/api/v1"})
	page := app.URL + "/api/v1/manage_capabilities/"
	b := browsertest.New(t, chromium, 1024, 800)
	ctx := context.Background()
	stored := app.Manager.Users().Store()

	var where, text string
	manager := `//button[contains(normalize-space(.), "` + e2etest.ManagerEmail + `")]`
	b.Navigate("login-page", page, chromedp.WaitVisible(manager, chromedp.BySearch))
	b.Step("logged-in",
		chromedp.Click(manager, chromedp.BySearch),
		chromedp.WaitVisible(`body[data-ready="true"]`, chromedp.ByQuery),
		chromedp.Location(&where),
		chromedp.Text("#me", &text, chromedp.ByID))
	b.Check("logged-in", where == page && text == e2etest.ManagerEmail, "after the login: at %s as %q", where, text)

	row := func(email string) string { return `tr[data-email="` + email + `"]` }
	var users, services, graph string
	b.Step("list",
		chromedp.Text("#users", &users, chromedp.ByID),
		chromedp.Text("#services", &services, chromedp.ByID),
		chromedp.Text("#graph", &graph, chromedp.ByID))
	b.Check("list", strings.Contains(users, e2etest.AdminEmail) && strings.Contains(users, e2etest.ManagerEmail) &&
		strings.Contains(services, e2etest.ServiceName) && strings.Contains(graph, "write → read"),
		"users %q, services %q, graph %q", users, services, graph)

	const newcomer = "new@corp.example"
	b.Step("add",
		chromedp.SendKeys("#change-email", newcomer, chromedp.ByID),
		chromedp.SendKeys("#change-caps", "write", chromedp.ByID),
		chromedp.Click("#add", chromedp.ByID),
		chromedp.WaitVisible(row(newcomer), chromedp.ByQuery),
		chromedp.Text(row(newcomer)+" .effective", &text, chromedp.ByQuery))
	b.Check("add", text == "read, write", "the new row's effective capabilities: %q", text)
	if got, _ := stored.Get(ctx, newcomer); !slices.Equal(got, []string{"write"}) {
		b.Fail("add", fmt.Errorf("stored after add: %v", got))
	}

	b.Step("refused",
		chromedp.SetValue("#change-caps", "moderate", chromedp.ByID),
		chromedp.Click("#add", chromedp.ByID),
		chromedp.WaitVisible("#status.error", chromedp.ByQuery),
		chromedp.Text("#status", &text, chromedp.ByID))
	b.Check("refused", strings.Contains(text, "you may only grant or remove capabilities you hold") && strings.Contains(text, "moderate"),
		"the refused delegation shows %q, want the server's message", text)
	if got, _ := stored.Get(ctx, newcomer); !slices.Equal(got, []string{"write"}) {
		b.Fail("refused", fmt.Errorf("stored after a refused add: %v", got))
	}

	b.Step("search",
		chromedp.SendKeys("#search", "manager", chromedp.ByID),
		chromedp.WaitNotVisible(row(e2etest.AdminEmail), chromedp.ByQuery),
		chromedp.WaitVisible(row(e2etest.ManagerEmail), chromedp.ByQuery),
		chromedp.SendKeys("#search", strings.Repeat(kb.Backspace, len("manager")), chromedp.ByID),
		chromedp.WaitVisible(row(e2etest.AdminEmail), chromedp.ByQuery))

	b.Step("remove",
		chromedp.Click(row(newcomer)+` .remove-cap[data-cap="write"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(row(newcomer)+" .remove-cap", chromedp.ByQuery),
		chromedp.Text("#status", &text, chromedp.ByID))
	b.Check("remove", strings.Contains(text, "remove: "+newcomer+" now has none"), "after the remove: %q", text)
	if got, _ := stored.Get(ctx, newcomer); len(got) != 0 {
		b.Fail("remove", fmt.Errorf("stored after remove: %v", got))
	}

	// A service token: minted, shown once, working, then revoked.
	var token, caps string
	b.Step("mint",
		chromedp.SendKeys("#mint-account", e2etest.ServiceName, chromedp.ByID),
		chromedp.Click("#mint-button", chromedp.ByID),
		chromedp.WaitVisible("#minted", chromedp.ByID),
		chromedp.Text("#minted-token", &token, chromedp.ByID),
		chromedp.Text("#minted-caps", &caps, chromedp.ByID))
	// The manager holds write (and read), not baker: the snapshot is what both hold.
	b.Check("mint", token != "" && caps == "read, write", "minted token %q with capabilities %q", token, caps)
	bot := app.WithBearer("bot", token)
	if code := bot.Get(t, "/api/v1/manage_capabilities/list").StatusCode; code != http.StatusOK {
		b.Fail("mint", fmt.Errorf("the minted token: status %d", code))
	}
	b.Step("revoke",
		chromedp.Click("#revoke-minted", chromedp.ByID),
		chromedp.WaitVisible(`#revoke-minted[disabled]`, chromedp.ByQuery),
		chromedp.Text("#status", &text, chromedp.ByID))
	b.Check("revoke", strings.Contains(text, "revoked"), "after revoking: %q", text)
	if code := bot.Get(t, "/api/v1/manage_capabilities/list").StatusCode; code != http.StatusUnauthorized {
		b.Fail("revoke", fmt.Errorf("the revoked token: status %d, want 401", code))
	}

	b.Step("mint-again",
		chromedp.Click("#mint-button", chromedp.ByID),
		chromedp.WaitVisible(`#revoke-minted:not([disabled])`, chromedp.ByQuery),
		chromedp.Text("#minted-token", &token, chromedp.ByID))
	bot = app.WithBearer("bot", token)
	bot.Get(t, "/api/v1/manage_capabilities/list").Expect(t, http.StatusOK)
	b.Step("revoke-all",
		chromedp.Click(row(e2etest.ServiceName)+" .revoke-all", chromedp.ByQuery),
		chromedp.WaitVisible(`//p[@id="status" and contains(., "every token of `+e2etest.ServiceName+`")]`, chromedp.BySearch))
	if code := bot.Get(t, "/api/v1/manage_capabilities/list").StatusCode; code != http.StatusUnauthorized {
		b.Fail("revoke-all", fmt.Errorf("a token after revoke all: status %d, want 401", code))
	}

	// On a phone's width nothing runs off the side.
	var fits bool
	b.Step("phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Reload(),
		chromedp.WaitVisible(`body[data-ready="true"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits))
	b.Check("phone", fits, "the page is wider than a phone's screen")

	b.Check("scripts", len(b.Exceptions()) == 0, "the page threw: %s", strings.Join(b.Exceptions(), "; "))
}

// TestAdminPageBrowserClients drives the machine clients' section of an
// app with the client-credentials grant: a stored client is disabled,
// enabled, and given a new secret shown once, which then works; a client
// of the configuration offers no button.
func TestAdminPageBrowserClients(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	a := startCC(t, "")
	ctx := context.Background()
	hash, err := clientcreds.HashClientSecret("stored-secret-42")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutClient(ctx, store.Client{ID: "stored", SecretHash: hash, Audience: []string{petsAPI}, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	if err := a.idp.Provider.NextLogin(e2etest.ManagerEmail, nil); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, chromium, 1024, 800)
	stored := `#clients tr[data-id="stored"]`
	var state, buttons, secret string
	b.Navigate("page", a.URL+"/manage_capabilities/",
		chromedp.WaitVisible(stored, chromedp.ByQuery),
		chromedp.Text(`#clients tr[data-id="cron"] .actions`, &buttons, chromedp.ByQuery))
	b.Check("page", strings.Contains(buttons, "edit the configuration"), "the configuration's client offers %q", buttons)

	b.Step("disable",
		chromedp.Click(stored+" .client-state", chromedp.ByQuery),
		chromedp.WaitVisible(stored+` .client-state[data-disable="false"]`, chromedp.ByQuery),
		chromedp.Text(stored+" .client-state-text", &state, chromedp.ByQuery))
	if c, _, _ := a.store.Client(ctx, "stored"); !c.Disabled || state != "disabled" {
		b.Fail("disable", fmt.Errorf("after Disable: stored Disabled %v, page says %q", c.Disabled, state))
	}
	b.Step("enable",
		chromedp.Click(stored+" .client-state", chromedp.ByQuery),
		chromedp.WaitVisible(stored+` .client-state[data-disable="true"]`, chromedp.ByQuery))
	if c, _, _ := a.store.Client(ctx, "stored"); c.Disabled {
		b.Fail("enable", fmt.Errorf("still disabled after Enable"))
	}
	b.Step("rotate",
		chromedp.Click(stored+" .client-rotate", chromedp.ByQuery),
		chromedp.WaitVisible("#client-secret", chromedp.ByID),
		chromedp.Text("#client-secret-value", &secret, chromedp.ByID))
	a.token(t, "stored", secret)
	b.Check("scripts", len(b.Exceptions()) == 0, "the page threw: %s", strings.Join(b.Exceptions(), "; "))
}
