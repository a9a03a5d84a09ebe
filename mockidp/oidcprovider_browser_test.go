package mockidp

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oauthgate/oauthgate/internal/browsertest"
)

// oidcProviderDir holds the node script that starts oidc-provider, with
// its pinned package.json and package-lock.json (.ci/run runs npm ci there).
const oidcProviderDir = "conformance/oidc-provider"

// nodeProvider is a running node oidc-provider (provider.mjs).
type nodeProvider struct {
	issuer string
	mu     sync.Mutex
	log    []string // "METHOD PATH STATUS", one per request
	stderr bytes.Buffer
}

// requested reports whether the provider answered method path with status.
func (p *nodeProvider) requested(method, path string, status int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := fmt.Sprintf("%s %s %d", method, path, status)
	for _, l := range p.log {
		if l == want {
			return true
		}
	}
	return false
}

// startOIDCProvider starts provider.mjs for a single-page app at spaOrigin.
// It skips the test when node or npm is missing, unless CI=true, where it
// fails; it runs npm ci when the packages are not installed yet.
func startOIDCProvider(t *testing.T, spaOrigin string) *nodeProvider {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found (CI=true: the oidc-provider browser test may not be skipped)", tool)
			}
			t.Skipf("%s not found: the oidc-provider browser test needs node and npm", tool)
		}
	}
	dir, err := filepath.Abs(oidcProviderDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--silent")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	p := &nodeProvider{}
	cmd := exec.Command("node", "provider.mjs", spaOrigin)
	cmd.Dir = dir
	cmd.Stderr = &p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("oidc-provider requests:\n%s\noidc-provider stderr:\n%s", strings.Join(p.log, "\n"), p.stderr.String())
			p.mu.Unlock()
		}
	})
	first := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			first <- sc.Text()
		}
		close(first)
		for sc.Scan() {
			p.mu.Lock()
			p.log = append(p.log, sc.Text())
			p.mu.Unlock()
		}
	}()
	select {
	case issuer, ok := <-first:
		if !ok || !strings.HasPrefix(issuer, "http://127.0.0.1:") {
			t.Fatalf("oidc-provider did not start: first line %q", issuer)
		}
		p.issuer = issuer
	case <-time.After(20 * time.Second):
		t.Fatal("oidc-provider did not print its issuer within 20s")
	}
	return p
}

// TestBrowserSPAOIDCProvider runs oauthgate.js against node oidc-provider, a
// certified OpenID provider: a page of another origin logs in through its
// development login and consent pages, reads the user, calls the
// provider's userinfo endpoint with the (opaque) access token through
// getJSON, refreshes silently, explicitly and after a 401, and logs out,
// revoking the refresh token and ending the provider's session.
func TestBrowserSPAOIDCProvider(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	var spaHandler http.Handler
	spa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { spaHandler.ServeHTTP(w, r) }))
	t.Cleanup(spa.Close)
	op := startOIDCProvider(t, spa.URL)
	userinfo := op.issuer + "/me"

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self' "+op.issuer)
		fmt.Fprint(w, spaPage)
	})
	mux.HandleFunc("GET /oauthgate.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(staticFiles["oauthgate.js"].body)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, spaScript, "/oauthgate.js", spaOptions(t, map[string]any{
			"issuer": op.issuer, "clientId": "spa", "scope": "openid email profile offline_access",
			"refreshMargin": 3600 - 3,
		}), userinfo)
	})
	spaHandler = mux

	b := browsertest.New(t, chromium, 1024, 800)
	const email = "oidc.user@example.com"
	var where, text, who string

	b.Navigate("spa", spa.URL+"/", chromedp.WaitVisible("#login", chromedp.ByID))
	b.Step("login-page",
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible(`input[name="login"]`, chromedp.ByQuery),
		chromedp.Location(&where))
	b.Check("login-page", strings.HasPrefix(where, op.issuer+"/interaction/"), "the login button led to %s", where)
	b.Step("login",
		chromedp.SendKeys(`input[name="login"]`, email, chromedp.ByQuery),
		chromedp.Submit(`input[name="login"]`, chromedp.ByQuery),
		chromedp.WaitReady(`input[name="prompt"][value="consent"]`, chromedp.ByQuery),
		chromedp.Text("body", &text, chromedp.ByQuery))
	b.Check("consent", strings.Contains(text, "offline access"), "the consent page says %q; want it to ask for offline access", text)
	b.Step("consent",
		chromedp.Submit(`input[name="prompt"][value="consent"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#logout", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#who", &who, chromedp.ByID))
	b.Check("logged-in", where == spa.URL+"/", "after the login the page is %s; want the code and state removed", where)
	b.Check("logged-in", who == email+" / "+email, "the page shows the user as %q; want ID token subject and userinfo email", who)

	apiSays := func(step string) {
		t.Helper()
		b.Step(step, chromedp.Poll(`document.getElementById("api").textContent !== ""`, nil),
			chromedp.Text("#api", &text, chromedp.ByID))
		b.Check(step, strings.Contains(text, `"sub":"`+email+`"`) && strings.Contains(text, `"email":"`+email+`"`),
			"userinfo answered %q", text)
	}
	apiSays("userinfo")

	token, clearAPI := spaRefreshes(b, apiSays, "userinfo-after-refresh")

	// An access token the provider does not know: userinfo answers 401,
	// oauthgate.js refreshes and retries once.
	b.Step("retry", clearAPI,
		chromedp.Evaluate(`gate.tokens.access_token = "not-a-token"`, nil),
		chromedp.Click("#call", chromedp.ByID))
	apiSays("userinfo-after-401")
	b.Check("retry", op.requested("GET", "/me", http.StatusUnauthorized) && token() != "not-a-token",
		"after a 401 from userinfo the token is %q", token())

	var refreshToken string
	b.Step("logout",
		chromedp.Evaluate(`gate.tokens.refresh_token`, &refreshToken),
		chromedp.Click("#logout", chromedp.ByID),
		chromedp.WaitVisible(`button[value="yes"]`, chromedp.ByQuery),
		chromedp.Click(`button[value="yes"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#who", &who, chromedp.ByID))
	b.Check("logout", where == spa.URL+"/" && who == "nobody", "after logout the page is %s showing %q", where, who)
	b.Check("logout", op.requested("POST", "/token/revocation", http.StatusOK),
		"logout did not revoke the refresh token at the revocation endpoint")
	resp, body := postForm(t, http.DefaultClient, op.issuer+"/token",
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {"spa"}}, "", "")
	b.Check("logout", resp.StatusCode == http.StatusBadRequest && strings.Contains(string(body), "invalid_grant"),
		"the refresh token after logout: %d %s", resp.StatusCode, body)

	ex := b.Exceptions()
	b.Check("scripts", len(ex) == 0, "the pages threw: %s", strings.Join(ex, "; "))
}
