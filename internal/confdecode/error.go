package confdecode

import (
	"errors"
	"strings"
)

// Error reports a bad configuration value. auth re-exports it as
// auth.ConfigError.
type Error struct {
	// File is the file holding the value when it is not the
	// configuration file itself (a clients_file); usually empty.
	File string
	// Key is the YAML path of the value ("cookie.same_site",
	// "upstreams[2].timeouts.read"); empty for the whole file.
	Key string
	// Reason says what is wrong and, when it helps, what to write.
	Reason string
	// Err is the underlying cause, if any.
	Err error

	// lost: the value did not decode and was left zero or partial (not
	// so for an unknown or repeated key), which [Join] looks at.
	lost bool
}

// Error returns "config: [<file>: ][<key>: ]<reason>[: <cause>]".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	for _, part := range []string{e.File, e.Key} {
		if part != "" {
			b.WriteString(part)
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Join joins the problems found while decoding a file with those found by
// checking the decoded values, so that one run reports every problem. A
// check problem is left out when its key's value failed to decode, lies
// inside one that did, or holds one: the value was left zero or partial,
// and the check would only call it missing. It returns nil when there is no
// problem, the problem itself when there is one.
func Join(decodeErr, checkErr error) error {
	decoded, checked := Flatten(decodeErr), Flatten(checkErr)
	failed := make(map[string]bool, len(decoded))
	holders := make(map[string]bool)
	for _, err := range decoded {
		var e *Error
		if errors.As(err, &e) && e.lost && e.Key != "" {
			failed[e.File+"\x00"+e.Key] = true
			for k := parentKey(e.Key); k != ""; k = parentKey(k) {
				holders[e.File+"\x00"+k] = true
			}
		}
	}
	all := decoded
	for _, err := range checked {
		if !coveredBy(err, failed, holders) {
			all = append(all, err)
		}
	}
	switch len(all) {
	case 0:
		return nil
	case 1:
		return all[0]
	}
	return errors.Join(all...)
}

func coveredBy(err error, failed, holders map[string]bool) bool {
	var e *Error
	if len(failed) == 0 || !errors.As(err, &e) || e.Key == "" {
		return false
	}
	if holders[e.File+"\x00"+e.Key] {
		return true
	}
	for k := e.Key; k != ""; k = parentKey(k) {
		if failed[e.File+"\x00"+k] {
			return true
		}
	}
	return false
}

// parentKey returns the key holding key: "a.b[2]" → "a.b" → "a" → "".
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

// Flatten lists the errors joined in err (errors.Join), recursively; nil
// gives none.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}
