package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/mockidp"
)

func TestLoginFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	expect(t, b.get("/me"), http.StatusUnauthorized)

	next := b.login("Alice@Example.com", "/login?next=/me%3Fx%3D1")
	if next != "/me?x=1" {
		t.Fatalf("next = %q, want /me?x=1", next)
	}
	r := b.get("/me")
	expect(t, r, http.StatusOK)
	if r.body != "user:alice@example.com read" {
		t.Fatalf("body %q", r.body)
	}
	// The flow cookie is gone, and no IdP token is in any cookie.
	for _, c := range b.c.Jar.Cookies(mustURL(t, e.app.URL+"/auth")) {
		if strings.Contains(c.Name, "_flow_") {
			t.Fatalf("flow cookie %s still set", c.Name)
		}
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	if err := e.idp.Provider.NextLogin("alice@example.com", nil); err != nil {
		t.Fatal(err)
	}
	start := b.get("/login")
	expect(t, start, http.StatusFound)
	flowCookie := findSetCookie(t, start.header, "_flow_")
	if flowCookie.Path != "/auth" || !flowCookie.HttpOnly || flowCookie.SameSite != http.SameSiteLaxMode || flowCookie.MaxAge != 600 {
		t.Fatalf("flow cookie %+v", flowCookie)
	}
	loc := mustURL(t, start.header.Get("Location"))
	q := loc.Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Fatalf("authorize request without %s: %s", k, loc)
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != e.app.URL+"/auth" {
		t.Fatalf("authorize request %s", loc)
	}
	cb, err := e.idp.Authorize(t.Context(), loc.String())
	if err != nil {
		t.Fatal(err)
	}
	r := b.get(cb.String())
	expect(t, r, http.StatusSeeOther)
	sc := setCookieNamed(t, r.header, e.m.Config().Cookie.Name)
	if sc.Path != "/" || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.MaxAge != int(e.m.Config().Cookie.MaxAge.Seconds()) {
		t.Fatalf("session cookie %+v", sc)
	}
	if del := findSetCookie(t, r.header, "_flow_"); del.MaxAge >= 0 {
		t.Fatalf("flow cookie not deleted: %+v", del)
	}
}

func findSetCookie(t *testing.T, h http.Header, nameContains string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if strings.Contains(c.Name, nameContains) {
			return c
		}
	}
	t.Fatalf("no Set-Cookie with %q in %q", nameContains, h.Values("Set-Cookie"))
	return nil
}

func setCookieNamed(t *testing.T, h http.Header, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no Set-Cookie %s in %q", name, h.Values("Set-Cookie"))
	return nil
}

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})

	t.Run("no state", func(t *testing.T) {
		expect(t, e.browser().get("/auth?code=x"), http.StatusBadRequest)
	})
	t.Run("unknown state", func(t *testing.T) {
		expect(t, e.browser().get("/auth?code=x&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), http.StatusBadRequest)
	})
	t.Run("replay", func(t *testing.T) {
		b := e.browser()
		cb := b.startLogin("/login")
		expect(t, b.get(cb.String()), http.StatusSeeOther)
		r := b.get(cb.String())
		expect(t, r, http.StatusBadRequest)
		if strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), e.m.Config().Cookie.Name+"=") {
			t.Fatal("a replayed callback set a session")
		}
	})
	t.Run("state of another browser", func(t *testing.T) {
		cb := e.browser().startLogin("/login")
		expect(t, e.browser().get(cb.String()), http.StatusBadRequest)
	})
	t.Run("state swapped", func(t *testing.T) {
		b := e.browser()
		cb := b.startLogin("/login")
		q := cb.Query()
		st := q.Get("state")
		q.Set("state", st[:8]+strings.Repeat("A", len(st)-8)) // same cookie, other state
		cb.RawQuery = q.Encode()
		expect(t, b.get(cb.String()), http.StatusBadRequest)
	})
	t.Run("provider error", func(t *testing.T) {
		b := e.browser()
		if err := e.idp.Provider.FailNext("authorize_error"); err != nil {
			t.Fatal(err)
		}
		cb := b.startLogin("/login")
		if cb.Query().Get("error") == "" {
			t.Fatalf("no error in %s", cb)
		}
		r := b.get(cb.String())
		expect(t, r, http.StatusBadRequest)
		if !strings.Contains(r.body, "access_denied") {
			t.Fatalf("body %q", r.body)
		}
	})
	t.Run("code refused", func(t *testing.T) {
		b := e.browser()
		cb := b.startLogin("/login")
		q := cb.Query()
		q.Set("code", "forged")
		cb.RawQuery = q.Encode()
		expect(t, b.get(cb.String()), http.StatusBadRequest)
	})
	t.Run("next not local", func(t *testing.T) {
		for _, next := range []string{"//evil.com", "https://evil.com", "/\t/evil.com", "/%5Cevil.com"} {
			expect(t, e.browser().get("/login?next="+urlQueryEscape(next)), http.StatusBadRequest)
		}
	})
}

func TestFlowExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	cb := b.startLogin("/login")
	e.clock.Advance(e.m.Config().FlowTTL + time.Second)
	expect(t, b.get(cb.String()), http.StatusBadRequest)
}

// idTokenFaultReasons is the logged reason of each ID token fault: each
// is refused for its own reason, not by an earlier check.
var idTokenFaultReasons = map[mockidp.Fault]string{
	mockidp.FaultBadSignature:          "signature",
	mockidp.FaultAlgNone:               "algorithm \\\"none",
	mockidp.FaultHS256PublicKey:        "algorithm \\\"HS256",
	mockidp.FaultUnknownKID:            "signature",
	mockidp.FaultWrongIssuer:           "different provider",
	mockidp.FaultWrongAudience:         "audience",
	mockidp.FaultExpired:               "expired",
	mockidp.FaultIssuedInFuture:        "issued in the future",
	mockidp.FaultWrongNonce:            "nonce",
	mockidp.FaultMissingNonce:          "nonce",
	mockidp.FaultMissingEmail:          "without email",
	mockidp.FaultEmailUnverified:       "not verified",
	mockidp.FaultMissingSub:            "without sub",
	mockidp.FaultMultiAudienceNoAZP:    "several audiences and no azp",
	mockidp.FaultMultiAudienceWrongAZP: "azp",
}

func TestIDTokenChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, f := range mockidp.IDTokenFaults() {
		t.Run(string(f), func(t *testing.T) {
			reason, ok := idTokenFaultReasons[f]
			if !ok {
				t.Fatalf("no expected reason for fault %s", f)
			}
			before := len(e.logs.String())
			// Faults are global to the provider: one at a time.
			b := e.browser()
			cb := b.startLogin("/login")
			if err := e.idp.Provider.FailNext(f); err != nil {
				t.Fatal(err)
			}
			r := b.get(cb.String())
			e.idp.Provider.ClearFaults()
			expect(t, r, http.StatusBadRequest)
			logged := e.logs.String()[before:]
			if !strings.Contains(logged, "ID token refused") || !strings.Contains(logged, reason) {
				t.Fatalf("refused for another reason than %q: %s", reason, logged)
			}
			if b.sessionCookie() != "" {
				t.Fatal("a session was created")
			}
			expect(t, b.get("/me"), http.StatusUnauthorized)
		})
	}
}

func TestEmailRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{configure: func(c *auth.Config) {
		c.AllowedEmailDomains = []string{"company.com"}
	}})
	for _, tc := range []struct {
		email string
		ok    bool
	}{
		{"a@company.com", true},
		{"a@x.company.com", true},
		{"A@COMPANY.COM", true},
		{"a@evilcompany.com", false},
		{"a@company.com.evil.org", false},
		{"a@company.co", false},
		{"bot@service", false},
	} {
		t.Run(tc.email, func(t *testing.T) {
			b := e.browser()
			if err := e.idp.Provider.NextLogin(tc.email, nil); err != nil {
				t.Fatal(err)
			}
			cb := b.startLogin("/login")
			r := b.get(cb.String())
			if tc.ok {
				expect(t, r, http.StatusSeeOther)
				expect(t, b.get("/me"), http.StatusOK)
			} else {
				expect(t, r, http.StatusBadRequest)
				expect(t, b.get("/me"), http.StatusUnauthorized)
			}
		})
	}
}

func TestUnverifiedEmailAllowedWhenConfigured(t *testing.T) {
	t.Parallel()
	no := false
	e := newEnv(t, envOptions{configure: func(c *auth.Config) { c.RequireVerifiedEmail = &no }})
	b := e.browser()
	cb := b.startLogin("/login")
	if err := e.idp.Provider.FailNext(mockidp.FaultEmailUnverified); err != nil {
		t.Fatal(err)
	}
	expect(t, b.get(cb.String()), http.StatusSeeOther)
	expect(t, b.get("/me"), http.StatusOK)
}

func TestSessionRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.login("alice@example.com", "/login")
	first := b.sessionCookie()
	b.login("alice@example.com", "/login")
	second := b.sessionCookie()
	if first == "" || first == second {
		t.Fatalf("session not rotated: %q then %q", first, second)
	}
	// The session replaced at login is revoked: a copy of it is a guest.
	copyOfFirst := e.browser()
	r := copyOfFirst.do("GET", "/me", http.Header{"Cookie": {e.m.Config().Cookie.Name + "=" + first}})
	expect(t, r, http.StatusUnauthorized)
	expect(t, b.get("/me"), http.StatusOK)
}

func TestLogoutRevokesTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.login("alice@example.com", "/login")
	cookie := e.m.Config().Cookie.Name + "=" + b.sessionCookie()
	other := e.browser()
	expect(t, other.do("GET", "/me", http.Header{"Cookie": {cookie}}), http.StatusOK)
	r := b.get("/logout")
	expect(t, r, http.StatusSeeOther)
	if c := setCookieNamed(t, r.header, e.m.Config().Cookie.Name); c.MaxAge >= 0 {
		t.Fatalf("session cookie not expired: %+v", c)
	}
	expect(t, b.get("/me"), http.StatusUnauthorized)
	expect(t, other.do("GET", "/me", http.Header{"Cookie": {cookie}}), http.StatusUnauthorized)
}

func TestBadSessionCookieIsAGuest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	name := e.m.Config().Cookie.Name
	for _, v := range []string{"garbage", strings.Repeat("A", 5000), "MTIzNDU2Nzg5MA=="} {
		r := b.do("GET", "/hello", http.Header{"Cookie": {name + "=" + v}})
		expect(t, r, http.StatusOK)
		if r.body != "guest " {
			t.Fatalf("body %q", r.body)
		}
	}
}

func TestIdPDownAtStart(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	e := newEnv(t, envOptions{idpURL: downURL})
	r := e.browser().get("/login")
	expect(t, r, http.StatusBadGateway)
	// Protected routes still answer.
	expect(t, e.browser().get("/me"), http.StatusUnauthorized)
}

func TestDiscoveryRetried(t *testing.T) {
	t.Parallel()
	// A provider that fails discovery once, then works.
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var fail atomic.Bool
	fail.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		idp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	if err := idp.SetIssuer(srv.URL); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{idpURL: srv.URL})
	expect(t, e.browser().get("/login"), http.StatusBadGateway)
	fail.Store(false)
	// Within the retry delay the failure is remembered.
	expect(t, e.browser().get("/login"), http.StatusBadGateway)
	e.clock.Advance(time.Second)
	expect(t, e.browser().get("/login"), http.StatusBadGateway)
	// Past it, the next login discovers the provider again.
	e.clock.Advance(time.Second)
	expect(t, e.browser().get("/login"), http.StatusFound)
}

func TestSeveralLoginsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	// Two tabs start a login; each completes with its own flow cookie.
	first := b.startLogin("/login?next=/one")
	second := b.startLogin("/login?next=/two")
	r := b.get(second.String())
	expect(t, r, http.StatusSeeOther)
	if got := r.header.Get("Location"); got != "/two" {
		t.Fatalf("second tab: %q", got)
	}
	r = b.get(first.String())
	expect(t, r, http.StatusSeeOther)
	if got := r.header.Get("Location"); got != "/one" {
		t.Fatalf("first tab: %q", got)
	}
	// Abandoned logins beyond the bound are dropped at the next callback.
	for range 6 {
		b.get("/login")
	}
	last := b.startLogin("/login")
	r = b.get(last.String())
	expect(t, r, http.StatusSeeOther)
	if n := strings.Count(strings.Join(r.header.Values("Set-Cookie"), "\n"), "_flow_"); n != 8 {
		t.Fatalf("%d flow cookies expired, want all 8", n)
	}
	for _, c := range b.c.Jar.Cookies(mustURL(t, e.app.URL+"/auth")) {
		if strings.Contains(c.Name, "_flow_") {
			t.Fatalf("flow cookie %s left", c.Name)
		}
	}
}
