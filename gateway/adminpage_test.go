package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
	"github.com/oauthgate/oauthgate/handlers"
)

// The gateway serves the capabilities admin page of package handlers
// under its auth prefix, and not at all with admin_page: false.
func TestGatewayServesAdminPage(t *testing.T) {
	t.Parallel()
	gs := gatewaytest.New(t, gatewaytest.Options{})
	page := gs.URL + gatewaytest.Prefix + handlers.AdminPagePath
	get := func(c *http.Client, u string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	resp, body := get(gs.Browser(gatewaytest.Admin), page)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != handlers.AdminPageCSP ||
		!strings.Contains(body, gatewaytest.Prefix+"/manage_capabilities/admin.js") {
		t.Fatalf("admin: status %d, CSP %q, body:\n%s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), body)
	}
	if resp, _ := get(http.DefaultClient, page+"admin.js"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("admin.js: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = get(gs.Browser(gatewaytest.Alice), page)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `href="`+gs.URL+`/"`) || !strings.Contains(body, "Log in as another user") {
		t.Errorf("alice: status %d, body:\n%s", resp.StatusCode, body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, _ := get(noRedirect, page); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), gatewaytest.Prefix+"/login?") {
		t.Errorf("guest: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	off := false
	gs = gatewaytest.New(t, gatewaytest.Options{Configure: func(c *gateway.Config) { c.Auth.AdminPage = &off }})
	if resp, _ := get(gs.Browser(gatewaytest.Admin), gs.URL+gatewaytest.Prefix+handlers.AdminPagePath); resp.StatusCode != http.StatusNotFound {
		t.Errorf("admin_page: false: status %d, want 404", resp.StatusCode)
	}
}
