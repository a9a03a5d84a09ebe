package jsonpath

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		want string // a part of the reason; "" for a valid path
	}{
		{"email", ""},
		{"profile.email", ""},
		{"a.b.c.d", ""},
		{"email_verified", ""},
		{"", "empty"},
		{".email", "empty key"},
		{"email.", "empty key"},
		{"profile..email", "empty key"},
		{"pro file.email", "space"},
		{"a\x00b", "control"},
		{"\xec", "UTF-8"},
		{strings.Repeat("a", MaxLen+1), "longer"},
		{strings.Repeat("a.", MaxSegments) + "a", "more than"},
	} {
		got := Check(tc.path)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("Check(%q) = %q; want %q", tc.path, got, tc.want)
		}
	}
}

// doc is a user-info answer shaped like those of plain OAuth 2.0
// providers: a numeric id, a nested profile, flags as booleans or text.
const doc = `{
  "id": 123,
  "sub": "u-1",
  "big": 12345678901234567890,
  "profile": {"email": "a@example.com", "email_verified": true, "name": "A", "tags": ["x"]},
  "flags": {"verified": "TRUE", "no": "false", "one": 1},
  "nothing": null,
  "list": [{"email": "b@example.com"}]
}`

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path    string
		str     string
		strOK   bool
		isTrue  bool
		present bool
	}{
		{path: "id", str: "123", strOK: true, present: true},
		{path: "big", str: "12345678901234567890", strOK: true, present: true},
		{path: "sub", str: "u-1", strOK: true, present: true},
		{path: "profile.email", str: "a@example.com", strOK: true, present: true},
		{path: "profile.email_verified", isTrue: true, present: true},
		{path: "profile.name", str: "A", strOK: true, present: true},
		{path: "profile", present: true},
		{path: "profile.tags", present: true},
		{path: "flags.verified", str: "TRUE", strOK: true, isTrue: true, present: true},
		{path: "flags.no", str: "false", strOK: true, present: true},
		{path: "flags.one", str: "1", strOK: true, present: true}, // 1 is not true
		{path: "nothing"},
		{path: "missing"},
		{path: "profile.missing"},
		{path: "id.deeper"},       // a number has no keys
		{path: "list.email"},      // no array steps
		{path: "profile.email.x"}, // a string has no keys
		{path: "profile..email"},  // invalid path
		{path: "email"},           // only at the top level
	} {
		_, present := Lookup([]byte(doc), tc.path)
		s, strOK := String([]byte(doc), tc.path)
		if present != tc.present || strOK != tc.strOK || s != tc.str || True([]byte(doc), tc.path) != tc.isTrue {
			t.Errorf("%s: present %v, String %q %v, True %v; want %v, %q %v, %v",
				tc.path, present, s, strOK, True([]byte(doc), tc.path), tc.present, tc.str, tc.strOK, tc.isTrue)
		}
	}
	for _, data := range []string{"", "null", "[]", `"x"`, "{", `{"email": }`} {
		if v, ok := Lookup([]byte(data), "email"); ok {
			t.Errorf("Lookup(%q) = %s; want nothing", data, v)
		}
	}
}

// FuzzLookup: never panics; a value found is valid JSON and not null; a
// value nested under a valid path is found again, unchanged.
func FuzzLookup(f *testing.F) {
	f.Add([]byte(doc), "profile.email", []byte(`"x"`))
	f.Add([]byte(`{"a":{"b":1}}`), "a.b", []byte(`true`))
	f.Add([]byte(`{"a":[1]}`), "a.0", []byte(`{}`))
	f.Add([]byte(`{"a.b":1}`), "a.b", []byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte, path string, value []byte) {
		if v, ok := Lookup(data, path); ok {
			if !json.Valid(v) || string(v) == "null" {
				t.Fatalf("Lookup(%q, %q) = %q", data, path, v)
			}
		}
		_, _ = String(data, path)
		_ = True(data, path)

		if Check(path) != "" || !json.Valid(value) {
			return
		}
		nested := json.RawMessage(value)
		keys := strings.Split(path, ".")
		for i := len(keys) - 1; i >= 0; i-- {
			b, err := json.Marshal(map[string]json.RawMessage{keys[i]: nested})
			if err != nil {
				return
			}
			nested = b
		}
		got, ok := Lookup(nested, path)
		want := decode(value)
		if ok == (want == nil) {
			t.Fatalf("Lookup(%s, %q) = %q, %v; want %s", nested, path, got, ok, value)
		}
		if ok && !reflect.DeepEqual(decode(got), want) {
			t.Fatalf("Lookup(%s, %q) = %s; want %s", nested, path, got, value)
		}
	})
}

// decode decodes JSON with numbers kept as text.
func decode(data []byte) any {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	_ = d.Decode(&v)
	return v
}
