// Command gin is an oauthgate app on gin, through package ginauth: the
// login routes, a public page and an API guarded by capabilities.
//
//	go run ./examples/gin --config config.yaml --addr 127.0.0.1:8000
//
// config.yaml is an oauthgate configuration whose capability graph has
// read and write.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/ginauth"
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
	srv := &http.Server{Addr: *addr, Handler: newEngine(m), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("listening on http://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
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
