package filestore

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"gopkg.in/yaml.v3"
)

// A user file is a YAML mapping of email to capability list, as easy-oauth
// keeps in caps.yaml:
//
//	boss@example.com:
//	  - admin
//	friend@example.com: []
//
// Files are written in that form, sorted by email, each list sorted. Files in
// that form (and its usual hand-written variants) are read by a line scanner,
// since yaml.v3 takes more than a minute on a mapping of 100,000 keys; any
// other YAML falls back to yaml.v3, and fuzzing checks that both readers agree.

// ErrInvalidUserFile is matched (with errors.Is) by the error of a write
// refused because the user file was edited by hand and no longer loads.
var ErrInvalidUserFile = errors.New("capabilities: user file does not load")

// userEntry is one user as read from a file, before checks.
type userEntry struct {
	email string
	caps  []string
	line  int
}

// userTable is a checked user file: normalized emails, sorted lists.
type userTable struct {
	users map[string][]string
	order []string   // sorted emails
	lists [][]string // lists[i] is users[order[i]]
}

// DecodeUserFile parses the user file data and checks it against g. Emails
// are normalized ([NormalizeEmail]); two keys that differ only in case, an
// unknown capability ([*capabilities.UnknownCapabilityError]) or malformed YAML are
// errors naming file (used only in messages) and the line.
func DecodeUserFile(data []byte, g *capabilities.Graph, file string) (map[string][]string, error) {
	t, err := decodeUsers(data, g, file)
	if err != nil {
		return nil, err
	}
	return t.users, nil
}

// EncodeUserFile returns users in the user file format: sorted by email, each
// list sorted and without duplicates. Emails are written as given; a name
// that is not valid UTF-8 is an error.
func EncodeUserFile(users map[string][]string) ([]byte, error) {
	var buf bytes.Buffer
	order := slices.Sorted(maps.Keys(users))
	for _, email := range order {
		caps := slices.Clone(users[email])
		slices.Sort(caps)
		if err := writeEntry(&buf, email, slices.Compact(caps)); err != nil {
			return nil, err
		}
	}
	return finishFile(&buf), nil
}

func decodeUsers(data []byte, g *capabilities.Graph, file string) (*userTable, error) {
	entries, ok := scanUserFile(data)
	if !ok {
		var err error
		if entries, err = parseUserYAML(data); err != nil {
			return nil, fmt.Errorf("capabilities: %s: %w", fileName(file), err)
		}
	}
	t := &userTable{users: make(map[string][]string, len(entries)), order: make([]string, 0, len(entries))}
	firstSeen := make(map[string]userEntry, len(entries))
	for _, e := range entries {
		key, err := capabilities.ParseEmail(e.email)
		if err != nil {
			return nil, fmt.Errorf("capabilities: %s:%d: %w", fileName(file), e.line, err)
		}
		if prev, dup := firstSeen[key]; dup {
			if prev.email == e.email {
				return nil, fmt.Errorf("capabilities: %s:%d: user %q already appears on line %d", fileName(file), e.line, e.email, prev.line)
			}
			return nil, fmt.Errorf("capabilities: %s:%d: users %q (line %d) and %q differ only in case", fileName(file), e.line, prev.email, prev.line, e.email)
		}
		firstSeen[key] = e
		caps, err := storecore.CheckCaps(g, e.email, e.caps)
		if err != nil {
			u := err.(*capabilities.UnknownCapabilityError)
			u.File, u.Line = fileName(file), e.line
			return nil, u
		}
		t.users[key] = caps
		t.order = append(t.order, key)
	}
	slices.Sort(t.order)
	t.lists = make([][]string, len(t.order))
	for i, email := range t.order {
		t.lists[i] = t.users[email]
	}
	return t, nil
}

func fileName(file string) string {
	if file == "" {
		return "user file"
	}
	return file
}

// scanUserFile reads the block and flow forms of the format line by line.
// It reports false for anything else (quoted scalars, tabs, non-ASCII,
// document markers, anchors...), which is then left to yaml.v3.
func scanUserFile(data []byte) (entries []userEntry, ok bool) {
	for _, b := range data {
		if (b < ' ' || b > '~') && b != '\n' {
			return nil, false // tabs, CR, control and non-ASCII bytes: yaml.v3 decides
		}
	}
	cur := -1        // entry whose block list is open, or -1
	itemIndent := -1 // indentation of that list's items
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimRight(line, " ")
		rest := bytes.TrimLeft(line, " ")
		indent := len(line) - len(rest)
		switch {
		case len(rest) == 0 || rest[0] == '#':
			continue
		case rest[0] == '-':
			if cur < 0 || len(rest) < 3 || rest[1] != ' ' || (itemIndent >= 0 && indent != itemIndent) {
				return nil, false
			}
			itemIndent = indent
			name, tail := plainToken(rest[2:])
			if name == "" || !endOfLine(tail) {
				return nil, false
			}
			entries[cur].caps = append(entries[cur].caps, name)
			continue
		case indent != 0:
			return nil, false
		}
		key, tail := plainToken(rest)
		if key == "" || len(tail) == 0 || tail[0] != ':' {
			return nil, false
		}
		tail = tail[1:]
		if len(tail) > 0 && tail[0] != ' ' {
			return nil, false
		}
		entries = append(entries, userEntry{email: key, line: lineNo})
		cur, itemIndent = -1, -1
		tail = bytes.TrimLeft(tail, " ")
		if len(tail) == 0 || tail[0] == '#' {
			cur = len(entries) - 1
			continue
		}
		caps, ok := scanFlowList(tail)
		if !ok {
			return nil, false
		}
		entries[len(entries)-1].caps = caps
	}
	return entries, true
}

// scanFlowList reads `[]` or `[a, b]`, then the end of the line.
func scanFlowList(s []byte) ([]string, bool) {
	if len(s) == 0 || s[0] != '[' {
		return nil, false
	}
	s = bytes.TrimLeft(s[1:], " ")
	caps := []string{}
	if len(s) > 0 && s[0] == ']' {
		return caps, endOfLine(s[1:])
	}
	for {
		name, tail := plainToken(s)
		if name == "" {
			return nil, false
		}
		caps = append(caps, name)
		tail = bytes.TrimLeft(tail, " ")
		if len(tail) == 0 {
			return nil, false
		}
		switch tail[0] {
		case ']':
			return caps, endOfLine(tail[1:])
		case ',':
			s = bytes.TrimLeft(tail[1:], " ")
		default:
			return nil, false
		}
	}
}

// endOfLine reports whether s is nothing but spaces and a comment.
func endOfLine(s []byte) bool {
	t := bytes.TrimLeft(s, " ")
	return len(t) == 0 || (t[0] == '#' && len(t) < len(s))
}

// plainToken splits s after the longest plain scalar that means the same
// string in every YAML reader: a letter, digit or underscore, then letters,
// digits and `_.@+-`, and not a null word. It returns "" when s has none.
func plainToken(s []byte) (string, []byte) {
	if len(s) == 0 || !plainStart(s[0]) {
		return "", s
	}
	n := 1
	for n < len(s) && plainRest(s[n]) {
		n++
	}
	switch string(s[:n]) {
	case "null", "Null", "NULL":
		return "", s
	}
	return string(s[:n]), s[n:]
}

func plainStart(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

func plainRest(b byte) bool {
	return plainStart(b) || b == '.' || b == '@' || b == '+' || b == '-'
}

// parseUserYAML reads any YAML with yaml.v3.
func parseUserYAML(data []byte) ([]userEntry, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, nil
	}
	doc := root.Content[0]
	if doc.Kind == yaml.ScalarNode && doc.ShortTag() == "!!null" {
		return nil, nil
	}
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a mapping of email to capability list", doc.Line)
	}
	entries := make([]userEntry, 0, len(doc.Content)/2)
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		email, err := scalarString(k)
		if err != nil {
			return nil, fmt.Errorf("line %d: email: %w", k.Line, err)
		}
		e := userEntry{email: email, line: k.Line}
		switch {
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
		case v.Kind == yaml.SequenceNode:
			e.caps = make([]string, 0, len(v.Content))
			for _, item := range v.Content {
				name, err := scalarString(item)
				if err != nil {
					return nil, fmt.Errorf("line %d: user %q: capability: %w", item.Line, email, err)
				}
				e.caps = append(e.caps, name)
			}
		case v.Kind == yaml.AliasNode:
			return nil, fmt.Errorf("line %d: user %q: aliases are not supported", v.Line, email)
		default:
			return nil, fmt.Errorf("line %d: user %q: expected a list of capabilities", v.Line, email)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// scalarString returns the string a scalar node spells.
func scalarString(n *yaml.Node) (string, error) {
	switch {
	case n.Kind == yaml.AliasNode:
		return "", errors.New("aliases are not supported")
	case n.Kind != yaml.ScalarNode:
		return "", errors.New("expected a string")
	case n.ShortTag() == "!!null":
		return "", errors.New("null is not a string (quote it)")
	case n.ShortTag() == "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return "", fmt.Errorf("bad !!binary: %w", err)
		}
		return string(b), nil
	}
	return n.Value, nil
}

// writeEntry appends one user in the block form.
func writeEntry(buf *bytes.Buffer, email string, caps []string) error {
	if err := writeScalar(buf, email); err != nil {
		return err
	}
	if len(caps) == 0 {
		buf.WriteString(": []\n")
		return nil
	}
	buf.WriteString(":\n")
	for _, c := range caps {
		buf.WriteString("  - ")
		if err := writeScalar(buf, c); err != nil {
			return err
		}
		buf.WriteByte('\n')
	}
	return nil
}

// finishFile returns the file's bytes; an empty file is written as `{}` so
// that every reader sees a mapping.
func finishFile(buf *bytes.Buffer) []byte {
	if buf.Len() == 0 {
		buf.WriteString("{}\n")
	}
	return buf.Bytes()
}

// writeScalar writes s plain when that cannot be misread (not even as a
// YAML 1.1 boolean, number or date by other readers), and otherwise as a
// double-quoted scalar produced by yaml.v3.
func writeScalar(buf *bytes.Buffer, s string) error {
	if plainWritable(s) {
		buf.WriteString(s)
		return nil
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("capabilities: %q is not valid UTF-8", s)
	}
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: s})
	if err != nil {
		return fmt.Errorf("capabilities: quoting %q: %w", s, err)
	}
	out = bytes.TrimSuffix(out, []byte{'\n'})
	if bytes.IndexByte(out, '\n') >= 0 {
		return fmt.Errorf("capabilities: quoting %q: yaml.v3 wrote several lines", s)
	}
	buf.Write(out)
	return nil
}

func plainWritable(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !plainRest(s[i]) {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return false
	}
	return true
}
