package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

// providerConfig is testConfig with the provider keys replaced by keys.
func providerConfig(t *testing.T, keys string) string {
	t.Helper()
	var kept []string
	for _, line := range strings.Split(testConfig, "\n") {
		if !strings.HasPrefix(line, "server_metadata_url:") && !strings.HasPrefix(line, "client_id:") && !strings.HasPrefix(line, "client_secret:") {
			kept = append(kept, line)
		}
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")+keys), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// config check checks each kind of provider its own way: discovery and
// keys (oidc, microsoft), the API and the client's credentials at the
// token endpoint (github), the endpoints and the credentials (oauth2);
// the summary names the provider.
func TestConfigCheckProviders(t *testing.T) {
	t.Parallel()
	servers := map[mockidp.Mode]*mockidp.Server{}
	for _, m := range mockidp.Modes() {
		srv, err := mockidp.NewServer(mockidp.Options{Mode: m})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		servers[m] = srv
	}
	client := "client_id: " + mockidp.DemoClientID + "\nclient_secret: " + mockidp.DemoClientSecret + "\n"
	wrongSecret := "client_id: " + mockidp.DemoClientID + "\nclient_secret: not-the-secret\n"
	oauth2 := func(base, tokenPath, userinfoPath string) string {
		return "provider: oauth2\nauthorize_url: " + base + "/oauth2/authorize\ntoken_url: " + base + tokenPath +
			"\nuserinfo_url: " + base + userinfoPath + "\n"
	}
	gh, ms, o2, oidc := servers[mockidp.ModeGitHub].URL, servers[mockidp.ModeMicrosoft].URL, servers[mockidp.ModeOAuth2].URL, servers[mockidp.ModeOIDC].URL
	for _, tc := range []struct {
		name, keys string
		line       string // the check's line, up to ": "
		want       string // "ok", or a part of the failure
		summary    string // the summary's identity provider, when ok
	}{
		{"github", "provider: github\nprovider_url: " + gh + "\n" + client,
			"GitHub " + gh + " (provider github: API, client_id and client_secret)", "ok", "github " + gh},
		{"github wrong secret", "provider: github\nprovider_url: " + gh + "\n" + wrongSecret,
			"GitHub " + gh, "refuses client_id or client_secret (incorrect_client_credentials)", ""},
		{"github not GitHub", "provider: github\nprovider_url: " + oidc + "\n" + client,
			"GitHub " + oidc, "GitHub API " + oidc + "/api/v3: GET " + oidc + "/api/v3/user: status 404", ""},
		{"microsoft", "provider: microsoft\nserver_metadata_url: " + ms + "/common/v2.0/.well-known/openid-configuration\n" + client,
			"identity provider " + ms + "/common/v2.0 (server_metadata_url, provider microsoft)", "ok", "microsoft " + ms + "/common/v2.0/.well-known/openid-configuration"},
		{"microsoft tenant", "provider: microsoft\nserver_metadata_url: " + ms + "/" + mockidp.DefaultTenantID + "/v2.0/.well-known/openid-configuration\n" + client,
			"identity provider " + ms + "/" + mockidp.DefaultTenantID + "/v2.0", "ok", ""},
		{"microsoft as oidc", "server_metadata_url: " + ms + "/common/v2.0/.well-known/openid-configuration\n" + client,
			"identity provider " + ms + "/common/v2.0 (server_metadata_url)", "set provider: microsoft", ""},
		{"oauth2", oauth2(o2, "/oauth2/token", "/oauth2/userinfo") + client,
			"OAuth 2.0 provider " + o2 + "/oauth2/authorize", "ok", "oauth2 " + o2 + "/oauth2/authorize"},
		{"oauth2 wrong secret", oauth2(o2, "/oauth2/token", "/oauth2/userinfo") + wrongSecret,
			"OAuth 2.0 provider " + o2, "refuses client_id or client_secret (invalid_client)", ""},
		{"oauth2 wrong token_url", oauth2(o2, "/token", "/oauth2/userinfo") + client,
			"OAuth 2.0 provider " + o2, "token endpoint " + o2 + "/token", ""},
		{"oauth2 wrong userinfo_url", oauth2(o2, "/oauth2/token", "/userinfo") + client,
			"OAuth 2.0 provider " + o2, "userinfo_url: GET " + o2 + "/userinfo: status 404", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := cli(t, "config", "check", "--config", providerConfig(t, tc.keys))
			l := lineOf(stdout, tc.line)
			if tc.want == "ok" {
				if code != 0 || !strings.HasSuffix(l, ": ok") {
					t.Fatalf("exit %d, line %q\n%s%s", code, l, stdout, stderr)
				}
				if tc.summary != "" && !strings.Contains(stdout, "identity provider: "+tc.summary+"\n") {
					t.Errorf("summary without %q:\n%s", tc.summary, stdout)
				}
				return
			}
			if code != 1 || !strings.Contains(l, ": failed: ") || !strings.Contains(l, tc.want) {
				t.Errorf("exit %d, line %q; want failed with %q\n%s%s", code, l, tc.want, stdout, stderr)
			}
		})
	}
}
