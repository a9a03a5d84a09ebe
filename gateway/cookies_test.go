package gateway_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
)

// plantedCookies are Set-Cookie lines of an upstream for names the
// gateway owns (its session cookie is oauthgate_session here: base_url is
// http), with the value "planted". Browsers match the __Host- and
// __Secure- prefixes in any case (RFC 6265bis), and send a nameless
// cookie ("=a=b", or "a" alone) as its bare value, so "a=b" or "a".
var plantedCookies = []string{
	"oauthgate_session=planted; Path=/",
	"oauthgate_session=; Path=/; Max-Age=0",
	" oauthgate_session =planted; Path=/",
	"__Host-oauthgate_session=planted; Path=/; Secure",
	"__host-oauthgate_session=planted; Path=/; Secure",
	"__Secure-oauthgate_session=planted; Path=/; Secure",
	"__SECURE-oauthgate_session_flow_abcdefgh=planted; Path=/oauth2/auth; Secure",
	"oauthgate_session_flow_abcdefgh=planted; Path=/oauth2/auth",
	"oauthgate_session_offline=planted; Path=/oauth2",
	"=oauthgate_session=planted; Path=/",
	"oauthgate_session; Path=/",
}

// An upstream cannot set, replace or delete the gateway's cookies: each
// such Set-Cookie is dropped and logged (name, never value); the app's
// own cookies pass, and the user's session goes on.
func TestUpstreamCannotSetGatewayCookies(t *testing.T) {
	t.Parallel()
	echo := gatewaytest.Echo()
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/set-cookies") {
			for _, c := range plantedCookies {
				w.Header().Add("Set-Cookie", c)
			}
			w.Header().Add("Set-Cookie", "theme=dark; Path=/")
		}
		echo.ServeHTTP(w, r)
	})
	var logs syncBuffer
	e := newEnv(t, up, func(c *gateway.Config) {
		c.Auth.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	if name := e.gw.Manager().Config().Cookie.Name; name != "oauthgate_session" {
		t.Fatalf("session cookie %q: the planted names assume oauthgate_session", name)
	}
	b := e.browser(alice)
	resp, body := b.get(t, e.srv.URL+"/app/set-cookies")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /app/set-cookies: %d %s", resp.StatusCode, body)
	}
	got := resp.Header.Values("Set-Cookie")
	if len(got) != 1 || got[0] != "theme=dark; Path=/" {
		t.Errorf("Set-Cookie reaching the browser: %q; want only the app's theme cookie", got)
	}
	if s := b.upstreamSaw(t, e.srv.URL+"/app/after"); s.get("X-Auth-Request-Email") != alice {
		t.Errorf("after the upstream's Set-Cookie, the session is gone: %v", s.Header)
	}
	out := logs.String()
	for _, name := range []string{"oauthgate_session", "__Host-oauthgate_session", "__host-oauthgate_session", "__SECURE-oauthgate_session_flow_abcdefgh", "oauthgate_session_offline"} {
		if !strings.Contains(out, `"cookie":"`+name+`"`) {
			t.Errorf("no log line naming cookie %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, `"upstream":"/app"`) {
		t.Errorf("the log does not name the upstream:\n%s", out)
	}
	if strings.Contains(out, "planted") {
		t.Errorf("a cookie value is in the log:\n%s", out)
	}
}

// The gateway's cookies never reach an upstream, whatever the case of
// their __Host- or __Secure- prefix; the app's cookies pass.
func TestGatewayCookiesStayAtTheGateway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	b := e.browser(alice)
	ours := []string{
		"oauthgate_session_flow_x=1", "__Secure-oauthgate_session_flow_x=1", "__secure-oauthgate_session_flow_x=1",
		"__Host-oauthgate_session=1", "__HOST-oauthgate_session=1", "__Secure-oauthgate_session=1",
		"oauthgate_session_offline=1", "__Secure-oauthgate_session_offline=1",
	}
	for _, c := range ours {
		s := b.upstreamSaw(t, e.srv.URL+"/app/a", "Cookie", "theme=dark; "+c+"; lang=fr")
		if got := s.get("Cookie"); got != "theme=dark; lang=fr" {
			t.Errorf("with %s: Cookie upstream %q, want only the app's cookies", c, got)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the gateway's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
