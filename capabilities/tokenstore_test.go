package capabilities_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
)

// tokenStoreContract checks what every TokenStore does.
func tokenStoreContract(t *testing.T, open func(t *testing.T) capabilities.TokenStore) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)

	t.Run("revoke", func(t *testing.T) {
		s := open(t)
		v := s.Version()
		if s.Revoked("a", "x@example.com", now) {
			t.Fatal("revoked before any write")
		}
		if err := s.Revoke(ctx, "a", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !s.Revoked("a", "x@example.com", now) || s.Revoked("b", "x@example.com", now) {
			t.Fatal("revocation of a wrong")
		}
		if s.Version() == v {
			t.Fatal("version unchanged")
		}
		if err := s.Revoke(ctx, "", now.Add(time.Hour)); err == nil {
			t.Fatal("empty id accepted")
		}
	})
	t.Run("revoke subject", func(t *testing.T) {
		s := open(t)
		if err := s.RevokeSubject(ctx, "X@Example.com", now); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			issued  time.Time
			subject string
			want    bool
		}{
			{now.Add(-time.Hour), "x@example.com", true},
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
	t.Run("grants", func(t *testing.T) {
		s := open(t)
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
	t.Run("expired entries are pruned", func(t *testing.T) {
		s := open(t)
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
	t.Run("closed", func(t *testing.T) {
		s := open(t)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, "a", now.Add(time.Hour)); !errors.Is(err, capabilities.ErrClosed) {
			t.Fatalf("write after close: %v", err)
		}
	})
}

func TestMemoryTokenStore(t *testing.T) {
	tokenStoreContract(t, func(t *testing.T) capabilities.TokenStore {
		return capabilities.NewMemoryTokenStore()
	})
}

func TestFileTokenStore(t *testing.T) {
	tokenStoreContract(t, func(t *testing.T) capabilities.TokenStore {
		s, err := capabilities.OpenFileTokenStore(filepath.Join(t.TempDir(), "caps.tokens.yaml"), capabilities.FileTokenStoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestFileTokenStorePersistsAndShares(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "caps.tokens.yaml")
	now := time.Now().Truncate(time.Second)
	a, err := capabilities.OpenFileTokenStore(path, capabilities.FileTokenStoreOptions{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := capabilities.OpenFileTokenStore(path, capabilities.FileTokenStoreOptions{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Revoke(ctx, "t1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// b's write re-reads the file first: a's revocation is not lost.
	if err := b.Revoke(ctx, "t2", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !b.Revoked("t1", "", now) || !b.Revoked("t2", "", now) {
		t.Fatal("b lost a revocation")
	}
	// a sees b's write by polling.
	deadline := time.Now().Add(5 * time.Second)
	for !a.Revoked("t2", "", now) {
		if time.Now().After(deadline) {
			t.Fatal("a never saw b's revocation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := a.RevokeSubject(ctx, "bot@service", now); err != nil {
		t.Fatal(err)
	}
	if err := a.PutGrant(ctx, "t3", "sealed", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()

	c, err := capabilities.OpenFileTokenStore(path, capabilities.FileTokenStoreOptions{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Revoked("t1", "", now) || !c.Revoked("t2", "", now) || !c.Revoked("x", "bot@service", now) {
		t.Fatal("revocations lost across a restart")
	}
	if g, ok, _ := c.Grant(ctx, "t3"); !ok || g != "sealed" {
		t.Fatal("grant lost across a restart")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode: %v %v", fi, err)
	}
}

func TestFileTokenStoreRefusesABrokenFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "caps.tokens.yaml")
	if err := os.WriteFile(path, []byte("revoked: [not, a, map"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := capabilities.OpenFileTokenStore(path, capabilities.FileTokenStoreOptions{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken file: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := capabilities.OpenFileTokenStore(path, capabilities.FileTokenStoreOptions{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Broken by hand after opening: writes are refused, never overwrite it.
	if err := os.WriteFile(path, []byte("revoked: [not, a, map"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, "t", time.Now().Add(time.Hour)); err == nil {
		t.Fatal("write over a broken file")
	}
	if data, _ := os.ReadFile(path); string(data) != "revoked: [not, a, map" {
		t.Fatalf("broken file overwritten: %q", data)
	}
}
