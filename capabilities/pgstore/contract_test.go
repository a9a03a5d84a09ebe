package pgstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	fresh := emptySchema(t)
	storetest.Run(t, func(t testing.TB, g *capabilities.Graph) store.Store {
		return fresh(t, g, pgstore.Options{})
	})
}

// TestContractAcrossStores writes through one store and reads through
// another on the same schema (without a cache, so that every read sees the
// last write at once): everything checked has gone through the database.
func TestContractAcrossStores(t *testing.T) {
	t.Parallel()
	fresh := emptySchema(t)
	storetest.Run(t, func(t testing.TB, g *capabilities.Graph) store.Store {
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

// TestContractShared runs the concurrency contract on two stores on one
// schema, as two replicas would.
func TestContractShared(t *testing.T) {
	t.Parallel()
	fresh := emptySchema(t)
	storetest.RunShared(t, func(t testing.TB, g *capabilities.Graph) (store.Store, store.Store) {
		a := fresh(t, g, pgstore.Options{})
		return a, openStore(t, g, a.Schema(), pgstore.Options{})
	})
}

// TestUpdateDecidesOnTheDatabase: a change the cache has not heard of
// (made here with the triggers off, so that no notification is sent) is
// what Update's function sees, although Get still answers from the cache.
func TestUpdateDecidesOnTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	s := openStore(t, g, schema, pgstore.Options{})
	conn := admin(t)
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	silently := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	silently("INSERT INTO " + schema + ".users (email, capabilities) VALUES ('u@example.com', '{admin}')")
	if got, err := s.Get(ctx, "u@example.com"); err != nil || !slices.Equal(got, []string{"admin"}) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	silently("UPDATE " + schema + ".users SET capabilities = '{}' WHERE email = 'u@example.com'")
	if got, err := s.Get(ctx, "u@example.com"); err != nil || !slices.Equal(got, []string{"admin"}) {
		t.Fatalf("Get = %q, %v; want the cached [admin] (the test needs a stale cache)", got, err)
	}
	var seen []string
	_, err := s.Update(ctx, "u@example.com", func(cur []string) ([]string, error) {
		seen = cur
		if !slices.Contains(cur, "admin") {
			return nil, errors.New("granting admin needs admin")
		}
		return []string{"admin", "write"}, nil
	})
	if err == nil || len(seen) != 0 {
		t.Fatalf("Update saw %q (err %v); want the stored [] and a refusal", seen, err)
	}
}
