package mockidp

import (
	"net/http"
	"testing"
)

func TestCORS(t *testing.T) {
	rk, _ := testKeys(t)
	clients := map[string]Client{
		"spa":   {RedirectURIs: []string{"https://app.example:8443/callback"}},
		"local": {RedirectURIs: []string{"http://localhost:3000/cb"}},
	}
	registered := newTestServer(t, Options{SigningKey: rk, Clients: clients})
	anyOrigin := newTestServer(t, Options{SigningKey: rk, Clients: clients, CORSAnyOrigin: true})
	demo := newTestServer(t, Options{SigningKey: rk})

	type endpoint struct {
		path, method, methods, headers, expose string
	}
	endpoints := []endpoint{
		{"/.well-known/openid-configuration", "GET", "GET", "", ""},
		{"/jwks", "GET", "GET", "", ""},
		{"/token", "POST", "POST", "Authorization, Content-Type", "WWW-Authenticate"},
		{"/userinfo", "GET", "GET, POST", "Authorization, Content-Type", "WWW-Authenticate"},
		{"/revoke", "POST", "POST", "Authorization, Content-Type", "WWW-Authenticate"},
	}
	origins := []struct {
		name    string
		srv     *Server
		origin  string
		allowed bool
	}{
		{"registered origin", registered, "https://app.example:8443", true},
		{"registered loopback origin, other port", registered, "http://localhost:5173", true},
		{"default port differs", registered, "https://app.example", false},
		{"other scheme", registered, "http://app.example:8443", false},
		{"foreign origin", registered, "https://evil.example", false},
		{"opaque origin", registered, "null", false},
		{"origin with a path", registered, "https://app.example:8443/x", false},
		{"cors-any", anyOrigin, "https://evil.example", true},
		{"cors-any, opaque origin", anyOrigin, "null", false},
		{"demo client, loopback", demo, "http://127.0.0.1:8080", true},
		{"demo client, foreign", demo, "https://app.example", false},
	}
	corsHeaders := []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
		"Access-Control-Max-Age", "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials"}
	check := func(t *testing.T, resp *http.Response, want map[string]string) {
		t.Helper()
		for _, h := range corsHeaders {
			if got := resp.Header.Values(h); len(got) > 1 || (len(got) == 1) != (want[h] != "") || len(got) == 1 && got[0] != want[h] {
				t.Errorf("%s = %q; want %q", h, got, want[h])
			}
		}
		if got := resp.Header.Values("Vary"); len(got) != 1 || got[0] != "Origin" {
			t.Errorf("Vary = %q; want [Origin]", got)
		}
	}
	for _, o := range origins {
		for _, ep := range endpoints {
			t.Run(o.name+ep.path, func(t *testing.T) {
				// Preflight.
				req, _ := http.NewRequest(http.MethodOptions, o.srv.URL+ep.path, nil)
				req.Header.Set("Origin", o.origin)
				req.Header.Set("Access-Control-Request-Method", ep.method)
				req.Header.Set("Access-Control-Request-Headers", "authorization")
				resp, _ := do(t, o.srv.Client(), req)
				want := map[string]string{}
				wantStatus := http.StatusForbidden
				if o.allowed {
					wantStatus = http.StatusNoContent
					want = map[string]string{"Access-Control-Allow-Origin": o.origin, "Access-Control-Allow-Methods": ep.methods,
						"Access-Control-Allow-Headers": ep.headers, "Access-Control-Max-Age": "600"}
				}
				if resp.StatusCode != wantStatus {
					t.Errorf("preflight status %d; want %d", resp.StatusCode, wantStatus)
				}
				check(t, resp, want)

				// The actual request (an error answer is enough: its headers count).
				req, _ = http.NewRequest(ep.method, o.srv.URL+ep.path, nil)
				req.Header.Set("Origin", o.origin)
				resp, _ = do(t, o.srv.Client(), req)
				want = map[string]string{}
				if o.allowed {
					want = map[string]string{"Access-Control-Allow-Origin": o.origin, "Access-Control-Expose-Headers": ep.expose}
				}
				check(t, resp, want)
			})
		}
	}
}

func TestCORSNotAPreflight(t *testing.T) {
	s := newTestServer(t, Options{})
	// OPTIONS without Origin is no preflight: 204 with Allow, no CORS headers.
	req, _ := http.NewRequest(http.MethodOptions, s.URL+"/userinfo", nil)
	resp, _ := do(t, s.Client(), req)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Allow") != "OPTIONS, GET, POST" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Vary") != "Origin" {
		t.Fatalf("OPTIONS /userinfo: %d %v", resp.StatusCode, resp.Header)
	}
	// A request without Origin (not from a browser page) gets no CORS header.
	resp, _ = do(t, s.Client(), mustRequest(t, "GET", s.URL+"/jwks"))
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Vary") != "Origin" {
		t.Fatalf("GET /jwks: %d %v", resp.StatusCode, resp.Header)
	}
	// Other endpoints are untouched.
	req = mustRequest(t, "GET", s.URL+"/health")
	req.Header.Set("Origin", "http://localhost:3000")
	resp, _ = do(t, s.Client(), req)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Vary") != "" {
		t.Fatalf("GET /health: %v", resp.Header)
	}
}
