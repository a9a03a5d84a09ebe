package filestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

// userFile100k writes a file of 100,000 users with one or two capabilities.
func userFile100k(b *testing.B) string {
	caps := []string{"read", "write", "moderate", "announce", "baker", "user_management"}
	users := make(map[string][]string, 100_000)
	for i := range 100_000 {
		users[fmt.Sprintf("user%06d@example.com", i)] = []string{caps[i%6], caps[(i/6)%6]}
	}
	data, err := filestore.EncodeUserFile(users)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "caps.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

func BenchmarkLoad100kUsers(b *testing.B) {
	g := mustGraph(b, bakery, true)
	path := userFile100k(b)
	b.ReportAllocs()
	for b.Loop() {
		s, err := filestore.Open(path, g, noPoll())
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func BenchmarkDurableUpdate100kUsers(b *testing.B) {
	ctx := context.Background()
	g := mustGraph(b, bakery, true)
	s, err := filestore.Open(userFile100k(b), g, noPoll())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		email := fmt.Sprintf("user%06d@example.com", i*7919%100_000)
		var err error
		if i%2 == 0 {
			_, err = s.Add(ctx, email, "admin")
		} else {
			_, err = s.Remove(ctx, email, "admin")
		}
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEffectiveCached is the path of a request: the effective set of
// a known user from the cache over the file store (whose version the cache
// checks on every use), then a capability check.
func BenchmarkEffectiveCached(b *testing.B) {
	ctx := context.Background()
	p, err := capabilities.Config{Graph: map[string][]string{"read": nil, "write": {"read"}, "moderate": {"read", "write"}}, DefaultCapabilities: []string{"read"}}.Policy()
	if err != nil {
		b.Fatal(err)
	}
	users := make(map[string][]string)
	for i := range 1000 {
		users[fmt.Sprintf("user%d@example.com", i)] = []string{"moderate"}
	}
	data, err := filestore.EncodeUserFile(users)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "caps.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	store, err := filestore.Open(path, p.Graph(), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	cache := capabilities.NewEffectiveCache(p, store, 0)
	write, _ := p.Graph().Lookup("write")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, err := cache.Effective(ctx, "user500@example.com")
			if err != nil || !s.Has(write) {
				b.Fatal("lookup failed", err)
			}
		}
	})
}
