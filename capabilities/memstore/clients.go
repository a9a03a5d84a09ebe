package memstore

import (
	"context"

	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// ClientStore is a [store.ClientStore] held in memory. Its zero value is
// not usable; call [NewClientStore].
type ClientStore struct{ core *storecore.Clients }

// NewClientStore returns a store holding a copy of clients. They are
// not checked (there is no error to return): pass hashed secrets only, or
// add the clients with [ClientStore.PutClient], which checks them.
func NewClientStore(clients ...store.Client) *ClientStore {
	s := &ClientStore{core: storecore.NewClients(nil, nil)}
	m := make(map[string]store.Client, len(clients))
	for _, c := range clients {
		m[c.ID] = c.Clone()
	}
	s.core.Replace(m)
	return s
}

// Client implements [store.ClientStore].
func (s *ClientStore) Client(ctx context.Context, id string) (store.Client, bool, error) {
	return s.core.Client(ctx, id)
}

// Clients implements [store.ClientStore].
func (s *ClientStore) Clients(ctx context.Context) ([]store.Client, error) {
	return s.core.Clients(ctx)
}

// PutClient implements [store.ClientStore].
func (s *ClientStore) PutClient(ctx context.Context, c store.Client) error {
	return s.core.PutClient(ctx, c)
}

// RemoveClient implements [store.ClientStore].
func (s *ClientStore) RemoveClient(ctx context.Context, id string) error {
	return s.core.RemoveClient(ctx, id)
}

// ClientsVersion implements [store.ClientStore].
func (s *ClientStore) ClientsVersion() uint64 { return s.core.Version() }

// Close implements [store.ClientStore]; later calls fail with [store.ErrClosed].
func (s *ClientStore) Close() error {
	s.core.Close()
	return nil
}
