package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Clients is the clients part of a PostgreSQL store, opened by
// [OpenClients] for a token endpoint that needs nothing else. It
// implements [store.ClientStore]. Safe for concurrent use.
type Clients struct {
	s         *Store
	closed    atomic.Bool
	closeOnce sync.Once
}

// begin checks what every operation checks first.
func (c *Clients) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.closed.Load() || c.s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// Client implements [store.ClientStore] (see [Store.Client]).
func (c *Clients) Client(ctx context.Context, id string) (store.Client, bool, error) {
	if err := c.begin(ctx); err != nil {
		return store.Client{}, false, err
	}
	return c.s.client(ctx, id)
}

// Clients implements [store.ClientStore].
func (c *Clients) Clients(ctx context.Context) ([]store.Client, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	return c.s.allClients(ctx)
}

// PutClient implements [store.ClientStore]; through a SELECT-only
// role it fails with an error matching [ErrReadOnly].
func (c *Clients) PutClient(ctx context.Context, cl store.Client) error {
	if err := c.begin(ctx); err != nil {
		return err
	}
	return c.s.putClient(ctx, cl)
}

// RemoveClient implements [store.ClientStore]; through a
// SELECT-only role it fails with an error matching [ErrReadOnly].
func (c *Clients) RemoveClient(ctx context.Context, id string) error {
	if err := c.begin(ctx); err != nil {
		return err
	}
	return c.s.removeClient(ctx, id)
}

// ClientsVersion implements [store.ClientStore].
func (c *Clients) ClientsVersion() uint64 { return c.s.ClientsVersion() }

// Close implements [store.ClientStore]: later calls fail with
// [store.ErrClosed]. The connections close with the last user of them
// (see [OpenClients]).
func (c *Clients) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.s.release()
	})
	return nil
}

// Schema returns the schema that holds the clients table.
func (c *Clients) Schema() string { return c.s.schema }

var (
	_ store.ClientStore = (*Store)(nil)
	_ store.ClientStore = (*Clients)(nil)
)

// OpenClients connects to the PostgreSQL server of dsn and opens only the
// clients table of the schema, which must exist already (created by
// [Open] with a role that may create tables): it never migrates, and
// reads nothing else, so the role of dsn needs only
//
//	GRANT USAGE ON SCHEMA oauthgate TO token_reader;
//	GRANT SELECT ON oauthgate.clients TO token_reader;
//
// Clients are held in memory and kept current by the notifications of the
// table's triggers, as [Open] does. Writes through such a role fail with
// an error matching [ErrReadOnly]. Options.CacheEntries is not used.
//
// While a [Store] opened by [Open] with the same dsn and schema is open in
// the process, OpenClients opens nothing: the Clients reads and writes
// through that Store's connections (and with its Options), which stay
// open until both are closed. An app that keeps its users in PostgreSQL
// and issues client tokens thus holds one pool and one listening
// connection.
func OpenClients(ctx context.Context, dsn string, opts Options) (*Clients, error) {
	if s := shared(dsn, opts.Schema); s != nil {
		return &Clients{s: s}, nil
	}
	s, err := open(ctx, dsn, nil, opts, true)
	if err != nil {
		return nil, err
	}
	return &Clients{s: s}, nil
}

// checkClientsTable reports why the clients table cannot be read through
// conn, in words an operator can act on.
func (s *Store) checkClientsTable(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, s.csql.load+` LIMIT 0`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "42P01", "3F000": // undefined_table, invalid_schema_name
			return fmt.Errorf("pgstore: schema %q has no clients table (schema version 2 or later): open it once with pgstore.Open, or `oauthgate clients list`, as a role that may create tables", s.schema)
		case "42501":
			return fmt.Errorf("pgstore: the role may not read %s.clients: GRANT USAGE ON SCHEMA %s and SELECT ON %s.clients to it: %w", s.schema, s.schema, s.schema, err)
		}
	}
	return err
}
