package security_test

import (
	"crypto/sha256"
	"encoding/base64"
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

// Login flow: a callback that is not the completion of the login this
// browser started, or whose ID token fails any check, is refused with a
// 400 page, and no session is created. The state, code, PKCE and email
// rules are checked with every kind of provider (the mock provider's
// modes).

// refused checks a refused callback: a 400 HTML page, no session cookie
// set, the flow cookie of the state deleted (a state is used once), and
// the browser still a guest.
func refused(t *testing.T, b *e2etest.Client, cb string) {
	t.Helper()
	resp := b.Get(t, cb).Expect(t, http.StatusBadRequest)
	noFlowCookieLeft(t, b, cb)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q; want an HTML page", ct)
	}
	for _, c := range resp.Cookies() {
		if c.Value != "" && !strings.Contains(c.Name, "_flow_") {
			t.Errorf("refused callback sets cookie %s", c.Name)
		}
	}
	b.Get(t, "/me").Expect(t, http.StatusUnauthorized)
}

// noFlowCookieLeft fails if b still holds a flow cookie for the state of
// its last callback: the callback must delete it, success or not.
func noFlowCookieLeft(t *testing.T, b *e2etest.Client, cb string) {
	t.Helper()
	state := param(t, cb, "state")
	if len(state) < 8 {
		return
	}
	u, _ := url.Parse(cb)
	for _, c := range b.HTTP.Jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "_flow_"+state[:8]) {
			t.Errorf("flow cookie %s kept after the callback", c.Name)
		}
	}
}

// withQuery returns raw with its query parameter k set to v ("" deletes).
func withQuery(t *testing.T, raw, k, v string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func param(t *testing.T, raw, k string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(k)
}

func TestLoginStateFaults(t *testing.T) {
	t.Parallel()
	eachMode(t, loginStateFaults)
}

func loginStateFaults(t *testing.T, mode mockidp.Mode) {
	a := startWith(t, e2etest.IdPMode(t, mode), e2etest.Options{})
	t.Run("missing state", func(t *testing.T) {
		b := a.NewBrowser("b")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		refused(t, b, withQuery(t, cb, "state", ""))
	})
	t.Run("empty state and code", func(t *testing.T) {
		b := a.NewBrowser("b")
		b.StartLogin(t, e2etest.UserEmail, "/me", false)
		refused(t, b, "/auth?state=&code=")
	})
	t.Run("mismatched state", func(t *testing.T) {
		// Same first characters (so the flow cookie is found), other end:
		// the full comparison refuses it.
		b := a.NewBrowser("b")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		state := param(t, cb, "state")
		last := "A"
		if strings.HasSuffix(state, "A") {
			last = "B"
		}
		refused(t, b, withQuery(t, cb, "state", state[:len(state)-1]+last))
	})
	t.Run("state of another login", func(t *testing.T) {
		b := a.NewBrowser("b")
		first := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		second := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		refused(t, b, withQuery(t, first, "state", param(t, second, "state")))
	})
	t.Run("replayed state", func(t *testing.T) {
		b := a.NewBrowser("b")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		b.Get(t, cb).Expect(t, http.StatusSeeOther)
		other := a.NewBrowser("replayer")
		refused(t, other, cb)
		// The same browser, logged in now, cannot replay it either.
		b.Get(t, cb).Expect(t, http.StatusBadRequest)
	})
	t.Run("callback started by someone else", func(t *testing.T) {
		// Login CSRF: the attacker's callback URL in the victim's browser.
		attacker := a.NewBrowser("attacker")
		cb := attacker.StartLogin(t, "attacker@corp.example", "/me", false)
		victim := a.NewBrowser("victim")
		refused(t, victim, cb)
	})
	t.Run("expired flow", func(t *testing.T) {
		// A flow cookie kept past flow_ttl (the browser did not drop it).
		clock := e2etest.NewClock()
		ca := startWith(t, e2etest.IdPMode(t, mode), e2etest.Options{Edit: func(c *auth.Config) { c.Now = clock.Now }})
		b := ca.NewBrowser("b")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		clock.Advance((10 * time.Minute) + time.Second)
		refused(t, b, cb)
	})
}

func TestLoginCodeFaults(t *testing.T) {
	t.Parallel()
	eachMode(t, loginCodeFaults)
}

func loginCodeFaults(t *testing.T, mode mockidp.Mode) {
	a := startWith(t, e2etest.IdPMode(t, mode), e2etest.Options{})
	t.Run("replayed code", func(t *testing.T) {
		b := a.NewBrowser("b")
		first := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		b.Get(t, first).Expect(t, http.StatusSeeOther)
		b.Get(t, "/logout").Expect(t, http.StatusSeeOther)
		// A fresh login whose callback carries the used code.
		second := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		refused(t, b, withQuery(t, second, "code", param(t, first, "code")))
	})
	t.Run("code of another login", func(t *testing.T) {
		// Code injection: a code issued for another PKCE challenge and
		// nonce, delivered with a valid state.
		b := a.NewBrowser("b")
		first := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		second := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		refused(t, b, withQuery(t, second, "code", param(t, first, "code")))
	})
	t.Run("made-up code", func(t *testing.T) {
		b := a.NewBrowser("b")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		refused(t, b, withQuery(t, cb, "code", "bm90LWEtY29kZS1vZi10aGUtcHJvdmlkZXI"))
	})
	t.Run("no code", func(t *testing.T) {
		b := a.NewBrowser("b")
		cb := b.StartLogin(t, e2etest.UserEmail, "/me", false)
		refused(t, b, withQuery(t, cb, "code", ""))
	})
}

// TestLoginPKCE: the app sends an S256 challenge, proves it with the
// verifier at the exchange, and a wrong verifier ends the login.
func TestLoginPKCE(t *testing.T) {
	t.Parallel()
	eachMode(t, loginPKCE)
}

func loginPKCE(t *testing.T, mode mockidp.Mode) {
	a := startWith(t, e2etest.IdPMode(t, mode), e2etest.Options{})
	b := a.NewBrowser("b")
	resp := b.Get(t, "/login?next=/me").Expect(t, http.StatusFound)
	authURL := resp.Location(t)
	challenge := authURL.Query().Get("code_challenge")
	q := authURL.Query()
	q.Set("login_hint", e2etest.UserEmail)
	authURL.RawQuery = q.Encode()
	cb := b.Get(t, authURL.String()).Location(t)
	b.Get(t, cb.String()).Expect(t, http.StatusSeeOther)
	v := a.toIdP.lastVerifier.Load()
	if v == nil {
		t.Fatal("no code_verifier sent to the token endpoint")
	}
	sum := sha256.Sum256([]byte(*v))
	if got := base64.RawURLEncoding.EncodeToString(sum[:]); got != challenge {
		t.Fatalf("S256(code_verifier) = %s; the challenge was %s", got, challenge)
	}

	wrong := strings.Repeat("w", 43)
	a.toIdP.tamper.Store(&wrong)
	defer a.toIdP.tamper.Store(nil)
	other := a.NewBrowser("other")
	refused(t, other, other.StartLogin(t, e2etest.UserEmail, "/me", false))
}

// TestLoginIDTokenFaults: every ID token defect the mock provider can make
// (bad signature, alg none, HS256 keyed with the public key, unknown key,
// wrong iss, wrong aud, expired, iat in the future, nonce wrong or missing,
// email missing or unverified, sub missing, azp faults) is refused.
func TestLoginIDTokenFaults(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	a := startWith(t, idp, e2etest.Options{})
	faults := mockidp.IDTokenFaults()
	if len(faults) < 15 {
		t.Fatalf("%d faults", len(faults))
	}
	// Faults are queued on the shared provider: one at a time.
	for _, f := range faults {
		t.Run(string(f), func(t *testing.T) {
			if err := idp.Provider.FailNext(f); err != nil {
				t.Fatal(err)
			}
			b := a.NewBrowser("b")
			refused(t, b, b.StartLogin(t, e2etest.UserEmail, "/me", false))
			idp.Provider.ClearFaults()
		})
	}
	// Without a fault the same login works: the refusals were the faults'.
	a.NewBrowser("ok").Login(t, e2etest.UserEmail, "/me", false)

	// With require_verified_email: false, an ID token without email is
	// still refused.
	lax := startWith(t, idp, e2etest.Options{Extra: "require_verified_email: false\n"})
	if err := idp.Provider.FailNext(mockidp.FaultMissingEmail); err != nil {
		t.Fatal(err)
	}
	b := lax.NewBrowser("b")
	refused(t, b, b.StartLogin(t, e2etest.UserEmail, "/me", false))
	if err := idp.Provider.FailNext(mockidp.FaultEmailUnverified); err != nil {
		t.Fatal(err)
	}
	lax.NewBrowser("unverified").Login(t, e2etest.UserEmail, "/me", false)
}

// TestLoginEmailDomains: allowed_email_domains matches the domain exactly
// or on a dot boundary, and an email with more than one "@" never passes.
func TestLoginEmailDomains(t *testing.T) {
	t.Parallel()
	eachMode(t, loginEmailDomains)
}

func loginEmailDomains(t *testing.T, mode mockidp.Mode) {
	idp := e2etest.IdPMode(t, mode)
	a := startWith(t, idp, e2etest.Options{Extra: "allowed_email_domains: [company.example, kiosk.example]\n"})
	for _, tc := range []struct {
		email string
		ok    bool
	}{
		{"alice@company.example", true},
		{"Bob@COMPANY.example", true},
		{"carol@eu.company.example", true},
		{"eve@evilcompany.example", false},
		{"eve@company.example.evil.example", false},
		{"eve@company.exampleevil", false},
		{"eve@xcompany.example", false},
		{"eve@company.example@evil.example", false},
		{"eve@evil.example@company.example", false},
		{"eve@evil.example@eu.company.example", false},
		{"eve@@company.example", false},
		{`"eve@evil.example"@company.example`, false},
		{"eve@company-example.com", false},
		{"eve@.company.example", false},
		{"company.example@evil.example", false},
		{"eve@evil.example", false},
		// Only ASCII letters fold: a lookalike domain is another domain.
		{"Dan@KIOSK.Example", true},
		{"eve@\u212Aiosk.example", false},      // KELVIN SIGN, lower-cased to k by Unicode
		{"eve@k\u0130osk.example", false},      // I WITH DOT ABOVE, lower-cased to i
		{"eve@kio\u017Fk.example", false},      // LONG S, case-folded to s
		{"eve@\uff4biosk.example", false},      // FULLWIDTH k
		{"eve@eu.\u212Aiosk.example", false},   // a subdomain of the lookalike
		{"eve@\u212Aiosk.example.evil", false}, // and a suffix trick with it
	} {
		t.Run(tc.email, func(t *testing.T) {
			if err := idp.Provider.NextLogin(tc.email, nil); err != nil {
				t.Fatal(err)
			}
			b := a.NewBrowser("b")
			cb := b.StartLogin(t, "", "/me", false)
			if tc.ok {
				b.Get(t, cb).Expect(t, http.StatusSeeOther)
				noFlowCookieLeft(t, b, cb)
				b.Get(t, "/me").Expect(t, http.StatusOK)
				return
			}
			refused(t, b, cb)
		})
	}
}

// TestLoginEmailLookalikes: emails match with ASCII letters folded and
// nothing else. An address the provider verified that differs from a
// stored one only by a Unicode character some case mapping turns into an
// ASCII letter (or into another non-ASCII one) is another user: it keeps
// its bytes and gets none of the stored user's capabilities.
func TestLoginEmailLookalikes(t *testing.T) {
	t.Parallel()
	eachMode(t, loginEmailLookalikes)
}

func loginEmailLookalikes(t *testing.T, mode mockidp.Mode) {
	idp := e2etest.IdPMode(t, mode)
	a := startWith(t, idp, e2etest.Options{Users: map[string][]string{
		"kate@corp.example":                     {"write"},
		"sam@corp.example":                      {"write"},
		"ines@corp.example":                     {"write"},
		"\uff4b\uff41\uff54\uff45@corp.example": {"baker"}, // fullwidth kate
	}})
	for _, tc := range []struct {
		email string // as the provider sends it, verified
		want  string // the identity's email
	}{
		{"\u212Aate@corp.example", "\u212Aate@corp.example"},                               // KELVIN SIGN
		{"\u212AATE@CORP.EXAMPLE", "\u212Aate@corp.example"},                               // ASCII letters fold, K does not
		{"\u017Fam@corp.example", "\u017Fam@corp.example"},                                 // LONG S
		{"\u0130nes@corp.example", "\u0130nes@corp.example"},                               // I WITH DOT ABOVE
		{"\uff2b\uff21\uff34\uff25@corp.example", "\uff2b\uff21\uff34\uff25@corp.example"}, // fullwidth KATE
		{"kate@corp.\u212Axample", "kate@corp.\u212Axample"},                               // in the domain
		{"\uff4bate@corp.example", "\uff4bate@corp.example"},                               // one fullwidth letter
	} {
		t.Run(tc.email, func(t *testing.T) {
			if err := idp.Provider.NextLogin(tc.email, nil); err != nil {
				t.Fatal(err)
			}
			b := a.NewBrowser("b")
			b.Get(t, b.StartLogin(t, "", "/me", false)).Expect(t, http.StatusSeeOther)
			if got := string(b.Get(t, "/me").Expect(t, http.StatusOK).Body); got != "user "+tc.want {
				t.Errorf("logged in as %q; want %q", got, "user "+tc.want)
			}
			var list struct {
				Email        string   `json:"email"`
				Capabilities []string `json:"capabilities"`
			}
			b.Get(t, "/manage_capabilities/list").Expect(t, http.StatusOK).JSON(t, &list)
			if list.Email != tc.want || len(list.Capabilities) != 0 {
				t.Errorf("stored capabilities of %q: %q; want none", list.Email, list.Capabilities)
			}
			b.Get(t, "/write").Expect(t, http.StatusForbidden)
			b.Get(t, "/bake").Expect(t, http.StatusForbidden)
		})
	}
	// ASCII case still folds: the real users log in whatever the case.
	for email, path := range map[string]string{"KATE@Corp.Example": "/write", "\uff4b\uff41\uff54\uff45@CORP.example": "/bake"} {
		if err := idp.Provider.NextLogin(email, nil); err != nil {
			t.Fatal(err)
		}
		b := a.NewBrowser("b")
		b.Get(t, b.StartLogin(t, "", "/me", false)).Expect(t, http.StatusSeeOther)
		b.Get(t, path).Expect(t, http.StatusOK)
	}
}

// switchable fronts a provider that can be taken down: then every
// connection is closed without an answer.
type switchable struct {
	down  atomic.Bool
	proxy http.Handler
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		panic(http.ErrAbortHandler)
	}
	s.proxy.ServeHTTP(w, r)
}

// TestIdPDownAtStartThenUp: the app starts while the provider is down;
// logins fail with a 502 page, and the failure is remembered for the retry
// interval; once the provider is up, the next login after the interval
// works. The Manager's clock is a fake one: nothing sleeps.
func TestIdPDownAtStartThenUp(t *testing.T) {
	t.Parallel()
	front := httptest.NewUnstartedServer(nil)
	idp, err := mockidp.NewServer(mockidp.Options{Issuer: "http://" + front.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	target, _ := url.Parse("http://" + idp.Addr().String())
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = nil
	sw := &switchable{proxy: proxy}
	sw.down.Store(true)
	front.Config.Handler = sw
	front.Config.ErrorLog = discardLog
	front.Start()
	t.Cleanup(front.Close)

	clock := e2etest.NewClock()
	a := startWith(t, idp, e2etest.Options{Edit: func(c *auth.Config) { c.Now = clock.Now }})
	login := func() *e2etest.Response { return a.NewBrowser("b").Get(t, "/login?next=/me") }
	login().Expect(t, http.StatusBadGateway)
	sw.down.Store(false)
	// Within the retry interval the failure is remembered: no request to
	// the provider on every login while it is down.
	login().Expect(t, http.StatusBadGateway)
	clock.Advance(time.Second)
	login().Expect(t, http.StatusBadGateway)
	clock.Advance(2 * time.Second)
	b := a.NewBrowser("b")
	b.Login(t, e2etest.UserEmail, "/me", false)
	b.Get(t, "/me").Expect(t, http.StatusOK)
}
