package auth_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/mockidp"
)

func ExampleManager_Require() {
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		panic(err)
	}
	defer idp.Close()
	cfg := &auth.Config{
		ServerMetadataURL: idp.URL + "/.well-known/openid-configuration",
		SecretKey:         "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
		ClientID:          mockidp.DemoClientID,
		ClientSecret:      mockidp.DemoClientSecret,
		Capabilities: capabilities.Config{
			Graph:             map[string][]string{"read": {}, "announce": {"read"}},
			GuestCapabilities: []string{"read"},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	defer m.Close()

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello,", auth.IdentityFrom(r.Context()))
	})
	mux := http.NewServeMux()
	mux.Handle("GET /read", m.Require("read")(hello))                           // guests hold read here
	mux.Handle("GET /shout", m.Require("announce")(hello))                      // 401 for guests
	mux.Handle("GET /bake", m.Require("announce", auth.RedirectToLogin)(hello)) // browsers log in
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, path := range []string{"/read", "/shout", "/bake?n=2"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "" {
			body = []byte("→ " + loc + "\n")
		}
		fmt.Printf("%s %d %s", path, resp.StatusCode, body)
	}
	// Output:
	// /read 200 hello, guest
	// /shout 401 {"detail":"not authenticated"}
	// /bake?n=2 302 → /login?next=%2Fbake%3Fn%3D2
}
