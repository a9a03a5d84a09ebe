package security_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// Forwarded headers: the OAuth redirect URI comes from base_url, and
// redirects from the request's own path; X-Forwarded-*, X-Original-URL,
// Forwarded and the Host header change nothing, whether or not the direct
// peer is a trusted proxy (trusted_proxies only concerns the client
// address).

var forwarded = http.Header{
	"X-Forwarded-Host":   {"evil.example"},
	"X-Forwarded-Proto":  {"https"},
	"X-Forwarded-Port":   {"8443"},
	"X-Forwarded-Uri":    {"//evil.example/x"},
	"X-Forwarded-Prefix": {"//evil.example"},
	"X-Original-Url":     {"https://evil.example/x"},
	"X-Rewrite-Url":      {"//evil.example/x"},
	"X-Original-Host":    {"evil.example"},
	"Forwarded":          {`for=1.2.3.4;host=evil.example;proto=https`},
}

func TestForwardedHeadersIgnored(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	for name, edit := range map[string]func(*auth.Config){
		"no trusted proxy": nil,
		"trusted peer":     func(c *auth.Config) { c.TrustedProxies = []string{"127.0.0.0/8", "::1"} },
	} {
		t.Run(name, func(t *testing.T) {
			a := startWith(t, idp, e2etest.Options{Edit: edit})
			b := a.NewBrowser("b")
			h := forwarded.Clone()
			h.Set("Host", "evil.example") // ignored by net/http's client; see below
			resp := b.DoHeader(t, http.MethodGet, "/login?next=/me", "", h).Expect(t, http.StatusFound)
			ru := resp.Location(t).Query().Get("redirect_uri")
			if ru != a.URL+"/auth" {
				t.Errorf("redirect_uri %q; want %q from base_url", ru, a.URL+"/auth")
			}
			// The login completes on the real origin, with next from the
			// query, not from the headers.
			u := resp.Location(t)
			q := u.Query()
			q.Set("login_hint", e2etest.UserEmail)
			u.RawQuery = q.Encode()
			cb := b.Get(t, u.String()).Location(t)
			end := b.DoHeader(t, http.MethodGet, cb.String(), "", forwarded).Expect(t, http.StatusSeeOther)
			if got := end.Header.Get("Location"); got != "/me" {
				t.Errorf("callback Location %q; want /me", got)
			}
			// Redirects to the login page keep the request's own path.
			resp = a.Guest().DoHeader(t, http.MethodGet, "/bake?x=1", "", forwarded).Expect(t, http.StatusFound)
			if got := resp.Header.Get("Location"); !e2etest.SameURL(got, "/login?next=%2Fbake%3Fx%3D1") {
				t.Errorf("RedirectToLogin Location %q", got)
			}
			resp = a.Guest().DoHeader(t, http.MethodGet, "/token", "", forwarded).Expect(t, http.StatusFound)
			if got := resp.Header.Get("Location"); strings.Contains(got, "evil") || !strings.HasPrefix(got, "/login?") {
				t.Errorf("/token Location %q", got)
			}
			resp = b.DoHeader(t, http.MethodGet, "/logout", "", forwarded).Expect(t, http.StatusSeeOther)
			if got := resp.Header.Get("Location"); got != "/" {
				t.Errorf("/logout Location %q", got)
			}
		})
	}
}

// TestHostHeaderIgnored sends a forged Host header: with base_url set it
// is never used; without base_url (loopback development only) a Host that
// is not a loopback name is refused rather than trusted.
func TestHostHeaderIgnored(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	withBase := startWith(t, idp, e2etest.Options{})
	noBase := startWith(t, idp, e2etest.Options{Edit: func(c *auth.Config) { c.BaseURL = "" }})
	for _, host := range []string{"evil.example", "evil.example:80", "127.0.0.1.evil.example", "localhost.evil.example", "[::1].evil.example"} {
		req, _ := http.NewRequest(http.MethodGet, withBase.URL+"/login?next=/", nil)
		req.Host = host
		resp := do(t, req)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("Host %q: status %d", host, resp.StatusCode)
		}
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if ru := loc.Query().Get("redirect_uri"); ru != withBase.URL+"/auth" {
			t.Errorf("Host %q: redirect_uri %q", host, ru)
		}
		req, _ = http.NewRequest(http.MethodGet, noBase.URL+"/login?next=/", nil)
		req.Host = host
		req.Header = forwarded.Clone()
		if resp := do(t, req); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("no base_url, Host %q: status %d; want 400", host, resp.StatusCode)
		}
	}
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestNoStore: every answer that carries a token, a session or a login
// flow is marked Cache-Control: no-store, so no shared cache keeps it.
func TestNoStore(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	noStore := func(what string, resp *e2etest.Response) {
		t.Helper()
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q; want no-store", what, got)
		}
	}
	b := a.NewBrowser("b")
	noStore("/login", b.Get(t, "/login?next=/me").Expect(t, http.StatusFound))
	cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
	noStore("/auth", b.Get(t, cb).Expect(t, http.StatusSeeOther))
	noStore("/auth refused", b.Get(t, cb).Expect(t, http.StatusBadRequest))
	noStore("/token", b.Get(t, "/token").Expect(t, http.StatusOK))
	admin := a.User(t, e2etest.AdminEmail)
	noStore("/token user token", admin.Get(t, "/token").Expect(t, http.StatusOK))
	noStore("/token?user=", admin.Get(t, "/token?user="+e2etest.ServiceName).Expect(t, http.StatusOK))
	noStore("/token refused", a.User(t, e2etest.UserEmail).Get(t, "/token?user="+e2etest.ServiceName).Expect(t, http.StatusForbidden))
	noStore("/token guest", a.Guest().Get(t, "/token").Expect(t, http.StatusFound))
	noStore("/logout", b.Get(t, "/logout").Expect(t, http.StatusSeeOther))
	// An offline login: the provider's refresh token rides in a cookie to
	// /token and into the user token.
	o := a.NewBrowser("offline")
	o.Login(t, e2etest.UserEmail, "/me", true)
	resp := o.Get(t, "/token").Expect(t, http.StatusOK)
	noStore("/token offline", resp)
	var tok e2etest.TokenResponse
	resp.JSON(t, &tok)
	a.WithBearer("offline", tok.RefreshToken).Get(t, "/me").Expect(t, http.StatusOK)
}
