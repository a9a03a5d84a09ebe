package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/gateway"
)

// A gateway in front of an app that prints the identity headers it gets.
// force_user stands in for the identity provider here.
func ExampleNew() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s: %s [%s]", r.Method, r.URL.Path,
			r.Header.Get("X-Auth-Request-Email"), r.Header.Get("X-Auth-Request-Capabilities"))
	}))
	defer app.Close()

	g, err := gateway.New(context.Background(), &gateway.Config{
		Auth: auth.Config{
			SecretKey:              "piYiEC8AatXLJZmnF1eFg3J4sxNlAfLzgyTk7zEoV6c",
			InsecureForceUser:      "ada@example.com",
			InsecureAllowForceUser: true,
			Capabilities: capabilities.Config{
				Graph:               map[string][]string{"read": {}, "write": {"read"}},
				DefaultCapabilities: []string{"write"},
			},
			Logger: slog.New(slog.DiscardHandler),
		},
		Upstreams: []gateway.Upstream{{PathPrefix: "/", URL: app.URL, Require: "write"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	srv := httptest.NewServer(g)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/orders", nil)
	req.Header.Set("X-Auth-Request-Email", "mallory@example.com") // removed
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 GET /orders: ada@example.com [read,write]
}
