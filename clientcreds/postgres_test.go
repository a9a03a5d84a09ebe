package clientcreds_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	_ "github.com/oauthgate/oauthgate/capabilities/pgstore" // the postgres store driver
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
