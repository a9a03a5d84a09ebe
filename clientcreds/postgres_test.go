package clientcreds_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore" // also the postgres store driver
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/internal/pgtest"
)

// The client-credentials grant of an app on PostgreSQL reads its clients
// from the store's clients table (opened through the store driver), and
// a client disabled there loses its tokens.
func TestClientCredentialsOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	cfg := &auth.Config{
		ServerMetadataURL: "http://127.0.0.1:1/.well-known/openid-configuration",
		SecretKey:         testSecret,
		ClientID:          "app",
		BaseURL:           "http://127.0.0.1:8080",
		Store:             auth.StoreConfig{Driver: "postgres", DSN: dsn},
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}}},
		ScopeCapabilities: map[string][]string{"read:pets": {"read"}},
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cc := &clientcreds.Config{Grant: clientcreds.GrantConfig{Algorithm: "ES256"}}
	if err := cc.CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	m, g, err := start(t, cfg, cc, clientcreds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := "client-" + hex.EncodeToString(b)
	hash, err := clientcreds.HashClientSecret("pg-secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.ClientStore().PutClient(ctx, store.Client{ID: id, SecretHash: hash, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.ClientStore().RemoveClient(context.Background(), id) })
	tok, err := g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: id, ClientSecret: "pg-secret"})
	if err != nil {
		t.Fatal(err)
	}
	identify := func() error {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		id, err := m.Identify(r)
		if err == nil && !id.Has("read") {
			t.Errorf("identity %v lacks read", id)
		}
		return err
	}
	if err := identify(); err != nil {
		t.Fatal(err)
	}
	c, _, err := g.ClientStore().Client(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	c.Disabled = true
	if err := g.ClientStore().PutClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := identify(); err == nil {
		t.Error("a disabled client's token still works")
	}
}

// A grant with store.read_only issues tokens to the clients of a
// PostgreSQL role that may only SELECT the clients table, with no Manager
// (a token endpoint); its writes are refused before reaching the
// database, which would refuse them too.
func TestReadOnlyClientsOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	// The owner makes the tables (pgstore's default schema, which the
	// store driver opens) and one client.
	graph, err := capabilities.NewGraph(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := pgstore.Open(ctx, dsn, graph, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	id, role := "ro-client-"+suffix, "oauthgate_ro_"+suffix
	hash, _ := clientcreds.HashClientSecret("ro-secret")
	if err := owner.PutClient(ctx, store.Client{ID: id, SecretHash: hash, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = owner.RemoveClient(context.Background(), id)
		conn.Exec(context.Background(), "DROP OWNED BY "+role)
		conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
		conn.Close(context.Background())
	})
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD 'ro-pw'",
		"GRANT USAGE ON SCHEMA " + pgstore.DefaultSchema + " TO " + role,
		"GRANT SELECT ON " + pgstore.DefaultSchema + ".clients TO " + role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, "ro-pw")
	roDSN := u.String()

	// The role really may not write.
	raw, err := pgstore.OpenClients(ctx, roDSN, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.PutClient(ctx, store.Client{ID: "x-" + suffix, SecretHash: hash}); !errors.Is(err, pgstore.ErrReadOnly) {
		t.Fatalf("write as the SELECT-only role: %v", err)
	}

	cfg := &auth.Config{SecretKey: testSecret, Store: auth.StoreConfig{Driver: "postgres", DSN: roDSN},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cc := &clientcreds.Config{Grant: clientcreds.GrantConfig{Issuer: "admin"}, Store: clientcreds.StoreConfig{ReadOnly: true}}
	if err := cc.CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	g, err := clientcreds.New(ctx, cc, clientcreds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tok, err := g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: id, ClientSecret: "ro-secret"})
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token as the SELECT-only role: %+v %v", tok, err)
	}
	if _, err := g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: id, ClientSecret: "wrong"}); err == nil {
		t.Fatal("a wrong secret got a token")
	}
	c, _, _ := g.ClientStore().Client(ctx, id)
	c.Disabled = true
	if err := g.ClientStore().PutClient(ctx, c); !errors.Is(err, clientcreds.ErrClientsReadOnly) {
		t.Fatalf("write through a read-only grant: %v", err)
	}
	if err := g.ClientStore().RemoveClient(ctx, id); !errors.Is(err, clientcreds.ErrClientsReadOnly) {
		t.Fatalf("remove through a read-only grant: %v", err)
	}
}
