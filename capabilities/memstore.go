package capabilities

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// MemoryStore is a [Store] held in memory, for tests and for apps that
// configure capabilities only through overrides. Its zero value is not
// usable; call [NewMemoryStore].
type MemoryStore struct {
	graph   *Graph
	mu      sync.RWMutex
	users   map[string][]string
	closed  bool
	version atomic.Uint64
}

// NewMemoryStore returns an empty store whose names are checked against g.
func NewMemoryStore(g *Graph) *MemoryStore {
	return &MemoryStore{graph: g, users: make(map[string][]string)}
}

// Get implements [Store].
func (m *MemoryStore) Get(ctx context.Context, email string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	caps, ok := m.users[NormalizeEmail(email)]
	if !ok {
		return nil, nil
	}
	return slices.Clone(caps), nil
}

// Set implements [Store].
func (m *MemoryStore) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return m.write(ctx, email, caps, setUpdate)
}

// Add implements [Store].
func (m *MemoryStore) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return m.write(ctx, email, caps, addUpdate)
}

// Remove implements [Store].
func (m *MemoryStore) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return m.write(ctx, email, caps, removeUpdate)
}

// Update implements [Store]: fn runs under the store's lock.
func (m *MemoryStore) Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error) {
	key, err := storeKey(email)
	if err != nil {
		return nil, err
	}
	return m.update(ctx, key, fn)
}

func (m *MemoryStore) write(ctx context.Context, email string, caps []string, mk func([]string) update) ([]string, error) {
	key, apply, err := prepare(m.graph, email, caps, mk)
	if err != nil {
		return nil, err
	}
	return m.update(ctx, key, apply)
}

func (m *MemoryStore) update(ctx context.Context, key string, apply update) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	cur, stored := m.users[key]
	next, changed, err := nextList(m.graph, key, cur, stored, apply)
	if err != nil {
		return nil, err
	}
	if changed {
		m.users[key] = next
		m.version.Add(1)
	}
	return slices.Clone(next), nil
}

// List implements [Store].
func (m *MemoryStore) List(ctx context.Context) (map[string][]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	out := make(map[string][]string, len(m.users))
	for k, v := range m.users {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// Version implements [Store].
func (m *MemoryStore) Version() uint64 { return m.version.Load() }

// Close implements [Store]; later calls fail with [ErrClosed].
func (m *MemoryStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.users = nil
	return nil
}
