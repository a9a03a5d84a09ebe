package capabilities_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

// graph10k has 10,000 capabilities in 100 chains of 100.
func graph10k(tb testing.TB) *capabilities.Graph {
	m := make(map[string][]string, 10_000)
	for c := range 100 {
		for i := range 100 {
			var next []string
			if i < 99 {
				next = []string{fmt.Sprintf("c%02d-%02d", c, i+1)}
			}
			m[fmt.Sprintf("c%02d-%02d", c, i)] = next
		}
	}
	return mustGraph(tb, m, true)
}

func BenchmarkHas10k(b *testing.B) {
	g := graph10k(b)
	var heads []string
	for c := 0; c < 100; c += 2 {
		heads = append(heads, fmt.Sprintf("c%02d-00", c))
	}
	s, err := g.Set(heads...)
	if err != nil {
		b.Fatal(err)
	}
	held := g.Closure(s) // half of the graph
	caps := make([]capabilities.Cap, 1024)
	for i := range caps {
		caps[i] = capabilities.Cap(i * 9973 % g.Len())
	}
	// The probes must mix hits and misses, whatever b.N is.
	hits := 0
	for _, c := range caps {
		if held.Has(c) {
			hits++
		}
	}
	if hits == 0 || hits == len(caps) {
		b.Fatalf("%d hits of %d probes", hits, len(caps))
	}
	b.ReportAllocs()
	n := 0
	hits = 0
	for b.Loop() {
		if held.Has(caps[n&1023]) {
			hits++
		}
		n++
	}
	hasSink = hits
}

// hasSink keeps the membership loop's result alive.
var hasSink int

func BenchmarkClosure10k(b *testing.B) {
	g := graph10k(b)
	s, err := g.Set("c00-00", "c50-50", "c99-98")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		g.Closure(s)
	}
}

// BenchmarkEffectiveCached is the path of a request: the effective set of
// a known user from the cache, then a capability check.
func BenchmarkEffectiveCached(b *testing.B) {
	ctx := context.Background()
	p, err := capabilities.Config{Graph: bakery, DefaultCapabilities: []string{"read"}}.Policy()
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
