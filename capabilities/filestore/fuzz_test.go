package filestore_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

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
		if scanned, ok := filestore.ScanUserFile(data); ok {
			parsed, err := filestore.ParseUserYAML(data)
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
		users, err := filestore.DecodeUserFile(data, g, "fuzz.yaml")
		if err != nil {
			return
		}
		out, err := filestore.EncodeUserFile(users)
		if err != nil {
			t.Fatalf("encoding what loaded: %v", err)
		}
		again, err := filestore.DecodeUserFile(out, g, "fuzz.yaml")
		if err != nil {
			t.Fatalf("reloading what was written: %v\n%s", err, out)
		}
		if !maps.EqualFunc(users, again, slices.Equal) {
			t.Fatalf("round trip changed the data:\n%q\n%q", users, again)
		}
		if out2, _ := filestore.EncodeUserFile(again); string(out2) != string(out) {
			t.Fatalf("output not stable:\n%s\n%s", out, out2)
		}
	})
}
