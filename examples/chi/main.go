// Command chi is an oauthgate app on the chi router: the login routes,
// a public page, a page for logged-in users and an API guarded by
// capabilities.
//
//	go run ./examples/chi --config config.yaml --addr 127.0.0.1:8000
//
// config.yaml is an oauthgate configuration (easy-oauth's keys) whose
// capability graph has read and write; `oauthgate mockidp` is a provider
// for local runs.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
)

func main() {
	config := flag.String("config", "config.yaml", "oauthgate configuration file")
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()

	cfg, err := auth.LoadConfig(*config)
	if err != nil {
		log.Fatal(err)
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	srv := &http.Server{Addr: *addr, Handler: newRouter(m), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("listening on http://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
}

// newRouter is the app. chi's Router has ServeMux's Handle method, so
// handlers.Mount takes it as it is; middleware goes through With or Use.
func newRouter(m *auth.Manager) http.Handler {
	r := chi.NewRouter()
	handlers.Mount(r, m)

	r.With(m.Optional()).Get("/", func(w http.ResponseWriter, r *http.Request) {
		id := auth.IdentityFrom(r.Context())
		if id.IsGuest() {
			fmt.Fprintf(w, "hello, guest: log in at %s\n", m.Login().Path())
			return
		}
		fmt.Fprintf(w, "hello, %s\n", id.Email)
	})
	r.With(m.RequireLogin(auth.RedirectToLogin)).Get("/me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, auth.IdentityFrom(r.Context()).Capabilities())
	})
	r.Route("/notes", func(r chi.Router) {
		r.With(m.Require("read")).Get("/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []string{"buy milk"})
		})
		r.With(m.Require("write")).Post("/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusCreated, map[string]string{"by": auth.IdentityFrom(r.Context()).Email})
		})
	})
	return r
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
