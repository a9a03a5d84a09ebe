package handlers_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// TestLoginStartsThrottledPerAddress: one address may start 60 logins a
// minute; the next gets a readable 429 page with Retry-After and no flow
// cookie, while another address still logs in; after Retry-After the
// first address may start again.
func TestLoginStartsThrottledPerAddress(t *testing.T) {
	t.Parallel()
	clock := e2etest.NewClock()
	idp := e2etest.IdP(t)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{Edit: func(c *auth.Config) { c.Now = clock.Now }})
	browser := app.Guest()
	for range 60 {
		browser.Get(t, "/login?next=/hello").Expect(t, http.StatusFound)
	}
	r := browser.Get(t, "/login?next=/hello").Expect(t, http.StatusTooManyRequests)
	wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || wait < 1 || wait > 65 { // counted in slots of 5s
		t.Fatalf("Retry-After %q; want 1 to 65 seconds", r.Header.Get("Retry-After"))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(r.Body), "<h1>") {
		t.Errorf("not a page: %s %s", ct, r.Body)
	}
	if c := r.Header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("a refused login sets cookies: %q", c)
	}

	other := app.NewBrowser("neighbour")
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	other.HTTP.Transport = tr
	other.Login(t, e2etest.UserEmail, "/hello", false)

	clock.Advance(time.Duration(wait-1) * time.Second)
	browser.Get(t, "/login?next=/hello").Expect(t, http.StatusTooManyRequests)
	clock.Advance(time.Second)
	browser.Get(t, "/login?next=/hello").Expect(t, http.StatusFound)
}
