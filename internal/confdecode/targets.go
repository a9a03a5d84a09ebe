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

// IndirectValues is implemented by a target that tells a value written
// out in the file from one read from the environment (${NAME}) or
// decrypted (~CRYPT~), such as a secret worth a warning only in the
// first case. After decoding, [DecodeAll] calls IndirectValue with the
// key path of each value of the second kind ("clients.job.client_secret").
type IndirectValues interface {
	IndirectValue(key string)
}

// DecodeAll is [Decode] for a file whose top-level keys belong to several
// owners, such as the app's keys beside those of the packages plugged
// into it: each key is decoded into the target that takes it, by the same
// rules, and a key that no target takes is unknown, its suggestion the
// closest key of any target. Every problem of every target is collected.
// It panics when two targets take one key or a Value is not a pointer to
// a struct: both are wiring mistakes.
func DecodeAll(n *yaml.Node, opts Options, targets ...Target) (unknown []string, err error) {
	slots := map[string]slot{}
	for _, t := range targets {
		rv := reflect.ValueOf(t.Value)
		if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
			panic(fmt.Sprintf("confdecode: a configuration decodes into pointers to structs, not %T", t.Value))
		}
		if t.Key != "" {
			takeSlot(slots, t.Key, slot{v: rv.Elem()}, false)
			continue
		}
		addSlots(slots, rv.Elem())
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
	d.decodeKeys("", n, keys, func(key string) (slot, bool) {
		s, ok := slots[key]
		return s, ok
	})
	if d.dropped > 0 {
		d.errs = append(d.errs, &Error{File: opts.File, Reason: fmt.Sprintf("and %d more problems", d.dropped)})
	}
	for _, t := range targets {
		if iv, ok := t.Value.(IndirectValues); ok {
			for _, key := range d.indirect {
				iv.IndirectValue(key)
			}
		}
	}
	return d.unknown, errors.Join(d.errs...)
}

// slot is where the value of one key is decoded: v, or, for a mapping
// that several owners share (such as throttle:, whose keys are split
// between the app and a plugged-in package), the structs of shared,
// each taking its own keys of the mapping.
type slot struct {
	v      reflect.Value
	kind   fieldKind
	shared []reflect.Value
}

// addSlots lends the keys of the struct v to slots.
func addSlots(slots map[string]slot, v reflect.Value) {
	info := infoOf(v.Type())
	for _, k := range info.keys {
		f := info.fields[k]
		takeSlot(slots, k, slot{v: v.FieldByIndex(f.index), kind: f.kind}, true)
	}
}

// takeSlot gives key to s. A key taken twice is a wiring mistake, unless
// both owners take it as a plain struct of their own keys (mergeable),
// which then share the mapping.
func takeSlot(slots map[string]slot, key string, s slot, mergeable bool) {
	prev, dup := slots[key]
	switch {
	case !dup:
		if mergeable && isPlainStruct(s.v) {
			s.shared = []reflect.Value{s.v}
		}
		slots[key] = s
	case mergeable && prev.shared != nil && isPlainStruct(s.v):
		prev.shared = append(prev.shared, s.v)
		slots[key] = prev
	default:
		panic(fmt.Sprintf("confdecode: the configuration key %q is taken by two sections", key))
	}
}

// isPlainStruct reports whether v decodes as a mapping of its fields' keys.
func isPlainStruct(v reflect.Value) bool {
	return v.Kind() == reflect.Struct && v.Type() != timeType
}
