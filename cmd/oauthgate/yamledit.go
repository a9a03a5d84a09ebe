package main

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// scalarEdit is one value that config encrypt or clients hash rewrites in
// place: the old value is kept to check the result.
type scalarEdit struct {
	key        string // the value's YAML path, for messages and to find it again
	plain      string // what the value stands for
	raw, tag   string
	quoteStyle yaml.Style
}

// editScalar replaces the value of n with value, a plain string keeping
// n's quotes, and returns what is needed to check the edit.
func editScalar(n *yaml.Node, key, plain, value string) scalarEdit {
	e := scalarEdit{key: key, plain: plain, raw: n.Value, tag: n.Tag, quoteStyle: n.Style}
	n.Value, n.Tag = value, "!!str"
	n.Style &= yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle
	return e
}

// encodeEdited writes root, edited in place, with the indentation of the
// original data, and checks the result before anything is written: find
// locates each edited value in the parsed result, holds says that the new
// value stands for the plain one, and with the old values put back the
// document is the same as data. what names the change in messages
// ("encrypted values").
func encodeEdited(data []byte, root *yaml.Node, edits []scalarEdit, find func(doc *yaml.Node, key string) *yaml.Node, holds func(value, plain string) bool, what string) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(guessIndent(data))
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("writing YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing YAML: %w", err)
	}
	out := buf.Bytes()

	check, err := parseConfigDocument(out)
	if err != nil {
		return nil, fmt.Errorf("the rewritten file does not parse: %w", err)
	}
	for _, e := range edits {
		n := find(check, e.key)
		if n == nil || n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: missing from the rewritten file", e.key)
		}
		if !holds(n.Value, e.plain) {
			return nil, fmt.Errorf("%s: the rewritten value does not stand for the original", e.key)
		}
		n.Value, n.Tag, n.Style = e.raw, e.tag, e.quoteStyle
	}
	var before, after any
	if err := yaml.Unmarshal(data, &before); err != nil {
		return nil, err
	}
	var restored bytes.Buffer
	if err := yaml.NewEncoder(&restored).Encode(check); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(restored.Bytes(), &after); err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(before, after) {
		return nil, errors.New("the rewritten file would differ in more than the " + what + "; file unchanged")
	}
	return out, nil
}
