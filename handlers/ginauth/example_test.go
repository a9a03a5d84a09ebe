package ginauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/ginauth"
	"github.com/oauthgate/oauthgate/mockidp"
)

func ExampleRequire() {
	idp, _ := mockidp.NewServer(mockidp.Options{})
	defer idp.Close()
	cfg, err := auth.ParseConfig([]byte(`
server_metadata_url: ` + idp.URL + `/.well-known/openid-configuration
secret_key: 9Wq2hJx7mL4vT8rK1pZ6cN3bF5dG0sYeUaQwErTyUiO=
client_id: ` + mockidp.DemoClientID + `
client_secret: ` + mockidp.DemoClientSecret + `
base_url: http://127.0.0.1:8080
capabilities:
  graph: {read: [], announce: [read]}
  default_capabilities: [read]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	r := gin.New()
	ginauth.Mount(r, m)
	r.GET("/shout", ginauth.Require(m, "announce"), func(c *gin.Context) {
		c.String(http.StatusOK, "%s shouts", ginauth.Identity(c).Email)
	})
	r.GET("/hello", ginauth.Optional(m), func(c *gin.Context) {
		c.String(http.StatusOK, "hello %s", ginauth.Identity(c).Kind)
	})

	for _, path := range []string{"/shout", "/hello", "/manage_capabilities/list"} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, w.Code, w.Body.String())
	}
	// Output:
	// /shout 401 {"detail":"not authenticated"}
	//
	// /hello 200 hello guest
	// /manage_capabilities/list 401 {"detail":"not authenticated"}
}
