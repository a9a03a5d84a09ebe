package memstore_test

import (
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestMemoryTokenStore(t *testing.T) {
	storetest.RunTokens(t, func(t testing.TB) store.TokenStore {
		return memstore.NewTokenStore()
	})
}
