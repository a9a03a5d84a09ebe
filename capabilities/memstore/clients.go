package memstore

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/store"
)

// ClientStore is a [store.ClientStore] held in memory. Its zero value is
// not usable; call [NewClientStore].
type ClientStore struct {
	mu      sync.RWMutex
	clients map[string]store.Client
	closed  bool
	version atomic.Uint64
	now     func() time.Time
}

// NewClientStore returns a store holding a copy of clients. They are
// not checked (there is no error to return): pass hashed secrets only, or
// add the clients with [ClientStore.PutClient], which checks them.
func NewClientStore(clients ...store.Client) *ClientStore {
	s := &ClientStore{clients: make(map[string]store.Client, len(clients)), now: time.Now}
	for _, c := range clients {
		s.clients[c.ID] = c.Clone()
	}
	return s
}

// Client implements [store.ClientStore].
func (s *ClientStore) Client(ctx context.Context, id string) (store.Client, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.Client{}, false, store.ErrClosed
	}
	c, ok := s.clients[id]
	return c.Clone(), ok, nil
}

// Clients implements [store.ClientStore].
func (s *ClientStore) Clients(ctx context.Context) ([]store.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	out := make([]store.Client, 0, len(s.clients))
	for _, id := range slices.Sorted(maps.Keys(s.clients)) {
		out = append(out, s.clients[id].Clone())
	}
	return out, nil
}

// PutClient implements [store.ClientStore].
func (s *ClientStore) PutClient(ctx context.Context, c store.Client) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	now := s.now().UTC()
	c = c.Clone()
	if old, ok := s.clients[c.ID]; ok {
		c.Created = old.Created
	} else {
		c.Created = now
	}
	c.Updated = now
	s.clients[c.ID] = c
	s.version.Add(1)
	return nil
}

// RemoveClient implements [store.ClientStore].
func (s *ClientStore) RemoveClient(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	if _, ok := s.clients[id]; !ok {
		return store.ErrClientNotFound
	}
	delete(s.clients, id)
	s.version.Add(1)
	return nil
}

// ClientsVersion implements [store.ClientStore].
func (s *ClientStore) ClientsVersion() uint64 { return s.version.Load() }

// Close implements [store.ClientStore].
func (s *ClientStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
