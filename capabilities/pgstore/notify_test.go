package pgstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

// TestReplicasSeeChanges runs two stores on one schema, as two replicas of
// an app: a change made through one, or by hand in the database, reaches
// the other's cache within a second.
func TestReplicasSeeChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	a := openStore(t, g, schema, pgstore.Options{})
	b := openStore(t, g, schema, pgstore.Options{})

	if _, err := a.Set(ctx, "u@example.com", []string{"read", "write"}); err != nil {
		t.Fatal(err)
	}
	// b caches what it reads (the absent user too, before the Set).
	sees := func(want []string) func() bool {
		return func() bool {
			got, err := b.Get(ctx, "u@example.com")
			return err == nil && slices.Equal(got, want)
		}
	}
	if !eventually(time.Second, sees([]string{"read", "write"})) {
		t.Fatal("b did not see the Set through a within 1s")
	}
	v := b.Version()
	if _, err := a.Remove(ctx, "u@example.com", "write"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, sees([]string{"read"})) {
		t.Fatal("b did not see the Remove through a within 1s")
	}
	if !eventually(time.Second, func() bool { return b.Version() != v }) {
		t.Error("b's Version did not change within 1s of a's Remove")
	}

	// A change made by hand with SQL is announced by the triggers.
	conn := admin(t)
	if _, err := conn.Exec(ctx, "UPDATE "+schema+".users SET capabilities = '{moderate}' WHERE email = 'u@example.com'"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, sees([]string{"moderate"})) {
		t.Fatal("b did not see a hand UPDATE within 1s")
	}
	if _, err := conn.Exec(ctx, "DELETE FROM "+schema+".users"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, sees(nil)) {
		t.Fatal("b did not see a hand DELETE within 1s")
	}
	if _, err := a.Set(ctx, "u@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, sees([]string{"read"})) {
		t.Fatal("b did not see the Set through a within 1s")
	}
	if _, err := conn.Exec(ctx, "TRUNCATE "+schema+".users"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, sees(nil)) {
		t.Fatal("b did not see a TRUNCATE within 1s")
	}

	// Revocations.
	issued := time.Now().Add(-time.Minute)
	if err := a.Revoke(ctx, "tok-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { return b.Revoked("tok-1", "", issued) }) {
		t.Fatal("b did not see the revocation of tok-1 within 1s")
	}
	if err := a.RevokeSubject(ctx, "Bot@Service", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { return b.Revoked("tok-2", "bot@service", issued) }) {
		t.Fatal("b did not see the revocation of bot@service within 1s")
	}
	if b.Revoked("tok-3", "other@service", issued) {
		t.Error("b reports an unrelated token revoked")
	}
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".revoked_tokens VALUES ('tok-hand', now() + interval '1 hour')"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { return a.Revoked("tok-hand", "", issued) && b.Revoked("tok-hand", "", issued) }) {
		t.Fatal("a hand-inserted revocation was not seen within 1s")
	}
	if _, err := conn.Exec(ctx, "TRUNCATE "+schema+".revoked_tokens, "+schema+".revoked_subjects"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { return !b.Revoked("tok-1", "bot@service", issued) }) {
		t.Fatal("b still reports revocations after the tables were emptied")
	}
}

// TestConcurrentWritersOnTwoStores adds from several goroutines through
// two stores to the same users: the row locks lose nothing.
func TestConcurrentWritersOnTwoStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	stores := []*pgstore.Store{
		openStore(t, g, schema, pgstore.Options{}),
		openStore(t, g, schema, pgstore.Options{}),
	}
	names := g.Names()
	const perStore = 4
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*perStore)
	for si, s := range stores {
		for w := range perStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each worker adds its share of the names, and takes
				// away and gives back "read" on a second user.
				for i := si*perStore + w; i < len(names); i += len(stores) * perStore {
					if _, err := s.Add(ctx, "shared@example.com", names[i]); err != nil {
						errs <- err
						return
					}
					if _, err := s.Add(ctx, "other@example.com", names[i]); err != nil {
						errs <- err
						return
					}
					if _, err := s.Remove(ctx, "other@example.com", names[i]); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, s := range stores {
		if !eventually(time.Second, func() bool {
			got, err := s.Get(ctx, "shared@example.com")
			return err == nil && slices.Equal(got, names)
		}) {
			got, err := s.Get(ctx, "shared@example.com")
			t.Fatalf("store %d: shared user holds %q (%v); want all %d names", i, got, err, len(names))
		}
		got, err := s.Get(ctx, "other@example.com")
		if err != nil || len(got) != 0 {
			t.Fatalf("store %d: other user holds %q (%v); want none", i, got, err)
		}
	}
}

// TestOwnWriteIsReadAtOnce checks that a store never serves its own
// cached value after its own write, before the notification arrives.
func TestOwnWriteIsReadAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, storetest.Graph(t), newSchema(t), pgstore.Options{})
	for i := range 50 {
		want := []string{[]string{"read", "write", "moderate"}[i%3]}
		if _, err := s.Set(ctx, "u@example.com", want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "u@example.com")
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("round %d: Get = %q, %v; want %q", i, got, err, want)
		}
	}
}
