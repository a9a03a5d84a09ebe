package memstore_test

import (
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestMemoryClientStoreContract(t *testing.T) {
	t.Parallel()
	storetest.RunClients(t, func(t *testing.T) store.ClientStore { return memstore.NewClientStore() })
}
