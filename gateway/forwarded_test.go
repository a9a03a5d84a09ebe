package gateway_test

import (
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/gateway"
)

// spoofedForwarding are client-address and forwarding headers that a
// client may send to pass for another address, host, scheme or prefix.
var spoofedForwarding = []string{
	"X-Real-IP", "6.6.6.6",
	"True-Client-IP", "6.6.6.6",
	"X-Client-IP", "6.6.6.6",
	"Forwarded", "for=6.6.6.6;proto=https;host=evil.example",
	"X-Forwarded-For", "6.6.6.6",
	"X-Forwarded-Proto", "https",
	"X-Forwarded-Host", "evil.example",
	"X-Forwarded-Prefix", "/evil",
	"X-Forwarded-Port", "8443",
	"X-Forwarded-Uri", "/admin",
	"X-Forwarded-Server", "evil.example",
	"X-Forwarded-Ssl", "on",
	"X_Forwarded_Host", "evil.example",
	"X_Real_IP", "6.6.6.6",
	"X-Original-URL", "/admin",
	"X-Rewrite-URL", "/admin",
	"X_Original_URL", "/admin",
}

// From a peer outside trusted_proxies, the upstream gets the gateway's
// own client address, scheme, host and prefix, never the client's.
func TestForwardedHeadersFromUntrustedPeer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for _, tt := range []struct {
		path   string
		prefix string
	}{
		{"/pub/a", ""},
		{"/strip/a", "/strip"},
	} {
		s := e.guest().upstreamSaw(t, e.srv.URL+tt.path, spoofedForwarding...)
		want := map[string]string{
			"X-Real-Ip":          "127.0.0.1",
			"True-Client-Ip":     "127.0.0.1",
			"X-Client-Ip":        "127.0.0.1",
			"Forwarded":          `for=127.0.0.1;proto=http;host="` + host + `"`,
			"X-Forwarded-For":    "127.0.0.1",
			"X-Forwarded-Proto":  "http",
			"X-Forwarded-Host":   host,
			"X-Forwarded-Prefix": tt.prefix,
			"X-Forwarded-Port":   "",
			"X-Forwarded-Uri":    "",
			"X-Forwarded-Server": "",
			"X-Forwarded-Ssl":    "",
			"X_forwarded_host":   "",
			"X_real_ip":          "",
			"X-Original-Url":     "",
			"X-Rewrite-Url":      "",
			"X_original_url":     "",
		}
		for h, v := range want {
			if got := s.get(h); got != v {
				t.Errorf("GET %s: %s = %q, want %q", tt.path, h, got, v)
			}
		}
		for k := range s.Header {
			if strings.Contains(strings.Join(s.Header[k], ","), "6.6.6.6") || strings.Contains(strings.Join(s.Header[k], ","), "evil") {
				t.Errorf("GET %s: %s: %q reached the upstream", tt.path, k, s.Header[k])
			}
		}
	}
}

// From a trusted proxy, its forwarding headers pass as before; the
// routing overrides are removed all the same.
func TestForwardedHeadersFromTrustedProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *gateway.Config) { c.Auth.TrustedProxies = []string{"127.0.0.0/8"} })
	s := e.guest().upstreamSaw(t, e.srv.URL+"/pub/a", spoofedForwarding...)
	want := map[string]string{
		"X-Real-Ip":          "6.6.6.6",
		"X-Forwarded-For":    "6.6.6.6, 127.0.0.1",
		"X-Forwarded-Proto":  "https",
		"X-Forwarded-Host":   "evil.example",
		"X-Forwarded-Prefix": "/evil",
		"Forwarded":          "for=6.6.6.6;proto=https;host=evil.example",
		"X-Original-Url":     "",
		"X-Rewrite-Url":      "",
		"X_original_url":     "",
	}
	for h, v := range want {
		if got := s.get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
}
