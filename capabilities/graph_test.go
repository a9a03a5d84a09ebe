package capabilities_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
)

func mustGraph(tb testing.TB, m map[string][]string, autoAdmin bool) *capabilities.Graph {
	tb.Helper()
	g, err := capabilities.NewGraph(m, autoAdmin)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func mustWalkingGraph(tb testing.TB, m map[string][]string, autoAdmin bool) *capabilities.Graph {
	tb.Helper()
	g, err := capabilities.NewGraphWalking(m, autoAdmin)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func closureNames(tb testing.TB, g *capabilities.Graph, names ...string) []string {
	tb.Helper()
	s, err := g.Set(names...)
	if err != nil {
		tb.Fatal(err)
	}
	return g.SetNames(g.Closure(s))
}

func TestClosure(t *testing.T) {
	tests := []struct {
		name      string
		graph     map[string][]string
		autoAdmin bool
		of        []string
		want      []string
	}{
		{"empty set", map[string][]string{"read": nil}, false, nil, []string{}},
		{"no implication", map[string][]string{"read": nil, "write": nil}, false, []string{"write"}, []string{"write"}},
		{"chain", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": nil, "e": nil}, false, []string{"a"}, []string{"a", "b", "c", "d"}},
		{"chain middle", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": nil}, false, []string{"c"}, []string{"c", "d"}},
		{"diamond", map[string][]string{"top": {"l", "r"}, "l": {"bottom"}, "r": {"bottom"}, "bottom": nil, "x": nil}, false, []string{"top"}, []string{"bottom", "l", "r", "top"}},
		{"cycle", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, false, []string{"b"}, []string{"a", "b", "c"}},
		{"into cycle", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, false, []string{"d"}, []string{"a", "b", "c", "d"}},
		{"mutual", map[string][]string{"a": {"b"}, "b": {"a"}, "c": nil}, false, []string{"a"}, []string{"a", "b"}},
		{"self loop", map[string][]string{"a": {"a"}, "b": nil}, false, []string{"a"}, []string{"a"}},
		{"two members", map[string][]string{"a": {"b"}, "b": nil, "c": {"d"}, "d": nil, "e": nil}, false, []string{"a", "c"}, []string{"a", "b", "c", "d"}},
		{"easy-oauth", map[string][]string{"read": nil, "write": {"read"}, "moderate": {"read", "write"}, "announce": {"read", "write"}, "user_management": nil}, true, []string{"announce"}, []string{"announce", "read", "write"}},
		{"auto admin", map[string][]string{"read": nil, "write": {"read"}}, true, []string{"admin"}, []string{"admin", "read", "write"}},
		{"auto admin not implied", map[string][]string{"read": nil, "write": {"read"}}, true, []string{"write"}, []string{"read", "write"}},
		{"declared admin extended", map[string][]string{"admin": {"read"}, "read": nil, "write": nil}, true, []string{"admin"}, []string{"admin", "read", "write"}},
		{"declared admin without auto", map[string][]string{"admin": {"read"}, "read": nil, "write": nil}, false, []string{"admin"}, []string{"admin", "read"}},
		{"implies admin", map[string][]string{"root": {"admin"}, "read": nil}, true, []string{"root"}, []string{"admin", "read", "root"}},
		{"cycle through admin", map[string][]string{"root": {"admin"}, "read": nil}, true, []string{"admin"}, []string{"admin", "read", "root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for strategy, g := range map[string]*capabilities.Graph{
				"table": mustGraph(t, tt.graph, tt.autoAdmin),
				"walk":  mustWalkingGraph(t, tt.graph, tt.autoAdmin),
			} {
				if got := closureNames(t, g, tt.of...); !slices.Equal(got, tt.want) {
					t.Errorf("%s: Closure(%q) = %q; want %q", strategy, tt.of, got, tt.want)
				}
			}
		})
	}
}

func TestNewGraphErrors(t *testing.T) {
	tests := []struct {
		name      string
		graph     map[string][]string
		autoAdmin bool
		wantName  string // unknown capability expected, if any
		wantText  string
	}{
		{"unknown implied", map[string][]string{"write": {"reed"}}, true, "reed", `capabilities: graph: "write" implies unknown capability "reed"`},
		{"admin without auto", map[string][]string{"boss": {"admin"}}, false, "admin", `"boss" implies unknown capability "admin"`},
		{"empty implied", map[string][]string{"write": {""}}, true, "", `"write" implies unknown capability ""`},
		{"empty name", map[string][]string{"": nil}, true, "-", "capability name is empty"},
		{"bad utf-8", map[string][]string{"\xff": nil}, true, "-", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := capabilities.NewGraph(tt.graph, tt.autoAdmin)
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v; want it to contain %q", err, tt.wantText)
			}
			var u *capabilities.UnknownCapabilityError
			if tt.wantName != "-" && (!errors.As(err, &u) || u.Name != tt.wantName || !errors.Is(err, capabilities.ErrUnknownCapability)) {
				t.Fatalf("err = %#v; want an UnknownCapabilityError for %q", err, tt.wantName)
			}
		})
	}
}

func TestGraphAccessors(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, map[string][]string{"write": {"read"}, "read": nil}, true)
	if got, want := g.Names(), []string{"admin", "read", "write"}; !slices.Equal(got, want) {
		t.Errorf("Names = %q; want %q", got, want)
	}
	if g.Len() != 3 || !g.AutoAdmin() {
		t.Errorf("Len = %d, AutoAdmin = %v", g.Len(), g.AutoAdmin())
	}
	for _, n := range g.Names() {
		c, ok := g.Lookup(n)
		if !ok || g.Name(c) != n {
			t.Errorf("Lookup(%q) = %d, %v; Name = %q", n, c, ok, g.Name(c))
		}
	}
	if _, ok := g.Lookup("nope"); ok {
		t.Error(`Lookup("nope") succeeded`)
	}
	if g.Name(99) != "" {
		t.Error("Name(99) is not empty")
	}
	impl := g.Implications()
	if !slices.Equal(impl["admin"], []string{"read", "write"}) || !slices.Equal(impl["write"], []string{"read"}) || len(impl["read"]) != 0 {
		t.Errorf("Implications = %q", impl)
	}
	_, err := g.Set("read", "nope")
	var u *capabilities.UnknownCapabilityError
	if !errors.As(err, &u) || u.Name != "nope" {
		t.Errorf("Set with unknown: %v", err)
	}
	if g.All().Len() != 3 {
		t.Errorf("All has %d", g.All().Len())
	}
}

func TestSetOperations(t *testing.T) {
	t.Parallel()
	names := make(map[string][]string)
	for i := range 200 {
		names[fmt.Sprintf("c%03d", i)] = nil
	}
	g := mustGraph(t, names, false)
	a, _ := g.Set("c001", "c100", "c150")
	b, _ := g.Set("c100", "c199")
	var zero capabilities.Set
	if !zero.Empty() || zero.Len() != 0 || zero.Has(0) || !a.ContainsAll(zero) || zero.ContainsAll(a) {
		t.Error("zero Set is not the empty set")
	}
	u := a.Union(b)
	if got := g.SetNames(u); !slices.Equal(got, []string{"c001", "c100", "c150", "c199"}) {
		t.Errorf("Union = %q", got)
	}
	if got := g.SetNames(a.Intersect(b)); !slices.Equal(got, []string{"c100"}) {
		t.Errorf("Intersect = %q", got)
	}
	if got := g.SetNames(a.Without(b)); !slices.Equal(got, []string{"c001", "c150"}) {
		t.Errorf("Without = %q", got)
	}
	if !u.ContainsAll(a) || !u.ContainsAll(b) || a.ContainsAll(b) || !a.Equal(u.Without(b).Union(a)) {
		t.Error("ContainsAll/Equal disagree with Union/Without")
	}
	if !a.Intersect(zero).Empty() || !zero.Union(zero).Empty() || !a.Without(a).Equal(zero) {
		t.Error("empty results are not empty")
	}
	var each []capabilities.Cap
	a.Each(func(c capabilities.Cap) { each = append(each, c) })
	if !slices.Equal(each, slices.Collect(a.All())) || len(each) != 3 {
		t.Errorf("Each = %v; All = %v", each, slices.Collect(a.All()))
	}
	for c := range a.All() {
		if c > 1 {
			break // early exit must be honoured
		}
	}
}

func TestClosureLongChainsDoNotRecurse(t *testing.T) {
	t.Parallel()
	chain := func(n int, loop bool) map[string][]string {
		m := make(map[string][]string, n)
		for i := range n {
			m[fmt.Sprintf("c%06d", i)] = []string{fmt.Sprintf("c%06d", i+1)}
		}
		m[fmt.Sprintf("c%06d", n)] = nil
		if loop {
			m[fmt.Sprintf("c%06d", n)] = []string{"c000000"}
		}
		return m
	}
	tests := []struct {
		name string
		n    int
		loop bool
		from string
		want int
	}{
		{"chain 100k, walked", 100_000, false, "c000000", 100_001},
		{"chain 5k, table", 5_000, false, "c002500", 2_501},
		{"cycle 100k, one component", 100_000, true, "c050000", 100_001},
	}
	for _, tt := range tests {
		g := mustGraph(t, chain(tt.n, tt.loop), false)
		s, _ := g.Set(tt.from)
		if got := g.Closure(s).Len(); got != tt.want {
			t.Errorf("%s: closure has %d members; want %d", tt.name, got, tt.want)
		}
	}
}

// TestClosureMatchesReference compares both strategies with a plain
// fixpoint on random graphs.
func TestClosureMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := 1 + rng.IntN(40)
		m := make(map[string][]string, n)
		for i := range n {
			var imp []string
			for range rng.IntN(4) {
				imp = append(imp, fmt.Sprint("n", rng.IntN(n)))
			}
			m[fmt.Sprint("n", i)] = imp
		}
		autoAdmin := round%3 == 0
		table := mustGraph(t, m, autoAdmin)
		walk := mustWalkingGraph(t, m, autoAdmin)
		for range 5 {
			var of []string
			for range 1 + rng.IntN(3) {
				of = append(of, table.Names()[rng.IntN(table.Len())])
			}
			want := referenceClosure(m, autoAdmin, of)
			for name, g := range map[string]*capabilities.Graph{"table": table, "walk": walk} {
				if got := closureNames(t, g, of...); !slices.Equal(got, want) {
					t.Fatalf("round %d %s: Closure(%q) = %q; want %q (graph %v)", round, name, of, got, want, m)
				}
			}
		}
	}
}

func referenceClosure(m map[string][]string, autoAdmin bool, of []string) []string {
	in := make(map[string]bool)
	for _, n := range of {
		in[n] = true
	}
	for changed := true; changed; {
		changed = false
		for n := range in {
			next := m[n]
			if autoAdmin && n == "admin" {
				next = nil
				for k := range m {
					next = append(next, k)
				}
			}
			for _, x := range next {
				if !in[x] {
					in[x], changed = true, true
				}
			}
		}
	}
	out := make([]string, 0, len(in))
	for n := range in {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func TestParseGraph(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		names   []string // want Names, or nil when an error is wanted
		wantErr string
	}{
		{"plain graph", "read: []\nwrite: [read]\n", []string{"admin", "read", "write"}, ""},
		{"null values", "read:\nwrite: [read]\n", []string{"admin", "read", "write"}, ""},
		{"section", "graph:\n  read: []\n  write: [read]\nauto_admin: false\ndefault_capabilities: [read]\n", []string{"read", "write"}, ""},
		{"section defaults admin", "graph: {read: []}\nuser_file: caps.yaml\n", []string{"admin", "read"}, ""},
		{"cap named graph", "graph: [read]\nread: []\n", []string{"admin", "graph", "read"}, ""},
		{"empty", "", []string{"admin"}, ""},
		{"unknown implied", "write: [reed]\n", nil, `"write" implies unknown capability "reed"`},
		{"unknown key in section", "graph: {}\nauto_admn: true\n", nil, "auto_admn"},
		{"not a mapping", "- read\n", nil, "expected a mapping"},
		{"bad yaml", "read: [\n", nil, "capabilities: graph:"},
		{"duplicate key", "read: []\nread: []\n", nil, "already defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := capabilities.ParseGraph([]byte(tt.yaml))
			if tt.names == nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Names(); !slices.Equal(got, tt.names) {
				t.Fatalf("Names = %q; want %q", got, tt.names)
			}
		})
	}
}
