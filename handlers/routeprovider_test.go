package handlers_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
)

// stamps is a machine issuer of another package with a token endpoint of
// its own: POST {prefix}/stamps/token gives a token that the Manager
// verifies by asking the issuer.
type stamps struct {
	mu     sync.Mutex
	issued map[string]string // token → subject
}

func (s *stamps) Issuer() string  { return "https://stamps.example/" }
func (s *stamps) Version() uint64 { return 0 }

func (s *stamps) Verify(_ context.Context, tok, _ string, now time.Time) (*auth.Machine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.issued[tok]
	if !ok {
		return nil, fmt.Errorf("stamps: unknown token: %w", auth.ErrTokenInvalid)
	}
	return &auth.Machine{Issuer: s.Issuer(), Subject: sub, ExpiresAt: now.Add(time.Hour), HasScope: true, Scopes: []string{"read:pets"}}, nil
}

func (s *stamps) Routes() []handlers.Route {
	return []handlers.Route{{Method: http.MethodPost, Path: "/stamps/token", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := r.FormValue("sub")
		enc := base64.RawURLEncoding.EncodeToString
		tok := enc([]byte(`{}`)) + "." + enc([]byte(`{"iss":"`+s.Issuer()+`"}`)) + "." + enc([]byte(sub))
		s.mu.Lock()
		s.issued[tok] = sub
		s.mu.Unlock()
		io.WriteString(w, tok)
	})}}
}

// TestRouteProvider: the routes of a plugged-in issuer are mounted with
// the Manager's, under its prefix, and the tokens they hand out are
// verified through the issuer.
func TestRouteProvider(t *testing.T) {
	t.Parallel()
	cfg, err := auth.ParseConfig([]byte(`
secret_key: 9Wq2hJx7mL4vT8rK1pZ6cN3bF5dG0sYeUaQwErTyUiO=
prefix: /api
capabilities: {graph: {read: []}}
scope_capabilities: {"read:pets": [read]}
`))
	if err != nil {
		t.Fatal(err)
	}
	iss := &stamps{issued: map[string]string{}}
	cfg.MachineIssuers = []auth.MachineIssuer{iss}
	cfg.Logger = slog.New(slog.DiscardHandler)
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	routes := handlers.Routes(m)
	if last := routes[len(routes)-1]; last.Pattern() != "POST /api/stamps/token" {
		t.Fatalf("last route %q; want the issuer's, under the prefix", last.Pattern())
	}
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	mux.Handle("GET /api/pets", m.Require("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.IdentityFrom(r.Context()).String())
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/api/stamps/token", "application/x-www-form-urlencoded", strings.NewReader("sub=courier"))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("token endpoint: %d %s", resp.StatusCode, tok)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/pets", nil)
	req.Header.Set("Authorization", "Bearer "+string(tok))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "client:courier" {
		t.Fatalf("GET /api/pets with the issuer's token: %d %q", resp.StatusCode, body)
	}
	// The issuer's route is not mounted a second time at the root.
	if resp, err := http.Post(srv.URL+"/stamps/token", "application/x-www-form-urlencoded", nil); err != nil || resp.StatusCode != 404 {
		t.Fatalf("POST /stamps/token: %v %v", resp.StatusCode, err)
	}
}
