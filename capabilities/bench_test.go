package capabilities_test

import (
	"fmt"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
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
