package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
	"github.com/oauthgate/oauthgate/internal/pgtest"
)

// TestStoreUnavailable cuts the gateway off its PostgreSQL server: a
// logged-in browser and a service token get 503 with Retry-After from the
// upstream routes and from /check, as JSON or, on a route that redirects
// to login, as a page. Before, the session was taken for a guest's (401,
// or a login redirect) and the token got 500.
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	link := pgtest.NewLink(t)
	var store *pgstore.Store
	gs := gatewaytest.New(t, gatewaytest.Options{Configure: func(c *gateway.Config) {
		g, err := capabilities.NewGraph(c.Auth.Capabilities.Graph, c.Auth.Capabilities.AutoAdminEnabled())
		if err != nil {
			t.Fatal(err)
		}
		store = link.OpenStore(t, g)
		c.Auth.CapabilityStore, c.Auth.TokenStore = store, store
	}})
	// Credentials made while the server is there, not checked yet.
	alice := gs.Browser(gatewaytest.Alice)
	bot := gs.ServiceToken(gatewaytest.Bot)
	link.Cut()
	pgtest.WaitUnavailable(t, store)

	for _, tc := range []struct {
		name, path string
		bearer     string
		page       bool
	}{
		{"upstream of a capability", "/orders", "", false},
		{"upstream of login, API", "/app/x", "", false},
		{"upstream of login, browser", "/web/x", "", true},
		{"forward-auth check", gatewaytest.Prefix + "/check?require=read", "", false},
		{"forward-auth check with redirect", gatewaytest.Prefix + "/check?require=read&redirect=1", "", false},
		{"upstream of a capability, bearer", "/write/x", bot, false},
		{"forward-auth check, bearer", gatewaytest.Prefix + "/check?require=write", bot, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, gs.URL+tc.path, nil)
			if tc.page {
				req.Header.Set("Accept", "text/html")
			}
			c := alice
			if tc.bearer != "" {
				c = http.DefaultClient
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("GET %s: %d, Retry-After %q; want 503 with Retry-After\n%s",
					tc.path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			if tc.page {
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Errorf("%s: %s", resp.Header.Get("Content-Type"), body)
				}
				return
			}
			var d struct{ Detail string }
			if err := json.Unmarshal(body, &d); err != nil || !strings.Contains(d.Detail, "unavailable") {
				t.Errorf("body %s", body)
			}
		})
	}
}
