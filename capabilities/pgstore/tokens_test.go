package pgstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// The contract of every token store (each check on the emptied schema),
// then what the database adds: a revocation is seen by the other replicas
// and by a store opened later, and text PostgreSQL cannot hold is refused.
func TestTokenStore(t *testing.T) {
	t.Parallel()
	g := storetest.Graph(t)
	fresh := emptySchema(t)
	storetest.RunTokens(t, func(t testing.TB) store.TokenStore { return fresh(t, g, pgstore.Options{}) })

	ctx := context.Background()
	schema := newSchema(t)
	clock := newFakeClock()
	s := openStore(t, g, schema, pgstore.Options{Now: clock.Now})
	now := clock.Now()
	issued := now.Add(-time.Hour)
	for _, err := range []error{
		s.Revoke(ctx, "id-1", now.Add(time.Hour)),
		s.RevokeSubject(ctx, "Bot@Service", now),
		s.PutGrant(ctx, "g-1", "sealed-1", now.Add(time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("RevokeSubjectAcrossReplicas", func(t *testing.T) {
		// A second revocation in the same second covers the tokens issued
		// after the first (dated the next second), and no more; so does
		// another replica.
		at := now.Truncate(time.Second).Add(500 * time.Millisecond)
		other := openStore(t, g, schema, pgstore.Options{Now: clock.Now})
		for i, r := range []*pgstore.Store{s, s, other} {
			if err := r.RevokeSubject(ctx, "z@service", at); err != nil {
				t.Fatal(err)
			}
			first := at.Truncate(time.Second).Add(time.Duration(i+1) * time.Second)
			if !r.Revoked("tok", "z@service", first.Add(-time.Second)) || r.Revoked("tok", "z@service", first) {
				t.Fatalf("after revocation %d in one second, the first second not covered is not +%v", i+1, first.Sub(at.Truncate(time.Second)))
			}
		}
	})

	t.Run("GrantExpiresByTheClock", func(t *testing.T) {
		if err := s.PutGrant(ctx, "g-2", "sealed", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Minute)
		defer clock.Advance(-2 * time.Minute)
		if _, ok, err := s.Grant(ctx, "g-2"); err != nil || ok {
			t.Fatalf("expired Grant = %v, %v; want not found", ok, err)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		for name, err := range map[string]error{
			"Revoke NUL":       s.Revoke(ctx, "a\x00b", now),
			"Revoke bad UTF-8": s.Revoke(ctx, "\xff", now),
			"PutGrant NUL":     s.PutGrant(ctx, "id", "a\x00", now),
		} {
			if err == nil {
				t.Errorf("%s succeeded; want an error", name)
			}
		}
		if s.Revoked("\xff", "\x00", now) {
			t.Error("Revoked of an impossible id is true")
		}
		if _, ok, err := s.Grant(ctx, "\x00"); ok || err != nil {
			t.Errorf("Grant of an impossible id = %v, %v", ok, err)
		}
	})

	t.Run("Reopened", func(t *testing.T) {
		r := openStore(t, g, schema, pgstore.Options{Now: clock.Now})
		if !r.Revoked("id-1", "", issued) || !r.Revoked("x", "bot@service", issued) {
			t.Error("a new store does not load the revocations")
		}
		if got, ok, err := r.Grant(ctx, "g-1"); err != nil || !ok || got != "sealed-1" {
			t.Errorf("a new store's Grant = %q, %v, %v", got, ok, err)
		}
	})

	t.Run("ExpiredRevocationsAreNotLoaded", func(t *testing.T) {
		if err := s.Revoke(ctx, "short", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		later := newFakeClock()
		later.Advance(30 * time.Minute)
		r := openStore(t, g, schema, pgstore.Options{Now: later.Now})
		if r.Revoked("short", "", issued) {
			t.Error("an expired revocation was loaded")
		}
		if !r.Revoked("id-1", "", issued) {
			t.Error("a live revocation was not loaded")
		}
	})
}
