package gateway_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/gateway"
)

// The cost of the gateway: the same small answer fetched from the
// upstream directly and through the gateway with each kind of credential.
// All share the machine's cores with the client and the upstream.
// public-standard-transport is public with upstream_transport: standard.
func BenchmarkProxy(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok")
	})
	e := newEnv(b, ok, func(c *gateway.Config) { c.Observer = gateway.NopObserver{} })
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	run := func(b *testing.B, url string, c *caller) {
		hc := &http.Client{Transport: tr, Jar: c.hc.Jar}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				if c.bearer != "" {
					req.Header.Set("Authorization", "Bearer "+c.bearer)
				}
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	b.Run("direct", func(b *testing.B) { run(b, e.up.URL+"/x", e.guest()) })
	b.Run("public", func(b *testing.B) { run(b, e.srv.URL+"/pub/x", e.guest()) })
	// The same through net/http's Transport alone (upstream_transport:
	// standard), for the direct path's gain.
	std := newEnv(b, ok, func(c *gateway.Config) {
		c.Observer = gateway.NopObserver{}
		c.UpstreamTransport = gateway.TransportStandard
	})
	b.Run("public-standard-transport", func(b *testing.B) { run(b, std.srv.URL+"/pub/x", std.guest()) })
	session := e.browser(alice)
	b.Run("session", func(b *testing.B) { run(b, e.srv.URL+"/app/x", session) })
	user := e.bearer("user", e.userToken(admin))
	b.Run("user-token", func(b *testing.B) { run(b, e.srv.URL+"/write/x", user) })
	client := e.bearer("client", e.clientToken("cron"))
	b.Run("client-credentials", func(b *testing.B) { run(b, e.srv.URL+"/write/x", client) })
}
