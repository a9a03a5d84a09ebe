package memstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// TokenStore is a [store.TokenStore] held in memory: revocations end
// with the process. Use filestore.OpenTokenStore to keep them.
type TokenStore struct {
	mu      sync.Mutex // serialises writes
	state   atomic.Pointer[storecore.TokenState]
	version atomic.Uint64
	closed  atomic.Bool
	now     func() time.Time
}

// NewTokenStore returns an empty token store.
func NewTokenStore() *TokenStore {
	m := &TokenStore{now: time.Now}
	m.state.Store(storecore.NewTokenState())
	return m
}

func (m *TokenStore) apply(ctx context.Context, change storecore.TokenChange) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed.Load() {
		return store.ErrClosed
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := m.state.Load().Clone()
	next.Prune(m.now())
	change(next)
	m.state.Store(next)
	m.version.Add(1)
	return nil
}

// Revoke implements [store.TokenStore].
func (m *TokenStore) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := storecore.CheckTokenID(id); err != nil {
		return err
	}
	return m.apply(ctx, storecore.RevokeChange(id, until))
}

// RevokeSubject implements [store.TokenStore].
func (m *TokenStore) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	if capabilities.NormalizeEmail(subject) == "" {
		return storecore.ErrEmptySubject
	}
	return m.apply(ctx, storecore.RevokeSubjectChange(subject, before))
}

// Revoked implements [store.TokenStore].
func (m *TokenStore) Revoked(id, subject string, issuedAt time.Time) bool {
	return m.state.Load().IsRevoked(id, subject, issuedAt)
}

// PutGrant implements [store.TokenStore].
func (m *TokenStore) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	if err := storecore.CheckTokenID(id); err != nil {
		return err
	}
	return m.apply(ctx, storecore.PutGrantChange(id, sealed, until))
}

// Grant implements [store.TokenStore].
func (m *TokenStore) Grant(ctx context.Context, id string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if m.closed.Load() {
		return "", false, store.ErrClosed
	}
	g, ok := m.state.Load().Grants[id]
	if !ok || g.Until.Before(m.now()) {
		return "", false, nil
	}
	return g.Sealed, true, nil
}

// Version implements [store.TokenStore].
func (m *TokenStore) Version() uint64 { return m.version.Load() }

// Close implements [store.TokenStore]; later writes fail with [store.ErrClosed].
func (m *TokenStore) Close() error {
	m.closed.Store(true)
	return nil
}
