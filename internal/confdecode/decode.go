// Package confdecode decodes oauthgate's YAML configuration: the app's
// keys, the gateway's keys beside them, and the files in
// simple_oauth_server's clients format. One set of rules holds for all:
//
//   - a struct field takes the key of its yaml tag; the keys of a struct
//     field tagged `yaml:",inline"` are its parent's;
//   - a key no field takes is an error naming its path and the closest
//     known key ("did you mean ...?"), unless unknown keys are allowed;
//   - with an environment (Options.LookupEnv), values expand ${NAME} and
//     ${NAME:-default}, and ~CRYPT~ values are decrypted with the password
//     in OAUTHGATE_PASSWORD; without one they are taken as written;
//   - a time.Duration is a Go duration, days ("30d", "1d12h") or seconds;
//   - a [StringList] is one string or a list of strings;
//   - a field tagged `conf:"path"` is a file path, resolved against
//     Options.Dir when relative, that must be readable ([Files] lists
//     them); `conf:"path,written"` one the program writes, created when
//     missing; `conf:"nonempty"` refuses an empty value where leaving the
//     key out is meant.
//
// Every problem is collected, each an [*Error] naming the key's path
// ("upstreams[2].timeouts.read"), so that a file is fixed in one run.
package confdecode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxSize is the largest configuration file read, in bytes.
const MaxSize = 1 << 20

// Options tunes [Decode]. The zero value takes values as written, with no
// unknown key and relative paths left relative.
type Options struct {
	// LookupEnv reads the variables of ${NAME} and the password of ~CRYPT~
	// values ([Password]). nil takes every value as written: for a file
	// the program writes itself, which must not bake a variable's value in.
	LookupEnv func(string) (string, bool)
	// Dir is the folder against which relative `conf:"path"` values are
	// resolved; "" leaves them relative.
	Dir string
	// File names the file in every problem, when it is not the
	// configuration file itself.
	File string
	// AllowUnknownKeys lists the keys no field takes instead of failing.
	AllowUnknownKeys bool
}

// maxProblems bounds the problems kept from hostile input.
const maxProblems = 50

// maxNodes bounds the nodes visited beyond the file's size: aliases can
// make a small file name a node many times.
const maxNodes = 100_000

// ReadFile reads a configuration file of at most [MaxSize] bytes and
// returns it with the absolute path of its folder, against which relative
// paths in it are resolved.
func ReadFile(path string) (data []byte, dir string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", &Error{Reason: "cannot read the configuration file", Err: err}
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, "", &Error{Reason: "cannot read the configuration file", Err: err}
	}
	if len(data) > MaxSize {
		return nil, "", &Error{Reason: fmt.Sprintf("%s is larger than %d bytes", path, MaxSize)}
	}
	dir, err = filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, "", &Error{Reason: "cannot resolve the configuration folder", Err: err}
	}
	return data, dir, nil
}

// Parse parses data, at most [MaxSize] bytes, as one YAML document. An
// empty document gives a nil node, which [Decode] takes as no key.
func Parse(data []byte) (*yaml.Node, error) {
	if len(data) > MaxSize {
		return nil, &Error{Reason: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &Error{Reason: "invalid YAML", Err: err}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, &Error{Reason: "invalid YAML", Err: err}
	case len(next.Content) > 0 && !isNull(next.Content[0]):
		return nil, &Error{Reason: fmt.Sprintf("line %d: a second YAML document (after ---); a configuration is one document", next.Line)}
	}
	return &doc, nil
}

// Decode decodes the YAML node n (a document or its value; nil for none)
// into v, a pointer to a struct, by the rules of the package. It returns
// the unknown keys that opts allows, and every problem joined (each an
// [*Error]). Fields whose value does not decode are left as they were.
func Decode(n *yaml.Node, v any, opts Options) (unknown []string, err error) {
	return DecodeAll(n, opts, Target{Value: v})
}

// expandedSize counts the nodes of the tree, aliases followed, up to
// limit+1.
func expandedSize(n *yaml.Node, limit int) int {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	count := 1
	for _, c := range n.Content {
		if count > limit {
			break
		}
		count += expandedSize(c, limit-count)
	}
	return count
}

// countNodes counts the nodes of the tree without following aliases.
func countNodes(n *yaml.Node) int {
	count := 1
	for _, c := range n.Content {
		count += countNodes(c)
	}
	return count
}

// decoder walks the YAML nodes alongside the Go value. Working on nodes,
// not text, lets ${NAME} and ~CRYPT~ values hold any character without
// breaking the YAML, and gives every problem its key path.
type decoder struct {
	opts    Options
	errs    []error
	dropped int
	unknown []string
	budget  int
	// indirect are the keys whose values came from the environment or a
	// ~CRYPT~ value rather than the file's text.
	indirect []string
}

var (
	durationType   = reflect.TypeFor[time.Duration]()
	timeType       = reflect.TypeFor[time.Time]()
	stringListType = reflect.TypeFor[StringList]()
)

// fail records a value that did not decode.
func (d *decoder) fail(key, reason string, err error) {
	d.add(&Error{File: d.opts.File, Key: key, Reason: reason, Err: err, lost: true})
}

// failKey records a key that is not taken (unknown, or said twice) while
// the rest of its mapping is.
func (d *decoder) failKey(key, reason string) {
	d.add(&Error{File: d.opts.File, Key: key, Reason: reason})
}

func (d *decoder) add(e *Error) {
	if len(d.errs) >= maxProblems {
		d.dropped++
		return
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value, kind fieldKind) {
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.fail(path, "too many values (aliases repeat them)", nil)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || n.Alias.Kind == yaml.AliasNode {
			d.fail(path, "bad alias", nil)
			return
		}
		n = n.Alias
	}
	if isNull(n) {
		return // absent value: keep the zero value (the default)
	}
	switch v.Type() {
	case durationType:
		if s, ok := d.scalar(path, n, kind); ok {
			if dur, err := ParseDuration(s); err != nil {
				d.fail(path, err.Error(), nil)
			} else {
				v.SetInt(int64(dur))
			}
		}
		return
	case stringListType:
		d.decodeList(path, n, v, kind)
		return
	case timeType:
		if s, ok := d.scalar(path, n, kind); ok {
			d.decodeText(path, s, v)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(path, n, elem.Elem(), kind)
		v.Set(elem)
	case reflect.Map:
		d.decodeMap(path, n, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(path, "expected a list, got "+kindName(n), nil)
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i), kind)
		}
		v.Set(s)
	case reflect.String:
		if s, ok := d.scalar(path, n, kind); ok {
			v.SetString(s)
		}
	case reflect.Interface:
		// Free-form data (a mock provider's extra claims): as YAML reads
		// it, without the rules of configuration values, within the
		// budget of visits like the rest.
		if d.budget -= expandedSize(n, d.budget); d.budget < 0 {
			d.fail(path, "too many values (aliases repeat them)", nil)
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(path, "cannot read the value", err)
		}
	default:
		if s, ok := d.scalar(path, n, kind); ok {
			d.decodeText(path, s, v)
		}
	}
}

// decodeText lets YAML read a boolean, a number or a timestamp from a
// value's (expanded) text.
func (d *decoder) decodeText(path, s string, v reflect.Value) {
	tmp := yaml.Node{Kind: yaml.ScalarNode, Value: s}
	if err := tmp.Decode(v.Addr().Interface()); err != nil {
		what := v.Kind().String()
		if v.Type() == timeType {
			what = "time such as 2026-01-02T15:04:05Z"
		}
		d.fail(path, fmt.Sprintf("expected a %s, got %q", what, s), nil)
	}
}

func (d *decoder) decodeList(path string, n *yaml.Node, v reflect.Value, kind fieldKind) {
	items, err := listItems(n)
	if err != nil {
		d.fail(path, err.Error(), nil)
		return
	}
	list := make(StringList, 0, len(items))
	for i, item := range items {
		key := path
		if n.Kind == yaml.SequenceNode {
			key = fmt.Sprintf("%s[%d]", path, i)
		}
		if s, ok := d.scalar(key, item, kind); ok {
			list = append(list, s)
		}
	}
	v.Set(reflect.ValueOf(list))
}

func (d *decoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	info := infoOf(v.Type())
	d.decodeKeys(path, n, info.keys, func(key string) (slot, bool) {
		f, ok := info.fields[key]
		if !ok {
			return slot{}, false
		}
		return slot{v: v.FieldByIndex(f.index), kind: f.kind}, true
	})
}

// decodeKeys decodes the mapping n, each key into the value slot gives
// for it; a key without one is unknown, and keys (sorted) are those
// suggested instead.
func (d *decoder) decodeKeys(path string, n *yaml.Node, keys []string, slotOf func(key string) (slot, bool)) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "expected a mapping, got "+kindName(n), nil)
		return
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, ok := d.mapKey(path, n.Content[i], seen)
		if !ok {
			continue
		}
		s, ok := slotOf(key)
		if !ok {
			if d.opts.AllowUnknownKeys {
				d.unknown = append(d.unknown, join(path, key))
				continue
			}
			reason := "unknown key"
			if near := nearest(key, keys); near != "" {
				reason += fmt.Sprintf(" (did you mean %q?)", near)
			}
			d.failKey(join(path, key), reason)
			continue
		}
		if len(s.shared) > 1 {
			d.decodeShared(join(path, key), n.Content[i+1], s.shared)
			continue
		}
		d.decode(join(path, key), n.Content[i+1], s.v, s.kind)
	}
}

// decodeShared decodes a mapping whose keys several structs share, each
// key into the struct that takes it.
func (d *decoder) decodeShared(path string, n *yaml.Node, structs []reflect.Value) {
	if d.budget--; d.budget < 0 {
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || n.Alias.Kind == yaml.AliasNode {
			d.fail(path, "bad alias", nil)
			return
		}
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	slots := map[string]slot{}
	for _, v := range structs {
		addSlots(slots, v)
	}
	keys := make([]string, 0, len(slots))
	for k := range slots {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d.decodeKeys(path, n, keys, func(key string) (slot, bool) {
		s, ok := slots[key]
		return s, ok
	})
}

func (d *decoder) decodeMap(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "expected a mapping, got "+kindName(n), nil)
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, ok := d.mapKey(path, n.Content[i], seen)
		if !ok {
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(join(path, key), n.Content[i+1], elem, 0)
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

// mapKey reads a mapping key, which must be a plain string said once.
func (d *decoder) mapKey(path string, k *yaml.Node, seen map[string]bool) (string, bool) {
	switch {
	case k.Kind != yaml.ScalarNode:
		d.fail(path, "mapping keys must be strings, got "+kindName(k), nil)
		return "", false
	case k.Value == "<<" && k.Tag == "!!merge":
		d.fail(join(path, k.Value), "merge keys are not supported", nil)
		return "", false
	case seen[k.Value]:
		d.failKey(join(path, k.Value), "key defined twice")
		return "", false
	}
	seen[k.Value] = true
	return k.Value, true
}

// scalar returns a single value's text: with an environment, after
// ${NAME} expansion and ~CRYPT~ decryption; a path resolved against
// Options.Dir.
func (d *decoder) scalar(path string, n *yaml.Node, kind fieldKind) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, "expected a single value, got "+kindName(n), nil)
		return "", false
	}
	s := n.Value
	if lookup := d.opts.LookupEnv; lookup != nil {
		var err error
		if s, err = Expand(s, lookup); err != nil {
			d.fail(path, err.Error(), nil)
			return "", false
		}
		if HasReference(n.Value) || strings.HasPrefix(s, CryptPrefix) {
			d.indirect = append(d.indirect, path)
		}
		if strings.HasPrefix(s, CryptPrefix) {
			password, from, ok := Password(lookup)
			if !ok {
				d.fail(path, fmt.Sprintf("value is encrypted (~CRYPT~) but %s is not set (nor %s)", PasswordEnv, SerieuxPasswordEnv), nil)
				return "", false
			}
			plain, err := Decrypt(password, s)
			if errors.Is(err, ErrWrongPassword) {
				d.fail(path, fmt.Sprintf("cannot decrypt: wrong password or corrupted value (%s)", from), nil)
				return "", false
			} else if err != nil {
				d.fail(path, "cannot decrypt", err)
				return "", false
			}
			s = plain
		}
	}
	if kind&kindNonEmpty != 0 && s == "" {
		d.fail(path, "empty; give a value or leave the key out", nil)
		return "", false
	}
	if kind&kindPath != 0 && s != "" && d.opts.Dir != "" && !filepath.IsAbs(s) {
		s = filepath.Join(d.opts.Dir, s)
	}
	return s, true
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
