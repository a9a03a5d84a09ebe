package pgstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestDriverIsRegistered(t *testing.T) {
	t.Parallel()
	d, ok := store.LookupDriver(pgstore.DriverName)
	if !ok {
		t.Fatalf("no %q driver registered", pgstore.DriverName)
	}
	// Nothing listens on port 1.
	s, ts, err := d.Open(context.Background(), "postgres://127.0.0.1:1/x?connect_timeout=2", storetest.Graph(t), nil)
	if !errors.Is(err, store.ErrUnavailable) || s != nil || ts != nil {
		t.Fatalf("driver on an unreachable server = %v, %v, %v; want ErrUnavailable", s, ts, err)
	}
}

// An app selects PostgreSQL in its configuration alone: auth.New opens the
// registered driver, and the Manager owns (and closes) the store.
func TestManagerOpensTheDriverFromConfig(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	cfg := &auth.Config{
		ServerMetadataURL: "http://127.0.0.1:1/.well-known/openid-configuration", // discovery is lazy
		SecretKey:         replicaSecret,
		ClientID:          "app",
		Store:             auth.StoreConfig{Driver: "postgres", DSN: dsn},
		Capabilities: capabilities.Config{
			Graph: map[string][]string{"read": {}, "write": {"read"}, "user_management": {}},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx := context.Background()
	m, err := auth.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Users().Store().(*pgstore.Store); !ok {
		t.Fatalf("Manager store is %T, want *pgstore.Store", m.Users().Store())
	}
	email := randomName("u") + "@example.com"
	// The token store is PostgreSQL too: a revocation through the Manager
	// is seen by another connection to the same database.
	other := openStoreDSN(t, dsn, storetest.Graph(t), pgstore.DefaultSchema, pgstore.Options{})
	if err := m.RevokeAll(ctx, &auth.Identity{Email: email, Kind: auth.KindUser}, email); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool { return other.Revoked("", email, time.Now().Add(-time.Minute)) }) {
		t.Fatal("a revocation through the Manager is not in the PostgreSQL token store")
	}
	if _, err := m.Users().Store().Add(ctx, email, "write"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = other.Set(context.Background(), email, nil) })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Users().Store().Get(ctx, email); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("after Manager.Close, Get = %v; want ErrClosed (the Manager owns the store)", err)
	}
}

func TestManagerReportsAnUnreachableDatabase(t *testing.T) {
	t.Parallel()
	var ce *auth.ConfigError
	_, err := auth.New(context.Background(), &auth.Config{
		ServerMetadataURL: "http://127.0.0.1:1/.well-known/openid-configuration",
		SecretKey:         replicaSecret,
		ClientID:          "app",
		Store:             auth.StoreConfig{Driver: "postgres", DSN: "postgres://127.0.0.1:1/x"},
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}}},
	})
	// The driver exists (pgstore is imported here): the error is the
	// server, not the configuration.
	if err == nil || errors.As(err, &ce) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("New on an unreachable server = %v; want an ErrUnavailable error", err)
	}
}
