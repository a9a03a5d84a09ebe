package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser test drives the quickstart with a real headless Chromium:
// the mock provider's login page, cookies, redirects and the pages' script
// run as they do for a person. Environment:
//
//	CI=true                  a missing Chromium fails the test instead of skipping it
//	OAUTHGATE_ARTIFACTS=DIR  where screenshots go (default $TMPDIR/oauthgate-artifacts)
//	OAUTHGATE_SCREENSHOTS=all  also save a screenshot after every step, not only on failure
const (
	browserBudget = 60 * time.Second
	stepTimeout   = 15 * time.Second
	chromiumHint  = "chromium not found: apt-get install chromium"
)

// findChromium returns Chromium's path, or skips the test (fails it when
// CI=true, where the browser test must always run).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if p := "/usr/bin/chromium"; isExecutable(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(chromiumHint + " (CI=true: the browser test may not be skipped)")
	}
	t.Skip(chromiumHint)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

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

// browser is one headless Chromium tab with the test's helpers.
type browser struct {
	t         *testing.T
	tab       context.Context
	artifacts string
	everyStep bool
	steps     int
	output    *lockedBuffer

	mu         sync.Mutex
	exceptions []string
}

// newBrowser starts Chromium with a fresh profile. Everything it does is
// bounded by browserBudget; it is closed when the test ends.
func newBrowser(t *testing.T, execPath string) *browser {
	t.Helper()
	// Not t.TempDir: Chromium's helper processes may still write to the
	// profile for a moment after the browser exits, which fails its check.
	profile, err := os.MkdirTemp("", "oauthgate-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(out),
		chromedp.WindowSize(1024, 800),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true), // loopback only, whatever the environment says
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}
	budget, cancelBudget := context.WithTimeout(t.Context(), browserBudget)
	alloc, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		cancelBudget()
		removeProfile(t, profile)
	})

	b := &browser{t: t, tab: tab, output: out, artifacts: artifactsDir(), everyStep: os.Getenv("OAUTHGATE_SCREENSHOTS") == "all"}
	chromedp.ListenTarget(tab, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			b.mu.Lock()
			b.exceptions = append(b.exceptions, exceptionText(e.ExceptionDetails))
			b.mu.Unlock()
		}
	})
	// Start the browser now, so that a broken install fails here with its output.
	if err := chromedp.Run(tab); err != nil {
		t.Fatalf("starting %s: %v\nbrowser output:\n%s", execPath, err, out.tail(4000))
	}
	return b
}

// removeProfile deletes the browser profile, retrying while Chromium's
// last helper processes finish writing to it.
func removeProfile(t *testing.T, dir string) {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("leaving the browser profile %s: %v", dir, err)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		msg += ": " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber)
}

// artifactsDir is where screenshots go: $OAUTHGATE_ARTIFACTS, else a
// folder in the system's temporary directory that outlives the test.
func artifactsDir() string {
	if d := os.Getenv("OAUTHGATE_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "oauthgate-artifacts")
}

// step runs actions in the tab within stepTimeout. On failure it saves a
// screenshot and fails the test with the page's URL and the screenshot's path.
func (b *browser) step(name string, actions ...chromedp.Action) {
	b.t.Helper()
	b.steps++
	ctx, cancel := context.WithTimeout(b.tab, stepTimeout)
	err := chromedp.Run(ctx, actions...)
	cancel()
	if err != nil {
		b.fail(name, err)
	}
	if b.everyStep {
		b.t.Logf("step %q: screenshot %s", name, b.screenshot(name))
	}
}

// navigate opens url and returns the HTTP status of the page's response.
func (b *browser) navigate(name, url string, then ...chromedp.Action) int64 {
	b.t.Helper()
	b.steps++
	ctx, cancel := context.WithTimeout(b.tab, stepTimeout)
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err == nil && len(then) > 0 {
		err = chromedp.Run(ctx, then...)
	}
	cancel()
	if err == nil && resp == nil {
		err = errors.New("no response for the navigation")
	}
	if err != nil {
		b.fail(name, err)
	}
	if b.everyStep {
		b.t.Logf("step %q: screenshot %s", name, b.screenshot(name))
	}
	return resp.Status
}

// check fails the test, with a screenshot, unless ok.
func (b *browser) check(name string, ok bool, format string, args ...any) {
	b.t.Helper()
	if !ok {
		b.fail(name, fmt.Errorf(format, args...))
	}
}

func (b *browser) fail(name string, err error) {
	b.t.Helper()
	var where string
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	_ = chromedp.Run(ctx, chromedp.Location(&where))
	cancel()
	shot := b.screenshot(name + "-failed")
	b.t.Fatalf("browser step %q failed at %s: %v\nscreenshot: %s\nbrowser output (end):\n%s",
		name, where, err, shot, b.output.tail(2000))
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// screenshot saves a full-page PNG and returns its path, or why it could not.
func (b *browser) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		return fmt.Sprintf("(none: %v)", err)
	}
	if err := os.MkdirAll(b.artifacts, 0o755); err != nil {
		return fmt.Sprintf("(none: %v)", err)
	}
	file := fmt.Sprintf("%s-%02d-%s.png", b.t.Name(), b.steps, name)
	path := filepath.Join(b.artifacts, unsafeFileChars.ReplaceAllString(file, "_"))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Sprintf("(none: %v)", err)
	}
	return path
}

// TestBrowserLoginFlow: a guest opens the quickstart, logs in as Alice on
// the mock provider's page, sees her account and the payroll page, is
// refused the admin page, gets a token from the page's button, logs out and
// is then sent to the provider again for a protected page.
func TestBrowserLoginFlow(t *testing.T) {
	chromium := findChromium(t)
	app, base := serveForBrowser(t)
	b := newBrowser(t, chromium)

	var who, title, where, email, kind, caps, text string

	b.navigate("home", base+"/",
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.Text("#who", &who, chromedp.ByID),
		chromedp.Text("#kind", &kind, chromedp.ByID))
	b.check("home", strings.Contains(who, "guest") && kind == "guest",
		"home page: nav says %q and kind %q, want a guest", who, kind)

	alice := `//button[contains(normalize-space(.), "alice@example.com")]`
	b.step("login-page",
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Title(&title),
		chromedp.Location(&where))
	b.check("login-page", strings.HasPrefix(where, app.IdP.URL+"/"),
		"the login link led to %s, not to the mock provider at %s", where, app.IdP.URL)
	b.check("login-page", strings.Contains(title, "Sign in"), "the provider's page is titled %q", title)

	b.step("logged-in",
		chromedp.Click(alice, chromedp.BySearch),
		chromedp.WaitVisible("#logout", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#email", &email, chromedp.ByID),
		chromedp.Text("#kind", &kind, chromedp.ByID),
		chromedp.Text("#capabilities", &caps, chromedp.ByID))
	b.check("logged-in", where == base+"/me", "after the login the browser is at %s, want %s/me", where, base)
	b.check("logged-in", email == "alice@example.com" && kind == "user",
		"my account shows email %q kind %q, want alice@example.com, user", email, kind)
	b.check("logged-in", strings.Contains(caps, "payroll") && strings.Contains(caps, "write") &&
		strings.Contains(caps, "read") && !strings.Contains(caps, "admin"),
		"Alice's capabilities are shown as %q, want payroll, read, write and no admin", caps)

	session := b.sessionCookie("session-cookie", base)
	b.check("session-cookie", session != nil, "no session cookie after the login")
	b.check("session-cookie", session.HTTPOnly && session.SameSite == network.CookieSameSiteLax,
		"session cookie %s: HttpOnly %v, SameSite %q; want HttpOnly, Lax", session.Name, session.HTTPOnly, session.SameSite)

	b.step("token",
		chromedp.Click("#get-token", chromedp.ByID),
		chromedp.WaitVisible("#token", chromedp.ByID),
		chromedp.Text("#token", &text, chromedp.ByID))
	b.check("token", strings.HasPrefix(text, "token (expires ") && strings.Contains(text, "Authorization: Bearer "),
		"the token button showed %q", text)

	status := b.navigate("payroll", base+"/payroll",
		chromedp.WaitVisible("#payroll", chromedp.ByID),
		chromedp.Text("#payroll", &text, chromedp.ByID))
	b.check("payroll", status == http.StatusOK && strings.Contains(text, "Salary"),
		"payroll: status %d, table %q", status, text)

	status = b.navigate("admin-refused", base+"/admin",
		chromedp.WaitVisible("body", chromedp.ByQuery),
		chromedp.Text("body", &text, chromedp.ByQuery))
	b.check("admin-refused", status == http.StatusForbidden, "admin page for Alice: status %d, want 403", status)
	b.check("admin-refused", strings.Contains(text, `missing capability`) && strings.Contains(text, "user_management"),
		"admin page for Alice says %q, want the missing capability named", text)

	b.navigate("back-home", base+"/", chromedp.WaitVisible("#logout", chromedp.ByID))
	b.step("logged-out",
		chromedp.Click("#logout", chromedp.ByID),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#kind", &kind, chromedp.ByID))
	b.check("logged-out", where == base+"/" && kind == "guest",
		"after logout: at %s as %q, want %s/ as a guest", where, kind, base)

	b.check("logged-out", b.sessionCookie("logged-out-cookie", base) == nil, "the session cookie is still there after logout")

	status = b.navigate("protected-after-logout", base+"/me",
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Location(&where))
	b.check("protected-after-logout", status == http.StatusOK && strings.HasPrefix(where, app.IdP.URL+"/"),
		"after logout /me led to %s (status %d), want the provider's login page", where, status)

	b.mu.Lock()
	exceptions := b.exceptions
	b.mu.Unlock()
	b.check("scripts", len(exceptions) == 0, "the pages threw: %s", strings.Join(exceptions, "; "))

}

// sessionCookie returns the app's session cookie as the browser keeps it,
// or nil.
func (b *browser) sessionCookie(name, base string) *network.Cookie {
	b.t.Helper()
	var cookies []*network.Cookie
	b.step(name, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{base + "/"}).Do(ctx)
		return err
	}))
	for _, c := range cookies {
		if strings.HasSuffix(c.Name, "oauthgate_session") {
			return c
		}
	}
	return nil
}

// lockedBuffer collects the browser's output; it is written from the
// allocator's goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// tail returns at most the last n bytes written, without the lines about
// D-Bus (absent in containers, and harmless) that would hide the rest.
func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	lines := strings.Split(l.buf.String(), "\n")
	l.mu.Unlock()
	var kept []string
	for _, line := range lines {
		if !strings.Contains(line, "dbus/") {
			kept = append(kept, line)
		}
	}
	s := strings.Join(kept, "\n")
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// TestBrowserCrossSiteLogout: a page of another site links to the logout
// route and posts a form to it. With Chromium's own Sec-Fetch-Site and
// Origin headers, the link lands on a page with a button instead of
// logging Alice out, the form is refused, and the button (a form under
// the page's strict Content-Security-Policy, no script) logs her out.
func TestBrowserCrossSiteLogout(t *testing.T) {
	chromium := findChromium(t)
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
	b := newBrowser(t, chromium)

	var where, title, text string
	alice := `//button[contains(normalize-space(.), "alice@example.com")]`
	b.navigate("home", base+"/", chromedp.WaitVisible("#login", chromedp.ByID))
	b.step("logged-in",
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Click(alice, chromedp.BySearch),
		chromedp.WaitVisible("#logout", chromedp.ByID))

	b.navigate("other-site", evilURL+"/", chromedp.WaitVisible("#bait", chromedp.ByID))
	b.step("link",
		chromedp.Click("#bait", chromedp.ByID),
		chromedp.WaitVisible(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.Location(&where),
		chromedp.Title(&title))
	b.check("link", where == base+"/logout?next=/me" && title == "Log out?",
		"the other site's link led to %s titled %q, want the confirmation page at %s/logout?next=/me", where, title, base)
	b.check("link", b.sessionCookie("still-logged-in", base) != nil, "the other site's link logged Alice out")

	b.navigate("other-site-form", evilURL+"/", chromedp.WaitVisible("#post", chromedp.ByID))
	b.step("form",
		chromedp.Click("#post", chromedp.ByID),
		chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Location(&where),
		chromedp.Text("body", &text, chromedp.ByQuery))
	b.check("form", where == base+"/logout" && strings.Contains(text, "another origin"),
		"the other site's form: at %s showing %q, want the app's refusal", where, text)
	b.check("form", b.sessionCookie("still-logged-in-after-form", base) != nil, "the other site's form logged Alice out")

	b.navigate("other-site-again", evilURL+"/", chromedp.WaitVisible("#bait", chromedp.ByID))
	b.step("confirmed",
		chromedp.Click("#bait", chromedp.ByID),
		chromedp.WaitVisible(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(alice, chromedp.BySearch),
		chromedp.Location(&where))
	b.check("confirmed", strings.HasPrefix(where, app.IdP.URL+"/"),
		"after the button the browser is at %s, want /me sending it to the provider's login", where)
	b.check("confirmed", b.sessionCookie("logged-out", base) == nil, "the session cookie is still there after the button")
}
