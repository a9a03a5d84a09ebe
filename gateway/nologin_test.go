package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
)

// A gateway in front of an API called only by machine clients names no
// identity provider: it is ready at once, never contacts a provider,
// answers its login route 404 and a browser without identity 401, and
// proxies the requests of its own machine clients.
func TestNoLoginGateway(t *testing.T) {
	t.Parallel()
	gs := gatewaytest.New(t, gatewaytest.Options{Configure: func(c *gateway.Config) {
		a := &c.Auth
		a.ServerMetadataURL, a.ClientID, a.ClientSecret = "", "", ""
		a.JWTIssuers = nil
		c.ClientCredentials.Clients = map[string]clientcreds.ClientConfig{
			"own-writer": {ClientSecret: "own-writer-secret", Audience: clientcreds.StringList{gatewaytest.PetsAPI}, Scope: clientcreds.StringList{"write:pets"}},
		}
		a.HTTPClient = &http.Client{Transport: failTransport{t}}
	}})
	if !gs.Gateway.Ready() {
		t.Fatal("not ready at once without an identity provider")
	}
	if !gs.Gateway.Manager().Config().NoLogin() {
		t.Error("Manager().Config().NoLogin() = false")
	}
	do := func(method, path string, h http.Header, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, gs.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range h {
			req.Header[k] = v
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := do("GET", "/readyz", nil, ""); resp.StatusCode != 200 {
		t.Errorf("readyz: %d %s", resp.StatusCode, body)
	}

	browser := http.Header{"Accept": {"text/html"}}
	for _, tc := range []struct {
		path string
		code int
	}{
		{gatewaytest.Prefix + "/login?next=/web/x", 404},
		{gatewaytest.Prefix + "/token", 404},
		{"/web/x", 401}, // login_redirect: there is no login to redirect to
		{gatewaytest.Prefix + "/check?require=login", 401},
		{"/write/x", 401},
	} {
		resp, body := do("GET", tc.path, browser, "")
		if resp.StatusCode != tc.code || resp.Header.Get("Location") != "" {
			t.Errorf("GET %s as a browser: %d (Location %q), want %d\n%s", tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.code, body)
		}
		if tc.code == 404 && !strings.Contains(body, "no browser login") {
			t.Errorf("GET %s: %s", tc.path, body)
		}
	}

	resp, body := do("POST", gatewaytest.Prefix+"/oauth/token",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		"grant_type=client_credentials&client_id=own-writer&client_secret=own-writer-secret&audience="+gatewaytest.PetsAPI)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("own token endpoint: %d %s", resp.StatusCode, body)
	}
	resp, body = do("GET", "/write/jobs", http.Header{"Authorization": {"Bearer " + tok.AccessToken}}, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /write/jobs with the client's token: %d %s", resp.StatusCode, body)
	}
	var seen gatewaytest.Seen
	if err := json.Unmarshal([]byte(body), &seen); err != nil {
		t.Fatal(err)
	}
	if k, u := seen.Header.Get("X-Auth-Request-Kind"), seen.Header.Get("X-Auth-Request-User"); k != "client" || u != "own-writer" {
		t.Errorf("upstream saw kind %q, user %q", k, u)
	}
}

// The gateway.yaml of `oauthgate serve` in front of such an API: no
// provider keys at all.
func TestNoLoginGatewayYAML(t *testing.T) {
	t.Parallel()
	cfg, err := gateway.ParseConfig([]byte(`
secret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o
base_url: https://api.example.com
prefix: /oauth2
capabilities:
  graph: {read: []}
scope_capabilities:
  "read:pets": [read]
clients:
  cron: {client_secret: s3cret, audience: pets-api, scope: read:pets}
listen: 127.0.0.1:8080
upstreams:
  - {path_prefix: /, url: "http://127.0.0.1:3000", require: read}
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.Logger = slog.New(slog.DiscardHandler)
	g, err := gateway.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Ready() || !g.Manager().Config().NoLogin() {
		t.Errorf("Ready() = %v, NoLogin() = %v; want both", g.Ready(), g.Manager().Config().NoLogin())
	}
}

// failTransport fails the test on any outbound request.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected outbound request to %s", r.URL)
	return nil, errors.New("no outbound request expected")
}
