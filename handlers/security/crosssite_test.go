package security_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// Cross-site requests: a page of another origin may make the browser send
// the session cookie (SameSite=Lax sends it on a top-level navigation, and
// on every request from a sibling subdomain, which is the same site). What
// the browser says in Sec-Fetch-Site and Origin decides: a GET /logout from
// another origin answers a page with a button instead of logging out, and
// POST /logout and every route that changes state refuse it with 403.
// Requests with neither header (scripts, older clients) and requests with
// a bearer token (which no page of another origin can add) work as before.

// otherOrigin are the headers of requests a page of another origin makes
// the browser send, as a browser writes them (base is the app's URL).
func otherOrigin(base string) map[string]http.Header {
	u, _ := url.Parse(base)
	return map[string]http.Header{
		"cross-site":                     {"Sec-Fetch-Site": {"cross-site"}},
		"same-site sibling":              {"Sec-Fetch-Site": {"same-site"}, "Origin": {"http://sibling.example"}},
		"unknown fetch site":             {"Sec-Fetch-Site": {"somewhere"}},
		"origin only":                    {"Origin": {"http://evil.example"}},
		"origin null":                    {"Origin": {"null"}},
		"origin other port":              {"Origin": {"http://" + u.Hostname() + ":1"}},
		"origin https":                   {"Origin": {"https://" + u.Host}},
		"origin and fetch":               {"Sec-Fetch-Site": {"cross-site"}, "Origin": {"http://evil.example"}},
		"same-origin but foreign Origin": {"Sec-Fetch-Site": {"same-origin"}, "Origin": {"http://evil.example"}},
	}
}

// sameOrigin are the headers of requests the app's own pages, or the user
// (address bar, bookmark), or a client without Fetch Metadata send.
func sameOrigin(base string) map[string]http.Header {
	return map[string]http.Header{
		"no headers":      nil,
		"same-origin":     {"Sec-Fetch-Site": {"same-origin"}, "Origin": {base}},
		"fetch site only": {"Sec-Fetch-Site": {"same-origin"}},
		"origin only":     {"Origin": {base}},
		"user typed it":   {"Sec-Fetch-Site": {"none"}},
	}
}

// formAction matches the confirmation page's one form.
var formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)

// scripted matches a script element or an event handler attribute.
var scripted = regexp.MustCompile(`(?i)<script|\son[a-z]+\s*=|javascript:`)

func TestCrossSiteLogout(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/api/v1"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			t.Parallel()
			a := start(t, e2etest.Options{Prefix: prefix})
			for name, h := range otherOrigin(a.URL) {
				t.Run("GET "+name, func(t *testing.T) {
					t.Parallel()
					b := a.Browser(t, e2etest.UserEmail)
					resp := b.DoHeader(t, http.MethodGet, prefix+"/logout?next=/me%3Fx%3D1", "", h).Expect(t, http.StatusOK)
					b.Get(t, "/me").Expect(t, http.StatusOK) // still logged in
					action := confirmationPage(t, resp)
					if want := prefix + "/logout?next=%2Fme%3Fx%3D1"; action != want {
						t.Errorf("form action %q; want %q", action, want)
					}
					// Pressing the button: the browser posts from the page,
					// which is on the app's origin.
					own := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {a.URL}}
					out := b.DoHeader(t, http.MethodPost, action, "", own).Expect(t, http.StatusSeeOther)
					if got := out.Header.Get("Location"); got != "/me?x=1" {
						t.Errorf("Location %q; want /me?x=1", got)
					}
					b.Get(t, "/me").Expect(t, http.StatusUnauthorized)
				})
				t.Run("POST "+name, func(t *testing.T) {
					t.Parallel()
					b := a.Browser(t, e2etest.UserEmail)
					resp := b.DoHeader(t, http.MethodPost, prefix+"/logout?next=/me", "", h).Expect(t, http.StatusForbidden)
					if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
						t.Errorf("Content-Type %q; want a page", ct)
					}
					if len(resp.Cookies()) != 0 {
						t.Errorf("refused logout sets cookies: %q", resp.Header["Set-Cookie"])
					}
					b.Get(t, "/me").Expect(t, http.StatusOK)
				})
			}
			// A hostile next is replaced in the form as it is in the redirect.
			resp := a.Browser(t, e2etest.UserEmail).DoHeader(t, http.MethodGet,
				prefix+"/logout?next="+url.QueryEscape("//evil.example"), "", http.Header{"Sec-Fetch-Site": {"cross-site"}})
			if action := confirmationPage(t, resp.Expect(t, http.StatusOK)); action != prefix+"/logout?next=%2F" {
				t.Errorf("form action %q; want next=/", action)
			}
			for name, h := range sameOrigin(a.URL) {
				for _, method := range []string{http.MethodGet, http.MethodPost} {
					t.Run(method+" "+name, func(t *testing.T) {
						t.Parallel()
						b := a.Browser(t, e2etest.UserEmail)
						resp := b.DoHeader(t, method, prefix+"/logout?next=/me", "", h).Expect(t, http.StatusSeeOther)
						if got := resp.Header.Get("Location"); got != "/me" {
							t.Errorf("Location %q; want /me", got)
						}
						b.Get(t, "/me").Expect(t, http.StatusUnauthorized)
					})
				}
			}
		})
	}
}

// confirmationPage checks the page GET /logout answers a cross-site
// request and returns its form's action: a page that may not be framed,
// runs no script (so it works under the strictest Content-Security-Policy
// an app sets) and posts only to the app's own origin.
func confirmationPage(t *testing.T, resp *e2etest.Response) string {
	t.Helper()
	body := string(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q; want a page: %s", ct, body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || scripted.MatchString(body) {
		t.Errorf("the page runs script: %s", body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || len(resp.Cookies()) != 0 {
		t.Errorf("Cache-Control %q, Set-Cookie %q; want no-store and no cookie", resp.Header.Get("Cache-Control"), resp.Header["Set-Cookie"])
	}
	m := formAction.FindAllStringSubmatch(body, -1)
	if len(m) != 1 || !strings.Contains(body, `<button type="submit"`) {
		t.Fatalf("want one POST form with a submit button: %s", body)
	}
	action := html.UnescapeString(m[0][1])
	if !onOrigin(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host, action) {
		t.Errorf("form action %q leaves the origin", action)
	}
	return action
}

// stateChanges are the routes a session cookie authorises to change
// something, each with a body the manager may send, and a check that the
// change was made (by caller c, on app a).
var stateChanges = []struct {
	path, body string
	changed    func(t *testing.T, a *app, c *e2etest.Client) bool
}{
	{"/manage_capabilities/add", `{"email":"target@corp.example","capability":"write"}`, stored("target@corp.example", "write", true)},
	{"/manage_capabilities/set", `{"email":"target@corp.example","capabilities":["write"]}`, stored("target@corp.example", "write", true)},
	{"/manage_capabilities/remove", `{"email":"bot@service","capability":"write"}`, stored("bot@service", "write", false)},
	{"/token/revoke", `{"all":true}`, func(t *testing.T, a *app, c *e2etest.Client) bool {
		return c.Get(t, "/me").StatusCode == http.StatusUnauthorized // every session of the caller ended
	}},
}

// stored returns a check that email holds (or, when held is false, lacks)
// the stored capability c.
func stored(email, c string, held bool) func(*testing.T, *app, *e2etest.Client) bool {
	return func(t *testing.T, a *app, _ *e2etest.Client) bool {
		caps, err := a.Manager.Users().Store().Get(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(caps, c) == held
	}
}

func TestCrossSiteStateChanges(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	// Each request that must change something gets an app of its own, so
	// that it finds the state unchanged.
	fresh := func(t *testing.T) *app { return startWith(t, idp, e2etest.Options{}) }
	for _, rt := range stateChanges {
		t.Run(rt.path, func(t *testing.T) {
			t.Parallel()
			a := fresh(t)
			for name, h := range otherOrigin(a.URL) {
				b := a.Browser(t, e2etest.ManagerEmail)
				resp := b.DoHeader(t, http.MethodPost, rt.path, rt.body, h).Expect(t, http.StatusForbidden)
				if d := resp.Detail(t); !strings.Contains(d, "another origin") {
					t.Errorf("%s: detail %q", name, d)
				}
				if rt.changed(t, a, b) {
					t.Fatalf("%s: a refused request changed something", name)
				}
				b.Get(t, "/me").Expect(t, http.StatusOK)
			}
			// The app's own pages and clients without Fetch Metadata: the
			// change is made.
			for name := range sameOrigin(a.URL) {
				a := fresh(t)
				h := sameOrigin(a.URL)[name]
				b := a.Browser(t, e2etest.ManagerEmail)
				b.DoHeader(t, http.MethodPost, rt.path, rt.body, h).Expect(t, http.StatusOK)
				if !rt.changed(t, a, b) {
					t.Errorf("%s: nothing changed", name)
				}
			}
			// A bearer token, which no page of another origin can send:
			// the change is made whatever the headers say.
			for name := range otherOrigin(a.URL) {
				a := fresh(t)
				h := otherOrigin(a.URL)[name]
				c := a.User(t, e2etest.ManagerEmail)
				c.DoHeader(t, http.MethodPost, rt.path, rt.body, h).Expect(t, http.StatusOK)
				if !rt.changed(t, a, c) {
					t.Errorf("bearer, %s: nothing changed", name)
				}
			}
		})
	}
	// Without base_url (local development on loopback) the app's origin is
	// the request's Host, over http.
	t.Run("without base_url", func(t *testing.T) {
		t.Parallel()
		a := startWith(t, idp, e2etest.Options{Edit: func(c *auth.Config) { c.BaseURL = "" }})
		b := a.Browser(t, e2etest.ManagerEmail)
		const add = `{"email":"target@corp.example","capability":"read"}`
		u, _ := url.Parse(a.URL)
		for _, origin := range []string{"http://localhost:" + u.Port(), "https://" + u.Host, "http://evil.example", "null"} {
			b.DoHeader(t, http.MethodPost, "/manage_capabilities/add", add, http.Header{"Origin": {origin}}).Expect(t, http.StatusForbidden)
		}
		b.DoHeader(t, http.MethodPost, "/manage_capabilities/add", add, http.Header{"Origin": {a.URL}}).Expect(t, http.StatusOK)
	})
}
