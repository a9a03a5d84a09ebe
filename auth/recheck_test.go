package auth_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// offlineToken logs email in with offline_token=true and returns the user
// token that /token mints, which embeds the provider's refresh token.
func offlineToken(t *testing.T, e *env, email string) string {
	t.Helper()
	b := e.browser()
	if next := b.login(email, "/login?offline_token=true&next=/token"); next != "/token" {
		t.Fatalf("next %q", next)
	}
	tok := userToken(t, b)
	// The offline cookie serves one token only.
	second := userToken(t, b)
	if tok == second {
		t.Fatal("same token twice")
	}
	return tok
}

func tokenRequests(e *env) int {
	n := 0
	for _, r := range e.idp.Provider.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/token") {
			n++
		}
	}
	return n
}

func TestRecheckWithTheProvider(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	tok := offlineToken(t, e, "frank@example.com")
	c := e.browser()
	expect(t, c.bearer("/me", tok), http.StatusOK)
	interval := e.m.Config().RecheckInterval

	// Due: re-checked once, with the refresh token; the provider rotates
	// it, and the next re-check must use the new one (mockidp refuses a
	// reused refresh token).
	for i := 0; i < 3; i++ {
		before := tokenRequests(e)
		e.clock.Advance(interval + time.Second)
		expect(t, c.bearer("/me", tok), http.StatusOK)
		expect(t, c.bearer("/me", tok), http.StatusOK)
		if got := tokenRequests(e) - before; got != 1 {
			t.Fatalf("round %d: %d token requests, want 1", i, got)
		}
	}

	// The user is deleted at the provider: refused once the interval has
	// passed, for good.
	e.idp.Provider.DeleteUser("frank@example.com")
	expect(t, c.bearer("/me", tok), http.StatusOK) // not due yet
	e.clock.Advance(interval + time.Second)
	r := c.bearer("/me", tok)
	expect(t, r, http.StatusUnauthorized)
	if d := detail(t, r); d != "token revoked" {
		t.Fatalf("detail %q", d)
	}
	e.idp.Provider.RestoreUser("frank@example.com")
	expect(t, c.bearer("/me", tok), http.StatusUnauthorized)
	if strings.Contains(e.logs.String(), tok[len(tok)-24:]) {
		t.Fatal("a token is in the logs")
	}
}

func TestRecheckOnlyOnceForConcurrentRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	tok := offlineToken(t, e, "gina@example.com")
	e.clock.Advance(e.m.Config().RecheckInterval + time.Second)
	before := tokenRequests(e)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", e.app.URL+"/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if got := tokenRequests(e) - before; got != 1 {
		t.Fatalf("%d token requests, want 1", got)
	}
}

func TestRecheckGraceWhileTheProviderIsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	tok := offlineToken(t, e, "hana@example.com")
	c := e.browser()
	expect(t, c.bearer("/me", tok), http.StatusOK)
	e.idp.Close()
	cfg := e.m.Config()

	e.clock.Advance(cfg.RecheckInterval + time.Second)
	expect(t, c.bearer("/me", tok), http.StatusOK)
	if !strings.Contains(e.logs.String(), "could not re-check") {
		t.Fatalf("failure not logged: %s", e.logs.String())
	}
	e.clock.Advance(cfg.RecheckGrace - cfg.RecheckInterval - 2*time.Second)
	expect(t, c.bearer("/me", tok), http.StatusOK)
	e.clock.Advance(2 * time.Second)
	r := c.bearer("/me", tok)
	expect(t, r, http.StatusUnauthorized)
	if d := detail(t, r); !strings.Contains(d, "could not confirm") {
		t.Fatalf("detail %q", d)
	}
}

func TestNoRecheckWithoutOfflineLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.login("ivan@example.com", "/login")
	tok := userToken(t, b)
	e.idp.Provider.DeleteUser("ivan@example.com")
	e.clock.Advance(e.m.Config().RecheckInterval * 3)
	before := tokenRequests(e)
	expect(t, e.browser().bearer("/me", tok), http.StatusOK)
	if tokenRequests(e) != before {
		t.Fatal("a token without refresh token was re-checked")
	}
}
