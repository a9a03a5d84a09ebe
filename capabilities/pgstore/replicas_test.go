package pgstore_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/mockidp"
)

// replica is one instance of an app: its own Manager, HTTP server and
// pgstore, sharing the database and the secret key with the others.
type replica struct {
	t   *testing.T
	m   *auth.Manager
	srv *httptest.Server
	idp *mockidp.Server
}

const replicaSecret = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="

func newReplica(t *testing.T, idp *mockidp.Server, schema string) *replica {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := &auth.Config{
		ServerMetadataURL: idp.URL + "/.well-known/openid-configuration",
		SecretKey:         replicaSecret,
		ClientID:          mockidp.DemoClientID,
		ClientSecret:      mockidp.DemoClientSecret,
		BaseURL:           srv.URL,
		Capabilities: capabilities.Config{
			Graph:               map[string][]string{"read": {}, "write": {"read"}, "user_management": {}},
			DefaultCapabilities: []string{"read"},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	// The graph the Manager builds from the same section.
	p, err := cfg.Capabilities.Policy()
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, p.Graph(), schema, pgstore.Options{})
	cfg.CapabilityStore, cfg.TokenStore = s, s
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })

	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Login().Start(w, r, "/", false); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /auth", func(w http.ResponseWriter, r *http.Request) {
		next, err := m.Login().Finish(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
	mux.Handle("GET /token", m.RequireLogin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := m.IssueUserToken(w, r, auth.IdentityFrom(r.Context()))
		if err != nil {
			e := auth.ErrorOf(err)
			http.Error(w, e.Msg, e.Status)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"refresh_token": tok.Token})
	})))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.Handle("GET /read", m.Require("read")(ok))
	mux.Handle("GET /write", m.Require("write")(ok))
	return &replica{t: t, m: m, srv: srv, idp: idp}
}

// login logs email in on this replica through the provider and returns a
// user token from /token.
func (r *replica) login(email string) string {
	r.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := r.idp.Provider.NextLogin(email, nil); err != nil {
		r.t.Fatal(err)
	}
	resp, err := c.Get(r.srv.URL + "/login")
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := r.idp.Authorize(context.Background(), resp.Header.Get("Location"))
	if err != nil {
		r.t.Fatalf("authorize: %v", err)
	}
	if resp, err = c.Get(cb.String()); err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		r.t.Fatalf("callback: status %d", resp.StatusCode)
	}
	if resp, err = c.Get(r.srv.URL + "/token"); err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Token string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Token == "" {
		r.t.Fatalf("/token: status %d, %v", resp.StatusCode, err)
	}
	return body.Token
}

// status is the status of GET path with a bearer token.
func (r *replica) status(path, token string) int {
	r.t.Helper()
	req, err := http.NewRequest("GET", r.srv.URL+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// identity is who token stands for on this replica.
func (r *replica) identity(token string) *auth.Identity {
	r.t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	id, err := r.m.Identify(req)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// becomes reports whether GET path with token is answered with want on r
// within d.
func (r *replica) becomes(path, token string, want int, d time.Duration) bool {
	return eventually(d, func() bool { return r.status(path, token) == want })
}

// TestReplicasRefuseWithinASecond runs two Managers, each with its own
// pgstore on one schema, as two replicas behind a load balancer: what one
// takes away or revokes, the other refuses within a second.
func TestReplicasRefuseWithinASecond(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	schema := newSchema(t)
	a := newReplica(t, idp, schema)
	b := newReplica(t, idp, schema)

	if _, err := a.m.Users().Store().Set(ctx, "root@example.com", []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.m.Users().Store().Set(ctx, "boss@example.com", []string{"write"}); err != nil {
		t.Fatal(err)
	}
	root := a.identity(a.login("root@example.com"))
	boss := a.login("boss@example.com")
	bossAgain := b.login("boss@example.com")

	t.Run("UserCapabilityRemoved", func(t *testing.T) {
		if !b.becomes("/write", boss, http.StatusOK, time.Second) {
			t.Fatalf("b refuses boss's write before the removal: %d", b.status("/write", boss))
		}
		if _, err := a.m.Users().Remove(ctx, root, "boss@example.com", "write"); err != nil {
			t.Fatal(err)
		}
		if !b.becomes("/write", boss, http.StatusForbidden, time.Second) {
			t.Fatalf("b still answers %d to boss's write 1s after a removed it", b.status("/write", boss))
		}
		if got := b.status("/read", boss); got != http.StatusOK {
			t.Errorf("boss's read (a default) = %d on b; want 200", got)
		}
	})

	t.Run("ServiceCapabilityRemoved", func(t *testing.T) {
		if _, err := a.m.Users().Add(ctx, root, "bot@service", "write"); err != nil {
			t.Fatal(err)
		}
		tok, err := a.m.IssueServiceToken(ctx, root, "bot@service")
		if err != nil {
			t.Fatal(err)
		}
		if !b.becomes("/write", tok.Token, http.StatusOK, time.Second) {
			t.Fatalf("b refuses the service token: %d", b.status("/write", tok.Token))
		}
		if _, err := a.m.Users().Remove(ctx, root, "bot@service", "write"); err != nil {
			t.Fatal(err)
		}
		if !b.becomes("/write", tok.Token, http.StatusForbidden, time.Second) {
			t.Fatalf("b still answers %d to the service token 1s after a removed its capability", b.status("/write", tok.Token))
		}
	})

	t.Run("TokenRevoked", func(t *testing.T) {
		if got := b.status("/read", boss); got != http.StatusOK {
			t.Fatalf("b answers %d to boss's token before the revocation", got)
		}
		if err := a.m.RevokeToken(ctx, root, boss); err != nil {
			t.Fatal(err)
		}
		if !b.becomes("/read", boss, http.StatusUnauthorized, time.Second) {
			t.Fatalf("b still answers %d to a token a revoked 1s ago", b.status("/read", boss))
		}
		// The other token of the same user still works, until all are.
		if got := b.status("/read", bossAgain); got != http.StatusOK {
			t.Fatalf("b answers %d to boss's other token", got)
		}
		if err := a.m.RevokeAll(ctx, root, "boss@example.com"); err != nil {
			t.Fatal(err)
		}
		if !b.becomes("/read", bossAgain, http.StatusUnauthorized, time.Second) {
			t.Fatalf("b still answers %d to boss's tokens 1s after a revoked them all", b.status("/read", bossAgain))
		}
	})

	// And the other way round, so that neither replica is special.
	t.Run("Reverse", func(t *testing.T) {
		if _, err := b.m.Users().Store().Set(ctx, "carol@example.com", []string{"write"}); err != nil {
			t.Fatal(err)
		}
		carol := a.login("carol@example.com")
		if !a.becomes("/write", carol, http.StatusOK, time.Second) {
			t.Fatal("a refuses carol's write")
		}
		if _, err := b.m.Users().Store().Remove(ctx, "carol@example.com", "write"); err != nil {
			t.Fatal(err)
		}
		if !a.becomes("/write", carol, http.StatusForbidden, time.Second) {
			t.Fatal("a still accepts carol's write 1s after b removed it")
		}
	})
}
