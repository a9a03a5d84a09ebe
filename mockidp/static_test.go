package mockidp

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oauthgate/oauthgate/internal/browsertest"
)

func TestStaticFiles(t *testing.T) {
	s := newTestServer(t, Options{})
	js := staticFiles["oauthgate.js"]
	tests := []struct {
		name, path, ifNoneMatch string
		status                  int
		want                    map[string]string
	}{
		{"oauthgate.js", "/static/oauthgate.js", "", 200, map[string]string{
			"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300",
			"ETag": js.etag, "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}},
		{"revalidated", "/static/oauthgate.js", js.etag, 304, map[string]string{"ETag": js.etag}},
		{"changed", "/static/oauthgate.js", `"old"`, 200, nil},
		{"demo script", "/static/demo-spa.js", "", 200, map[string]string{"Content-Type": "text/javascript; charset=utf-8"}},
		{"unknown", "/static/nope.js", "", 404, nil},
		{"no directory walk", "/static/..%2Fprovider.go", "", 404, nil},
		{"demo page", "/demo/spa", "", 200, map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL+tc.path, nil)
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			resp, body := do(t, s.Client(), req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d; want %d", resp.StatusCode, tc.status)
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q; want %q", k, got, v)
				}
			}
			if tc.name == "oauthgate.js" && string(body) != string(js.body) {
				t.Error("body differs from the embedded file")
			}
		})
	}
	resp, body := do(t, s.Client(), must(http.NewRequest("GET", s.URL+"/demo/spa", nil)))
	page := string(body)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline'; script") || strings.Contains(page, "<script>") {
		t.Errorf("demo page CSP %q or an inline script", csp)
	}
	if !strings.Contains(page, `data-issuer="`+s.URL+`"`) || !strings.Contains(page, `data-client="`+DemoSPAClientID+`"`) {
		t.Errorf("demo page lacks its issuer or client: %s", page)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestBrowserDemoSPA: mockidp's /demo/spa page, under its strict CSP,
// logs the default user in through oauthgate.js with the public demo
// client, shows /userinfo, and logs out.
func TestBrowserDemoSPA(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	s := newTestServer(t, Options{})
	b := browsertest.New(t, chromium, 1024, 800)
	var out, where string
	b.Navigate("demo", s.URL+"/demo/spa", chromedp.WaitVisible("#login", chromedp.ByID))
	b.Step("login",
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible("#logout", chromedp.ByID),
		chromedp.Poll(`document.getElementById("out").textContent !== ""`, nil),
		chromedp.Text("#out", &out, chromedp.ByID),
		chromedp.Location(&where))
	b.Check("login", where == s.URL+"/demo/spa" && strings.Contains(out, `"email": "test@example.com"`),
		"after the login the page is %s showing %q", where, out)
	b.Step("logout",
		chromedp.Click("#logout", chromedp.ByID),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.Location(&where))
	b.Check("logout", where == s.URL+"/demo/spa", "after logout the page is %s", where)
	ex := b.Exceptions()
	b.Check("scripts", len(ex) == 0, "the page threw: %s", strings.Join(ex, "; "))
}
