package storecore

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Clients is a [store.ClientStore] over a [Backend]: every write is
// checked here and applied to a copy of the clients, made last by the
// backend, then installed; reads take no lock.
type Clients struct {
	backend Backend[map[string]store.Client]
	now     func() time.Time
	clients atomic.Pointer[map[string]store.Client]
	version atomic.Uint64
	closed  atomic.Bool
}

// NewClients returns an empty store committing through b (nil: in memory
// only), whose clock (nil: time.Now) stamps Created and Updated.
func NewClients(b Backend[map[string]store.Client], now func() time.Time) *Clients {
	if b == nil {
		b = new(memory[map[string]store.Client])
	}
	if now == nil {
		now = time.Now
	}
	c := &Clients{backend: b, now: now}
	c.clients.Store(&map[string]store.Client{})
	return c
}

// Replace makes m the store's clients, as read from its file; the store
// owns m from then on. The caller holds the backend's lock, or is opening
// the store.
func (s *Clients) Replace(m map[string]store.Client) {
	s.clients.Store(&m)
	s.version.Add(1)
}

// Client implements [store.ClientStore].
func (s *Clients) Client(ctx context.Context, id string) (store.Client, bool, error) {
	if s.closed.Load() {
		return store.Client{}, false, store.ErrClosed
	}
	c, ok := (*s.clients.Load())[id]
	return c.Clone(), ok, nil
}

// Clients implements [store.ClientStore].
func (s *Clients) Clients(ctx context.Context) ([]store.Client, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	return SortedClients(*s.clients.Load()), nil
}

// SortedClients returns copies of the clients of m, sorted by id.
func SortedClients(m map[string]store.Client) []store.Client {
	out := make([]store.Client, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id].Clone())
	}
	return out
}

// PutClient implements [store.ClientStore]: a client that
// [store.Client.Validate] refuses writes nothing; Created is kept when the
// stored client has one, and else set with Updated.
func (s *Clients) PutClient(ctx context.Context, c store.Client) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c = c.Clone()
	return s.apply(ctx, func(m map[string]store.Client) error {
		now := s.now().UTC()
		c.Created, c.Updated = now, now
		if old, ok := m[c.ID]; ok && !old.Created.IsZero() {
			c.Created = old.Created
		}
		m[c.ID] = c
		return nil
	})
}

// RemoveClient implements [store.ClientStore].
func (s *Clients) RemoveClient(ctx context.Context, id string) error {
	return s.apply(ctx, func(m map[string]store.Client) error {
		if _, ok := m[id]; !ok {
			return store.ErrClientNotFound
		}
		delete(m, id)
		return nil
	})
}

// Version is the store's ClientsVersion.
func (s *Clients) Version() uint64 { return s.version.Load() }

// Close makes later calls fail with [store.ErrClosed]; a commit under way
// ends first.
func (s *Clients) Close() {
	s.backend.Lock()
	defer s.backend.Unlock()
	s.closed.Store(true)
}

// apply commits change, applied to a copy of the newest clients.
func (s *Clients) apply(ctx context.Context, change func(map[string]store.Client) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.backend.Lock()
	defer s.backend.Unlock()
	if s.closed.Load() {
		return store.ErrClosed
	}
	end, err := s.backend.Begin()
	if err != nil {
		return err
	}
	defer end()
	next := maps.Clone(*s.clients.Load())
	if next == nil {
		next = map[string]store.Client{}
	}
	if err := change(next); err != nil {
		return err
	}
	if err := s.backend.Commit(next); err != nil {
		return err
	}
	s.Replace(next)
	return nil
}
