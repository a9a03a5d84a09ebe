package ginauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/oauthgate/oauthgate/handlers/ginauth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// BenchmarkRequire measures a request with a valid bearer token through
// ginauth.Require against the same gin route without it, and the same pair
// on http.ServeMux with the net/http middleware (the adapter's cost is the
// gap between the two differences).
func BenchmarkRequire(b *testing.B) {
	app := e2etest.Start(b, e2etest.IdP(b), e2etest.MuxApp, e2etest.Options{})
	m := app.Manager
	token := app.UserToken(b, e2etest.UserEmail, false).RefreshToken
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

	g := gin.New()
	g.GET("/open", gin.WrapF(ok))
	g.GET("/read", ginauth.Require(m, "read"), gin.WrapF(ok))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /open", ok)
	mux.Handle("GET /read", m.Require("read")(http.HandlerFunc(ok)))

	for _, bc := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"gin/open", g, "/open"},
		{"gin/require", g, "/read"},
		{"mux/open", mux, "/open"},
		{"mux/require", mux, "/read"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", bc.path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			w := &discardWriter{h: http.Header{}}
			bc.h.ServeHTTP(w, req)
			if w.code != http.StatusNoContent {
				b.Fatalf("status %d", w.code)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the status, so the
// benchmark measures the handlers rather than a recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
