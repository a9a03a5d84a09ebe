package confdecode

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// File is a file a configuration names: a value of a field tagged
// `conf:"path"`.
type File struct {
	Key  string // the key's path, such as "upstreams[1].ca_file"
	Path string
	// Written: the program writes it and creates it when missing
	// (`conf:"path,written"`), so a missing file needs a writable folder.
	Written bool
}

// Files lists the files named in v, a decoded configuration (a pointer to
// a struct), by the `conf:"path"` tags of its fields: the one list of the
// files a configuration names. Empty values are left out.
func Files(v any) []File {
	var out []File
	walkFiles("", reflect.ValueOf(v), 0, &out)
	return out
}

func walkFiles(path string, v reflect.Value, kind fieldKind, out *[]File) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkFiles(path, v.Elem(), kind, out)
		}
	case reflect.Struct:
		info := infoOf(v.Type())
		for _, k := range info.keys {
			f := info.fields[k]
			walkFiles(join(path, k), v.FieldByIndex(f.index), f.kind, out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkFiles(fmt.Sprintf("%s[%d]", path, i), v.Index(i), kind, out)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			walkFiles(join(path, k.String()), v.MapIndex(k), kind, out)
		}
	case reflect.String:
		if kind&kindPath != 0 && v.String() != "" {
			*out = append(*out, File{Key: path, Path: v.String(), Written: kind&kindWritten != 0})
		}
	}
}

// Check reports whether the program can use the file: an existing
// regular file it can read, or, for a Written one that is missing, a
// folder it can create the file in. The error names the key.
func (f File) Check() error {
	bad := func(reason string, err error) error {
		return &Error{Key: f.Key, Reason: reason, Err: err}
	}
	fi, err := os.Stat(f.Path)
	switch {
	case errors.Is(err, os.ErrNotExist) && f.Written:
		dir := filepath.Dir(f.Path)
		tmp, err := os.CreateTemp(dir, ".oauthgate-check-*")
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // not the probe's name
			}
			return bad(fmt.Sprintf("%s does not exist and cannot be created in %s", f.Path, dir), err)
		}
		tmp.Close()
		os.Remove(tmp.Name())
		return nil
	case errors.Is(err, os.ErrNotExist):
		return bad(fmt.Sprintf("%s does not exist", f.Path), nil)
	case err != nil:
		return bad("cannot read "+f.Path, err)
	case !fi.Mode().IsRegular():
		return bad(f.Path+" is not a regular file", nil)
	}
	r, err := os.Open(f.Path)
	if err != nil {
		return bad("cannot read "+f.Path, err)
	}
	return r.Close()
}
