package auth_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
)

func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	manager := func(baseURL string) *auth.Manager {
		cfg := testConfig()
		cfg.BaseURL = baseURL
		cfg.ServerMetadataURL = "http://127.0.0.1:9/.well-known/openid-configuration" // never contacted
		m, err := auth.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	withBase := manager("https://App.Example/base")
	withPort := manager("http://127.0.0.1:8080")
	noBase := manager("")
	type header = map[string][]string
	for _, tc := range []struct {
		name  string
		m     *auth.Manager
		host  string // request Host; "" is app.example
		tls   bool
		h     header
		cross bool
	}{
		{"no headers", withBase, "", false, nil, false},
		{"same-origin", withBase, "", false, header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {"https://app.example"}}, false},
		{"user typed it", withBase, "", false, header{"Sec-Fetch-Site": {"none"}}, false},
		{"default port", withBase, "", false, header{"Origin": {"https://app.example:443"}}, false},
		{"case", withBase, "", false, header{"Origin": {"HTTPS://APP.example"}}, false},
		{"cross-site", withBase, "", false, header{"Sec-Fetch-Site": {"cross-site"}}, true},
		{"same-site", withBase, "", false, header{"Sec-Fetch-Site": {"same-site"}}, true},
		{"fetch site upper case", withBase, "", false, header{"Sec-Fetch-Site": {"Same-Origin"}}, true},
		{"two fetch sites", withBase, "", false, header{"Sec-Fetch-Site": {"same-origin", "cross-site"}}, true},
		{"other origin", withBase, "", false, header{"Origin": {"https://evil.example"}}, true},
		{"sibling", withBase, "", false, header{"Origin": {"https://x.app.example"}}, true},
		{"http", withBase, "", false, header{"Origin": {"http://app.example"}}, true},
		{"other port", withBase, "", false, header{"Origin": {"https://app.example:8443"}}, true},
		{"null", withBase, "", false, header{"Origin": {"null"}}, true},
		{"empty", withBase, "", false, header{"Origin": {""}}, true},
		{"with path", withBase, "", false, header{"Origin": {"https://app.example/base"}}, true},
		{"with user", withBase, "", false, header{"Origin": {"https://app.example@evil.example"}}, true},
		{"trailing dot", withBase, "", false, header{"Origin": {"https://app.example."}}, true},
		{"KELVIN SIGN", withBase, "", false, header{"Origin": {"https://app.\u212Aample"}}, true},
		{"two origins", withBase, "", false, header{"Origin": {"https://app.example", "https://evil.example"}}, true},
		{"origin against fetch site", withBase, "", false, header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {"https://evil.example"}}, true},
		{"Host is not base_url", withBase, "evil.example", false, header{"Origin": {"https://evil.example"}}, true},
		{"bearer", withBase, "", false, header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}, "Authorization": {"Bearer x"}}, false},
		{"basic", withBase, "", false, header{"Sec-Fetch-Site": {"cross-site"}, "Authorization": {"Basic eDp5"}}, true},
		{"port", withPort, "", false, header{"Origin": {"http://127.0.0.1:8080"}}, false},
		{"port missing", withPort, "", false, header{"Origin": {"http://127.0.0.1"}}, true},
		{"localhost", withPort, "", false, header{"Origin": {"http://localhost:8080"}}, true},
		{"Host", noBase, "localhost:3000", false, header{"Origin": {"http://localhost:3000"}}, false},
		{"Host over TLS", noBase, "localhost:3000", true, header{"Origin": {"https://localhost:3000"}}, false},
		{"Host scheme", noBase, "localhost:3000", false, header{"Origin": {"https://localhost:3000"}}, true},
		{"Host default port", noBase, "[::1]:80", false, header{"Origin": {"http://[::1]"}}, false},
		{"Host other", noBase, "localhost:3000", false, header{"Origin": {"http://localhost:3001"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/logout", nil)
			r.Host = "app.example"
			if tc.host != "" {
				r.Host = tc.host
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.h {
				r.Header[k] = v
			}
			if got := tc.m.CrossOrigin(r); got != tc.cross {
				t.Errorf("CrossOrigin = %v; want %v (Host %s, headers %v)", got, tc.cross, r.Host, tc.h)
			}
		})
	}
}
