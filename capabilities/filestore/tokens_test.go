package filestore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestFileTokenStore(t *testing.T) {
	storetest.RunTokens(t, func(t testing.TB) store.TokenStore {
		s, err := filestore.OpenTokenStore(filepath.Join(t.TempDir(), "caps.tokens.yaml"), filestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileTokenStorePersistsAndShares(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "caps.tokens.yaml")
	now := time.Now().Truncate(time.Second)
	a, err := filestore.OpenTokenStore(path, filestore.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := filestore.OpenTokenStore(path, filestore.Options{PollInterval: 10 * time.Millisecond})
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

	c, err := filestore.OpenTokenStore(path, filestore.Options{PollInterval: -1})
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
	if _, err := filestore.OpenTokenStore(path, filestore.Options{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken file: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := filestore.OpenTokenStore(path, filestore.Options{PollInterval: -1})
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
