package gateway

import (
	"net/http"
	"testing"
)

// The Forwarded element quotes what RFC 7239 says to quote.
func TestForwardedElement(t *testing.T) {
	t.Parallel()
	tests := []struct{ client, proto, host, want string }{
		{"203.0.113.9", "https", "app.example.com", "for=203.0.113.9;proto=https;host=app.example.com"},
		{"2001:db8::1", "http", "app.example.com:8443", `for="[2001:db8::1]";proto=http;host="app.example.com:8443"`},
		{"@pipe", "http", "", `for=unknown;proto=http;host=""`},
		{"203.0.113.9", "http", `a"b\c`, `for=203.0.113.9;proto=http;host="a\"b\\c"`},
	}
	for _, tt := range tests {
		if got := forwardedElement(tt.client, tt.proto, tt.host); got != tt.want {
			t.Errorf("forwardedElement(%q, %q, %q) = %s, want %s", tt.client, tt.proto, tt.host, got, tt.want)
		}
	}
}

// The headers that a request going upstream must not carry are found
// in any case and spelled with "_"; from a trusted proxy the forwarding
// ones stay.
func TestScrubHeaders(t *testing.T) {
	t.Parallel()
	h := func() http.Header {
		return http.Header{
			"X-Auth-Request-Email": {"x"}, "X_auth_request_user": {"x"}, "X-Original-Url": {"/a"}, "X_rewrite_url": {"/a"},
			"X-Forwarded-Prefix": {"/p"}, "X_forwarded_port": {"1"}, "Forwarded": {"for=x"}, "X-Real-Ip": {"1"},
			"True-Client-Ip": {"1"}, "X-Client-Ip": {"1"}, "X-Request-Id": {"keep"}, "Accept": {"keep"},
		}
	}
	untrusted := h()
	if sent := scrubHeaders(untrusted, false); sent != 0b111 || len(untrusted) != 2 {
		t.Errorf("untrusted: sent %b, left %v", sent, untrusted)
	}
	trusted := h()
	if sent := scrubHeaders(trusted, true); sent != 0 || len(trusted) != 8 || trusted.Get("X-Real-Ip") != "1" || trusted.Get("X-Original-Url") != "" {
		t.Errorf("trusted: sent %b, left %v", sent, trusted)
	}
}
