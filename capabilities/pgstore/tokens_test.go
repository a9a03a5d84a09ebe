package pgstore_test

import (
	"context"
	"errors"
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

// The TokenStore behaviour every implementation shares (memory, file,
// PostgreSQL); the revocations must also survive a new store on the schema.
func TestTokenStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	clock := newFakeClock()
	s := openStore(t, g, schema, pgstore.Options{Now: clock.Now})
	now := clock.Now()
	issued := now.Add(-time.Hour)
	var _ store.TokenStore = s

	t.Run("Revoke", func(t *testing.T) {
		v := s.Version()
		if s.Revoked("id-1", "u@example.com", issued) {
			t.Fatal("id-1 revoked before Revoke")
		}
		if err := s.Revoke(ctx, "id-1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !s.Revoked("id-1", "u@example.com", issued) || !s.Revoked("id-1", "", issued) {
			t.Fatal("id-1 not revoked after Revoke")
		}
		if s.Revoked("id-2", "u@example.com", issued) {
			t.Fatal("id-2 revoked with id-1")
		}
		if s.Version() == v {
			t.Error("Version did not change after Revoke")
		}
		// An earlier expiry never shortens a revocation.
		if err := s.Revoke(ctx, "id-1", now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !s.Revoked("id-1", "", issued) {
			t.Fatal("id-1 no longer revoked")
		}
	})

	t.Run("RevokeSubject", func(t *testing.T) {
		at := now.Truncate(time.Second).Add(500 * time.Millisecond)
		if err := s.RevokeSubject(ctx, "Bot@Service", at); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			subject string
			issued  time.Time
			want    bool
		}{
			{"bot@service", at.Add(-time.Hour), true},
			{"BOT@service", at.Add(-time.Hour), true},
			{"bot@service", at.Add(400 * time.Millisecond), true}, // the same second
			{"bot@service", at.Add(time.Second), false},
			{"other@service", at.Add(-time.Hour), false},
			{"", at.Add(-time.Hour), false},
		} {
			if got := s.Revoked("tok", c.subject, c.issued); got != c.want {
				t.Errorf("Revoked(%q, issued %v) = %v; want %v", c.subject, c.issued.Sub(at), got, c.want)
			}
		}
		// An earlier time never shortens a subject's revocation.
		if err := s.RevokeSubject(ctx, "bot@service", at.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !s.Revoked("tok", "bot@service", at.Add(-time.Minute)) {
			t.Error("the subject's revocation was shortened")
		}
		// A second revocation in the same second covers the tokens issued
		// after the first (dated the next second), and no more; so does
		// another replica.
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

	t.Run("Grants", func(t *testing.T) {
		if _, ok, err := s.Grant(ctx, "g-1"); err != nil || ok {
			t.Fatalf("Grant before PutGrant = %v, %v; want not found", ok, err)
		}
		if err := s.PutGrant(ctx, "g-1", "sealed-1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutGrant(ctx, "g-1", "sealed-2", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Grant(ctx, "g-1")
		if err != nil || !ok || got != "sealed-2" {
			t.Fatalf("Grant = %q, %v, %v; want the last one put", got, ok, err)
		}
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
			"Revoke empty":        s.Revoke(ctx, "", now),
			"Revoke NUL":          s.Revoke(ctx, "a\x00b", now),
			"Revoke bad UTF-8":    s.Revoke(ctx, "\xff", now),
			"RevokeSubject empty": s.RevokeSubject(ctx, "  ", now),
			"PutGrant empty":      s.PutGrant(ctx, "", "x", now),
			"PutGrant NUL":        s.PutGrant(ctx, "id", "a\x00", now),
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

	t.Run("ExpiredRevocationIsNotKept", func(t *testing.T) {
		if err := s.Revoke(ctx, "old", now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if s.Revoked("old", "", issued) {
			t.Error("a revocation that had already expired is kept")
		}
	})

	t.Run("Reopened", func(t *testing.T) {
		r := openStore(t, g, schema, pgstore.Options{Now: clock.Now})
		if !r.Revoked("id-1", "", issued) || !r.Revoked("x", "bot@service", issued) {
			t.Error("a new store does not load the revocations")
		}
		if got, ok, err := r.Grant(ctx, "g-1"); err != nil || !ok || got != "sealed-2" {
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

	t.Run("Closed", func(t *testing.T) {
		c := openStore(t, g, schema, pgstore.Options{})
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := c.Revoke(ctx, "x", now); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Revoke after Close = %v; want ErrClosed", err)
		}
		if _, _, err := c.Grant(ctx, "x"); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Grant after Close = %v; want ErrClosed", err)
		}
	})
}
