package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

// Ping accepts a reachable server whether or not the schema exists yet,
// and creates nothing; it refuses an unreachable server and a schema of a
// newer program.
func TestPing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := fastDSN(t)
	fresh := newSchema(t)
	if err := pgstore.Ping(ctx, dsn, pgstore.Options{Schema: fresh}); err != nil {
		t.Fatalf("Ping, no schema yet: %v", err)
	}
	var made bool
	if err := admin(t).QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)`, fresh).Scan(&made); err != nil || made {
		t.Errorf("Ping created schema %s (%v)", fresh, err)
	}

	schema := newSchema(t)
	openStore(t, storetest.Graph(t), schema, pgstore.Options{})
	if err := pgstore.Ping(ctx, dsn, pgstore.Options{Schema: schema}); err != nil {
		t.Errorf("Ping, current schema: %v", err)
	}
	if _, err := admin(t).Exec(ctx, "INSERT INTO "+schema+".schema_version (version) VALUES (999)"); err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Ping(ctx, dsn, pgstore.Options{Schema: schema}); err == nil || !strings.Contains(err.Error(), "upgrade the program") {
		t.Errorf("Ping, newer schema: %v", err)
	}

	d, _ := store.LookupDriver(pgstore.DriverName)
	if err := d.Ping(ctx, "postgres://127.0.0.1:1/x?connect_timeout=2"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("driver Ping on an unreachable server: %v; want ErrUnavailable", err)
	}
}
