package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
)

func init() {
	clientsCommands["hash"] = command{
		name:    "clients hash",
		summary: "replace plaintext client_secret values in a YAML file with argon2id hashes",
		run:     runClientsHash,
	}
}

func runClientsHash(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("clients hash", "clients hash (--config FILE | --file FILE)", `
Rewrites the file with every plaintext client_secret under its clients:
key (simple_oauth_server's format) replaced by its argon2id hash, which the
token endpoint checks secrets against. Comments, order and the file's mode
are kept; the file is replaced atomically. Values already hashed, encrypted
(~CRYPT~) or empty, and ${ENV} references, are left alone. The clients keep
working with the secrets they have; the plaintext is gone from the file.
Prints what it changed (never a secret). --config and --file do the same:
--config for the app's configuration, --file for a clients file of its own.`)
	config := fs.String("config", "", "configuration `FILE` to rewrite")
	file := fs.String("file", "", "clients `FILE` to rewrite")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	path := *config + *file
	switch {
	case len(rest) > 0:
		return usageError(fs, "unexpected argument %q", rest[0])
	case *config != "" && *file != "":
		return usageError(fs, "give --config or --file, not both")
	case path == "":
		return usageError(fs, "missing --config FILE (or --file FILE)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, lines, n, err := hashClientSecrets(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, line := range lines {
		fmt.Fprintln(stdout, line)
	}
	if n == 0 {
		fmt.Fprintf(stdout, "%s: no plaintext client secret; file unchanged\n", path)
		return nil
	}
	if err := replaceFile(path, data, out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d client secret(s) hashed\n", path, n)
	return nil
}

// clientSecretNodes returns the client_secret scalars under the clients:
// key of doc, with the ids of their clients, in file order. A document
// without clients: has none.
func clientSecretNodes(doc *yaml.Node) (ids []string, nodes []*yaml.Node, err error) {
	clients, err := lookupKey(doc, "clients")
	if err != nil || clients == nil {
		return nil, nil, err
	}
	if clients.Kind != yaml.MappingNode {
		return nil, nil, errors.New("clients: want a mapping of client ids")
	}
	for i := 0; i+1 < len(clients.Content); i += 2 {
		id, c := clients.Content[i].Value, clients.Content[i+1]
		if c.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(c.Content); j += 2 {
			if c.Content[j].Value != "client_secret" {
				continue
			}
			v := c.Content[j+1]
			if v.Kind == yaml.AliasNode {
				return nil, nil, fmt.Errorf("clients.%s.client_secret: is an alias; write the value itself", id)
			}
			if v.Kind == yaml.ScalarNode {
				ids, nodes = append(ids, id), append(nodes, v)
			}
		}
	}
	return ids, nodes, nil
}

// clientSecretLeftAlone says why the client_secret scalar n is not a
// plaintext secret, or "".
func clientSecretLeftAlone(n *yaml.Node) string {
	if strings.HasPrefix(n.Value, store.SecretHashPrefix) {
		return "already hashed"
	}
	return secretLeftAlone(n)
}

// plaintextClientSecrets lists the ids of the clients whose client_secret
// in the YAML data is written out in plaintext.
func plaintextClientSecrets(data []byte) ([]string, error) {
	doc, err := parseConfigDocument(data)
	if err != nil {
		return nil, err
	}
	return plaintextClientSecretsIn(doc)
}

// plaintextClientSecretsIn is plaintextClientSecrets of a parsed document.
func plaintextClientSecretsIn(doc *yaml.Node) ([]string, error) {
	ids, nodes, err := clientSecretNodes(doc)
	if err != nil {
		return nil, err
	}
	var plain []string
	for i, n := range nodes {
		if clientSecretLeftAlone(n) == "" {
			plain = append(plain, ids[i])
		}
	}
	return plain, nil
}

// hashClientSecrets returns data with every plaintext client secret under
// clients: replaced by its hash, a line per secret saying what was done,
// and how many were hashed. The result is checked: each hash matches its
// secret, and the document is otherwise unchanged.
func hashClientSecrets(data []byte) ([]byte, []string, int, error) {
	root, err := parseConfigDocument(data)
	if err != nil {
		return nil, nil, 0, err
	}
	ids, nodes, err := clientSecretNodes(root)
	if err != nil {
		return nil, nil, 0, err
	}
	var lines []string
	var edits []scalarEdit
	for i, n := range nodes {
		key := "clients." + ids[i] + ".client_secret"
		if why := clientSecretLeftAlone(n); why != "" {
			lines = append(lines, fmt.Sprintf("%s: left alone (%s)", key, why))
			continue
		}
		plain := unescapeDollar(n.Value)
		h, err := clientcreds.HashClientSecret(plain)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("%s: %w", key, err)
		}
		edits = append(edits, editScalar(n, key, plain, h))
		lines = append(lines, key+": hashed")
	}
	if len(edits) == 0 {
		return data, lines, 0, nil
	}
	// Check the result: each new value is a hash of its secret, and with
	// the old values put back the document is the same as before.
	find := func(doc *yaml.Node, key string) *yaml.Node {
		ids, nodes, err := clientSecretNodes(doc)
		if err != nil {
			return nil
		}
		for i, id := range ids {
			if "clients."+id+".client_secret" == key {
				return nodes[i]
			}
		}
		return nil
	}
	holds := func(value, plain string) bool {
		ok, err := clientcreds.CheckClientSecret(value, plain)
		return err == nil && ok
	}
	out, err := encodeEdited(data, root, edits, find, holds, "hashed secrets")
	if err != nil {
		return nil, nil, 0, err
	}
	return out, lines, len(edits), nil
}
