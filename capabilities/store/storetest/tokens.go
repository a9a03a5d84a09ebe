package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/store"
)

// RunTokens runs the contract of [store.TokenStore] against stores made
// by open, which gets a fresh, empty store for each subtest (closed by
// the suite at the end of it; a store must accept a second Close).
func RunTokens(t testing.TB, open func(t testing.TB) store.TokenStore) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	fresh := func(t testing.TB) store.TokenStore {
		t.Helper()
		s := open(t)
		t.Cleanup(func() { s.Close() })
		return s
	}

	run(t, "revoke", func(t testing.TB) {
		s := fresh(t)
		v := s.Version()
		if s.Revoked("a", "x@example.com", now) {
			t.Fatal("revoked before any write")
		}
		if err := s.Revoke(ctx, "a", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !s.Revoked("a", "x@example.com", now) || !s.Revoked("a", "", now) || s.Revoked("b", "x@example.com", now) {
			t.Fatal("revocation of a wrong")
		}
		if s.Version() == v {
			t.Fatal("version unchanged")
		}
		// An earlier expiry never shortens a revocation.
		if err := s.Revoke(ctx, "a", now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !s.Revoked("a", "", now) {
			t.Fatal("a revocation was shortened")
		}
		if err := s.Revoke(ctx, "", now.Add(time.Hour)); err == nil {
			t.Fatal("empty id accepted")
		}
		if err := s.PutGrant(ctx, "", "sealed", now.Add(time.Hour)); err == nil {
			t.Fatal("empty grant id accepted")
		}
	})
	run(t, "revoke subject", func(t testing.TB) {
		s := fresh(t)
		if err := s.RevokeSubject(ctx, "X@Example.com", now); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			issued  time.Time
			subject string
			want    bool
		}{
			{now.Add(-time.Hour), "x@example.com", true},
			{now.Add(-time.Hour), "X@EXAMPLE.COM", true},
			{now, "x@example.com", true},                             // same second
			{now.Add(500 * time.Millisecond), "x@example.com", true}, // same second
			{now.Add(time.Second), "x@example.com", false},
			{now.Add(-time.Hour), "y@example.com", false},
			{now.Add(-time.Hour), "", false},
		} {
			if got := s.Revoked("id", tc.subject, tc.issued); got != tc.want {
				t.Errorf("Revoked(%s, %s) = %v", tc.subject, tc.issued, got)
			}
		}
		// An earlier cut-off does not undo a later one.
		if err := s.RevokeSubject(ctx, "x@example.com", now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !s.Revoked("id", "x@example.com", now) {
			t.Fatal("cut-off moved back")
		}
		// A second revocation in the same second covers the tokens issued
		// after the first (dated the next second), and no more.
		for i, want := range []time.Time{now.Add(time.Second), now.Add(2 * time.Second)} {
			if err := s.RevokeSubject(ctx, "z@example.com", now.Add(300*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if !s.Revoked("id", "z@example.com", want.Add(-time.Second)) || s.Revoked("id", "z@example.com", want) {
				t.Fatalf("after revocation %d in one second, the first second not covered is not %v", i+1, want.Sub(now))
			}
		}
		if err := s.RevokeSubject(ctx, " ", now); err == nil {
			t.Fatal("empty subject accepted")
		}
	})
	run(t, "grants", func(t testing.TB) {
		s := fresh(t)
		if _, ok, err := s.Grant(ctx, "t"); ok || err != nil {
			t.Fatalf("grant before any: %v %v", ok, err)
		}
		if err := s.PutGrant(ctx, "t", "sealed1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutGrant(ctx, "t", "sealed2", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Grant(ctx, "t")
		if err != nil || !ok || got != "sealed2" {
			t.Fatalf("Grant = %q %v %v", got, ok, err)
		}
	})
	run(t, "expired entries are pruned", func(t testing.TB) {
		s := fresh(t)
		if err := s.Revoke(ctx, "old", now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutGrant(ctx, "old", "x", now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.Grant(ctx, "old"); ok {
			t.Fatal("expired grant returned")
		}
		if err := s.Revoke(ctx, "new", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if s.Revoked("old", "", now) {
			t.Fatal("expired revocation kept after a write")
		}
	})
	run(t, "closed", func(t testing.TB) {
		s := open(t)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, "a", now.Add(time.Hour)); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("write after close: %v", err)
		}
		if _, _, err := s.Grant(ctx, "a"); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Grant after close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
}
