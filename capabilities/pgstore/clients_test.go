package pgstore_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestClientContract(t *testing.T) {
	t.Parallel()
	fresh := emptySchema(t)
	g := storetest.Graph(t)
	storetest.RunClients(t, func(t testing.TB) store.ClientStore { return fresh(t, g, pgstore.Options{}) })
}

// The clients part alone (OpenClients), through the owner role: the same
// contract.
func TestClientContractOpenClients(t *testing.T) {
	t.Parallel()
	fresh := emptySchema(t)
	g := storetest.Graph(t)
	storetest.RunClients(t, func(t testing.TB) store.ClientStore {
		s := fresh(t, g, pgstore.Options{})
		c, err := pgstore.OpenClients(context.Background(), fastDSN(t), pgstore.Options{Schema: s.Schema()})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		return c
	})
}

// A change made through one replica, or by hand, reaches the other within
// a second: enabled, disabled, removed.
func TestClientChangesReachReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	a := openStore(t, g, schema, pgstore.Options{})
	b := openStore(t, g, schema, pgstore.Options{})
	conn := admin(t)
	sees := func(what string, change func() error, cond func(c store.Client, ok bool) bool) {
		t.Helper()
		v := b.ClientsVersion()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !eventually(time.Second, func() bool {
			c, ok, err := b.Client(ctx, "job")
			return err == nil && cond(c, ok)
		}) {
			t.Fatalf("the other replica did not see %s within a second", what)
		}
		if b.ClientsVersion() == v {
			t.Fatalf("ClientsVersion unchanged after %s", what)
		}
	}
	sees("the new client", func() error { return a.PutClient(ctx, storetest.FullClient("job")) }, func(c store.Client, ok bool) bool {
		return ok && storetest.SameClient(c, storetest.FullClient("job")) == ""
	})
	disabled := storetest.FullClient("job")
	disabled.Disabled = true
	sees("disabling", func() error { return a.PutClient(ctx, disabled) }, func(c store.Client, ok bool) bool { return ok && c.Disabled })
	exec := func(q string) func() error {
		return func() error { _, err := conn.Exec(ctx, q); return err }
	}
	sees("enabling by hand", exec("UPDATE "+schema+".clients SET disabled = false WHERE id = 'job'"), func(c store.Client, ok bool) bool { return ok && !c.Disabled })
	sees("removal", func() error { return a.RemoveClient(ctx, "job") }, func(_ store.Client, ok bool) bool { return !ok })
	sees("re-adding", func() error { return a.PutClient(ctx, storetest.FullClient("job")) }, func(_ store.Client, ok bool) bool { return ok })
	sees("a truncation", exec("TRUNCATE "+schema+".clients"), func(_ store.Client, ok bool) bool { return !ok })
	// The writer hears the same notification, not necessarily first.
	if !eventually(time.Second, func() bool {
		cs, err := a.Clients(ctx)
		return err == nil && len(cs) == 0
	}) {
		cs, err := a.Clients(ctx)
		t.Fatalf("writer after truncation: %v %v", cs, err)
	}
}

// The table refuses plaintext secrets even from psql; rows written by hand
// that the store would refuse are ignored, never served.
func TestClientTableChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	s := openStore(t, g, schema, pgstore.Options{})
	conn := admin(t)
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".clients (id, secret_hash) VALUES ('p', 'plaintext')"); err == nil {
		t.Fatal("the table accepted a plaintext secret")
	}
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".clients (id, secret_hash) VALUES ('a:b', $1), ('ok', $1)", storetest.SecretHash); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { _, ok, _ := s.Client(ctx, "ok"); return ok }) {
		t.Fatal("hand-written client not seen")
	}
	if _, ok, _ := s.Client(ctx, "a:b"); ok {
		t.Fatal("a client that does not validate is served")
	}
	if cs, _ := s.Clients(ctx); len(cs) != 1 || cs[0].ID != "ok" {
		t.Fatalf("Clients = %+v", cs)
	}
}

// A role with only USAGE on the schema and SELECT on the clients table
// opens the clients (without migrating), sees changes within a second,
// and cannot write.
func TestOpenClientsWithSelectOnlyRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	owner := openStore(t, g, schema, pgstore.Options{})
	if err := owner.PutClient(ctx, storetest.FullClient("job")); err != nil {
		t.Fatal(err)
	}
	conn := admin(t)
	role := randomName("r_")
	password := randomName("pw")
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT ON " + schema + ".clients TO " + role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		c := admin(t)
		c.Exec(context.Background(), "REVOKE ALL ON ALL TABLES IN SCHEMA "+schema+" FROM "+role)
		c.Exec(context.Background(), "REVOKE ALL ON SCHEMA "+schema+" FROM "+role)
		// The role may still hold a session for a moment after Close.
		eventually(5*time.Second, func() bool {
			_, err := c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			return err == nil
		})
	})
	u, err := url.Parse(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	readerDSN := u.String()

	var before int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".schema_version").Scan(&before); err != nil {
		t.Fatal(err)
	}
	r, err := pgstore.OpenClients(ctx, readerDSN, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatalf("OpenClients with a SELECT-only role: %v", err)
	}
	defer r.Close()
	if c, ok, err := r.Client(ctx, "job"); err != nil || !ok || storetest.SameClient(c, storetest.FullClient("job")) != "" {
		t.Fatalf("Client = %+v, %v, %v", c, ok, err)
	}
	disabled := storetest.FullClient("job")
	disabled.Disabled = true
	v := r.ClientsVersion()
	if err := owner.PutClient(ctx, disabled); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { c, _, _ := r.Client(ctx, "job"); return c.Disabled }) {
		t.Fatal("the reader did not see the client disabled within a second")
	}
	if r.ClientsVersion() == v {
		t.Fatal("ClientsVersion unchanged")
	}
	err = r.PutClient(ctx, storetest.FullClient("other"))
	if !errors.Is(err, pgstore.ErrReadOnly) {
		t.Fatalf("PutClient through a SELECT-only role = %v; want ErrReadOnly", err)
	}
	if err := r.RemoveClient(ctx, "job"); !errors.Is(err, pgstore.ErrReadOnly) {
		t.Fatalf("RemoveClient through a SELECT-only role = %v; want ErrReadOnly", err)
	}
	if _, ok, _ := owner.Client(ctx, "other"); ok {
		t.Fatal("a refused write landed")
	}
	var after int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".schema_version").Scan(&after); err != nil || after != before {
		t.Fatalf("schema_version rows %d → %d (%v); OpenClients must not migrate", before, after, err)
	}

	// A schema without the clients table, and a role that may not read
	// it: errors that say what to do.
	if _, err := pgstore.OpenClients(ctx, testDSN(t), pgstore.Options{Schema: randomName("none_")}); err == nil || !strings.Contains(err.Error(), "no clients table") {
		t.Errorf("OpenClients on a missing schema = %v", err)
	}
	if _, err := conn.Exec(ctx, "REVOKE SELECT ON "+schema+".clients FROM "+role); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.OpenClients(ctx, readerDSN, pgstore.Options{Schema: schema}); err == nil || !strings.Contains(err.Error(), "GRANT") || strings.Contains(err.Error(), password) {
		t.Errorf("OpenClients without SELECT = %v; want advice, without the password", err)
	}
}

// BenchmarkClient measures a client read from a store's memory.
func BenchmarkClient(b *testing.B) {
	ctx := context.Background()
	s := openStore(b, storetest.Graph(b), newSchema(b), pgstore.Options{})
	if err := s.PutClient(ctx, storetest.FullClient("job")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := s.Client(ctx, "job"); !ok {
			b.Fatal("missing")
		}
	}
}

// A schema of version 1 (made before clients existed) is migrated by the
// next Open, its data kept; OpenClients refuses it until then.
func TestClientsMigrationFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	s := openStore(t, g, schema, pgstore.Options{})
	if _, err := s.Set(ctx, "u@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn := admin(t)
	if _, err := conn.Exec(ctx, "DROP TABLE "+schema+".clients; DROP FUNCTION "+schema+".notify_client(), "+schema+".notify_all_clients(); "+
		"DELETE FROM "+schema+".schema_version WHERE version = 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.OpenClients(ctx, testDSN(t), pgstore.Options{Schema: schema}); err == nil || !strings.Contains(err.Error(), "no clients table") {
		t.Fatalf("OpenClients on version 1 = %v", err)
	}
	s = openStore(t, g, schema, pgstore.Options{})
	if got, err := s.Get(ctx, "u@example.com"); err != nil || len(got) != 1 {
		t.Fatalf("users lost in the migration: %q %v", got, err)
	}
	if err := s.PutClient(ctx, storetest.FullClient("job")); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM "+schema+".schema_version").Scan(&v); err != nil || v != pgstore.SchemaVersion || v != 2 {
		t.Fatalf("schema version %d (%v); want 2", v, err)
	}
}

// OpenClients on the DSN and schema of an open Store uses its
// connections: no session of its own, and they stay open until both are
// closed, whichever goes first.
func TestOpenClientsSharesTheStoresConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	app := randomName("share_")
	conn := admin(t)
	sessions := func() int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s := openStore(t, g, schema, pgstore.Options{ApplicationName: app})
	if err := s.PutClient(ctx, storetest.FullClient("job")); err != nil {
		t.Fatal(err)
	}
	before := sessions()
	c, err := pgstore.OpenClients(ctx, fastDSN(t), pgstore.Options{Schema: schema, ApplicationName: app})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := sessions(); n != before {
		t.Fatalf("%d sessions after OpenClients, %d before: it opened its own", n, before)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "u@example.com"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Get on the closed Store = %v; want ErrClosed", err)
	}
	if cl, ok, err := c.Client(ctx, "job"); err != nil || !ok || cl.ID != "job" {
		t.Fatalf("Client after the Store closed = %+v, %v, %v", cl, ok, err)
	}
	if err := c.PutClient(ctx, storetest.FullClient("other")); err != nil {
		t.Fatalf("PutClient after the Store closed: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Client(ctx, "job"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Client after Close = %v; want ErrClosed", err)
	}
	if !eventually(5*time.Second, func() bool { return sessions() == 0 }) {
		t.Fatalf("%d sessions left after both closed", sessions())
	}
}
