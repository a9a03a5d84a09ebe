// Package jsonpath reads one value of a JSON document by a path of object
// keys joined with dots, such as "profile.email": the email_path,
// email_verified_path and subject_path of a plain OAuth 2.0 provider's
// user-info answer. There is no escaping, no array index and no wildcard:
// a key holding a dot cannot be named, which no user-info answer needs.
package jsonpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of a path: a configuration names a few short keys.
const (
	MaxLen      = 256
	MaxSegments = 16
)

// Check returns why path is not a valid path, or "".
func Check(path string) string {
	switch {
	case path == "":
		return "empty path"
	case len(path) > MaxLen:
		return fmt.Sprintf("longer than %d bytes", MaxLen)
	case strings.Count(path, ".") >= MaxSegments:
		return fmt.Sprintf("more than %d keys", MaxSegments)
	case !utf8.ValidString(path):
		return "not valid UTF-8"
	}
	for _, key := range strings.Split(path, ".") {
		if key == "" {
			return fmt.Sprintf("%q has an empty key (two dots, or a dot at an end)", path)
		}
		if strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Sprintf("%q holds a space or control character", path)
		}
	}
	return ""
}

// Lookup returns the value at path in the JSON document data, as its raw
// JSON text. ok is false when path is invalid, data is not JSON, a key is
// missing, a step is not an object, or the value is null.
func Lookup(data []byte, path string) (value json.RawMessage, ok bool) {
	if Check(path) != "" {
		return nil, false
	}
	cur := json.RawMessage(data)
	for _, key := range strings.Split(path, ".") {
		var obj map[string]json.RawMessage
		if t := bytes.TrimSpace(cur); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &obj) != nil {
			return nil, false
		}
		if cur, ok = obj[key]; !ok {
			return nil, false
		}
	}
	cur = bytes.TrimSpace(cur)
	if len(cur) == 0 || string(cur) == "null" {
		return nil, false
	}
	return cur, true
}

// String returns the value at path when it is a JSON string, or a number
// written as text (a subject may be numeric: {"id": 123} gives "123").
func String(data []byte, path string) (string, bool) {
	raw, ok := Lookup(data, path)
	if !ok {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}

// True reports whether the value at path is the boolean true, or the
// string "true" in any case (some providers send flags as strings).
func True(data []byte, path string) bool {
	raw, ok := Lookup(data, path)
	if !ok {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}
