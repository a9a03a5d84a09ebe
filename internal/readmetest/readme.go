package readmetest

import (
	"fmt"
	"regexp"
	"strings"
)

// Block is a fenced block of the README with the readme-test comment
// that precedes it, if any.
type Block struct {
	Lang, Text, Marker string
	// Line is the line of the opening fence.
	Line int
}

// Blocks returns the fenced blocks of a README.
func Blocks(readme []byte) []Block {
	var blocks []Block
	var cur *Block
	var comment []string // the last comment's lines, if it ends just above
	inComment := false
	for i, line := range strings.Split(string(readme), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &Block{Lang: strings.TrimPrefix(line, "```"), Line: i + 1}
			if comment != nil {
				cur.Marker = strings.Join(comment, " ")
			}
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur, comment = nil, nil
		case cur != nil:
			cur.Text += line + "\n"
		case strings.HasPrefix(line, "<!-- readme-test "):
			comment, inComment = []string{line}, !strings.HasSuffix(line, "-->")
		case inComment:
			comment = append(comment, line)
			inComment = !strings.HasSuffix(line, "-->")
		default:
			comment = nil
		}
	}
	return blocks
}

// Spec is what a snippet's comment says: its kind, its configuration
// (named configs merged, the later keys winning), files beside the
// configuration, and the requests and statuses to expect.
type Spec struct {
	Kind    string
	Configs []string
	// Files maps a file name to a config's name, "" (empty) or "RSA" (a
	// new key).
	Files  map[string]string
	Expect []string
}

var aside = regexp.MustCompile(`\([^)]*\)`)

// ParseMarker reads a readme-test comment: "config NAME" (kind "config")
// or "snippet KIND; config A+B; files F=A, G=; expect METHOD PATH [as
// WHO] STATUS, ..." (kind "snippet"). Parenthesized asides are ignored.
func ParseMarker(m string) (kind, name string, s Spec, err error) {
	m = strings.TrimSuffix(strings.TrimPrefix(m, "<!-- readme-test "), "-->")
	m = strings.Join(strings.Fields(aside.ReplaceAllString(m, "")), " ")
	s.Files = map[string]string{}
	for i, clause := range strings.Split(m, ";") {
		word, rest, _ := strings.Cut(strings.TrimSpace(clause), " ")
		switch {
		case i == 0 && word == "config":
			return "config", rest, s, nil
		case i == 0 && word == "snippet":
			s.Kind = rest
		case word == "config":
			s.Configs = strings.Split(rest, "+")
		case word == "files":
			for _, f := range strings.Split(rest, ",") {
				name, from, _ := strings.Cut(strings.TrimSpace(f), "=")
				s.Files[name] = from
			}
		case word == "expect":
			for _, e := range strings.Split(rest, ",") {
				s.Expect = append(s.Expect, strings.TrimSpace(e))
			}
		case word == "":
		default:
			return "", "", s, fmt.Errorf("unknown clause %q", clause)
		}
	}
	if s.Kind == "" {
		return "", "", s, fmt.Errorf("neither config nor snippet: %q", m)
	}
	return "snippet", "", s, nil
}

// Configs returns the text of each configuration block named by a
// "config NAME" comment.
func Configs(blocks []Block) map[string]string {
	out := map[string]string{}
	for _, b := range blocks {
		if kind, name, _, err := ParseMarker(b.Marker); err == nil && kind == "config" {
			out[name] = b.Text
		}
	}
	return out
}
