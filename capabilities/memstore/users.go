package memstore

import (
	"context"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
)

// Store is a [store.Store] held in memory, for tests and for apps that
// configure capabilities only through overrides. Its zero value is not
// usable; call [New].
type Store struct{ core *storecore.Users }

// New returns an empty store whose names are checked against g.
func New(g *capabilities.Graph) *Store {
	return &Store{core: storecore.NewUsers(g, nil)}
}

// Get implements [store.Store].
func (m *Store) Get(ctx context.Context, email string) ([]string, error) {
	return m.core.Get(ctx, email)
}

// Set implements [store.Store].
func (m *Store) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return m.core.Set(ctx, email, caps)
}

// Add implements [store.Store].
func (m *Store) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return m.core.Add(ctx, email, caps...)
}

// Remove implements [store.Store].
func (m *Store) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return m.core.Remove(ctx, email, caps...)
}

// Update implements [store.Store]: fn runs under the store's lock.
func (m *Store) Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error) {
	return m.core.Update(ctx, email, fn)
}

// List implements [store.Store].
func (m *Store) List(ctx context.Context) (map[string][]string, error) {
	return m.core.List(ctx)
}

// Version implements [store.Store].
func (m *Store) Version() uint64 { return m.core.Version() }

// Close implements [store.Store]; later calls fail with [store.ErrClosed].
func (m *Store) Close() error {
	m.core.Close()
	return nil
}
