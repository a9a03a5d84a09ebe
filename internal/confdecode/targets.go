package confdecode

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"gopkg.in/yaml.v3"
)

// Target is one owner of the top-level keys of a file that [DecodeAll]
// decodes: Value, a pointer to a struct, takes the keys of its fields
// when Key is "", or the whole value of the top-level key Key otherwise.
type Target struct {
	Key   string
	Value any
}

// DecodeAll is [Decode] for a file whose top-level keys belong to several
// owners, such as the app's keys beside those of the packages plugged
// into it: each key is decoded into the target that takes it, by the same
// rules, and a key that no target takes is unknown, its suggestion the
// closest key of any target. Every problem of every target is collected.
// It panics when two targets take one key or a Value is not a pointer to
// a struct: both are wiring mistakes.
func DecodeAll(n *yaml.Node, opts Options, targets ...Target) (unknown []string, err error) {
	type slot struct {
		v    reflect.Value
		kind fieldKind
	}
	slots := map[string]slot{}
	take := func(key string, s slot) {
		if _, dup := slots[key]; dup {
			panic(fmt.Sprintf("confdecode: the configuration key %q is taken by two sections", key))
		}
		slots[key] = s
	}
	for _, t := range targets {
		rv := reflect.ValueOf(t.Value)
		if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
			panic(fmt.Sprintf("confdecode: a configuration decodes into pointers to structs, not %T", t.Value))
		}
		if t.Key != "" {
			take(t.Key, slot{v: rv.Elem()})
			continue
		}
		info := infoOf(rv.Elem().Type())
		for _, k := range info.keys {
			f := info.fields[k]
			take(k, slot{v: rv.Elem().FieldByIndex(f.index), kind: f.kind})
		}
	}
	keys := make([]string, 0, len(slots))
	for k := range slots {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if n == nil || n.Kind == 0 {
		return nil, nil
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, nil
		}
		n = n.Content[0]
	}
	if isNull(n) {
		return nil, nil
	}
	d := &decoder{opts: opts, budget: maxNodes + countNodes(n)}
	d.decodeKeys("", n, keys, func(key string) (reflect.Value, fieldKind, bool) {
		s, ok := slots[key]
		return s.v, s.kind, ok
	})
	if d.dropped > 0 {
		d.errs = append(d.errs, &Error{File: opts.File, Reason: fmt.Sprintf("and %d more problems", d.dropped)})
	}
	return d.unknown, errors.Join(d.errs...)
}
