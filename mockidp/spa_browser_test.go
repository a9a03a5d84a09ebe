package mockidp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/internal/browsertest"
)

// The single-page app of the browser tests: a page and its script, served
// from another origin than the provider. spaScript's arguments are the URL
// of oauthgate.js, createClient's options (JSON) and the API it calls: in
// TestBrowserSPA an API of the page's origin behind oauthgate that takes
// mockidp's RFC 9068 access tokens; in TestBrowserSPAOIDCProvider the
// provider's userinfo endpoint.
const spaPage = `<!doctype html><html><head><meta charset="utf-8"><title>SPA</title>
<script type="module" src="/app.js"></script></head><body>
<p id="who">loading</p><p id="error"></p><p id="api"></p><p id="refreshes">0</p>
<button id="login" hidden>Log in</button><button id="call" hidden>Call API</button>
<button id="refresh" hidden>Refresh</button><button id="logout" hidden>Log out</button></body></html>`

const spaScript = `import { createClient } from %q;
const $ = (id) => document.getElementById(id);
let refreshes = 0, last = "";
try {
  const gate = window.gate = await createClient(%s);
  gate.onChange((user) => {
    if (user && last && gate.accessToken !== last) $("refreshes").textContent = String(++refreshes);
    last = gate.accessToken;
  });
  await gate.handleRedirect();
  const user = gate.user;
  for (const b of ["call", "refresh", "logout"]) $(b).hidden = !user;
  $("login").hidden = !!user;
  $("who").textContent = user ? (user.claims.email || user.claims.sub) + " / " + user.userinfo.email : "nobody";
  const call = async () => { $("api").textContent = ""; try { $("api").textContent = JSON.stringify(await gate.getJSON(%q)); } catch (e) { $("api").textContent = "failed: " + e.message; } };
  $("login").onclick = () => gate.login();
  $("call").onclick = call;
  $("refresh").onclick = () => gate.refresh().then(call);
  $("logout").onclick = () => gate.logout({ postLogoutRedirectUri: location.origin + "/" });
  if (user) await call();
} catch (e) { $("error").textContent = "error: " + e.message; }
`

// TestBrowserSPA: a page of another origin imports oauthgate.js from the
// provider, signs a new user up with a password, consents, calls its API
// (an oauthgate auth.Manager with the provider as a jwt_issuers entry)
// with the access token, refreshes it silently, explicitly and after a
// 401, and logs out, revoking the refresh token.
func TestBrowserSPA(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	const api = "https://api.example/"
	var spaHandler http.Handler
	spa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { spaHandler.ServeHTTP(w, r) }))
	t.Cleanup(spa.Close)
	idp := newTestServer(t, Options{
		Clients: map[string]Client{
			"spa":        {RedirectURIs: []string{spa.URL + "/"}},
			DemoClientID: {Secret: DemoClientSecret},
		},
		JWTAccessTokens: true,
		UsersFile:       filepath.Join(t.TempDir(), "users.yaml"),
		Consent:         true,
	})
	m, err := auth.New(context.Background(), &auth.Config{
		SecretKey:         "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
		ClientID:          DemoClientID,
		ClientSecret:      DemoClientSecret,
		ServerMetadataURL: idp.URL + "/.well-known/openid-configuration",
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}}},
		JWTIssuers:        []auth.JWTIssuer{{Issuer: idp.URL, Audience: api, JWKSURL: idp.URL + "/jwks"}},
		ScopeCapabilities: map[string][]string{"email": {"read"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	var refuseNext atomic.Bool
	var apiCalls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self' "+idp.URL+"; connect-src 'self' "+idp.URL)
		fmt.Fprint(w, spaPage)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, spaScript, idp.URL+"/static/oauthgate.js", spaOptions(t, map[string]any{
			"issuer": idp.URL, "clientId": "spa", "resource": api, "scope": "openid email profile",
			"refreshMargin": 3600 - 3,
		}), "/api/me")
	})
	mux.Handle("GET /api/me", m.Require("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiCalls.Add(1)
		if refuseNext.CompareAndSwap(true, false) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		id := auth.IdentityFrom(r.Context())
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": id.Subject, "via": id.Via})
	})))
	spaHandler = mux

	b := browsertest.New(t, chromium, 1024, 800)
	const email = "new.user@example.com"
	const password = "correct horse battery"
	var where, text, who string

	b.Navigate("spa", spa.URL+"/", chromedp.WaitVisible("#login", chromedp.ByID))
	signup := `//a[normalize-space(.)="Sign up"]`
	b.Step("login-page",
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible(signup, chromedp.BySearch),
		chromedp.Location(&where))
	b.Check("login-page", strings.HasPrefix(where, idp.URL+"/authorize?"), "the login button led to %s", where)
	b.Step("signup",
		chromedp.Click(signup, chromedp.BySearch),
		chromedp.WaitVisible(`input[name="mockidp_confirm"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="mockidp_email"]`, email, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="mockidp_password"]`, password, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="mockidp_confirm"]`, password, chromedp.ByQuery),
		chromedp.Submit(`input[name="mockidp_confirm"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`button[value="allow"]`, chromedp.ByQuery),
		chromedp.Text("body", &text, chromedp.ByQuery))
	b.Check("consent", strings.Contains(text, "spa") && strings.Contains(text, "email"),
		"the consent page says %q; want the client and the scopes", text)
	b.Step("consent",
		chromedp.Click(`button[value="allow"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#logout", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#who", &who, chromedp.ByID))
	b.Check("logged-in", where == spa.URL+"/", "after the login the page is %s; want the code and state removed", where)
	b.Check("logged-in", who == email+" / "+email, "the page shows the user as %q; want ID token and userinfo emails", who)

	apiSays := func(step string) {
		t.Helper()
		b.Step(step, chromedp.Poll(`document.getElementById("api").textContent !== ""`, nil),
			chromedp.Text("#api", &text, chromedp.ByID))
		b.Check(step, text == `{"sub":"`+SubjectFor(email)+`","via":"bearer"}`, "the API answered %q", text)
	}
	apiSays("api")

	token, clearAPI := spaRefreshes(b, apiSays, "api-after-refresh")

	refuseNext.Store(true)
	before, calls := token(), apiCalls.Load()
	b.Step("retry", clearAPI, chromedp.Click("#call", chromedp.ByID))
	apiSays("api-after-401")
	b.Check("retry", apiCalls.Load()-calls == 2 && token() != before,
		"after a 401 the API got %d calls; want a refresh and one retry", apiCalls.Load()-calls)

	var refreshToken string
	b.Step("logout",
		chromedp.Evaluate(`gate.tokens.refresh_token`, &refreshToken),
		chromedp.Click("#logout", chromedp.ByID),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.Location(&where),
		chromedp.Text("#who", &who, chromedp.ByID))
	b.Check("logout", where == spa.URL+"/" && who == "nobody", "after logout the page is %s showing %q", where, who)
	var revoked, endSession bool
	for _, r := range idp.Provider.Requests() {
		revoked = revoked || r.Path == "/revoke"
		endSession = endSession || r.Path == "/end_session"
	}
	b.Check("logout", revoked && endSession, "logout: revoke requested %v, end_session %v", revoked, endSession)
	resp, body := postForm(t, idp.Client(), idp.URL+"/token",
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {"spa"}}, "", "")
	b.Check("logout", resp.StatusCode == http.StatusBadRequest && strings.Contains(string(body), "invalid_grant"),
		"the refresh token after logout: %d %s", resp.StatusCode, body)

	ex := b.Exceptions()
	b.Check("scripts", len(ex) == 0, "the pages threw: %s", strings.Join(ex, "; "))
}

// spaOptions is createClient's options for spaScript.
func spaOptions(t *testing.T, o map[string]any) string {
	b, err := json.Marshal(o)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}

// spaRefreshes checks the SPA page's two refreshes, each giving a new
// access token: the silent one before expiry, then the refresh button,
// after which the API answers again (checked by apiSays as apiStep). It
// returns a reader of the current access token and the action that
// clears the API's last answer.
func spaRefreshes(b *browsertest.Browser, apiSays func(step string), apiStep string) (token func() string, clearAPI chromedp.Action) {
	token = func() string {
		var s string
		b.Step("token", chromedp.Evaluate(`gate.accessToken`, &s))
		return s
	}
	first := token()
	b.Step("silent-refresh", chromedp.Poll(`document.getElementById("refreshes").textContent !== "0"`, nil))
	silent := token()
	b.Check("silent-refresh", silent != first, "the silent refresh kept the access token")

	clearAPI = chromedp.Evaluate(`document.getElementById("api").textContent = ""`, nil)
	b.Step("refresh", clearAPI, chromedp.Click("#refresh", chromedp.ByID))
	apiSays(apiStep)
	b.Check("refresh", token() != silent, "the refresh button kept the access token")
	return token, clearAPI
}
