package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
)

// dsnEnv names the variable that points the tests at a PostgreSQL server.
const dsnEnv = "OAUTHGATE_TEST_POSTGRES"

// testDSN returns the test server's DSN, or skips the test.
func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skip("pgstore: no PostgreSQL server; to run these tests set " + dsnEnv +
			", e.g. " + dsnEnv + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./capabilities/pgstore (.ci/run does)")
	}
	return dsn
}

// fastDSN is testDSN with synchronous_commit off for the store's
// sessions: the tests check behaviour, not durability, and a commit then
// no longer waits for the disk. Benchmarks use testDSN.
func fastDSN(tb testing.TB) string {
	tb.Helper()
	if strings.Contains(testDSN(tb), "://") {
		u, err := url.Parse(testDSN(tb))
		if err != nil {
			tb.Fatalf("%s: %v", dsnEnv, err)
		}
		q := u.Query()
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return testDSN(tb) + " synchronous_commit=off"
}

// emptySchema returns a function that gives each call an empty store on
// one schema of the test's own: the tables are emptied rather than the
// schema created anew, which is much faster (no store is open then, so
// nobody hears the notifications). Calls must not overlap.
func emptySchema(tb testing.TB) func(t testing.TB, g *capabilities.Graph, opts pgstore.Options) *pgstore.Store {
	schema := newSchema(tb)
	conn := admin(tb)
	created := false
	return func(t testing.TB, g *capabilities.Graph, opts pgstore.Options) *pgstore.Store {
		t.Helper()
		if created {
			if _, err := conn.Exec(context.Background(), "DELETE FROM "+schema+".users; DELETE FROM "+schema+".revoked_tokens; "+
				"DELETE FROM "+schema+".revoked_subjects; DELETE FROM "+schema+".grants; DELETE FROM "+schema+".clients"); err != nil {
				t.Fatal(err)
			}
		}
		created = true
		return openStore(t, g, schema, opts)
	}
}

// randomName returns prefix followed by random hex.
func randomName(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// admin returns a plain connection to the test server, closed at cleanup.
func admin(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fastDSN(tb))
	if err != nil {
		tb.Fatalf("connecting to the test server: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// newSchema returns the name of a schema of its own for the test, dropped
// at cleanup (after the stores, which are closed by earlier cleanups).
func newSchema(tb testing.TB) string {
	tb.Helper()
	dsn := testDSN(tb)
	name := randomName("t_")
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", name, err)
		}
	})
	return name
}

// openStore opens a store on schema with opts, closed at cleanup.
func openStore(tb testing.TB, g *capabilities.Graph, schema string, opts pgstore.Options) *pgstore.Store {
	tb.Helper()
	return openStoreDSN(tb, fastDSN(tb), g, schema, opts)
}

func openStoreDSN(tb testing.TB, dsn string, g *capabilities.Graph, schema string, opts pgstore.Options) *pgstore.Store {
	tb.Helper()
	opts.Schema = schema
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, dsn, g, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// eventually polls cond every few milliseconds until it holds or the
// deadline passes; it reports whether it held.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
