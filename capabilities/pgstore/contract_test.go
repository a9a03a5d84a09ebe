package pgstore_test

import (
	"context"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	fresh := emptySchema(t)
	storetest.Run(t, func(t *testing.T, g *capabilities.Graph) capabilities.Store {
		return fresh(t, g, pgstore.Options{})
	})
}

// TestContractAcrossStores writes through one store and reads through
// another on the same schema (without a cache, so that every read sees the
// last write at once): everything checked has gone through the database.
func TestContractAcrossStores(t *testing.T) {
	t.Parallel()
	fresh := emptySchema(t)
	storetest.Run(t, func(t *testing.T, g *capabilities.Graph) capabilities.Store {
		w := fresh(t, g, pgstore.Options{})
		r := openStore(t, g, w.Schema(), pgstore.Options{CacheEntries: -1})
		return &split{Store: w, reader: r}
	})
}

// split sends reads to reader and everything else to the embedded store.
type split struct {
	*pgstore.Store
	reader *pgstore.Store
}

func (s *split) Get(ctx context.Context, email string) ([]string, error) {
	return s.reader.Get(ctx, email)
}

func (s *split) List(ctx context.Context) (map[string][]string, error) { return s.reader.List(ctx) }

func (s *split) Close() error {
	s.reader.Close()
	return s.Store.Close()
}
