package confdecode

import (
	"slices"
	"testing"
)

type indirectTarget struct {
	A, B, C, D string
	keys       []string
}

func (t *indirectTarget) IndirectValue(key string) { t.keys = append(t.keys, key) }

// A target learns which values did not come from the file's text.
func TestIndirectValues(t *testing.T) {
	t.Parallel()
	env := map[string]string{"X": "from-env", PasswordEnv: "a long enough password"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	doc, err := Parse([]byte("a: ${X}\nb: literal\nc: " + Encrypt(env[PasswordEnv], "sealed") + "\nd: $${X}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var v indirectTarget
	if _, err := Decode(doc, &v, Options{LookupEnv: lookup}); err != nil {
		t.Fatal(err)
	}
	if v.A != "from-env" || v.C != "sealed" || v.D != "${X}" || !slices.Equal(v.keys, []string{"a", "c"}) {
		t.Errorf("values %q %q %q, indirect %q; want indirect [a c]", v.A, v.C, v.D, v.keys)
	}
}
