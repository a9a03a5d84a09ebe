package capabilities

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// TokenStore keeps the state of bearer tokens and sessions that their sealed
// form cannot carry: revocations, and the latest identity-provider grant of
// a user token (its refresh token, sealed by the caller). Ids are opaque
// strings; subjects are emails or name@service, compared as
// [NormalizeEmail] does. Entries are dropped once their until time has
// passed (on the next write). Implementations are safe for concurrent use.
type TokenStore interface {
	// Revoke revokes one token or session id, remembered until its expiry.
	Revoke(ctx context.Context, id string, until time.Time) error
	// RevokeSubject revokes every token and session of subject issued
	// before the time before, and every one issued so far: issue times
	// are kept to the second, so the subject's cutoff moves past before's
	// second and at least one second past its previous cutoff. Issuers give
	// a new token the first second the cutoff does not cover (the next
	// second, right after a revocation), so the next revocation covers it
	// even within the same second.
	RevokeSubject(ctx context.Context, subject string, before time.Time) error
	// Revoked reports whether the token id of subject, issued at issuedAt,
	// is revoked: id is, or issuedAt's second is before the subject's
	// cutoff. It answers from memory, fast.
	Revoked(id, subject string, issuedAt time.Time) bool
	// PutGrant keeps sealed (an identity-provider grant, already encrypted
	// by the caller) for the token id until the time until.
	PutGrant(ctx context.Context, id string, sealed string, until time.Time) error
	// Grant returns the grant last put for id.
	Grant(ctx context.Context, id string) (sealed string, ok bool, err error)
	// Version is a cheap counter that changes whenever a revocation may
	// have been added, by this process or another one.
	Version() uint64
	// Close releases the store's resources.
	Close() error
}

// tokenGrant is one kept grant.
type tokenGrant struct {
	Sealed string    `yaml:"sealed"`
	Until  time.Time `yaml:"until"`
}

// tokenState is the data of a token store. It is copied on write, so that
// readers holding an old state never see a change.
type tokenState struct {
	revoked  map[string]time.Time // id → until
	subjects map[string]time.Time // normalized subject → revoke before
	grants   map[string]tokenGrant
}

func newTokenState() *tokenState {
	return &tokenState{revoked: map[string]time.Time{}, subjects: map[string]time.Time{}, grants: map[string]tokenGrant{}}
}

func (s *tokenState) clone() *tokenState {
	return &tokenState{revoked: maps.Clone(s.revoked), subjects: maps.Clone(s.subjects), grants: maps.Clone(s.grants)}
}

// prune drops the entries whose time has passed.
func (s *tokenState) prune(now time.Time) {
	maps.DeleteFunc(s.revoked, func(_ string, until time.Time) bool { return until.Before(now) })
	maps.DeleteFunc(s.grants, func(_ string, g tokenGrant) bool { return g.Until.Before(now) })
}

func (s *tokenState) isRevoked(id, subject string, issuedAt time.Time) bool {
	if id != "" {
		if _, ok := s.revoked[id]; ok {
			return true
		}
	}
	if len(s.subjects) == 0 || subject == "" {
		return false
	}
	before, ok := s.subjects[NormalizeEmail(subject)]
	return ok && issuedAt.Truncate(time.Second).Before(before)
}

// tokenChange is one write to a token store.
type tokenChange func(*tokenState)

func revokeChange(id string, until time.Time) tokenChange {
	return func(s *tokenState) {
		if cur, ok := s.revoked[id]; !ok || until.After(cur) {
			s.revoked[id] = until.UTC()
		}
	}
}

func revokeSubjectChange(subject string, before time.Time) tokenChange {
	key := NormalizeEmail(subject)
	// Issue times are kept to the second: a token issued in the second of
	// the revocation is revoked too.
	before = before.Truncate(time.Second).Add(time.Second).UTC()
	return func(s *tokenState) {
		if cur, ok := s.subjects[key]; ok && !cur.Before(before) {
			// Tokens may have been issued at cur since it was set.
			before = cur.Add(time.Second)
		}
		s.subjects[key] = before
	}
}

func putGrantChange(id, sealed string, until time.Time) tokenChange {
	return func(s *tokenState) { s.grants[id] = tokenGrant{Sealed: sealed, Until: until.UTC()} }
}

var (
	errEmptyTokenID = errors.New("capabilities: empty token id")
	errEmptySubject = errors.New("capabilities: empty subject")
)

func checkTokenID(id string) error {
	if id == "" {
		return errEmptyTokenID
	}
	return nil
}

// MemoryTokenStore is a [TokenStore] held in memory: revocations end with
// the process. Use [OpenFileTokenStore] to keep them.
type MemoryTokenStore struct {
	mu      sync.Mutex // serialises writes
	state   atomic.Pointer[tokenState]
	version atomic.Uint64
	closed  atomic.Bool
	now     func() time.Time
}

// NewMemoryTokenStore returns an empty token store.
func NewMemoryTokenStore() *MemoryTokenStore {
	m := &MemoryTokenStore{now: time.Now}
	m.state.Store(newTokenState())
	return m
}

func (m *MemoryTokenStore) apply(ctx context.Context, change tokenChange) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed.Load() {
		return ErrClosed
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := m.state.Load().clone()
	next.prune(m.now())
	change(next)
	m.state.Store(next)
	m.version.Add(1)
	return nil
}

// Revoke implements [TokenStore].
func (m *MemoryTokenStore) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := checkTokenID(id); err != nil {
		return err
	}
	return m.apply(ctx, revokeChange(id, until))
}

// RevokeSubject implements [TokenStore].
func (m *MemoryTokenStore) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	if NormalizeEmail(subject) == "" {
		return errEmptySubject
	}
	return m.apply(ctx, revokeSubjectChange(subject, before))
}

// Revoked implements [TokenStore].
func (m *MemoryTokenStore) Revoked(id, subject string, issuedAt time.Time) bool {
	return m.state.Load().isRevoked(id, subject, issuedAt)
}

// PutGrant implements [TokenStore].
func (m *MemoryTokenStore) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	if err := checkTokenID(id); err != nil {
		return err
	}
	return m.apply(ctx, putGrantChange(id, sealed, until))
}

// Grant implements [TokenStore].
func (m *MemoryTokenStore) Grant(ctx context.Context, id string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if m.closed.Load() {
		return "", false, ErrClosed
	}
	g, ok := m.state.Load().grants[id]
	if !ok || g.Until.Before(m.now()) {
		return "", false, nil
	}
	return g.Sealed, true, nil
}

// Version implements [TokenStore].
func (m *MemoryTokenStore) Version() uint64 { return m.version.Load() }

// Close implements [TokenStore]; later writes fail with [ErrClosed].
func (m *MemoryTokenStore) Close() error {
	m.closed.Store(true)
	return nil
}
