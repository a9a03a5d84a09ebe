package handlers_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// The same table of requests answers the same on every router (gin's run
// is in package ginauth).

func TestTableServeMux(t *testing.T) {
	t.Parallel()
	e2etest.RunTable(t, e2etest.MuxApp)
}

func TestTableChi(t *testing.T) {
	t.Parallel()
	e2etest.RunTable(t, chiApp)
}

// TestTableHandler serves the routes through Handler under their prefix,
// the guards on the outer mux.
func TestTableHandler(t *testing.T) {
	t.Parallel()
	e2etest.RunTable(t, func(m *auth.Manager) http.Handler {
		mux := http.NewServeMux()
		mux.Handle(m.Config().Prefix+"/", handlers.Handler(m))
		for _, g := range e2etest.Guards {
			mux.Handle("GET "+g.Path, g.Middleware(m)(http.HandlerFunc(e2etest.Echo)))
		}
		return mux
	})
}

// chiApp is the test app on chi: the routes through Mount (chi.Router has
// ServeMux's Handle), the guards with r.With.
func chiApp(m *auth.Manager) http.Handler {
	r := chi.NewRouter()
	handlers.Mount(r, m)
	for _, g := range e2etest.Guards {
		r.With(g.Middleware(m)).Get(g.Path, e2etest.Echo)
	}
	return r
}
