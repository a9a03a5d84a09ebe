// Command gin is an oauthgate app on gin, through package ginauth: the
// login routes, a public page and an API guarded by capabilities.
//
//	go run ./cmd/oauthgate mockidp        # in another terminal
//	go run ./examples/gin --config examples/gin/config.yaml
//
// config.yaml beside this file is an oauthgate configuration for
// `oauthgate mockidp` at its default address; its capability graph has
// read and write, its routes are under the prefix /api/v1.
package main

import (
	"context"
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

	"github.com/gin-gonic/gin"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/ginauth"
)

func main() {
	config := flag.String("config", "config.yaml", "oauthgate configuration file (examples/gin/config.yaml from the repository's root)")
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
		return fmt.Errorf("no config.yaml in this folder: from the repository's root, run go run ./examples/gin --config examples/gin/config.yaml (with go run ./cmd/oauthgate mockidp beside it)")
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
	srv := &http.Server{Handler: newEngine(m), ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger}
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

// newEngine is the app.
func newEngine(m *auth.Manager) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	ginauth.Mount(r, m)

	r.GET("/", ginauth.Optional(m), func(c *gin.Context) {
		id := ginauth.Identity(c)
		if id.IsGuest() {
			c.String(http.StatusOK, "hello, guest\n")
			return
		}
		c.String(http.StatusOK, "hello, %s\n", id.Email)
	})
	r.GET("/notes", ginauth.Require(m, "read"), func(c *gin.Context) {
		c.JSON(http.StatusOK, []string{"buy milk"})
	})
	r.POST("/notes", ginauth.Require(m, "write"), func(c *gin.Context) {
		c.JSON(http.StatusCreated, gin.H{"by": ginauth.Identity(c).Email})
	})
	r.GET("/me", ginauth.RequireLogin(m, auth.RedirectToLogin), func(c *gin.Context) {
		c.JSON(http.StatusOK, ginauth.Identity(c).Capabilities())
	})
	return r
}
