package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Ping connects to the PostgreSQL server of dsn as [Open] would and reads
// the version of the store's schema, changing nothing: a schema not made
// yet is fine (Open makes it), one of a newer program is not. An
// unreachable server is an error wrapping [store.ErrUnavailable]. For
// `oauthgate config check`.
func Ping(ctx context.Context, dsn string, opts Options) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("pgstore: dsn: %w", err)
	}
	schema := opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if err := checkSchema(schema); err != nil {
		return err
	}
	setConnDefaults(cfg, opts)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return openError(ctx, err)
	}
	defer conn.Close(context.Background())
	v, err := schemaVersion(ctx, conn, schema)
	switch {
	case err != nil:
		return openError(ctx, err)
	case v > len(migrations):
		return schemaTooNew(schema, v)
	}
	return nil
}
