package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/gateway"
)

// Both upstream transports carry the same requests the same way: the
// identity headers replace the client's, bodies pass, 1xx answers (Early
// Hints) reach the client, a HEAD has no body, an upstream's
// Connection: close does not reach the client.
func TestUpstreamTransports(t *testing.T) {
	t.Parallel()
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pub/hints":
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			io.WriteString(w, "after hints")
		case "/pub/body":
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, r.Method+" "+string(b))
		case "/pub/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "closing")
		case "/app/who":
			io.WriteString(w, r.Header.Get("X-Auth-Request-Email"))
		default:
			io.WriteString(w, "hello")
		}
	})
	for _, kind := range []string{gateway.TransportDirect, gateway.TransportStandard, ""} {
		t.Run("transport "+kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, up, func(c *gateway.Config) { c.UpstreamTransport = kind })
			guest := e.guest()

			var hints []string
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				hints = append(hints, h.Get("Link"))
				return nil
			}}
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/pub/hints", nil)
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
			if resp, body := guest.do(t, req); resp.StatusCode != 200 || string(body) != "after hints" || len(hints) != 1 || hints[0] != "</a.css>; rel=preload" {
				t.Errorf("hints: %d %q, 1xx %q", resp.StatusCode, body, hints)
			}

			req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/pub/body", strings.NewReader("data"))
			if resp, body := guest.do(t, req); resp.StatusCode != 200 || string(body) != "POST data" {
				t.Errorf("POST: %d %q", resp.StatusCode, body)
			}

			req, _ = http.NewRequest(http.MethodHead, e.srv.URL+"/pub/x", nil)
			if resp, body := guest.do(t, req); resp.StatusCode != 200 || len(body) != 0 {
				t.Errorf("HEAD: %d %q", resp.StatusCode, body)
			}

			for range 2 {
				resp, body := guest.get(t, e.srv.URL+"/pub/close")
				if resp.StatusCode != 200 || string(body) != "closing" || resp.Close {
					t.Errorf("close: %d %q, client connection closed %v", resp.StatusCode, body, resp.Close)
				}
			}

			b := e.browser(alice)
			if resp, body := b.get(t, e.srv.URL+"/app/who", "X-Auth-Request-Email", "evil@example.com"); resp.StatusCode != 200 || string(body) != alice {
				t.Errorf("identity: %d %q", resp.StatusCode, body)
			}
		})
	}
}
