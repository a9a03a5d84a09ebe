package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
)

// revocations is the in-memory copy of the live revocations, which
// Revoked reads without a lock. Entries are only ever added or extended
// (every change is a maximum), so notifications may be applied in any
// order; a reload replaces the whole value.
type revocations struct {
	ids      sync.Map // token id → until, unix µs
	subjects sync.Map // normalized subject → revoked before, unix µs
	nsubj    atomic.Int64
}

// raise sets m[key] to v unless it already holds a later time, and
// reports whether the key is new.
func raise(m *sync.Map, key string, v int64) bool {
	for {
		old, loaded := m.LoadOrStore(key, v)
		if !loaded {
			return true
		}
		if old.(int64) >= v || m.CompareAndSwap(key, old, v) {
			return false
		}
	}
}

// addID records the revocation of id until the time until (unix µs),
// unless that time has already passed at now.
func (r *revocations) addID(id string, until int64, now time.Time) {
	if until >= now.UnixMicro() {
		raise(&r.ids, id, until)
	}
}

func (r *revocations) addSubject(subject string, before int64) {
	if raise(&r.subjects, subject, before) {
		r.nsubj.Add(1)
	}
}

// prune drops the token ids whose time has passed.
func (r *revocations) prune(now time.Time) {
	limit := now.UnixMicro()
	r.ids.Range(func(k, v any) bool {
		if v.(int64) < limit {
			r.ids.CompareAndDelete(k, v)
		}
		return true
	})
}

// tokenText checks a token id, subject or grant for storage: PostgreSQL
// text is valid UTF-8 without NUL bytes.
func tokenText(what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("pgstore: %s %q is not valid UTF-8", what, s)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("pgstore: %s %q holds a NUL byte", what, s)
	}
	return nil
}

// Revoke implements [store.TokenStore].
func (s *Store) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := storecore.CheckTokenID(id); err != nil {
		return err
	}
	if err := tokenText("token id", id); err != nil {
		return err
	}
	until = until.UTC().Truncate(time.Microsecond)
	if err := s.do(ctx, "revoke", func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, s.sql.revoke, id, until)
		return err
	}); err != nil {
		return err
	}
	s.revs.Load().addID(id, until.UnixMicro(), s.now())
	s.version.Add(1)
	return nil
}

// RevokeSubject implements [store.TokenStore].
func (s *Store) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	key, err := storecore.SubjectKey(subject)
	if err != nil {
		return err
	}
	if err := tokenText("subject", key); err != nil {
		return err
	}
	// The database moves the cutoff at least a second past the previous
	// one, which tokens may carry (run twice by a retry, it moves it once
	// more: that only revokes more).
	before = storecore.SubjectCutoff(before)
	var cutoff time.Time
	if err := s.do(ctx, "revoke subject", func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, s.sql.revokeSubject, key, before).Scan(&cutoff)
	}); err != nil {
		return err
	}
	s.revs.Load().addSubject(key, cutoff.UnixMicro())
	s.version.Add(1)
	return nil
}

// Revoked implements [store.TokenStore]. It answers from memory,
// without a lock. While the database is unreachable it knows only the
// revocations made before, and those made through this store.
func (s *Store) Revoked(id, subject string, issuedAt time.Time) bool {
	r := s.revs.Load()
	if id != "" {
		if _, ok := r.ids.Load(id); ok {
			return true
		}
	}
	if subject == "" || r.nsubj.Load() == 0 {
		return false
	}
	before, ok := r.subjects.Load(capabilities.NormalizeEmail(subject))
	return ok && issuedAt.Truncate(time.Second).UnixMicro() < before.(int64)
}

// PutGrant implements [store.TokenStore].
func (s *Store) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := storecore.CheckTokenID(id); err != nil {
		return err
	}
	if err := tokenText("token id", id); err != nil {
		return err
	}
	if err := tokenText("grant", sealed); err != nil {
		return err
	}
	return s.do(ctx, "put grant", func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, s.sql.putGrant, id, sealed, until.UTC())
		return err
	})
}

// Grant implements [store.TokenStore]. It asks the database (grants
// are read when a token is re-checked, not on every request).
func (s *Store) Grant(ctx context.Context, id string) (string, bool, error) {
	if err := s.begin(ctx); err != nil {
		return "", false, err
	}
	if storecore.CheckTokenID(id) != nil || tokenText("token id", id) != nil {
		return "", false, nil // such an id cannot have been stored
	}
	var sealed string
	found := true
	err := s.do(ctx, "grant", func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, s.sql.grant, id, s.now().UTC()).Scan(&sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		return "", false, err
	}
	return sealed, found, nil
}

// loadRevocations reads every live revocation through conn.
func (s *Store) loadRevocations(ctx context.Context, conn *pgx.Conn) (*revocations, error) {
	r := new(revocations)
	var key string
	var t time.Time
	rows, err := conn.Query(ctx, s.sql.loadRevoked, s.now().UTC())
	if err != nil {
		return nil, err
	}
	if _, err := pgx.ForEachRow(rows, []any{&key, &t}, func() error {
		r.addID(key, t.UnixMicro(), time.Time{})
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err = conn.Query(ctx, s.sql.loadSubjects)
	if err != nil {
		return nil, err
	}
	if _, err := pgx.ForEachRow(rows, []any{&key, &t}, func() error {
		r.addSubject(key, t.UnixMicro())
		return nil
	}); err != nil {
		return nil, err
	}
	return r, nil
}
