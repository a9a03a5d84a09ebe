package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// ErrReadOnly is matched (errors.Is) by the error of a client write that
// the database refused for lack of privilege: the store was opened with a
// role that may only read the clients table (see [OpenClients]).
var ErrReadOnly = errors.New("pgstore: this role may not write the clients table (a SELECT-only role reads clients; write them with the owner role)")

// clientQueries are the statements on the clients table of one schema.
type clientQueries struct {
	load, one, put, remove string
}

const clientColumns = `id, secret_hash, audience, subject, scope, permissions, roles, groups, disabled, created_at, updated_at`

func newClientQueries(schema string) clientQueries {
	q := clientQueries{
		load: `SELECT ` + clientColumns + ` FROM S.clients`,
		one:  `SELECT ` + clientColumns + ` FROM S.clients WHERE id = $1`,
		put: `INSERT INTO S.clients AS c (id, secret_hash, audience, subject, scope, permissions, roles, groups, disabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, audience = EXCLUDED.audience,
				subject = EXCLUDED.subject, scope = EXCLUDED.scope, permissions = EXCLUDED.permissions,
				roles = EXCLUDED.roles, groups = EXCLUDED.groups, disabled = EXCLUDED.disabled, updated_at = now()
			RETURNING c.created_at, c.updated_at`,
		remove: `DELETE FROM S.clients WHERE id = $1`,
	}
	for _, p := range []*string{&q.load, &q.one, &q.put, &q.remove} {
		*p = sqlFor(schema, *p)
	}
	return q
}

// clientState is the in-memory copy of the clients table, replaced whole
// on every change (copy on write) so that readers take no lock.
type clientState = map[string]store.Client

// scanClient reads one row of clientColumns.
func scanClient(row pgx.Row) (store.Client, error) {
	var c store.Client
	err := row.Scan(&c.ID, &c.SecretHash, &c.Audience, &c.Subject, &c.Scope, &c.Permissions, &c.Roles, &c.Groups,
		&c.Disabled, &c.Created, &c.Updated)
	for _, l := range []*[]string{&c.Audience, &c.Scope, &c.Permissions, &c.Roles, &c.Groups} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return c, err
}

// usable reports whether a row read from the table may be served. Rows
// written by hand may break what the store checks on write; they are
// logged (never with the secret) and ignored, so such a client gets no
// token.
func (s *Store) usable(c store.Client) bool {
	if err := c.Validate(); err != nil {
		s.log.Warn("pgstore: ignoring a stored client that does not validate", "client", c.ID, "err", err)
		return false
	}
	return true
}

// loadClients reads the whole clients table through conn.
func (s *Store) loadClients(ctx context.Context, conn *pgx.Conn) (clientState, error) {
	rows, err := conn.Query(ctx, s.csql.load)
	if err != nil {
		return nil, err
	}
	m := clientState{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if s.usable(c) {
			m[c.ID] = c
		}
	}
	return m, rows.Err()
}

// reloadClients replaces the in-memory clients with the table's. A write
// through this store that lands meanwhile makes it read again, so that an
// older read never hides it.
func (s *Store) reloadClients(ctx context.Context, conn *pgx.Conn) error {
	for {
		s.clientMu.Lock()
		gen := s.clientGen
		s.clientMu.Unlock()
		m, err := s.loadClients(ctx, conn)
		if err != nil {
			return err
		}
		s.clientMu.Lock()
		if s.clientGen == gen {
			s.clients.Store(&m)
			s.clientGen++
			s.clientsVersion.Add(1)
			s.clientMu.Unlock()
			return nil
		}
		s.clientMu.Unlock()
	}
}

// refreshClient re-reads one client (changed by another writer) through
// conn, with the same guard as reloadClients.
func (s *Store) refreshClient(ctx context.Context, conn *pgx.Conn, id string) error {
	for {
		s.clientMu.Lock()
		gen := s.clientGen
		s.clientMu.Unlock()
		c, err := scanClient(conn.QueryRow(ctx, s.csql.one, id))
		found := err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
		if err != nil {
			return err
		}
		s.clientMu.Lock()
		if s.clientGen == gen {
			s.setClient(id, c, found && s.usable(c))
			s.clientMu.Unlock()
			return nil
		}
		s.clientMu.Unlock()
	}
}

// setClient installs c under id (or removes id when !present) in a new
// copy of the clients and bumps ClientsVersion. The caller holds clientMu.
func (s *Store) setClient(id string, c store.Client, present bool) {
	m := maps.Clone(*s.clients.Load())
	if present {
		m[id] = c
	} else {
		delete(m, id)
	}
	s.clients.Store(&m)
	s.clientGen++
	s.clientsVersion.Add(1)
}

// Client implements [store.ClientStore]. It answers from memory
// while the store is up to date (see [Options.StaleAfter]), else asks the
// database.
func (s *Store) Client(ctx context.Context, id string) (store.Client, bool, error) {
	if err := s.begin(ctx); err != nil {
		return store.Client{}, false, err
	}
	return s.client(ctx, id)
}

// Clients implements [store.ClientStore].
func (s *Store) Clients(ctx context.Context) ([]store.Client, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	return s.allClients(ctx)
}

// PutClient implements [store.ClientStore]. The database keeps
// Created and sets Updated.
func (s *Store) PutClient(ctx context.Context, c store.Client) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return s.putClient(ctx, c)
}

// RemoveClient implements [store.ClientStore].
func (s *Store) RemoveClient(ctx context.Context, id string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return s.removeClient(ctx, id)
}

// client, allClients, putClient and removeClient are the client
// operations, after the caller checked its own handle (a Store, or a
// Clients sharing it).
func (s *Store) client(ctx context.Context, id string) (store.Client, bool, error) {
	if s.fresh() {
		c, ok := (*s.clients.Load())[id]
		return c.Clone(), ok, nil
	}
	var c store.Client
	found := false
	err := s.do(ctx, "client", func(ctx context.Context) error {
		var err error
		c, err = scanClient(s.pool.QueryRow(ctx, s.csql.one, id))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			found = false
			return nil
		case err != nil:
			return err
		}
		found = s.usable(c)
		return nil
	})
	if err != nil || !found {
		return store.Client{}, false, err
	}
	return c, true, nil
}

func (s *Store) allClients(ctx context.Context) ([]store.Client, error) {
	m := *s.clients.Load()
	if !s.fresh() {
		m = clientState{}
		err := s.do(ctx, "clients", func(ctx context.Context) error {
			rows, err := s.pool.Query(ctx, s.csql.load)
			if err != nil {
				return err
			}
			clear(m)
			for rows.Next() {
				c, err := scanClient(rows)
				if err != nil {
					rows.Close()
					return err
				}
				if s.usable(c) {
					m[c.ID] = c
				}
			}
			return rows.Err()
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]store.Client, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id].Clone())
	}
	return out, nil
}

func (s *Store) putClient(ctx context.Context, c store.Client) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c = c.Clone()
	nonNil := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	err := s.do(ctx, "put client", func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, s.csql.put, c.ID, c.SecretHash, nonNil(c.Audience), c.Subject, nonNil(c.Scope),
			nonNil(c.Permissions), nonNil(c.Roles), nonNil(c.Groups), c.Disabled).Scan(&c.Created, &c.Updated)
	})
	if err != nil {
		return writeError(err)
	}
	s.clientMu.Lock()
	s.setClient(c.ID, c, true)
	s.clientMu.Unlock()
	return nil
}

func (s *Store) removeClient(ctx context.Context, id string) error {
	var n int64
	err := s.do(ctx, "remove client", func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, s.csql.remove, id)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return writeError(err)
	}
	if n == 0 {
		return store.ErrClientNotFound
	}
	s.clientMu.Lock()
	s.setClient(id, store.Client{}, false)
	s.clientMu.Unlock()
	return nil
}

// writeError adds [ErrReadOnly] to a write refused for lack of privilege.
func writeError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	return err
}

// ClientsVersion implements [store.ClientStore]: it changes on every
// client write through this store, on every client change notified by the
// database, and after every reconnection.
func (s *Store) ClientsVersion() uint64 { return s.clientsVersion.Load() }
