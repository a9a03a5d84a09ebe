package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrations are the schema's versions, in order: migration i brings the
// schema to version i+1. Applied migrations are never edited; a change is a
// new entry. "S." is replaced by the quoted schema name.
var migrations = []string{
	// 1: users, revocations, grants, and the triggers that announce changes
	// (on the channel "oauthgate:<schema>"), so that every replica, and
	// changes made by hand with psql, invalidate the caches.
	`
CREATE TABLE S.users (
	email        text PRIMARY KEY CHECK (email <> '' AND email = btrim(email) AND email !~ '[A-Z]'),
	capabilities text[] NOT NULL DEFAULT '{}',
	updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE S.revoked_tokens (
	id    text PRIMARY KEY,
	until timestamptz NOT NULL
);
CREATE INDEX ON S.revoked_tokens (until);
CREATE TABLE S.revoked_subjects (
	subject text PRIMARY KEY,
	before  timestamptz NOT NULL
);
CREATE TABLE S.grants (
	id     text PRIMARY KEY,
	sealed text NOT NULL,
	until  timestamptz NOT NULL
);
CREATE INDEX ON S.grants (until);

-- Payloads: u:<writer>:<email> (one user changed), U (reload every
-- user), r:<writer>:<until µs>:<id> (token revoked),
-- s:<writer>:<before µs>:<subject> (subject revoked), T (reload every
-- revocation). The writer is the oauthgate.writer setting of the session
-- that made the change (each Store sets its own; empty for psql), so that
-- a Store knows its own changes. NOTIFY payloads are limited to 8000
-- bytes: longer keys fall back to a reload.
CREATE FUNCTION S.writer() RETURNS text LANGUAGE sql STABLE AS $$
	SELECT coalesce(current_setting('oauthgate.writer', true), '')
$$;
CREATE FUNCTION S.notify_user() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	ch text := 'oauthgate:' || TG_TABLE_SCHEMA;
	w text := S.writer();
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM pg_notify(ch, CASE WHEN octet_length(OLD.email) > 7000 THEN 'U' ELSE 'u:' || w || ':' || OLD.email END);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		PERFORM pg_notify(ch, CASE WHEN octet_length(NEW.email) > 7000 THEN 'U' ELSE 'u:' || w || ':' || NEW.email END);
	END IF;
	RETURN NULL;
END $$;
CREATE FUNCTION S.notify_all_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('oauthgate:' || TG_TABLE_SCHEMA, 'U');
	RETURN NULL;
END $$;
CREATE FUNCTION S.notify_revoked_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('oauthgate:' || TG_TABLE_SCHEMA, CASE WHEN octet_length(NEW.id) > 7000 THEN 'T'
		ELSE 'r:' || S.writer() || ':' || floor(extract(epoch FROM NEW.until) * 1000000)::bigint || ':' || NEW.id END);
	RETURN NULL;
END $$;
CREATE FUNCTION S.notify_revoked_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('oauthgate:' || TG_TABLE_SCHEMA, CASE WHEN octet_length(NEW.subject) > 7000 THEN 'T'
		ELSE 's:' || S.writer() || ':' || floor(extract(epoch FROM NEW.before) * 1000000)::bigint || ':' || NEW.subject END);
	RETURN NULL;
END $$;
CREATE FUNCTION S.notify_all_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('oauthgate:' || TG_TABLE_SCHEMA, 'T');
	RETURN NULL;
END $$;
CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE ON S.users
	FOR EACH ROW EXECUTE FUNCTION S.notify_user();
CREATE TRIGGER users_truncate AFTER TRUNCATE ON S.users
	FOR EACH STATEMENT EXECUTE FUNCTION S.notify_all_users();
CREATE TRIGGER revoked_tokens_notify AFTER INSERT OR UPDATE ON S.revoked_tokens
	FOR EACH ROW EXECUTE FUNCTION S.notify_revoked_token();
CREATE TRIGGER revoked_subjects_notify AFTER INSERT OR UPDATE ON S.revoked_subjects
	FOR EACH ROW EXECUTE FUNCTION S.notify_revoked_subject();
CREATE TRIGGER revoked_tokens_truncate AFTER TRUNCATE ON S.revoked_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION S.notify_all_tokens();
CREATE TRIGGER revoked_subjects_truncate AFTER TRUNCATE ON S.revoked_subjects
	FOR EACH STATEMENT EXECUTE FUNCTION S.notify_all_tokens();
`,
	// 2: machine clients of the client-credentials grant, in a table of
	// their own so that a token endpoint may read them through a role
	// that may only SELECT it. Secrets are argon2id hashes; the table
	// refuses anything else. Payloads: c:<writer>:<id> (one client
	// changed), C (reload every client).
	`
CREATE TABLE S.clients (
	id          text PRIMARY KEY CHECK (id <> ''),
	secret_hash text NOT NULL CHECK (secret_hash LIKE '$argon2id$%'),
	audience    text[] NOT NULL DEFAULT '{}',
	subject     text NOT NULL DEFAULT '',
	scope       text[] NOT NULL DEFAULT '{}',
	permissions text[] NOT NULL DEFAULT '{}',
	roles       text[] NOT NULL DEFAULT '{}',
	groups      text[] NOT NULL DEFAULT '{}',
	disabled    boolean NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION S.notify_client() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	ch text := 'oauthgate:' || TG_TABLE_SCHEMA;
	w text := S.writer();
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM pg_notify(ch, CASE WHEN octet_length(OLD.id) > 7000 THEN 'C' ELSE 'c:' || w || ':' || OLD.id END);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		PERFORM pg_notify(ch, CASE WHEN octet_length(NEW.id) > 7000 THEN 'C' ELSE 'c:' || w || ':' || NEW.id END);
	END IF;
	RETURN NULL;
END $$;
CREATE FUNCTION S.notify_all_clients() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('oauthgate:' || TG_TABLE_SCHEMA, 'C');
	RETURN NULL;
END $$;
CREATE TRIGGER clients_notify AFTER INSERT OR UPDATE OR DELETE ON S.clients
	FOR EACH ROW EXECUTE FUNCTION S.notify_client();
CREATE TRIGGER clients_truncate AFTER TRUNCATE ON S.clients
	FOR EACH STATEMENT EXECUTE FUNCTION S.notify_all_clients();
`,
}

// SchemaVersion is the schema version this package creates and expects.
var SchemaVersion = len(migrations)

// schemaName is what Options.Schema accepts: a lower-case identifier short
// enough for the notification channel name (63 bytes at most).
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,47}$`)

func checkSchema(name string) error {
	if !schemaName.MatchString(name) {
		return fmt.Errorf("pgstore: schema %q: want a lower-case identifier of at most 48 characters ([a-z_][a-z0-9_]*)", name)
	}
	return nil
}

// errSchemaTooNew is matched by the error of opening a schema migrated by
// a newer program.
var errSchemaTooNew = errors.New("pgstore: schema is newer than this program")

// sqlFor returns query with "S." replaced by the quoted schema.
func sqlFor(schema, query string) string {
	return strings.ReplaceAll(query, "S.", pgx.Identifier{schema}.Sanitize()+".")
}

// migrate creates the schema or brings it to SchemaVersion, in one
// transaction under an advisory lock, so that replicas starting together
// apply each migration once. A schema newer than this program is an error.
// A schema already current is only read: a role without the right to
// create tables may open it.
func migrate(ctx context.Context, conn *pgx.Conn, schema string) error {
	if v, err := schemaVersion(ctx, conn, schema); err == nil && v == len(migrations) {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('oauthgate:' || $1, 0))`, schema); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, sqlFor(schema, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()+`;
CREATE TABLE IF NOT EXISTS S.schema_version (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`)); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRow(ctx, sqlFor(schema, `SELECT coalesce(max(version), 0) FROM S.schema_version`)).Scan(&current); err != nil {
		return err
	}
	if current > len(migrations) {
		return schemaTooNew(schema, current)
	}
	for v := current; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, sqlFor(schema, migrations[v])); err != nil {
			return fmt.Errorf("pgstore: schema %q: migration %d: %w", schema, v+1, err)
		}
		if _, err := tx.Exec(ctx, sqlFor(schema, `INSERT INTO S.schema_version (version) VALUES ($1)`), v+1); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

func schemaTooNew(schema string, version int) error {
	return fmt.Errorf("%w: schema %q is at version %d, this program knows %d: upgrade the program", errSchemaTooNew, schema, version, len(migrations))
}

// schemaVersion returns the version of schema, 0 when it has none. It
// only reads.
func schemaVersion(ctx context.Context, conn *pgx.Conn, schema string) (int, error) {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{schema, "schema_version"}.Sanitize()).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := conn.QueryRow(ctx, sqlFor(schema, `SELECT coalesce(max(version), 0) FROM S.schema_version`)).Scan(&v)
	return v, err
}
