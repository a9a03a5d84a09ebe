package confdecode

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// sample has a field of every kind the decoder knows.
type sample struct {
	Name     string            `yaml:"name"`
	Required string            `yaml:"required" conf:"nonempty"`
	File     string            `yaml:"file" conf:"path"`
	Files    []string          `yaml:"files" conf:"path"`
	TTL      time.Duration     `yaml:"ttl"`
	Scope    StringList        `yaml:"scope"`
	Count    int               `yaml:"count"`
	On       *bool             `yaml:"on"`
	When     time.Time         `yaml:"when"`
	Labels   map[string]string `yaml:"labels"`
	Extra    map[string]any    `yaml:"extra"`
	Items    []item            `yaml:"items"`
	Nested   `yaml:",inline"`
	Skipped  string `yaml:"-"`
}

type item struct {
	Key     string        `yaml:"key"`
	Timeout time.Duration `yaml:"timeout"`
}

type Nested struct {
	Level string `yaml:"level"`
}

func decodeString(t *testing.T, text string, opts Options) (sample, []string, error) {
	t.Helper()
	doc, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var s sample
	unknown, err := Decode(doc, &s, opts)
	return s, unknown, err
}

// keysOf returns the key of every problem in err, in order; it fails on a
// problem that is not an *Error.
func keysOf(t *testing.T, err error) []string {
	t.Helper()
	var keys []string
	for _, e := range Flatten(err) {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Fatalf("%v (%T) is not an *Error", e, e)
		}
		keys = append(keys, ce.Key)
	}
	return keys
}

func TestDecodeValues(t *testing.T) {
	t.Parallel()
	env := envMap(map[string]string{"NAME": "from-env", PasswordEnv: "pw"})
	dir := t.TempDir()
	s, _, err := decodeString(t, `
name: ${NAME}
required: ${MISSING:-default}
file: rel/a.pem
files: [b.pem, /abs/c.pem]
ttl: 1d12h
scope: "read write"
count: 3
on: false
when: 2026-01-02T03:04:05Z
labels: {a: "${NAME}", b: ~CRYPT~`+strings.TrimPrefix(Encrypt("pw", "opened"), CryptPrefix)+`}
extra: {n: 1, list: [a, {b: c}]}
items:
  - {key: x, timeout: 60}
  - {key: y, timeout: -1s}
level: inline
`, Options{LookupEnv: env, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := sample{
		Name: "from-env", Required: "default", File: filepath.Join(dir, "rel/a.pem"),
		Files: []string{filepath.Join(dir, "b.pem"), "/abs/c.pem"}, TTL: 36 * time.Hour,
		Scope: StringList{"read write"}, Count: 3, On: new(bool),
		When:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Labels: map[string]string{"a": "from-env", "b": "opened"},
		Extra:  map[string]any{"n": 1, "list": []any{"a", map[string]any{"b": "c"}}},
		Items:  []item{{"x", time.Minute}, {"y", -time.Second}},
		Nested: Nested{Level: "inline"},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
}

// Without an environment, values are taken as written.
func TestDecodeWithoutEnvironment(t *testing.T) {
	t.Parallel()
	s, _, err := decodeString(t, "name: ${NAME}\nrequired: ~CRYPT~gAAAA\nfile: rel.pem\n", Options{})
	if err != nil || s.Name != "${NAME}" || s.Required != "~CRYPT~gAAAA" || s.File != "rel.pem" {
		t.Fatalf("%+v, %v", s, err)
	}
}

// Null keeps the value already there: the default.
func TestDecodeNullKeepsDefault(t *testing.T) {
	t.Parallel()
	doc, _ := Parse([]byte("name: ~\nttl:\nscope: null\n"))
	s := sample{Name: "default", TTL: time.Second, Scope: StringList{"x"}}
	if _, err := Decode(doc, &s, Options{}); err != nil || s.Name != "default" || s.TTL != time.Second || len(s.Scope) != 1 {
		t.Fatalf("%+v, %v", s, err)
	}
	for _, empty := range []string{"", "# nothing\n", "~\n", "---\n"} {
		doc, err := Parse([]byte(empty))
		if err != nil {
			t.Fatalf("Parse(%q): %v", empty, err)
		}
		if _, err := Decode(doc, &s, Options{}); err != nil {
			t.Errorf("Decode(%q): %v", empty, err)
		}
	}
}

func TestDecodeProblems(t *testing.T) {
	t.Parallel()
	env := envMap(map[string]string{"EMPTY": "", PasswordEnv: "pw"})
	for _, tc := range []struct {
		name, text, key, reason string
	}{
		{"unknown key", "nmae: x", "nmae", `unknown key (did you mean "name"?)`},
		{"unknown inline key", "levle: x", "levle", `did you mean "level"?`},
		{"unknown far key", "colour: x", "colour", "unknown key"},
		{"nested unknown key", "items: [{key: a}, {kye: b}]", "items[1].kye", `did you mean "key"?`},
		{"said twice", "name: a\nname: b", "name", "key defined twice"},
		{"map key twice", "labels: {a: x, a: y}", "labels.a", "key defined twice"},
		{"merge key", "items: [&i {key: a}, {<<: *i, timeout: 1s}]", "items[1].<<", "merge keys"},
		{"bad duration", "items: [{timeout: soon}]", "items[0].timeout", `bad duration "soon"`},
		{"too long", "ttl: 36501d", "ttl", "bad duration"},
		{"list for a string", "name: [a]", "name", "expected a single value, got a list"},
		{"mapping for a list", "files: {a: b}", "files", "expected a list, got a mapping"},
		{"mapping for a string list", "scope: {a: b}", "scope", "expected a string or a list of strings, got a mapping"},
		{"list in a string list", "scope: [a, [b]]", "scope", "got a list holding a list"},
		{"string for a mapping", "labels: x", "labels", `expected a mapping, got "x"`},
		{"bad number", "count: many", "count", `expected a int, got "many"`},
		{"bad time", "when: yesterday", "when", `expected a time`},
		{"unset variable", "name: ${NOPE}", "name", "environment variable NOPE is not set"},
		{"bad variable", "name: ${1X}", "name", "bad variable name"},
		{"empty where set means set", "required: ${EMPTY}", "required", "empty; give a value or leave the key out"},
		{"wrong password", "name: " + Encrypt("other", "x"), "name", "wrong password"},
		{"not a mapping", "- a", "", "expected a mapping, got a list"},
		{"key not a string", "? [a]\n: b", "", "mapping keys must be strings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := decodeString(t, tc.text, Options{LookupEnv: env})
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Reason, tc.reason) {
				t.Fatalf("err = %v; want key %q, reason with %q", err, tc.key, tc.reason)
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("message %q does not start with config:", err)
			}
		})
	}
	_, _, err := decodeString(t, "name: "+Encrypt("pw", "x"), Options{LookupEnv: envMap(nil)})
	if err == nil || !strings.Contains(err.Error(), PasswordEnv+" is not set") {
		t.Errorf("~CRYPT~ without a password: %v", err)
	}
}

// Every problem of a file comes back from one run, in the file's order.
func TestDecodeReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, _, err := decodeString(t, `
nmae: x
ttl: soon
items:
  - {key: a, timeout: 1h}
  - {key: [b], timout: 1s}
scope: {}
`, Options{})
	want := []string{"nmae", "ttl", "items[1].key", "items[1].timout", "scope"}
	if got := keysOf(t, err); !slices.Equal(got, want) {
		t.Fatalf("keys %q; want %q\n%v", got, want, err)
	}
	var many strings.Builder
	for i := range 2 * maxProblems {
		fmt.Fprintf(&many, "k%d: x\n", i)
	}
	_, _, err = decodeString(t, many.String(), Options{})
	if got := Flatten(err); len(got) != maxProblems+1 || !strings.Contains(got[maxProblems].Error(), fmt.Sprintf("and %d more problems", maxProblems)) {
		t.Errorf("%d problems, the last %v", len(got), got[len(got)-1])
	}
}

func TestDecodeAllowUnknownKeys(t *testing.T) {
	t.Parallel()
	s, unknown, err := decodeString(t, "name: a\nother: {x: 1}\nitems: [{key: k, more: 2}]\n", Options{AllowUnknownKeys: true})
	if err != nil || s.Name != "a" || !slices.Equal(unknown, []string{"other", "items[0].more"}) {
		t.Fatalf("%+v %q %v", s, unknown, err)
	}
}

// Aliases are followed, but a file cannot make the decoder visit more
// nodes than its size allows.
func TestDecodeAliases(t *testing.T) {
	t.Parallel()
	s, _, err := decodeString(t, "labels: &l {a: b}\nextra: {}\nitems: [&i {key: k}, *i]\n", Options{})
	if err != nil || len(s.Items) != 2 || s.Items[1].Key != "k" {
		t.Fatalf("%+v %v", s, err)
	}
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		bomb += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	doc, err := Parse([]byte(bomb))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var deep struct {
		J [][][][][][][][][][]string `yaml:"j"` // 10^10 strings
	}
	_, err = Decode(doc, &deep, Options{AllowUnknownKeys: true})
	if err == nil || !strings.Contains(err.Error(), "too many values") {
		t.Errorf("alias bomb: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("alias bomb took %v", d)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"a: [":                         "invalid YAML",
		"a: 1\n---\nb: 2\n":            "a second YAML document",
		strings.Repeat("#", MaxSize+1): "larger than",
	} {
		if _, err := Parse([]byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.20q) = %v; want %q", text, err, want)
		}
	}
	if doc, err := Parse([]byte("a: 1\n---\n")); err != nil || doc == nil {
		t.Errorf("an empty second document: %v", err)
	}
}

// A struct whose fields share a key is a programming error, caught at its
// first decode.
func TestDecodeRefusesAmbiguousStruct(t *testing.T) {
	t.Parallel()
	type inner struct {
		Name string `yaml:"name"`
	}
	type twice struct {
		Name  string `yaml:"name"`
		Inner inner  `yaml:",inline"`
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `"name"`) {
			t.Errorf("recover() = %v", r)
		}
	}()
	var n yaml.Node
	_ = yaml.Unmarshal([]byte("name: x"), &n)
	_, _ = Decode(&n, &twice{}, Options{})
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour,
		"3600": time.Hour, " 60 ": time.Minute, "0": 0, "-1": -time.Second, "-1s": -time.Second, "-2d": -48 * time.Hour,
		"36500d": 36500 * 24 * time.Hour,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-", "--1", "+1", "soon", "1x", "d", "1d-1h", "1d+1h", "36501d", "3153600001", "1.5d", "1e3"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v; want an error", in, got)
		}
	}
}

func TestJoin(t *testing.T) {
	t.Parallel()
	lost := func(key string) error { return &Error{Key: key, Reason: "did not decode", lost: true} }
	check := func(key string) error { return &Error{Key: key, Reason: "checked"} }
	decodeErr := errors.Join(lost("a.b"), lost("c[1].d"), &Error{Key: "e", Reason: "unknown key"})
	checkErr := errors.Join(check("a.b"), check("a.b.c"), check("a"), check("c[1]"), check("c[0].d"), check("e"), check(""), errors.New("other"))
	var keys []string
	for _, e := range Flatten(Join(decodeErr, checkErr)) {
		var ce *Error
		if errors.As(e, &ce) {
			keys = append(keys, ce.Key+"/"+ce.Reason)
		} else {
			keys = append(keys, e.Error())
		}
	}
	want := []string{"a.b/did not decode", "c[1].d/did not decode", "e/unknown key", "c[0].d/checked", "e/checked", "/checked", "other"}
	if !slices.Equal(keys, want) {
		t.Errorf("Join kept %q; want %q", keys, want)
	}
	if Join(nil, nil) != nil {
		t.Error("Join(nil, nil) is not nil")
	}
	if one := check("x"); Join(nil, one) != one {
		t.Error("a single problem comes back joined")
	}
}

func TestStringList(t *testing.T) {
	t.Parallel()
	var v struct {
		L StringList `yaml:"l"`
	}
	for text, want := range map[string][]string{"l: a b": {"a b"}, "l: [a, b c]": {"a", "b c"}, "l: ~": nil, "l: []": {}} {
		v.L = StringList{"old"}
		if err := yaml.Unmarshal([]byte(text), &v); err != nil || !reflect.DeepEqual([]string(v.L), want) {
			t.Errorf("yaml.Unmarshal(%q) = %q, %v; want %q", text, v.L, err, want)
		}
	}
	if err := yaml.Unmarshal([]byte("l: {a: b}"), &v); err == nil || !strings.Contains(err.Error(), "string or a list") {
		t.Errorf("a mapping: %v", err)
	}
	if got := (StringList{"read  write", "admin"}).Words(); !slices.Equal(got, []string{"read", "write", "admin"}) {
		t.Errorf("Words = %q", got)
	}
}

// Free-form values count against the same budget as the rest.
func TestDecodeAliasesInFreeFormValues(t *testing.T) {
	t.Parallel()
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'i'; i++ {
		bomb += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	bomb += "extra: {k1: *i, k2: *i, k3: *i, k4: *i, k5: *i, k6: *i, k7: *i, k8: *i}\n"
	doc, err := Parse([]byte(bomb))
	if err != nil {
		t.Fatal(err)
	}
	var s sample
	if _, err := Decode(doc, &s, Options{AllowUnknownKeys: true}); err == nil || !strings.Contains(err.Error(), "too many values") {
		t.Errorf("alias bomb in free-form values: %v", err)
	}
}
