package pgstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestSchemaMigrationIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	// Replicas starting together: the advisory lock lets one migrate.
	var wg sync.WaitGroup
	stores := make([]*pgstore.Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = pgstore.Open(ctx, testDSN(t), g, pgstore.Options{Schema: schema})
		}()
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		defer s.Close()
	}
	if _, err := stores[0].Set(ctx, "u@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	again := openStore(t, g, schema, pgstore.Options{})
	if got, err := again.Get(ctx, "u@example.com"); err != nil || !slices.Equal(got, []string{"read"}) {
		t.Fatalf("Get after reopening = %q, %v; the data must survive", got, err)
	}
	conn := admin(t)
	var versions []int32
	rows, err := conn.Query(ctx, "SELECT version FROM "+schema+".schema_version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int32
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if rows.Err() != nil || len(versions) != pgstore.SchemaVersion || int(versions[len(versions)-1]) != pgstore.SchemaVersion {
		t.Fatalf("schema_version holds %v (%v); want 1..%d once each", versions, rows.Err(), pgstore.SchemaVersion)
	}
}

func TestSchemaNewerThanProgram(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	openStore(t, g, schema, pgstore.Options{}).Close()
	if _, err := admin(t).Exec(ctx, "INSERT INTO "+schema+".schema_version (version) VALUES (999)"); err != nil {
		t.Fatal(err)
	}
	_, err := pgstore.Open(ctx, testDSN(t), g, pgstore.Options{Schema: schema})
	if err == nil || !strings.Contains(err.Error(), "999") || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("Open of a newer schema = %v; want an error naming the version", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	for _, schema := range []string{"Upper", "1digit", "semi;colon", "quo\"te", strings.Repeat("x", 49)} {
		if _, err := pgstore.Open(ctx, "postgres://127.0.0.1:1/x", g, pgstore.Options{Schema: schema}); err == nil || !strings.Contains(err.Error(), "schema") {
			t.Errorf("Open with schema %q = %v; want a schema error", schema, err)
		}
	}
	if _, err := pgstore.Open(ctx, "postgres://u:s3cret@127.0.0.1:1/x?sslmode=bogus", g, pgstore.Options{}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open with a bad DSN = %v; want an error without the password", err)
	}
	if _, err := pgstore.Open(ctx, "postgres://127.0.0.1:1/x", nil, pgstore.Options{}); err == nil {
		t.Error("Open without a graph succeeded")
	}
	// Nothing listens on port 1: unavailable, not a configuration error.
	_, err := pgstore.Open(ctx, "postgres://u:s3cret@127.0.0.1:1/x?connect_timeout=2", g, pgstore.Options{})
	if !errors.Is(err, store.ErrUnavailable) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open of an unreachable server = %v; want ErrUnavailable, without the password", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := pgstore.Open(cctx, testDSN(t), g, pgstore.Options{Schema: newSchema(t)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v; want context.Canceled", err)
	}
}

func TestHandWrittenDataIsChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	s := openStore(t, g, schema, pgstore.Options{})
	conn := admin(t)
	// Unknown names, duplicates, unsorted: what psql lets through.
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".users (email, capabilities) VALUES ('h@example.com', '{write,bogus,read,write}')"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "h@example.com"); err != nil || !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("Get = %q, %v; want [read write] (unknown names dropped)", got, err)
	}
	users, err := s.List(ctx)
	if err != nil || !slices.Equal(users["h@example.com"], []string{"read", "write"}) {
		t.Errorf("List = %q, %v", users, err)
	}
	if got, err := s.Add(ctx, "h@example.com", "a"); err != nil || !slices.Equal(got, []string{"a", "read", "write"}) {
		t.Errorf("Add = %q, %v", got, err)
	}
	// Names this graph does not define may be another replica's: writes
	// keep them.
	if _, err := s.Set(ctx, "h@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	var raw []string
	if err := conn.QueryRow(ctx, "SELECT capabilities FROM "+schema+".users WHERE email = 'h@example.com'").Scan(&raw); err != nil ||
		!slices.Equal(raw, []string{"bogus", "read"}) {
		t.Errorf("row after Set = %q, %v; want [bogus read]", raw, err)
	}
	// The table refuses emails that are not normalized.
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".users (email) VALUES ('Upper@example.com')"); err == nil {
		t.Error("the users table accepted an upper-case email")
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	s := openStore(t, g, newSchema(t), pgstore.Options{})
	if _, err := s.Set(ctx, "kept@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, "same@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	n, err := s.Import(ctx, map[string][]string{
		"New@Example.com":   {"write", "read", "write"},
		"same@example.com":  {"read"},
		"empty@example.com": nil,
	}, false)
	if err != nil || n != 2 {
		t.Fatalf("Import = %d, %v; want 2 users changed", n, err)
	}
	want := map[string][]string{
		"kept@example.com":  {"read"},
		"same@example.com":  {"read"},
		"new@example.com":   {"read", "write"},
		"empty@example.com": {},
	}
	check := func(want map[string][]string) {
		t.Helper()
		got, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("List = %q; want %q", got, want)
		}
		for k, v := range want {
			if !slices.Equal(got[k], v) {
				t.Fatalf("List = %q; want %q", got, want)
			}
		}
	}
	check(want)

	// Refused input writes nothing.
	for name, users := range map[string]map[string][]string{
		"unknown capability": {"x@example.com": {"read"}, "y@example.com": {"nope"}},
		"same user twice":    {"A@example.com": {"read"}, "a@example.com": {"write"}},
		"bad email":          {"x@example.com": {"read"}, "  ": {"read"}},
	} {
		if _, err := s.Import(ctx, users, true); err == nil {
			t.Errorf("Import with %s succeeded", name)
		}
	}
	check(want)

	if _, err := s.Get(ctx, "kept@example.com"); err != nil { // cached, then replaced
		t.Fatal(err)
	}
	n, err = s.Import(ctx, map[string][]string{"new@example.com": {"moderate"}}, true)
	if err != nil || n != 4 {
		t.Fatalf("Import with replace = %d, %v; want 4 users changed", n, err)
	}
	check(map[string][]string{"new@example.com": {"moderate"}})
	if got, err := s.Get(ctx, "kept@example.com"); err != nil || got != nil {
		t.Errorf("Get of a replaced user = %q, %v; want nil", got, err)
	}
}
