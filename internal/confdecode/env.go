package confdecode

import (
	"fmt"
	"strings"
)

// Expand replaces ${NAME} and ${NAME:-default} in s. NAME is
// [A-Za-z_][A-Za-z0-9_]*; the default (anything but "}") is used when NAME
// is unset or empty, as in the shell. "$${" writes a literal "${"; any other
// "$" is literal, so passwords with "$" need no escaping. The result is not
// expanded again.
func Expand(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // "$${" is an escaped "${"
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s[i:])
		}
		expr := s[i+2 : i+end]
		s = s[i+end+1:]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("bad variable name %q in ${%s}", name, expr)
		}
		v, ok := lookup(name)
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		case ok:
			// set but empty, no default: empty
		default:
			return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} for a default)", name, name)
		}
	}
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// HasReference reports whether s holds a ${NAME} reference that [Expand]
// would replace; "$${" is an escaped "${", not a reference.
func HasReference(s string) bool {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return false
		}
		if i == 0 || s[i-1] != '$' {
			return true
		}
		s = s[i+2:]
	}
}
