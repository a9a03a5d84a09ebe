package confdecode

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// StringList is a list of strings that YAML may also write as one string
// (roles: admin, or roles: [admin, ops]), as simple_oauth_server's clients
// file does. [Decode] reads it with the rules of every other value; its
// UnmarshalYAML reads it with yaml.v3 alone (values as written).
type StringList []string

// UnmarshalYAML accepts a string, a list of strings, or null.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if isNull(n) {
		*l = nil
		return nil
	}
	items, err := listItems(n)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	out := make(StringList, len(items))
	for i, item := range items {
		out[i] = item.Value
	}
	*l = out
	return nil
}

// Words returns the entries split on white space, so that a list may be
// written as one space-separated string ("read write"), as OAuth scopes
// are, or as a list, or as both.
func (l StringList) Words() []string {
	var out []string
	for _, s := range l {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

// listItems returns the scalar nodes of a string-or-list value (not
// null): the node itself, or a list's items.
func listItems(n *yaml.Node) ([]*yaml.Node, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{n}, nil
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("expected a string or a list of strings, got a list holding %s", kindName(item))
			}
		}
		return n.Content, nil
	}
	return nil, fmt.Errorf("expected a string or a list of strings, got %s", kindName(n))
}
