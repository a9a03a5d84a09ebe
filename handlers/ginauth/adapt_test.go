package ginauth

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

type unwrapWriter struct{ http.ResponseWriter }

func (w unwrapWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type opaqueWriter struct{ http.ResponseWriter }

// TestAdaptWrappedWriter: a middleware that wraps the ResponseWriter still
// reaches gin's chain when its writer unwraps; otherwise it is a wiring
// error, reported loudly.
func TestAdaptWrappedWriter(t *testing.T) {
	run := func(wrap func(http.ResponseWriter) http.ResponseWriter) (reached bool) {
		mw := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(wrap(w), r)
			})
		}
		r := gin.New()
		r.GET("/", adapt(mw), func(c *gin.Context) { reached = true; c.Status(204) })
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		return reached
	}
	if reached := run(func(w http.ResponseWriter) http.ResponseWriter { return unwrapWriter{w} }); !reached {
		t.Error("handler not reached through an unwrapping writer")
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a writer without Unwrap")
		}
	}()
	run(func(w http.ResponseWriter) http.ResponseWriter { return opaqueWriter{w} })
}

// TestAdaptRefusalAborts: a middleware that answers by itself stops the
// chain.
func TestAdaptRefusalAborts(t *testing.T) {
	refuse := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) })
	}
	reached := false
	r := gin.New()
	r.GET("/", adapt(refuse), func(c *gin.Context) { reached = true })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if reached || w.Code != http.StatusForbidden {
		t.Errorf("reached=%v code=%d", reached, w.Code)
	}
}
