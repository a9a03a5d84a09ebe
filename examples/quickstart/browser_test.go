package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/oauthgate/oauthgate/internal/browsertest"
)

// The browser tests drive the quickstart with a real headless Chromium
// (see package internal/browsertest for the environment they read): the
// mock provider's login page, cookies, redirects and the pages' script
// run as they do for a person.

// serveForBrowser starts the quickstart on a free loopback port, its mock
// provider on another, and returns the app and its URL.
func serveForBrowser(t *testing.T) (*demoApp, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := newApp(t.Context(), appOptions{Dir: t.TempDir(), BaseURL: base, Logger: logger})
	if err != nil {
		ln.Close()
		t.Fatalf("newApp: %v", err)
	}
	srv := &http.Server{Handler: app.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = app.Close()
	})
	return app, base
}

// TestBrowserLoginFlow: a guest opens the quickstart, logs in as Alice on
// the mock provider's page, sees her account and the payroll page, is
// refused the admin page, gets a token from the page's button, logs out and
// is then sent to the provider again for a protected page.
func TestBrowserLoginFlow(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	app, base := serveForBrowser(t)
	b := browsertest.New(t, chromium, 1024, 800)

	var who, title, where, email, kind, caps, text string

	b.Navigate("home", base+"/",
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.Text("#who", &who, chromedp.ByID),
		chromedp.Text("#kind", &kind, chromedp.ByID))
	b.Check("home", strings.Contains(who, "guest") && kind == "guest",
		"home page: nav says %q and kind %q, want a guest", who, kind)

	alice := `//button[contains(normalize-space(.), "alice@example.com")]`
	b.Step("login-page",
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Title(&title),
		chromedp.Location(&where))
	b.Check("login-page", strings.HasPrefix(where, app.IdP.URL+"/"),
		"the login link led to %s, not to the mock provider at %s", where, app.IdP.URL)
	b.Check("login-page", strings.Contains(title, "Sign in"), "the provider's page is titled %q", title)

	b.Step("logged-in",
		chromedp.Click(alice, chromedp.BySearch),
		chromedp.WaitVisible("#logout", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#email", &email, chromedp.ByID),
		chromedp.Text("#kind", &kind, chromedp.ByID),
		chromedp.Text("#capabilities", &caps, chromedp.ByID))
	b.Check("logged-in", where == base+"/me", "after the login the browser is at %s, want %s/me", where, base)
	b.Check("logged-in", email == "alice@example.com" && kind == "user",
		"my account shows email %q kind %q, want alice@example.com, user", email, kind)
	b.Check("logged-in", strings.Contains(caps, "payroll") && strings.Contains(caps, "write") &&
		strings.Contains(caps, "read") && !strings.Contains(caps, "admin"),
		"Alice's capabilities are shown as %q, want payroll, read, write and no admin", caps)

	session := b.SessionCookie("session-cookie", base)
	b.Check("session-cookie", session != nil, "no session cookie after the login")
	b.Check("session-cookie", session.HTTPOnly && session.SameSite == network.CookieSameSiteLax,
		"session cookie %s: HttpOnly %v, SameSite %q; want HttpOnly, Lax", session.Name, session.HTTPOnly, session.SameSite)

	b.Step("token",
		chromedp.Click("#get-token", chromedp.ByID),
		chromedp.WaitVisible("#token", chromedp.ByID),
		chromedp.Text("#token", &text, chromedp.ByID))
	b.Check("token", strings.HasPrefix(text, "token (expires ") && strings.Contains(text, "Authorization: Bearer "),
		"the token button showed %q", text)

	status := b.Navigate("payroll", base+"/payroll",
		chromedp.WaitVisible("#payroll", chromedp.ByID),
		chromedp.Text("#payroll", &text, chromedp.ByID))
	b.Check("payroll", status == http.StatusOK && strings.Contains(text, "Salary"),
		"payroll: status %d, table %q", status, text)

	status = b.Navigate("admin-refused", base+"/admin",
		chromedp.WaitVisible("body", chromedp.ByQuery),
		chromedp.Text("body", &text, chromedp.ByQuery))
	b.Check("admin-refused", status == http.StatusForbidden, "admin page for Alice: status %d, want 403", status)
	b.Check("admin-refused", strings.Contains(text, `missing capability`) && strings.Contains(text, "user_management"),
		"admin page for Alice says %q, want the missing capability named", text)

	b.Navigate("back-home", base+"/", chromedp.WaitVisible("#logout", chromedp.ByID))
	b.Step("logged-out",
		chromedp.Click("#logout", chromedp.ByID),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#kind", &kind, chromedp.ByID))
	b.Check("logged-out", where == base+"/" && kind == "guest",
		"after logout: at %s as %q, want %s/ as a guest", where, kind, base)

	b.Check("logged-out", b.SessionCookie("logged-out-cookie", base) == nil, "the session cookie is still there after logout")

	status = b.Navigate("protected-after-logout", base+"/me",
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Location(&where))
	b.Check("protected-after-logout", status == http.StatusOK && strings.HasPrefix(where, app.IdP.URL+"/"),
		"after logout /me led to %s (status %d), want the provider's login page", where, status)

	exceptions := b.Exceptions()
	b.Check("scripts", len(exceptions) == 0, "the pages threw: %s", strings.Join(exceptions, "; "))

}

// TestBrowserCrossSiteLogout: a page of another site links to the logout
// route and posts a form to it. With Chromium's own Sec-Fetch-Site and
// Origin headers, the link lands on a page with a button instead of
// logging Alice out, the form is refused, and the button (a form under
// the page's strict Content-Security-Policy, no script) logs her out.
func TestBrowserCrossSiteLogout(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	app, base := serveForBrowser(t)
	// The other site: localhost is another site than 127.0.0.1.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><title>Prizes</title>
<p><a id="bait" href="%[1]s/logout?next=/me">See your prize</a></p>
<form method="post" action="%[1]s/logout"><button id="post" type="submit">Claim</button></form>`, base)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	b := browsertest.New(t, chromium, 1024, 800)

	var where, title, text string
	alice := `//button[contains(normalize-space(.), "alice@example.com")]`
	b.Navigate("home", base+"/", chromedp.WaitVisible("#login", chromedp.ByID))
	b.Step("logged-in",
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Click(alice, chromedp.BySearch),
		chromedp.WaitVisible("#logout", chromedp.ByID))

	b.Navigate("other-site", evilURL+"/", chromedp.WaitVisible("#bait", chromedp.ByID))
	b.Step("link",
		chromedp.Click("#bait", chromedp.ByID),
		chromedp.WaitVisible(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.Location(&where),
		chromedp.Title(&title))
	b.Check("link", where == base+"/logout?next=/me" && title == "Log out?",
		"the other site's link led to %s titled %q, want the confirmation page at %s/logout?next=/me", where, title, base)
	b.Check("link", b.SessionCookie("still-logged-in", base) != nil, "the other site's link logged Alice out")

	b.Navigate("other-site-form", evilURL+"/", chromedp.WaitVisible("#post", chromedp.ByID))
	b.Step("form",
		chromedp.Click("#post", chromedp.ByID),
		chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Location(&where),
		chromedp.Text("body", &text, chromedp.ByQuery))
	b.Check("form", where == base+"/logout" && strings.Contains(text, "another origin"),
		"the other site's form: at %s showing %q, want the app's refusal", where, text)
	b.Check("form", b.SessionCookie("still-logged-in-after-form", base) != nil, "the other site's form logged Alice out")

	b.Navigate("other-site-again", evilURL+"/", chromedp.WaitVisible("#bait", chromedp.ByID))
	b.Step("confirmed",
		chromedp.Click("#bait", chromedp.ByID),
		chromedp.WaitVisible(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Location(&where))
	b.Check("confirmed", strings.HasPrefix(where, app.IdP.URL+"/"),
		"after the button the browser is at %s, want /me sending it to the provider's login", where)
	b.Check("confirmed", b.SessionCookie("logged-out", base) == nil, "the session cookie is still there after the button")
}
