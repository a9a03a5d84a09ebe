package pgstore_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// The client-credentials grant of an app on PostgreSQL reads its clients
// from the store's clients table, and a client disabled there loses its
// tokens.
func TestManagerClientCredentialsOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	cfg := &auth.Config{
		ServerMetadataURL: "http://127.0.0.1:1/.well-known/openid-configuration",
		SecretKey:         replicaSecret,
		ClientID:          "app",
		BaseURL:           "http://127.0.0.1:8080",
		Store:             auth.StoreConfig{Driver: "postgres", DSN: dsn},
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}}},
		ScopeCapabilities: map[string][]string{"read:pets": {"read"}},
		ClientCredentials: auth.ClientCredentialsConfig{Algorithm: "ES256"},
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx := context.Background()
	m, err := auth.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, ok := m.ClientStore().(*pgstore.Store); !ok {
		t.Fatalf("client store %T; want *pgstore.Store", m.ClientStore())
	}
	id := randomName("client")
	hash, err := auth.HashClientSecret("pg-secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ClientStore().PutClient(ctx, store.Client{ID: id, SecretHash: hash, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.ClientStore().RemoveClient(context.Background(), id) })
	tok, err := m.IssueClientToken(ctx, auth.ClientTokenRequest{ClientID: id, ClientSecret: "pg-secret"})
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
	c, _, err := m.ClientStore().Client(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	c.Disabled = true
	if err := m.ClientStore().PutClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := identify(); err == nil {
		t.Error("a disabled client's token still works")
	}
}
