package capabilities

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Client is a machine client of the OAuth 2.0 client-credentials grant: a
// program (a cron job, another service, a partner backend) that trades its
// id and secret for a signed access token. The fields follow the clients
// file of simple_oauth_server.
type Client struct {
	// ID is the client_id. Case-sensitive.
	ID string
	// SecretHash is the hash of the client secret (an argon2id PHC string,
	// see auth.HashClientSecret). A store never holds a plaintext secret.
	SecretHash string
	// Audience lists the aud values the client may ask for; the first is
	// the default when a token request names none.
	Audience []string
	// Subject is the sub claim of the client's tokens; "" means ID.
	Subject string
	// Scope lists the scopes the client may ask for (and gets by default).
	Scope []string
	// Permissions, Roles and Groups are copied into the client's tokens.
	Permissions []string
	Roles       []string
	Groups      []string
	// Disabled clients get no token, and the tokens they hold are refused.
	Disabled bool
	// Created and Updated are set by the store.
	Created time.Time
	Updated time.Time
}

// Sub returns the sub claim of the client's tokens.
func (c *Client) Sub() string {
	if c.Subject != "" {
		return c.Subject
	}
	return c.ID
}

// Clone returns a deep copy of c.
func (c Client) Clone() Client {
	c.Audience = slices.Clone(c.Audience)
	c.Scope = slices.Clone(c.Scope)
	c.Permissions = slices.Clone(c.Permissions)
	c.Roles = slices.Clone(c.Roles)
	c.Groups = slices.Clone(c.Groups)
	return c
}

// ErrClientNotFound is returned by [ClientStore] writes naming an unknown
// client.
var ErrClientNotFound = errors.New("capabilities: no such client")

// ClientStore keeps machine clients. Reads are answered from memory, so
// that a token request and a per-request "is this client still enabled"
// check are fast; writes are durable before they return. Implementations
// are safe for concurrent use.
type ClientStore interface {
	// Client returns the client with this id; ok is false when there is
	// none.
	Client(ctx context.Context, id string) (c Client, ok bool, err error)
	// Clients returns every client, sorted by id.
	Clients(ctx context.Context) ([]Client, error)
	// PutClient creates the client or replaces it whole (Created is kept
	// when it exists).
	PutClient(ctx context.Context, c Client) error
	// RemoveClient deletes the client; it returns [ErrClientNotFound] when
	// there is none.
	RemoveClient(ctx context.Context, id string) error
	// ClientsVersion is a cheap counter that changes whenever a client may
	// have changed, in this process or another one.
	ClientsVersion() uint64
	// Close releases the store's resources.
	Close() error
}

// MemoryClientStore is a [ClientStore] held in memory. Its zero value is
// not usable; call [NewMemoryClientStore].
type MemoryClientStore struct {
	mu      sync.RWMutex
	clients map[string]Client
	closed  bool
	version atomic.Uint64
	now     func() time.Time
}

// NewMemoryClientStore returns a store holding a copy of clients.
func NewMemoryClientStore(clients ...Client) *MemoryClientStore {
	s := &MemoryClientStore{clients: make(map[string]Client, len(clients)), now: time.Now}
	for _, c := range clients {
		s.clients[c.ID] = c.Clone()
	}
	return s
}

// Client implements [ClientStore].
func (s *MemoryClientStore) Client(ctx context.Context, id string) (Client, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Client{}, false, ErrClosed
	}
	c, ok := s.clients[id]
	return c.Clone(), ok, nil
}

// Clients implements [ClientStore].
func (s *MemoryClientStore) Clients(ctx context.Context) ([]Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	out := make([]Client, 0, len(s.clients))
	for _, id := range slices.Sorted(maps.Keys(s.clients)) {
		out = append(out, s.clients[id].Clone())
	}
	return out, nil
}

// PutClient implements [ClientStore].
func (s *MemoryClientStore) PutClient(ctx context.Context, c Client) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.ID == "" {
		return errors.New("capabilities: client without an id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
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

// RemoveClient implements [ClientStore].
func (s *MemoryClientStore) RemoveClient(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, ok := s.clients[id]; !ok {
		return ErrClientNotFound
	}
	delete(s.clients, id)
	s.version.Add(1)
	return nil
}

// ClientsVersion implements [ClientStore].
func (s *MemoryClientStore) ClientsVersion() uint64 { return s.version.Load() }

// Close implements [ClientStore].
func (s *MemoryClientStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
