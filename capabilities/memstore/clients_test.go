package memstore_test

import (
	"context"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestMemoryClientStoreContract(t *testing.T) {
	t.Parallel()
	storetest.RunClients(t, func(t testing.TB) store.ClientStore { return memstore.NewClientStore() })
}

// A client given to NewClientStore without Created gets one at its first
// PutClient, as a client of a hand-written clients file does: the rule
// of every store, not of one backend.
func TestMemoryClientStoreStampsMissingCreated(t *testing.T) {
	ctx := context.Background()
	s := memstore.NewClientStore(store.Client{ID: "job", SecretHash: storetest.SecretHash})
	defer s.Close()
	if err := s.PutClient(ctx, store.Client{ID: "job", SecretHash: storetest.OtherSecretHash}); err != nil {
		t.Fatal(err)
	}
	c, ok, err := s.Client(ctx, "job")
	if err != nil || !ok {
		t.Fatalf("Client = %v, %v", ok, err)
	}
	if c.Created.IsZero() || c.Created.After(c.Updated) {
		t.Fatalf("Created %v, Updated %v; want Created set, not after Updated", c.Created, c.Updated)
	}
}
