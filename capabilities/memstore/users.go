package memstore

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Store is a [store.Store] held in memory, for tests and for apps that
// configure capabilities only through overrides. Its zero value is not
// usable; call [New].
type Store struct {
	graph   *capabilities.Graph
	mu      sync.RWMutex
	users   map[string][]string
	closed  bool
	version atomic.Uint64
}

// New returns an empty store whose names are checked against g.
func New(g *capabilities.Graph) *Store {
	return &Store{graph: g, users: make(map[string][]string)}
}

// Get implements [store.Store].
func (m *Store) Get(ctx context.Context, email string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, store.ErrClosed
	}
	caps, ok := m.users[capabilities.NormalizeEmail(email)]
	if !ok {
		return nil, nil
	}
	return slices.Clone(caps), nil
}

// Set implements [store.Store].
func (m *Store) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return m.write(ctx, email, caps, storecore.SetUpdate)
}

// Add implements [store.Store].
func (m *Store) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return m.write(ctx, email, caps, storecore.AddUpdate)
}

// Remove implements [store.Store].
func (m *Store) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return m.write(ctx, email, caps, storecore.RemoveUpdate)
}

// Update implements [store.Store]: fn runs under the store's lock.
func (m *Store) Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error) {
	key, err := storecore.Key(email)
	if err != nil {
		return nil, err
	}
	return m.update(ctx, key, fn)
}

func (m *Store) write(ctx context.Context, email string, caps []string, mk func([]string) storecore.Update) ([]string, error) {
	key, apply, err := storecore.Prepare(m.graph, email, caps, mk)
	if err != nil {
		return nil, err
	}
	return m.update(ctx, key, apply)
}

func (m *Store) update(ctx context.Context, key string, apply storecore.Update) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, store.ErrClosed
	}
	cur, stored := m.users[key]
	next, changed, err := storecore.NextList(m.graph, key, cur, stored, apply)
	if err != nil {
		return nil, err
	}
	if changed {
		m.users[key] = next
		m.version.Add(1)
	}
	return slices.Clone(next), nil
}

// List implements [store.Store].
func (m *Store) List(ctx context.Context) (map[string][]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, store.ErrClosed
	}
	out := make(map[string][]string, len(m.users))
	for k, v := range m.users {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// Version implements [store.Store].
func (m *Store) Version() uint64 { return m.version.Load() }

// Close implements [store.Store]; later calls fail with [store.ErrClosed].
func (m *Store) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.users = nil
	return nil
}
