// Package configfiletest checks, for the router examples, that an example
// runs with the config.yaml beside it and the mock provider, as the README
// says, and that without the file its error names the file to give.
package configfiletest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/mockidp"
)

// Serve is an example's serve function: it runs the app of the
// configuration file config on ln until ctx ends.
type Serve func(ctx context.Context, config string, ln net.Listener, logs io.Writer) error

// WithMockIDP runs serve with ./config.yaml, a mock provider and free ports
// (the file's ${MOCKIDP_URL} and ${APP_URL}): a guest is refused the
// notes, the provider's user logs in through prefix+"/login", reads and
// writes notes. It sets environment variables: the test must not be
// parallel.
func WithMockIDP(t *testing.T, serve Serve, prefix string) {
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := "http://" + ln.Addr().String()
	t.Setenv("MOCKIDP_URL", idp.URL)
	t.Setenv("APP_URL", app)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, "config.yaml", ln, io.Discard) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string, want int) string {
		t.Helper()
		resp, err := c.Get(app + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d %s; want %d", path, resp.StatusCode, body, want)
		}
		return string(body)
	}
	get("/notes", http.StatusUnauthorized)
	if got := get(prefix+"/login?next=/", http.StatusOK); got != "hello, test@example.com\n" {
		t.Errorf("after the login: %q", got)
	}
	get("/notes", http.StatusOK)
	resp, err := c.Post(app+"/notes", "application/json", strings.NewReader(`{"text": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /notes by the mock provider's user: %d; want 201", resp.StatusCode)
	}
}

// Missing runs serve in an empty folder and wants an error naming
// wantFile ("examples/chi/config.yaml"), the file to pass with --config.
func Missing(t *testing.T, serve Serve, wantFile string) {
	t.Chdir(t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = serve(context.Background(), "config.yaml", ln, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--config "+wantFile) {
		t.Errorf("serve without config.yaml = %v", err)
	}
}
