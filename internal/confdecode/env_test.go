package confdecode

import "testing"

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	env := envMap(map[string]string{"A": "x", "E": "", "D": "$"})
	for in, want := range map[string]string{
		"plain":         "plain",
		"pa$$word":      "pa$$word",
		"$A":            "$A",
		"${A}":          "x",
		"${A}${A}-${A}": "xx-x",
		"$${A}":         "${A}",
		"${E}":          "",
		"${E:-def}":     "def",
		"${U:-a:-b}":    "a:-b",
		"${U:-}":        "",
		"${D}{A}":       "${A}",
		"{${A}}":        "{x}",
	} {
		got, err := Expand(in, env)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"${U}", "${", "${A", "${-x}", "${A B}"} {
		if got, err := Expand(in, env); err == nil {
			t.Errorf("Expand(%q) = %q; want an error", in, got)
		}
	}
}

func TestHasReference(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"plain": false, "pa$$word": false, "$A": false, "$${A}": false,
		"a$": false, "${A}": true, "x${A:-d}": true, "$${A}${B}": true, "${": true,
	} {
		if got := HasReference(s); got != want {
			t.Errorf("HasReference(%q) = %v; want %v", s, got, want)
		}
	}
}
