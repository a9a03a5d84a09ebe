package security_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// Sessions: a fresh cookie at every login (no fixation), the cookie flags
// of DESIGN.md, cookies of another secret or altered ones are ignored, and
// logout ends the session for every copy of the cookie.

const sessionCookie = "oauthgate_session" // base_url is http on loopback

// sessionValue returns the value of b's session cookie ("" if none).
func sessionValue(t *testing.T, a *app, b *e2etest.Client) string {
	t.Helper()
	u, _ := url.Parse(a.URL)
	for _, c := range b.HTTP.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// withCookie returns a cookie-less client sending only name=value.
func withCookie(a *app, name, value string) *e2etest.Client {
	c := a.NewBrowser("cookie")
	u, _ := url.Parse(a.URL)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value}})
	return c
}

func TestSessionFixation(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	// The attacker plants its own valid session cookie in the victim's
	// browser, then the victim logs in.
	attacker := a.Browser(t, "mallory@corp.example")
	planted := sessionValue(t, a, attacker)
	victim := withCookie(a, sessionCookie, planted)
	victim.Get(t, "/me").Expect(t, http.StatusOK)
	victim.Login(t, e2etest.UserEmail, "/me", false)
	got := sessionValue(t, a, victim)
	if got == "" || got == planted {
		t.Fatalf("session cookie not replaced at login")
	}
	if body := string(victim.Get(t, "/me").Expect(t, http.StatusOK).Body); body != "user "+e2etest.UserEmail {
		t.Errorf("victim is %q", body)
	}
	// The planted session is over: the attacker learns nothing from it.
	withCookie(a, sessionCookie, planted).Get(t, "/me").Expect(t, http.StatusUnauthorized)

	// A planted junk value is replaced as well; two logins of the same
	// browser get two different cookies.
	b := withCookie(a, sessionCookie, "planted-by-someone-else-0123456789")
	b.Login(t, e2etest.UserEmail, "/me", false)
	first := sessionValue(t, a, b)
	b.Login(t, e2etest.UserEmail, "/me", false)
	second := sessionValue(t, a, b)
	if first == "planted-by-someone-else-0123456789" || first == second {
		t.Errorf("session cookie not renewed at each login")
	}
	withCookie(a, sessionCookie, first).Get(t, "/me").Expect(t, http.StatusUnauthorized)
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	b := a.NewBrowser("b")
	cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
	resp := b.Get(t, cb).Expect(t, http.StatusSeeOther)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no %s cookie: %q", sessionCookie, resp.Header["Set-Cookie"])
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" ||
		session.MaxAge != int((14*24*time.Hour)/time.Second) {
		t.Errorf("session cookie %s; want HttpOnly, SameSite=Lax, Path=/, host-only, Max-Age=14d", resp.Header["Set-Cookie"])
	}
	if session.Secure {
		t.Errorf("Secure on an http loopback base_url: the browser would drop it")
	}

	// Flow cookies: HttpOnly, Lax, sent only to the callback.
	resp = a.NewBrowser("f").Get(t, "/login?next=/").Expect(t, http.StatusFound)
	flows := 0
	for _, c := range resp.Cookies() {
		if strings.Contains(c.Name, "_flow_") {
			flows++
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/auth" || c.MaxAge != int((10*time.Minute)/time.Second) {
				t.Errorf("flow cookie %s", resp.Header["Set-Cookie"])
			}
		}
	}
	if flows != 1 {
		t.Errorf("%d flow cookies; want 1", flows)
	}
}

// TestSecureCookieFlags: with an https base_url the cookies are Secure and
// carry the __Host- / __Secure- name prefixes that browsers enforce.
func TestSecureCookieFlags(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{Edit: func(c *auth.Config) {
		// Name empty: New picks the default of an https base_url.
		c.BaseURL, c.Cookie.Name = "https://app.example", ""
	}})
	resp := a.NewBrowser("f").Get(t, "/login?next=/").Expect(t, http.StatusFound)
	if got := resp.Location(t).Query().Get("redirect_uri"); got != "https://app.example/auth" {
		t.Errorf("redirect_uri %q", got)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || !strings.HasPrefix(cookies[0].Name, "__Secure-") || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Errorf("flow cookie %q; want __Secure-, Secure, HttpOnly", resp.Header["Set-Cookie"])
	}
	if got := a.Manager.Config().Cookie.Name; got != "__Host-oauthgate_session" {
		t.Errorf("session cookie name %q; want %q", got, "__Host-oauthgate_session")
	}
	// Logout expires the __Host- session cookie with the attributes the
	// browser requires to accept it.
	resp = a.Guest().Get(t, "/logout").Expect(t, http.StatusSeeOther)
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-oauthgate_session" && (!c.Secure || c.Path != "/" || c.Domain != "" || c.MaxAge >= 0) {
			t.Errorf("expired session cookie %q", resp.Header["Set-Cookie"])
		}
	}
}

func TestSessionOfAnotherSecretIgnored(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	a := startWith(t, idp, e2etest.Options{})
	other := startWith(t, idp, e2etest.Options{})
	v := sessionValue(t, a, a.Browser(t, e2etest.UserEmail))
	withCookie(a, sessionCookie, v).Get(t, "/me").Expect(t, http.StatusOK)
	c := withCookie(other, sessionCookie, v)
	c.Get(t, "/me").Expect(t, http.StatusUnauthorized)
	if got := string(c.Get(t, "/hello").Expect(t, http.StatusOK).Body); got != "guest " {
		t.Errorf("/hello = %q; want a guest", got)
	}
	// Altered, truncated or extended values are a guest's too.
	for _, bad := range []string{flip(v, len(v)/2), v[:len(v)-1], v + "A", v[1:], "", strings.Repeat("A", len(v))} {
		withCookie(a, sessionCookie, bad).Get(t, "/me").Expect(t, http.StatusUnauthorized)
	}
}

func TestLogoutInvalidates(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		b := a.Browser(t, e2etest.UserEmail)
		copied := sessionValue(t, a, b)
		resp := b.Do(t, method, "/logout", "").Expect(t, http.StatusSeeOther)
		cleared := false
		for _, c := range resp.Cookies() {
			cleared = cleared || c.Name == sessionCookie && c.MaxAge < 0
		}
		if !cleared {
			t.Errorf("%s /logout does not expire the cookie: %q", method, resp.Header["Set-Cookie"])
		}
		b.Get(t, "/me").Expect(t, http.StatusUnauthorized)
		withCookie(a, sessionCookie, copied).Get(t, "/me").Expect(t, http.StatusUnauthorized)
		// Nor can the copy mint a token.
		if r := withCookie(a, sessionCookie, copied).Get(t, "/token"); r.StatusCode == http.StatusOK {
			t.Errorf("a logged-out cookie minted a token")
		}
	}
}

// flip returns s with the character at i changed to another base64url
// character.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
