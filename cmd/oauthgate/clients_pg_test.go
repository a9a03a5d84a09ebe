package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/clientcreds"
)

// TestClientsPostgres runs the clients commands on the PostgreSQL store a
// configuration names, then reads the table itself: hashes only. It needs
// a PostgreSQL server (see capabilities/pgstore) and sets an environment
// variable, so it does not run in parallel.
func TestClientsPostgres(t *testing.T) {
	dsn := os.Getenv("OAUTHGATE_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("clients on postgres: set OAUTHGATE_TEST_POSTGRES (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run; .ci/run does")
	}
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "clients_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		conn.Close(ctx)
	})
	t.Setenv("OAUTHGATE_CLIENTS_TEST_DSN", dsn)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(testAppConfig+`capabilities:
  graph: {read: []}
store:
  driver: postgres
  dsn: ${OAUTHGATE_CLIENTS_TEST_DSN}
client_credentials: {issuer: https://app.example.com/}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &clientsSession{t: t}
	where := []string{"--config", cfg, "--schema", schema}
	id, secret := s.credentials(append([]string{"add", "--scope", "read:data", "--roles", "r1"}, where...)...)
	out := s.run(0, append([]string{"list"}, where...)...)
	if !strings.Contains(out, id) || !strings.Contains(out, "enabled") || !strings.Contains(out, "r1") {
		t.Fatalf("list:\n%s", out)
	}
	s.run(0, append([]string{"disable", id}, where...)...)
	if out := s.run(0, append([]string{"list", id}, where...)...); !strings.Contains(out, "disabled") {
		t.Fatalf("list after disable:\n%s", out)
	}
	s.run(0, append([]string{"enable", id}, where...)...)
	_, rotated := s.credentials(append([]string{"rotate-secret", id}, where...)...)
	other, otherSecret := s.credentials(append([]string{"add", "--id", "second"}, where...)...)
	s.run(0, append([]string{"remove", other}, where...)...)

	checkClientsUpdate(t, s, where, func(id string) string {
		var h string
		if err := conn.QueryRow(ctx, "SELECT secret_hash FROM "+schema+".clients WHERE id = $1", id).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	})

	var hash string
	var disabled bool
	if err := conn.QueryRow(ctx, "SELECT secret_hash, disabled FROM "+schema+".clients WHERE id = $1", id).Scan(&hash, &disabled); err != nil {
		t.Fatal(err)
	}
	if ok, err := clientcreds.CheckClientSecret(hash, rotated); err != nil || !ok || disabled {
		t.Fatalf("stored hash does not check the rotated secret (%v), or still disabled (%v)", err, disabled)
	}
	var table string
	if err := conn.QueryRow(ctx, "SELECT coalesce(string_agg(row_to_json(c)::text, E'\\n'), '') FROM "+schema+".clients c").Scan(&table); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(table, "second") {
		t.Fatalf("removed client still in the table: %s", table)
	}
	// A configuration with store.read_only, for a role that may only
	// SELECT the clients table: list works, writes are refused.
	role := "oauthgate_ro_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		conn.Exec(ctx, "DROP OWNED BY "+role)
		conn.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	for _, q := range []string{"CREATE ROLE " + role + " LOGIN PASSWORD 'ro-pw'", "GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT ON " + schema + ".clients TO " + role} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u, _ := url.Parse(dsn)
	u.User = url.UserPassword(role, "ro-pw")
	t.Setenv("OAUTHGATE_CLIENTS_TEST_RO_DSN", u.String())
	roCfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(roCfg, []byte(testAppConfig+`capabilities:
  graph: {read: []}
store:
  driver: postgres
  dsn: ${OAUTHGATE_CLIENTS_TEST_RO_DSN}
  read_only: true
client_credentials: {issuer: admin}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	roWhere := []string{"--config", roCfg, "--schema", schema}
	if out := s.run(0, append([]string{"list", id}, roWhere...)...); !strings.Contains(out, id) {
		t.Fatalf("list as the SELECT-only role:\n%s", out)
	}
	s.run(1, append([]string{"update", "--roles", "r9", id}, roWhere...)...)
	if !strings.Contains(s.stderr.String(), "read-only") {
		t.Fatalf("update through a read-only configuration: %s", s.stderr.String())
	}
	assertNoSecrets(t, []string{secret, rotated, otherSecret}, map[string]string{"clients table": table, "stderr": s.stderr.String()})
}
