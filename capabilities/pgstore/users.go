package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
)

// queries are the statements of one schema. A change of a user's list is
// one transaction that locks the user's row (SELECT ... FOR UPDATE, or an
// INSERT for a user without one), so changes to one user from any number
// of replicas are serialised by the database and each sees the one before;
// the triggers send the notifications in the same transaction.
type queries struct {
	get, lock, insert, update, list            string
	revoke, revokeSubject, putGrant, grant     string
	loadRevoked, loadSubjects, pruneTokens     string
	importTable, importUpsert, importDeleteNot string
}

func newQueries(schema string) queries {
	q := queries{
		get:    `SELECT capabilities FROM S.users WHERE email = $1`,
		lock:   `SELECT capabilities FROM S.users WHERE email = $1 FOR UPDATE`,
		insert: `INSERT INTO S.users (email, capabilities) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING`,
		update: `UPDATE S.users SET capabilities = $2, updated_at = now() WHERE email = $1`,
		list:   `SELECT email, capabilities FROM S.users`,

		revoke: `INSERT INTO S.revoked_tokens AS r (id, until) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET until = EXCLUDED.until WHERE EXCLUDED.until > r.until`,
		revokeSubject: `INSERT INTO S.revoked_subjects AS r (subject, before) VALUES ($1, $2)
			ON CONFLICT (subject) DO UPDATE SET before = greatest(EXCLUDED.before, r.before + interval '1 second')
			RETURNING before`,
		putGrant: `INSERT INTO S.grants (id, sealed, until) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, until = EXCLUDED.until`,
		grant:        `SELECT sealed FROM S.grants WHERE id = $1 AND until >= $2`,
		loadRevoked:  `SELECT id, until FROM S.revoked_tokens WHERE until >= $1`,
		loadSubjects: `SELECT subject, before FROM S.revoked_subjects`,
		pruneTokens: `WITH r AS (DELETE FROM S.revoked_tokens WHERE until < $1)
			DELETE FROM S.grants WHERE until < $1`,

		importTable: `CREATE TEMPORARY TABLE oauthgate_import (email text PRIMARY KEY, capabilities text[] NOT NULL) ON COMMIT DROP`,
		importUpsert: `INSERT INTO S.users AS u (email, capabilities) SELECT email, capabilities FROM oauthgate_import
			ON CONFLICT (email) DO UPDATE SET capabilities = EXCLUDED.capabilities, updated_at = now()
			WHERE u.capabilities IS DISTINCT FROM EXCLUDED.capabilities`,
		importDeleteNot: `DELETE FROM S.users WHERE email NOT IN (SELECT email FROM oauthgate_import)`,
	}
	for _, p := range []*string{&q.get, &q.lock, &q.insert, &q.update, &q.list, &q.revoke, &q.revokeSubject,
		&q.putGrant, &q.grant, &q.loadRevoked, &q.loadSubjects, &q.pruneTokens, &q.importUpsert, &q.importDeleteNot} {
		*p = sqlFor(schema, *p)
	}
	return q
}

// clean returns what a row holds as the Store contract wants it: sorted,
// without duplicates, never nil. Names the graph does not know (written by
// hand, or by a replica with another graph) are dropped and logged: a
// user never gains a capability from a name nobody defined.
func (s *Store) clean(email string, caps []string) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		if _, ok := s.graph.Lookup(c); ok {
			out = append(out, c)
		} else {
			s.log.Warn("pgstore: ignoring a stored capability the graph does not define", "email", email, "capability", c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Get implements [store.Store]. It answers from the cache when it
// can; while the database is unreachable, cached answers are served for
// [Options.StaleAfter].
func (s *Store) Get(ctx context.Context, email string) ([]string, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	key, err := storecore.Key(email) // the rule of every store; it refuses NUL, which text cannot hold
	if err != nil {
		return nil, nil // such a user cannot have been stored
	}
	var cached cachedUser
	var hit bool
	if s.cache != nil {
		if cached, hit = s.cache.get(key); hit && s.fresh() {
			return cached.result(), nil
		}
	}
	var gen uint64
	if s.cache != nil {
		gen = s.cache.generation()
	}
	listening := s.listening.Load()
	var u cachedUser
	err = s.do(ctx, "get", func(ctx context.Context) error {
		var caps []string
		err := s.pool.QueryRow(ctx, s.sql.get, key).Scan(&caps)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			u = cachedUser{}
			return nil
		case err != nil:
			return err
		}
		u = cachedUser{caps: s.clean(key, caps), stored: true}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Without the listening connection, a cached entry could miss a change.
	if s.cache != nil && listening {
		s.cache.fill(key, u, gen)
	}
	return u.result(), nil
}

// result is a cached user as Get returns it: nil for a user without a row.
func (u cachedUser) result() []string {
	if !u.stored {
		return nil
	}
	return append(make([]string, 0, len(u.caps)), u.caps...)
}

// Set implements [store.Store].
func (s *Store) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return s.write(ctx, "set", email, caps, storecore.SetUpdate)
}

// Add implements [store.Store].
func (s *Store) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.write(ctx, "add", email, caps, storecore.AddUpdate)
}

// Remove implements [store.Store].
func (s *Store) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.write(ctx, "remove", email, caps, storecore.RemoveUpdate)
}

// write checks email and caps, then runs the update that mk makes of the
// checked caps.
func (s *Store) write(ctx context.Context, op, email string, caps []string, mk func(checked []string) storecore.Update) ([]string, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	key, apply, err := storecore.Prepare(s.graph, email, caps, mk)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, op, key, apply)
}

// Update implements [store.Store]. fn runs inside a transaction
// that holds the lock on the user's row, on the list read from the
// database then (never on the cache). Names in the row that this store's
// graph does not define (written by a replica with a larger graph) are
// kept as they are: fn neither sees nor removes them. When the connection
// is lost during the commit, whether it took effect is unknown and the
// transaction runs again: fn then sees its own result, so a write should
// be one that may be applied twice (Set, Add and Remove are).
func (s *Store) Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	key, err := storecore.Key(email)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, "update", key, fn)
}

// maxInsertRaces bounds how often a user's row may appear or vanish
// between one update's lock attempt and its insert.
const maxInsertRaces = 8

func (s *Store) update(ctx context.Context, op, key string, fn storecore.Update) ([]string, error) {
	var (
		out   []string
		wrote bool
		// fnErr is fn's error, the check of its result, or a failure
		// that a retry cannot help: returned as is, not retried by do.
		fnErr error
	)
	err := s.do(ctx, op, func(ctx context.Context) error {
		out, wrote, fnErr = nil, false, nil
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		for range maxInsertRaces {
			var raw []string
			stored := true
			switch err := tx.QueryRow(ctx, s.sql.lock, key).Scan(&raw); {
			case errors.Is(err, pgx.ErrNoRows):
				stored = false
			case err != nil:
				return err
			}
			var cur []string
			if stored {
				cur = s.clean(key, raw)
			}
			next, changed, err := storecore.NextList(s.graph, key, cur, stored, fn)
			switch {
			case err != nil:
				fnErr = err
				return nil // rolled back: nothing was written
			case !changed:
				out = cur
				return tx.Commit(ctx)
			case stored:
				if _, err := tx.Exec(ctx, s.sql.update, key, s.withUnknown(next, raw)); err != nil {
					return err
				}
			default:
				tag, err := tx.Exec(ctx, s.sql.insert, key, next)
				if err != nil {
					return err
				}
				if tag.RowsAffected() == 0 {
					continue // inserted meanwhile by another: lock it and start over
				}
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			out, wrote = next, true
			return nil
		}
		fnErr = fmt.Errorf("pgstore: %s: the row of %q appeared and vanished %d times", op, key, maxInsertRaces)
		return nil
	})
	switch {
	case fnErr != nil:
		return nil, fnErr
	case err != nil:
		return nil, err
	}
	if wrote {
		// The notification will say so too; dropping the entry now makes
		// this replica read its own write at once.
		if s.cache != nil {
			s.cache.invalidate(key)
		}
		s.version.Add(1)
	}
	return out, nil
}

// withUnknown returns next plus the names in raw (a row as stored) that
// the graph does not define, sorted.
func (s *Store) withUnknown(next, raw []string) []string {
	out := next
	for _, c := range raw {
		if _, ok := s.graph.Lookup(c); !ok {
			if len(out) == len(next) {
				out = slices.Clone(next)
			}
			out = append(out, c)
		}
	}
	if len(out) > len(next) {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

// List implements [store.Store]. It always asks the database.
func (s *Store) List(ctx context.Context) (map[string][]string, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	var users map[string][]string
	err := s.do(ctx, "list", func(ctx context.Context) error {
		users = make(map[string][]string)
		rows, err := s.pool.Query(ctx, s.sql.list)
		if err != nil {
			return err
		}
		var email string
		var caps []string
		_, err = pgx.ForEachRow(rows, []any{&email, &caps}, func() error {
			users[email] = s.clean(email, caps)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// Import writes users (emails to capabilities, as in a user file) in one
// transaction: each listed user gets exactly the listed capabilities and,
// with replace, every user not listed is deleted. Everything is checked
// against the graph before anything is written. It returns the number of
// users whose row changed.
func (s *Store) Import(ctx context.Context, users map[string][]string, replace bool) (int, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	rows := make([][]any, 0, len(users))
	seen := make(map[string]string, len(users))
	for _, email := range slices.Sorted(maps.Keys(users)) {
		key, err := storecore.Key(email)
		if err != nil {
			return 0, err
		}
		if other, dup := seen[key]; dup {
			return 0, fmt.Errorf("pgstore: import: %q and %q are the same user", other, email)
		}
		seen[key] = email
		caps, err := storecore.CheckCaps(s.graph, key, users[email])
		if err != nil {
			return 0, err
		}
		rows = append(rows, []any{key, caps})
	}
	var changed int64
	err := s.do(ctx, "import", func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			changed = 0
			if _, err := tx.Exec(ctx, s.sql.importTable); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"oauthgate_import"}, []string{"email", "capabilities"}, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			if replace {
				tag, err := tx.Exec(ctx, s.sql.importDeleteNot)
				if err != nil {
					return err
				}
				changed += tag.RowsAffected()
			}
			tag, err := tx.Exec(ctx, s.sql.importUpsert)
			if err != nil {
				return err
			}
			changed += tag.RowsAffected()
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	if s.cache != nil {
		s.cache.clear()
	}
	s.version.Add(1)
	return int(changed), nil
}
