package capabilities_test

import (
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
)

func FuzzParseGraph(f *testing.F) {
	for _, seed := range []string{
		"read: []\nwrite: [read]\nmoderate: [read, write]\nannounce: [read, write]\nuser_management: []\n",
		"graph:\n  read: []\n  write: [read]\nauto_admin: false\n",
		"graph: {a: [b], b: [a], c: [c]}\n",
		"a: [b]\nb: [c]\nc: [a]\nd:\n",
		"admin: [x]\nx: []\n",
		"graph: {admin: []}\nauto_admin: false\n",
		"write: [reed]\n",
		"graph: [x]\nx: []\n",
		"'needs: quote': ['#x']\n'#x': []\n",
		"a: &l [b]\nb: *l\n",
		"",
		"- x\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		g, err := capabilities.ParseGraph(data)
		if err != nil {
			return
		}
		names := g.Names()
		if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) || len(names) != g.Len() {
			t.Fatalf("Names not sorted and unique: %q", names)
		}
		walk, err := capabilities.NewGraphWalking(g.Implications(), false)
		if err != nil {
			t.Fatalf("rebuilding from Implications: %v", err)
		}
		for _, n := range names {
			c, ok := g.Lookup(n)
			if !ok || g.Name(c) != n {
				t.Fatalf("Lookup(%q) = %d, %v", n, c, ok)
			}
			s, _ := g.Set(n)
			cl := g.Closure(s)
			if !cl.Has(c) || !g.Closure(cl).Equal(cl) {
				t.Fatalf("closure of %q is not closed or lacks it: %q", n, g.SetNames(cl))
			}
			ws, _ := walk.Set(n)
			if got, want := walk.SetNames(walk.Closure(ws)), g.SetNames(cl); !slices.Equal(got, want) {
				t.Fatalf("closure of %q: walk %q, table %q", n, got, want)
			}
			if n == capabilities.AdminCapability && g.AutoAdmin() && !cl.Equal(g.All()) {
				t.Fatalf("admin does not imply everything")
			}
		}
	})
}
