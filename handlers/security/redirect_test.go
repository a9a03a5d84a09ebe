package security_test

import (
	"bufio"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// Open redirects: /login and /logout take a `next` the attacker chooses.
// Whatever it is, every Location the app answers stays on its origin (the
// one exception: /login's redirect to the provider's authorize endpoint),
// and the browser ends on a local page.

// hostileNext are `next` values, as the server receives them (after the
// query is decoded once), that a browser or a proxy could resolve to
// another origin.
var hostileNext = []string{
	// Protocol-relative and slash tricks.
	"//evil.example", "//evil.example/path", "///evil.example", "////evil.example",
	`/\evil.example`, `\\evil.example`, `\/evil.example`, `/\/evil.example`, `\evil.example`,
	"/./evil.example/..//evil.example", "/../evil.example", "/a/../../evil.example",
	// Schemes.
	"https://evil.example", "http://evil.example/", "HTTPS://evil.example", "https:evil.example",
	"https:/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
	"data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "ftp://evil.example",
	// Percent-encoded and double-encoded slashes and backslashes.
	"/%2F/evil.example", "/%2f%2fevil.example", "%2F%2Fevil.example", "/%5Cevil.example",
	"/%5cevil.example", "%5C%5Cevil.example", "/%252F%252Fevil.example", "/%255Cevil.example",
	"/%2e%2e/evil.example", "/%09/evil.example", "/%0D%0A/evil.example",
	// Whitespace and control characters.
	"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example",
	"/\x00/evil.example", "/x\x00y", " //evil.example", "\t//evil.example", " /local",
	"/local\r\nSet-Cookie: x=y", "/\x0b/evil.example", "/\x7f/evil.example",
	// Userinfo tricks.
	"//trusted.example@evil.example", "https://trusted.example@evil.example",
	"//@evil.example", "/@evil.example/..//evil.example",
	// Unicode lookalike slashes and backslashes (fullwidth, division slash,
	// fraction slash, small reverse solidus, set minus), dots, and IDNA.
	"/\uff0fevil.example", "/\u2215evil.example", "/\u2044evil.example", "/\ufe68evil.example",
	"/\u2216evil.example", "\uff0f\uff0fevil.example", "/\u3002/evil.example", "/ｅｖｉｌ.example",
	// Query and fragment redirector chains.
	"/redirect?url=//evil.example", "/x#//evil.example",
	// Relative and empty-ish.
	"evil.example", ".", "..", "?next=//evil.example", "#//evil.example",
	// Very long.
	"/" + strings.Repeat("a", 5000), "/" + strings.Repeat("%2F", 1000),
}

// localNext are legitimate local destinations: the login ends exactly there.
var localNext = []string{
	"/", "/me", "/hello?x=1", "/hello?x=1&y=%2F#section", "/a/b/c?q=caf%C3%A9", "/bake?food=croissant#top",
	"/user@corp.example", "/a:b",
}

// onOrigin reports whether a browser following the Location loc, answered
// by appURL, stays on appURL's origin. It is strict: anything a browser
// might repair (whitespace, backslashes, non-ASCII) counts as leaving.
func onOrigin(appURL, loc string) bool {
	for i := 0; i < len(loc); i++ {
		if c := loc[i]; c <= ' ' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		// Only absolute URLs of the app itself are allowed otherwise.
		if !strings.HasPrefix(loc, appURL+"/") {
			return false
		}
	}
	base, _ := url.Parse(appURL)
	u, err := base.Parse(loc)
	return err == nil && u.Scheme == base.Scheme && u.Host == base.Host && u.User == nil
}

func TestOnOrigin(t *testing.T) {
	t.Parallel()
	const app = "http://127.0.0.1:8080"
	for _, loc := range []string{"/", "/a?b=c#d", app + "/x"} {
		if !onOrigin(app, loc) {
			t.Errorf("onOrigin(%q) = false", loc)
		}
	}
	for _, loc := range hostileNext {
		if onOrigin(app, loc) && !strings.HasPrefix(loc, "/") {
			t.Errorf("onOrigin(%q) = true", loc)
		}
	}
}

// loginJourney runs /login?next=next in a fresh browser, through the
// provider, to the callback, checking every Location on the way, and
// returns where the callback sends the browser.
func loginJourney(t *testing.T, a *app, next string) string {
	t.Helper()
	b := a.NewBrowser("journey")
	q := url.Values{"next": {next}}
	resp := b.Get(t, "/login?"+q.Encode()).Expect(t, http.StatusFound)
	toIdP := resp.Header.Get("Location")
	authorize := a.IdP.URL + "/authorize?"
	if !strings.HasPrefix(toIdP, authorize) {
		t.Fatalf("/login redirects to %q; want the provider's %s", toIdP, authorize)
	}
	u, _ := url.Parse(toIdP)
	// The random values may spell anything; every other parameter must not
	// carry the hostile value.
	plain := u.Query()
	for _, random := range []string{"state", "nonce", "code_challenge"} {
		plain.Del(random)
	}
	if strings.Contains(plain.Encode(), "evil") {
		t.Fatalf("the authorize request carries the hostile value: %s", toIdP)
	}
	aq := u.Query()
	aq.Set("login_hint", e2etest.UserEmail)
	u.RawQuery = aq.Encode()
	cb := b.Get(t, u.String()).Location(t)
	if cb.Scheme+"://"+cb.Host != a.URL {
		t.Fatalf("provider sends the browser to %s; want the app %s", cb, a.URL)
	}
	resp = b.Get(t, cb.String()).Expect(t, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	if !onOrigin(a.URL, loc) {
		t.Fatalf("callback Location %q leaves the origin", loc)
	}
	// The page it names is the app's: the browser is logged in there.
	b.Get(t, "/me").Expect(t, http.StatusOK)
	return loc
}

func TestOpenRedirectLogin(t *testing.T) {
	t.Parallel()
	if len(hostileNext) < 40 {
		t.Fatalf("%d hostile values; the table needs at least 40", len(hostileNext))
	}
	a := start(t, e2etest.Options{})
	for _, next := range hostileNext {
		t.Run(shortName(next), func(t *testing.T) {
			t.Parallel()
			if got := loginJourney(t, a, next); got != "/" {
				t.Errorf("next %q: login ends at %q; want /", next, got)
			}
		})
	}
	for _, next := range localNext {
		t.Run("local "+next, func(t *testing.T) {
			t.Parallel()
			if got := loginJourney(t, a, next); got != next {
				t.Errorf("next %q: login ends at %q", next, got)
			}
		})
	}
}

func TestOpenRedirectLogout(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	// check logs a browser in (for local values, which keep the session's
	// end observable) or sends a guest, then logs out with next.
	check := func(t *testing.T, next, want string, login bool) {
		t.Helper()
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			b := a.Guest()
			if login {
				b = a.Browser(t, e2etest.UserEmail)
			}
			q := url.Values{"next": {next}}
			resp := b.Do(t, method, "/logout?"+q.Encode(), "").Expect(t, http.StatusSeeOther)
			loc := resp.Header.Get("Location")
			if !onOrigin(a.URL, loc) || loc != want {
				t.Errorf("%s /logout next %q: Location %q; want %q", method, next, loc, want)
			}
			if login {
				b.Get(t, "/me").Expect(t, http.StatusUnauthorized)
			}
		}
	}
	for _, next := range hostileNext {
		t.Run(shortName(next), func(t *testing.T) {
			t.Parallel()
			check(t, next, "/", false)
		})
	}
	for _, next := range localNext {
		t.Run("local "+next, func(t *testing.T) {
			t.Parallel()
			check(t, next, next, true)
		})
	}
}

// TestOpenRedirectCorpus sends every payload of oauth2-proxy's open
// redirect corpus, query-unescaped first as that corpus expects (and also
// as it is), as the `next` of /logout and of a whole login: each ends on
// "/".
func TestOpenRedirectCorpus(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../internal/redirect/testdata/oauth2-proxy-openredirects.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var payloads []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, err := url.QueryUnescape(line); err == nil && v != line {
			payloads = append(payloads, v)
		}
		payloads = append(payloads, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(payloads) < 558 {
		t.Fatalf("%d payloads; the corpus has 558", len(payloads))
	}
	a := start(t, e2etest.Options{})
	guest := a.Guest()
	for i, p := range payloads {
		q := url.Values{"next": {p}}
		resp := guest.Get(t, "/logout?"+q.Encode()).Expect(t, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("payload %d %q: /logout Location %q; want /", i, p, loc)
		}
	}
	// The login keeps next across the provider: run the whole flow for
	// every 8th payload (all of them take long under -race).
	for i := 0; i < len(payloads); i += 8 {
		if got := loginJourney(t, a, payloads[i]); got != "/" {
			t.Errorf("payload %d %q: login ends at %q; want /", i, payloads[i], got)
		}
	}
}

func shortName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
