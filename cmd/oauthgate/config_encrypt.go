package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// defaultSecretKeys are the configuration keys that config encrypt
// encrypts by default: a scalar, or a list whose every entry is encrypted.
var defaultSecretKeys = []string{"secret_key", "client_secret", "previous_secret_keys", "store.dsn"}

// hashClientSecretsInstead says why config encrypt leaves the secrets of
// clients: alone: the app only checks them, so a hash serves and, unlike a
// ~CRYPT~ value, gives nothing away with the password.
const hashClientSecretsInstead = "a client's secret is only checked, so hash it instead: oauthgate clients hash"

// minPasswordLength is the shortest password config encrypt accepts
// without --insecure-short-password, in characters.
const minPasswordLength = 12

// maxSecretValue bounds a value read with config encrypt --value.
const maxSecretValue = 64 << 10

func init() {
	configCommands["encrypt"] = command{
		name:    "config encrypt",
		summary: "encrypt the secrets of a configuration file in place (~CRYPT~)",
		run:     runConfigEncrypt,
	}
}

func runConfigEncrypt(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("config encrypt", "config encrypt --config FILE [--keys K1,K2] [--password-stdin]\n       oauthgate config encrypt --value < VALUE", fmt.Sprintf(`
Rewrites the configuration file with its secret values replaced by
"~CRYPT~<fernet>", which the app decrypts with the password in
%[1]s. Comments, order and the file's mode are kept; the file is
replaced atomically. Values already encrypted, empty values and ${ENV}
references (the secret is not in the file) are left alone. Keys are YAML
paths (store.dsn); a list (previous_secret_keys) has every entry encrypted.
Default keys: %[2]s.

The client_secret values under clients: are not encrypted: the app only
checks them, so an argon2id hash serves and gives nothing away, even with
the password. A hash needs no encryption; plaintext ones are listed, to be
replaced with "oauthgate clients hash --config FILE".

The password is read from %[1]s, or with --password-stdin from
the first line of standard input. With --value, standard input holds the
value to encrypt (a final newline is dropped) and the result is printed; the
password then comes from %[1]s.

Anyone with the password and the file has the secrets, so a password
shorter than %[3]d characters is refused; --insecure-short-password
accepts one (a file already encrypted with a short password).`, confdecode.PasswordEnv, strings.Join(defaultSecretKeys, ", "), minPasswordLength))
	path := fs.String("config", "", "configuration `FILE` to rewrite")
	keys := fs.String("keys", "", "comma-separated `keys` to encrypt (default "+strings.Join(defaultSecretKeys, ",")+")")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	value := fs.Bool("value", false, "encrypt one value read from standard input and print it")
	shortPassword := fs.Bool("insecure-short-password", false, fmt.Sprintf("accept a password shorter than %d characters", minPasswordLength))
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError(fs, "unexpected argument %q", rest[0])
	case *value && *passwordStdin:
		return usageError(fs, "--value reads the value from standard input; give the password in %s", confdecode.PasswordEnv)
	case *value && (*path != "" || *keys != ""):
		return usageError(fs, "--value does not take --config or --keys")
	case !*value && *path == "":
		return usageError(fs, "missing --config FILE (or --value)")
	}

	explicit := *keys != ""
	targets := defaultSecretKeys
	if explicit {
		targets = splitList(*keys)
		if len(targets) == 0 {
			return usageError(fs, "--keys is empty")
		}
	}

	in := bufio.NewReader(stdin)
	password, err := encryptionPassword(*passwordStdin, in)
	if err != nil {
		return err
	}
	if n := utf8.RuneCountInString(password); n < minPasswordLength {
		if !*shortPassword {
			return fmt.Errorf("the password has %d characters; use at least %d characters (or pass --insecure-short-password for a file already encrypted with it)", n, minPasswordLength)
		}
		warn(stderr, "config encrypt", "the password has %d characters, under %d: whoever guesses it reads the secrets", n, minPasswordLength)
	}
	if *value {
		v, err := readInput(in, "the value", maxSecretValue)
		if err != nil {
			return err
		}
		v = strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
		if v == "" {
			return errors.New("no value on standard input")
		}
		_, err = fmt.Fprintln(stdout, confdecode.Encrypt(password, v))
		return err
	}

	data, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	out, report, err := encryptConfig(data, targets, explicit, password)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	for _, line := range report.lines {
		fmt.Fprintln(stdout, line)
	}
	if report.encrypted == 0 {
		fmt.Fprintf(stdout, "%s: nothing to encrypt; file unchanged\n", *path)
		return nil
	}
	if err := replaceFile(*path, data, out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d value(s) encrypted; the app needs %s to read them\n", *path, report.encrypted, confdecode.PasswordEnv)
	return nil
}

// encryptionPassword returns the password of ~CRYPT~ values: the first
// line of in with fromStdin, else the environment's.
func encryptionPassword(fromStdin bool, in *bufio.Reader) (string, error) {
	if !fromStdin {
		pw, _, ok := confdecode.Password(os.LookupEnv)
		if !ok {
			return "", fmt.Errorf("no password: set %s (or %s) or pass --password-stdin", confdecode.PasswordEnv, confdecode.SerieuxPasswordEnv)
		}
		return pw, nil
	}
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if pw == "" {
		return "", errors.New("no password on standard input")
	}
	return pw, nil
}

// encryptReport says what encryptConfig did, one line per value.
type encryptReport struct {
	lines     []string
	encrypted int
}

// encryptConfig returns data with the values at keys encrypted under
// password. With explicit, a key missing from the file is an error (the
// default keys are optional). The result is checked: it decodes to the
// same document once the new values are decrypted.
func encryptConfig(data []byte, keys []string, explicit bool, password string) ([]byte, encryptReport, error) {
	var report encryptReport
	root, err := parseConfigDocument(data)
	if err != nil {
		return nil, report, err
	}
	var edits []scalarEdit
	for _, key := range keys {
		if strings.HasPrefix(key, "clients.") && strings.HasSuffix(key, ".client_secret") {
			return nil, report, fmt.Errorf("%s: %s", key, hashClientSecretsInstead)
		}
		n, err := lookupKey(root, key)
		if err != nil {
			return nil, report, err
		}
		if n == nil {
			if explicit {
				return nil, report, fmt.Errorf("%s: no such key", key)
			}
			continue
		}
		var entries []*yaml.Node
		var names []string
		switch n.Kind {
		case yaml.ScalarNode:
			entries, names = []*yaml.Node{n}, []string{key}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				entries = append(entries, item)
				names = append(names, fmt.Sprintf("%s[%d]", key, i))
			}
		case yaml.AliasNode:
			return nil, report, fmt.Errorf("%s: is an alias; write the value itself", key)
		default:
			return nil, report, fmt.Errorf("%s: is a mapping; name the keys inside it", key)
		}
		for i, e := range entries {
			if e.Kind != yaml.ScalarNode {
				return nil, report, fmt.Errorf("%s: expected a single value", names[i])
			}
			if why := secretLeftAlone(e); why != "" {
				report.lines = append(report.lines, fmt.Sprintf("%s: left alone (%s)", names[i], why))
				continue
			}
			plain := unescapeDollar(e.Value)
			enc := confdecode.Encrypt(password, plain)
			edits = append(edits, editScalar(e, names[i], plain, enc))
			report.lines = append(report.lines, fmt.Sprintf("%s: encrypted", names[i]))
			report.encrypted++
		}
	}
	if !explicit {
		plain, err := plaintextClientSecretsIn(root)
		if err != nil {
			return nil, report, err
		}
		for _, id := range plain {
			report.lines = append(report.lines, fmt.Sprintf("clients.%s.client_secret: left alone (%s)", id, hashClientSecretsInstead))
		}
	}
	if report.encrypted == 0 {
		return data, report, nil
	}
	// Check the result: decrypting the new values gives back the original
	// document, value for value.
	find := func(doc *yaml.Node, key string) *yaml.Node {
		n, _ := lookupIndexedKey(doc, key)
		return n
	}
	holds := func(value, plain string) bool {
		got, err := confdecode.Decrypt(password, value)
		return err == nil && got == plain
	}
	out, err := encodeEdited(data, root, edits, find, holds, "encrypted values")
	if err != nil {
		return nil, report, err
	}
	return out, report, nil
}

// parseConfigDocument parses data as one YAML document holding a mapping.
func parseConfigDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty configuration")
		}
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the configuration is not a YAML mapping")
	}
	return &doc, nil
}

// lookupKey returns the value node at the dotted key path in doc, or nil
// when a part is absent.
func lookupKey(doc *yaml.Node, key string) (*yaml.Node, error) {
	n := doc.Content[0]
	for _, part := range strings.Split(key, ".") {
		if part == "" {
			return nil, fmt.Errorf("%q: empty part in key", key)
		}
		if n.Kind != yaml.MappingNode {
			return nil, nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == part {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil, nil
		}
		n = next
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	return n, nil
}

// lookupIndexedKey is lookupKey for a key that may end with "[i]".
func lookupIndexedKey(doc *yaml.Node, key string) (*yaml.Node, error) {
	base, idx, ok := strings.Cut(key, "[")
	n, err := lookupKey(doc, base)
	if err != nil || n == nil || !ok {
		return n, err
	}
	var i int
	if _, err := fmt.Sscanf(idx, "%d]", &i); err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
		return nil, nil
	}
	return n.Content[i], nil
}

// secretLeftAlone says why the scalar n is not encrypted, or "".
func secretLeftAlone(n *yaml.Node) string {
	switch {
	case n.Tag == "!!null" || n.Value == "":
		return "empty"
	case strings.HasPrefix(n.Value, confdecode.CryptPrefix):
		return "already encrypted"
	case confdecode.HasReference(n.Value):
		return "environment reference"
	}
	return ""
}

// plaintextSecrets lists the default secret keys whose values in the file
// at path are written out in plaintext.
func plaintextSecrets(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := parseConfigDocument(data)
	if err != nil {
		return nil, err
	}
	var plain []string
	for _, key := range defaultSecretKeys {
		n, err := lookupKey(doc, key)
		if err != nil || n == nil {
			continue
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if secretLeftAlone(n) == "" {
				plain = append(plain, key)
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				if item.Kind == yaml.ScalarNode && secretLeftAlone(item) == "" {
					plain = append(plain, fmt.Sprintf("%s[%d]", key, i))
				}
			}
		}
	}
	return plain, nil
}

// unescapeDollar returns the value the configuration reads from s, which
// holds no ${NAME} reference: "$${" is a literal "${". The encrypted value
// is not expanded again.
func unescapeDollar(s string) string {
	v, _ := confdecode.Expand(s, func(string) (string, bool) { return "", false })
	return v
}

// guessIndent returns the indentation the file uses (the smallest one of
// a nested mapping key), 2 when there is none.
func guessIndent(data []byte) int {
	best := 0
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		n := len(line) - len(trimmed)
		if n == 0 || trimmed == "" || trimmed[0] == '#' || trimmed[0] == '-' {
			continue
		}
		if best == 0 || n < best {
			best = n
		}
	}
	if best < 2 || best > 8 {
		return 2
	}
	return best
}
