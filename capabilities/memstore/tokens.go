package memstore

import (
	"context"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
)

// TokenStore is a [store.TokenStore] held in memory: revocations end
// with the process. Use filestore.OpenTokenStore to keep them.
type TokenStore struct{ core *storecore.Tokens }

// NewTokenStore returns an empty token store.
func NewTokenStore() *TokenStore {
	return &TokenStore{core: storecore.NewTokens(nil, nil)}
}

// Revoke implements [store.TokenStore].
func (m *TokenStore) Revoke(ctx context.Context, id string, until time.Time) error {
	return m.core.Revoke(ctx, id, until)
}

// RevokeSubject implements [store.TokenStore].
func (m *TokenStore) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	return m.core.RevokeSubject(ctx, subject, before)
}

// Revoked implements [store.TokenStore].
func (m *TokenStore) Revoked(id, subject string, issuedAt time.Time) bool {
	return m.core.Revoked(id, subject, issuedAt)
}

// PutGrant implements [store.TokenStore].
func (m *TokenStore) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	return m.core.PutGrant(ctx, id, sealed, until)
}

// Grant implements [store.TokenStore].
func (m *TokenStore) Grant(ctx context.Context, id string) (string, bool, error) {
	return m.core.Grant(ctx, id)
}

// Version implements [store.TokenStore].
func (m *TokenStore) Version() uint64 { return m.core.Version() }

// Close implements [store.TokenStore]; later writes fail with [store.ErrClosed].
func (m *TokenStore) Close() error {
	m.core.Close()
	return nil
}
