package handlers_test

import (
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"github.com/oauthgate/oauthgate/mockidp"
)

func start(t *testing.T, o e2etest.Options) *e2etest.App {
	t.Helper()
	return e2etest.Start(t, e2etest.IdP(t), e2etest.MuxApp, o)
}

func TestLoginSessionThenBearer(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	b := app.NewBrowser("alice")
	cb := b.Login(t, "alice@corp.example", "/me", false)

	var session *http.Cookie
	for _, c := range cb.Cookies() {
		if c.MaxAge >= 0 && c.Value != "" && !strings.Contains(c.Name, "_flow_") {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("callback set no session cookie: %v", cb.Header["Set-Cookie"])
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie HttpOnly=%v SameSite=%v; want HttpOnly, Lax", session.HttpOnly, session.SameSite)
	}
	if got := string(b.Get(t, "/me").Expect(t, 200).Body); got != "user alice@corp.example" {
		t.Errorf("/me = %q", got)
	}

	resp := b.Get(t, "/token").Expect(t, 200)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	var tok e2etest.TokenResponse
	resp.JSON(t, &tok)
	exp, err := time.Parse(time.RFC3339, tok.ExpiresAt)
	if err != nil || !exp.After(time.Now()) || tok.TokenType != "Bearer" {
		t.Errorf("token = %+v (expires_at: %v)", tok, err)
	}
	bearer := app.WithBearer("alice-cli", tok.RefreshToken)
	if got := string(bearer.Get(t, "/me").Expect(t, 200).Body); got != "user alice@corp.example" {
		t.Errorf("/me with bearer = %q", got)
	}
	bearer.Get(t, "/write").Expect(t, 403)
	if strings.Contains(app.Logs.String(), tok.RefreshToken) || strings.Contains(app.Logs.String(), session.Value) {
		t.Errorf("a token or cookie value is in the logs")
	}
}

func TestLoginNextIsLocal(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	for _, tc := range []struct{ next, want string }{
		{"/me?x=1", "/me?x=1"},
		{"", "/"},
		{"//evil.example/", "/"},
		{"https://evil.example/", "/"},
		{"/\t/evil.example", "/"},
		{`/\evil.example`, "/"},
		{"javascript:alert(1)", "/"},
		{"/%2F%2Fevil.example", "/"},
	} {
		t.Run(tc.next, func(t *testing.T) {
			b := app.NewBrowser("b")
			cb := b.StartLogin(t, e2etest.UserEmail, tc.next, false)
			resp := b.Get(t, cb).Expect(t, http.StatusSeeOther)
			if got := resp.Header.Get("Location"); got != tc.want {
				t.Errorf("next %q: Location = %q; want %q", tc.next, got, tc.want)
			}
		})
	}
}

func TestLoginBadOfflineFlag(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	resp := app.Guest().Get(t, "/login?offline_token=maybe").Expect(t, 400)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(resp.Body), "offline_token") {
		t.Errorf("400 page = %s", resp.Body)
	}
}

func TestCallbackErrors(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{})

	t.Run("access denied", func(t *testing.T) {
		if err := idp.Provider.FailNext(mockidp.FaultAuthorizeError); err != nil {
			t.Fatal(err)
		}
		b := app.NewBrowser("denied")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		if !strings.Contains(cb, "error=access_denied") {
			t.Fatalf("callback URL %s has no error", cb)
		}
		resp := b.Get(t, cb).Expect(t, 400)
		checkPage(t, resp)
		b.Get(t, "/me").Expect(t, 401)
	})
	t.Run("replayed state", func(t *testing.T) {
		b := app.NewBrowser("replay")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		b.Get(t, cb).Expect(t, http.StatusSeeOther)
		checkPage(t, b.Get(t, cb).Expect(t, 400))
	})
	t.Run("no flow cookie", func(t *testing.T) {
		b := app.NewBrowser("starter")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		other := app.NewBrowser("victim") // login CSRF: someone else's callback
		checkPage(t, other.Get(t, cb).Expect(t, 400))
		other.Get(t, "/me").Expect(t, 401)
	})
	t.Run("wrong nonce", func(t *testing.T) {
		if err := idp.Provider.FailNext(mockidp.FaultWrongNonce); err != nil {
			t.Fatal(err)
		}
		b := app.NewBrowser("nonce")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		checkPage(t, b.Get(t, cb).Expect(t, 400))
		b.Get(t, "/me").Expect(t, 401)
	})
	t.Run("token endpoint fails", func(t *testing.T) {
		// x/oauth2 retries a failed exchange once with the credentials in
		// the body (auth style auto-detection): fail both.
		if err := idp.Provider.FailNextN(mockidp.FaultTokenError, 2); err != nil {
			t.Fatal(err)
		}
		b := app.NewBrowser("tokenerr")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		checkPage(t, b.Get(t, cb).Expect(t, 502))
		b.Get(t, "/me").Expect(t, 401)
	})
}

// checkPage checks an error page of a browser route: HTML, escaped,
// without the private cause.
func checkPage(t *testing.T, resp *e2etest.Response) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q; want an HTML page", ct)
	}
	if !strings.Contains(string(resp.Body), "<h1>") {
		t.Errorf("not a page: %s", resp.Body)
	}
}

// switchable is a reverse proxy in front of a provider that can be taken
// down: then every connection is closed without an answer, as a provider
// that is not running.
type switchable struct {
	down  atomic.Bool
	proxy http.Handler
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	s.proxy.ServeHTTP(w, r)
}

// downableIdP starts a provider reached through a switchable proxy, whose
// URL is the provider's issuer.
func downableIdP(t *testing.T) (*mockidp.Server, *switchable) {
	t.Helper()
	front := httptest.NewUnstartedServer(nil)
	issuer := "http://" + front.Listener.Addr().String()
	idp, err := mockidp.NewServer(mockidp.Options{Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	// idp.URL is the issuer, the front's URL: proxy to where idp listens.
	target, _ := url.Parse("http://" + idp.Addr().String())
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	sw := &switchable{proxy: proxy}
	front.Config.Handler = sw
	front.Start()
	t.Cleanup(front.Close)
	return idp, sw
}

func TestIdPDownAtStart(t *testing.T) {
	t.Parallel()
	idp, sw := downableIdP(t)
	sw.down.Store(true)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{}) // discovery is lazy: New succeeds
	for range 2 {
		resp := app.NewBrowser("b").Get(t, "/login?next=/me").Expect(t, http.StatusBadGateway)
		checkPage(t, resp)
	}
	app.Guest().Get(t, "/hello").Expect(t, 200) // the app itself keeps working
}

func TestIdPDownDuringLogin(t *testing.T) {
	t.Parallel()
	idp, sw := downableIdP(t)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{})
	b := app.NewBrowser("b")
	cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
	sw.down.Store(true)
	checkPage(t, b.Get(t, cb).Expect(t, http.StatusBadGateway))
	b.Get(t, "/me").Expect(t, 401)
	sw.down.Store(false)
	b.Login(t, e2etest.UserEmail, "/me", false)
	b.Get(t, "/me").Expect(t, 200)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			b := app.Browser(t, e2etest.UserEmail)
			u, _ := url.Parse(app.URL)
			copied := b.HTTP.Jar.Cookies(u)
			resp := b.Do(t, method, "/logout?next=/hello", "").Expect(t, http.StatusSeeOther)
			if got := resp.Header.Get("Location"); got != "/hello" {
				t.Errorf("Location = %q; want /hello", got)
			}
			b.Get(t, "/me").Expect(t, 401)
			// A copy of the cookie taken before logout no longer works.
			thief := app.NewBrowser("thief")
			thief.HTTP.Jar.SetCookies(u, copied)
			thief.Get(t, "/me").Expect(t, 401)
		})
	}
}

func TestRedirectToLoginKeepsPathAndQuery(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{})
	b := app.NewBrowser("baker")
	resp := b.Get(t, "/bake?food=croissant&n=2").Expect(t, http.StatusFound)
	loc := resp.Location(t)
	if loc.Path != "/login" {
		t.Fatalf("Location = %s; want /login", loc)
	}
	next := loc.Query().Get("next")
	if next != "/bake?food=croissant&n=2" {
		t.Fatalf("next = %q", next)
	}
	b.Login(t, e2etest.AdminEmail, next, false)
	if got := string(b.Get(t, next).Expect(t, 200).Body); got != "user "+e2etest.AdminEmail {
		t.Errorf("%s = %q", next, got)
	}
	// Without RedirectToLogin, and for POST, no redirect: 401.
	app.NewBrowser("api").Get(t, "/read").Expect(t, 401)
}

func TestTokenGoesThroughOfflineLogin(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{})
	b := app.NewBrowser("cli-user")
	resp := b.Get(t, "/token?x=1").Expect(t, http.StatusFound)
	loc := resp.Location(t)
	if loc.Path != "/login" || loc.Query().Get("offline_token") != "true" || loc.Query().Get("next") != "/token?x=1" {
		t.Fatalf("Location = %s", loc)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("redirect Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
	b.Login(t, e2etest.UserEmail, "/token?x=1", true)
	var authorize *mockidp.RecordedRequest
	for _, r := range idp.Provider.Requests() {
		if strings.HasSuffix(r.Path, "/authorize") {
			authorize = &r
		}
	}
	if authorize == nil {
		t.Fatal("no authorize request recorded")
	}
	q := authorize.Query
	if !strings.Contains(q.Get("scope"), "offline_access") && q.Get("access_type") != "offline" {
		t.Errorf("offline login asked no refresh token: scope=%q", q.Get("scope"))
	}
	var tok e2etest.TokenResponse
	b.Get(t, "/token?x=1").Expect(t, 200).JSON(t, &tok)
	app.WithBearer("cli", tok.RefreshToken).Get(t, "/me").Expect(t, 200)
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{Prefix: "/api/v1"})
	g := app.Guest()
	g.Get(t, "/login").Expect(t, 404)
	g.Get(t, "/api/v1/manage_capabilities/list").Expect(t, 401)
	b := app.Browser(t, e2etest.UserEmail) // asserts /api/v1/login → IdP → /api/v1/auth
	b.Get(t, "/api/v1/manage_capabilities/list").Expect(t, 200)
	b.Get(t, "/api/v1/logout").Expect(t, http.StatusSeeOther)
	b.Get(t, "/me").Expect(t, 401)
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestOfflineTokenRecheck: a user token from an offline login is re-checked
// with the provider; a user the provider no longer knows loses access.
func TestOfflineTokenRecheck(t *testing.T) {
	t.Parallel()
	clock := e2etest.NewClock()
	idp := e2etest.IdP(t)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{Edit: func(c *auth.Config) { c.Now = clock.Now }})
	tok := app.UserToken(t, "leaver@corp.example", true)
	cli := app.WithBearer("leaver", tok.RefreshToken)
	cli.Get(t, "/me").Expect(t, 200)
	idp.Provider.DeleteUser("leaver@corp.example")
	cli.Get(t, "/me").Expect(t, 200) // not due yet
	clock.Advance(2 * time.Hour)
	resp := cli.Get(t, "/me").Expect(t, 401)
	if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, "invalid_token") {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	// Revoked for good, even once the provider knows the user again.
	idp.Provider.RestoreUser("leaver@corp.example")
	cli.Get(t, "/me").Expect(t, 401)
}
