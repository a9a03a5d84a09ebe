package capabilities_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/storetest"
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

func FuzzLoadUserFile(f *testing.F) {
	for _, seed := range []string{
		easyOAuthFile,
		"a@x.com: [read, write]\nb@x.com: []\nc@x.com:\n",
		"# users\na@x.com: # two\n  - write # w\n\n  # r\n  - read\n",
		"a@x.com:\n- write\n- read\n",
		"\"a@x.com\": ['write', \"read\"]\n'b@x.com': []\nc@x.com: ~\n",
		"{a@x.com: [write], b@x.com: []}\n",
		"---\na@x.com: [read]\n...\n",
		"a@x.com: [read]\r\n",
		"a@x.com: [\"needs: quote\", \"#hash\", \"-dash\", \"multi\\nline\", \"true\", \"  padded  \"]\n",
		"A@x.com: []\na@x.com: []\n",
		"a@x.com: [read]\na@x.com: [read]\n",
		"a@x.com: [bake]\n",
		"a@x.com: &l [read]\nb@x.com: *l\n",
		"a@x.com: [!!binary cmVhZA==]\n",
		"null: [read]\n",
		"a@x.com:\n  - read\n - write\n",
		"a@x.com: [read,write,]\n",
		"{}\n",
	} {
		f.Add([]byte(seed))
	}
	g := storetest.Graph(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16384 {
			return
		}
		// The line scanner must agree with yaml.v3 whenever it accepts.
		if scanned, ok := capabilities.ScanUserFile(data); ok {
			parsed, err := capabilities.ParseUserYAML(data)
			if err != nil {
				t.Fatalf("scanner accepted what yaml.v3 rejects (%v)", err)
			}
			if len(scanned) != len(parsed) {
				t.Fatalf("scanner read %d users, yaml.v3 %d:\n%+v\n%+v", len(scanned), len(parsed), scanned, parsed)
			}
			for i := range scanned {
				s, p := scanned[i], parsed[i]
				if s.Email != p.Email || s.Line != p.Line || !slices.Equal(s.Caps, p.Caps) || (s.Caps == nil) != (p.Caps == nil) {
					t.Fatalf("user %d: scanner %+v, yaml.v3 %+v", i, s, p)
				}
			}
		}
		users, err := capabilities.DecodeUserFile(data, g, "fuzz.yaml")
		if err != nil {
			return
		}
		out, err := capabilities.EncodeUserFile(users)
		if err != nil {
			t.Fatalf("encoding what loaded: %v", err)
		}
		again, err := capabilities.DecodeUserFile(out, g, "fuzz.yaml")
		if err != nil {
			t.Fatalf("reloading what was written: %v\n%s", err, out)
		}
		if !maps.EqualFunc(users, again, slices.Equal) {
			t.Fatalf("round trip changed the data:\n%q\n%q", users, again)
		}
		if out2, _ := capabilities.EncodeUserFile(again); string(out2) != string(out) {
			t.Fatalf("output not stable:\n%s\n%s", out, out2)
		}
	})
}
