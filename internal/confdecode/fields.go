package confdecode

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// field is one YAML key of a struct.
type field struct {
	index []int // for reflect.Value.FieldByIndex, through inline structs
	kind  fieldKind
}

// fieldKind holds the rules a `conf:"..."` tag adds to a field.
type fieldKind uint8

const (
	// kindPath: a file path, resolved against Options.Dir when relative.
	kindPath fieldKind = 1 << iota
	// kindNonEmpty: present means set; an empty value is an error, where
	// leaving the key out is meant (an empty ${VAR} must not turn a
	// feature off unnoticed).
	kindNonEmpty
	// kindWritten: a path the program writes, created when missing.
	kindWritten
)

// structInfo is the YAML view of a struct type.
type structInfo struct {
	fields map[string]field
	keys   []string // sorted, for suggestions
}

var structInfos sync.Map // reflect.Type → *structInfo

// infoOf returns t's YAML keys: a field's yaml tag name (or its lower-case
// name), "-" skipped, the keys of a struct tagged `yaml:",inline"` lent
// to its parent. Two fields with one key are a programming error.
func infoOf(t reflect.Type) *structInfo {
	if info, ok := structInfos.Load(t); ok {
		return info.(*structInfo)
	}
	info := &structInfo{fields: map[string]field{}}
	addFields(info, t, nil)
	for k := range info.fields {
		info.keys = append(info.keys, k)
	}
	slices.Sort(info.keys)
	actual, _ := structInfos.LoadOrStore(t, info)
	return actual.(*structInfo)
}

func addFields(info *structInfo, t reflect.Type, parent []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		index := append(slices.Clone(parent), i)
		if name == "" && slices.Contains(strings.Split(opts, ","), "inline") {
			if f.Type.Kind() != reflect.Struct {
				panic(fmt.Sprintf("confdecode: %s.%s: only a struct can be inline", t, f.Name))
			}
			addFields(info, f.Type, index)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := info.fields[name]; dup {
			panic(fmt.Sprintf("confdecode: %s: two fields take the key %q", t, name))
		}
		var kind fieldKind
		for _, k := range strings.Split(f.Tag.Get("conf"), ",") {
			switch k {
			case "":
			case "path":
				kind |= kindPath
			case "nonempty":
				kind |= kindNonEmpty
			case "written":
				kind |= kindWritten
			default:
				panic(fmt.Sprintf("confdecode: %s.%s: unknown conf tag %q", t, f.Name, k))
			}
		}
		info.fields[name] = field{index: index, kind: kind}
	}
}
