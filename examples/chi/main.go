// Command chi is an oauthgate app on the chi router: the login routes,
// a public page, a page for logged-in users and an API guarded by
// capabilities.
//
//	go run ./cmd/oauthgate mockidp        # in another terminal
//	go run ./examples/chi --config examples/chi/config.yaml
//
// config.yaml beside this file is an oauthgate configuration (easy-oauth's
// keys) for `oauthgate mockidp` at its default address; its capability
// graph has read and write.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
)

func main() {
	config := flag.String("config", "config.yaml", "oauthgate configuration file (examples/chi/config.yaml from the repository's root)")
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on (the config's base_url)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := serve(ctx, *config, ln, os.Stderr); err != nil {
		log.Fatal(err)
	}
}

// serve runs the app of the configuration file on ln until ctx ends, then
// closes ln.
func serve(ctx context.Context, config string, ln net.Listener, logs io.Writer) error {
	defer ln.Close()
	if _, err := os.Stat(config); errors.Is(err, fs.ErrNotExist) && config == "config.yaml" {
		return fmt.Errorf("no config.yaml in this folder: from the repository's root, run go run ./examples/chi --config examples/chi/config.yaml (with go run ./cmd/oauthgate mockidp beside it)")
	}
	cfg, err := auth.LoadConfig(config)
	if err != nil {
		return err
	}
	m, err := auth.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	logger := log.New(logs, "", log.LstdFlags)
	srv := &http.Server{Handler: newRouter(m), ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger}
	logger.Printf("listening on http://%s/ (log in at %s)", ln.Addr(), m.Login().Path())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
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
