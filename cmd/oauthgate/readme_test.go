package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
	"github.com/oauthgate/oauthgate/internal/readmetest"
)

// readme returns the repository's README.md, skipping the test without it.
func readme(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("no README:", err)
	}
	return string(data)
}

// fenced is a fenced block of the README and the line it starts on.
type fenced struct {
	lang string
	line int
	text string
}

// fencedBlocks returns the README's fenced blocks, and the text outside
// them.
func fencedBlocks(doc string) (blocks []fenced, prose []string) {
	var cur *fenced
	for i, line := range strings.Split(doc, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fenced{lang: strings.TrimPrefix(line, "```"), line: i + 1}
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		default:
			prose = append(prose, line)
		}
	}
	return blocks, prose
}

// yamlKeys returns the top-level YAML keys of a configuration struct.
func yamlKeys(rt reflect.Type, into map[string]bool) {
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline":
			yamlKeys(f.Type, into)
		case name != "" && name != "-":
			into[name] = true
		}
	}
}

var (
	readmeSecretKey  = readmetest.SecretKey
	readmeGraph      = map[string][]string{"read": {}, "write": {"read"}, "moderate": {"read", "write"}, "announce": {"read", "write"}, "user_management": {}}
	readmeBaseConfig = map[string]any{"server_metadata_url": "https://idp.example.com/.well-known/openid-configuration", "secret_key": readmeSecretKey, "client_id": "app",
		"capabilities": map[string]any{"graph": readmeGraph}}
	readmeClientsFile = "clients:\n  other: {client_secret: other-secret, scope: read:pets}\n"
)

// Every YAML block of the README parses: configuration blocks as the
// commands read them, as an app's file or, when they hold a gateway key,
// a gateway's (the keys a fragment leaves out are filled in; `config check` passes
// those with upstreams too, so none overlap), user files with the user file
// decoder. Placeholders (~CRYPT~gAAAAAB..., $argon2id$...$...; see readmetest.Realize)
// become real values and ${ENV} references are set. A block with no key
// of ours (another program's file) is skipped.
func TestReadmeYAMLParses(t *testing.T) {
	blocks, _ := fencedBlocks(readme(t))
	authKeys, gatewayKeys := map[string]bool{}, map[string]bool{}
	// An app's keys: auth's and those of the sections the commands read.
	yamlKeys(reflect.TypeOf(auth.Config{}), authKeys)
	yamlKeys(reflect.TypeOf(clientcreds.Config{}), authKeys)
	authKeys[(&awsauthorizer.Config{}).ConfigKey()] = true
	yamlKeys(reflect.TypeOf(gateway.Config{}), gatewayKeys)
	graph, err := capabilities.NewGraph(readmeGraph, true)
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]int{}
	for _, b := range blocks {
		if b.lang != "yaml" {
			continue
		}
		name := fmt.Sprintf("README.md:%d", b.line)
		text := readmetest.Realize(t, b.text, "postgres://app@127.0.0.1:5432/app")
		var top map[string]any
		if err := yaml.Unmarshal([]byte(text), &top); err != nil {
			t.Errorf("%s: not YAML: %v", name, err)
			continue
		}
		ours, gatewayOnly, users := false, false, len(top) > 0
		for k := range top {
			ours = ours || authKeys[k] || gatewayKeys[k]
			gatewayOnly = gatewayOnly || (gatewayKeys[k] && !authKeys[k])
			users = users && strings.Contains(k, "@")
		}
		switch {
		case users:
			if _, err := filestore.DecodeUserFile([]byte(text), graph, name); err != nil {
				t.Errorf("%s: user file: %v", name, err)
			}
			parsed["user file"]++
			continue
		case !ours:
			t.Logf("%s: not a configuration of ours, skipped", name)
			continue
		}
		for k, v := range readmeBaseConfig {
			if _, ok := top[k]; !ok {
				top[k] = v
			}
		}
		if p := top["provider"]; p == "github" || p == "oauth2" {
			delete(top, "server_metadata_url") // they have no discovery
		}
		data, err := yaml.Marshal(top)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "clients.yaml"), []byte(readmeClientsFile), 0o600); err != nil {
			t.Fatal(err)
		}
		// The key file the gateway example names, made as the README says
		// (TestReadmeGatewayExampleRuns runs that command).
		if err := os.WriteFile(filepath.Join(dir, "upstream-jwt.pem"), pemkeytest.Generate(t, pemkeytest.ECGenpkey), 0o600); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var gw *gateway.Config
		var loaded *loadedConfig
		if loaded, err = loadConfigFile(path); err == nil {
			gw = loaded.Gateway
		}
		if gatewayOnly != (gw != nil) && err == nil {
			t.Errorf("%s: read as a gateway's file: %v; want %v", name, gw != nil, gatewayOnly)
		}
		if gatewayOnly {
			parsed["gateway"]++
			if _, routes := top["upstreams"]; routes && err == nil {
				if code, _, stderr := cli(t, "config", "check", "--offline", "--config", path); code != 0 {
					t.Errorf("%s: config check: status %d\n%s", name, code, stderr)
				}
			}
		} else {
			parsed["auth"]++
		}
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, b.text)
		}
	}
	if parsed["auth"] < 2 || parsed["gateway"] < 1 || parsed["user file"] < 1 {
		t.Errorf("parsed %v: the README's YAML blocks were not found", parsed)
	}
}

// shCommand is an oauthgate command line of an sh block, codeCommand one
// in the text's code spans.
var (
	shCommand   = regexp.MustCompile(`^\s*(?:go run \./cmd/)?oauthgate ([^#]*)`)
	codeCommand = regexp.MustCompile("`(?:go run \\./cmd/)?oauthgate ([^`]*)`")
)

// Every oauthgate command the README shows exists, with the flags it
// shows: in sh blocks (with their continuation lines) and in the text.
func TestReadmeCommandsExist(t *testing.T) {
	blocks, prose := fencedBlocks(readme(t))
	var lines []string // sh lines, continuations joined
	for _, b := range blocks {
		if b.lang != "sh" {
			continue
		}
		for _, line := range strings.Split(b.text, "\n") {
			trimmed := strings.TrimSpace(line)
			if n := len(lines); n > 0 && line != trimmed && strings.HasPrefix(trimmed, "[") && strings.Contains(lines[n-1], "oauthgate ") {
				lines[n-1] += " " + trimmed // a continuation line of flags
				continue
			}
			lines = append(lines, line)
		}
	}
	var found [][]string
	for _, line := range lines {
		found = append(found, shCommand.FindAllStringSubmatch(line, -1)...)
	}
	for _, line := range prose {
		found = append(found, codeCommand.FindAllStringSubmatch(line, -1)...)
	}

	checked := 0
	word := regexp.MustCompile(`^[a-z][a-z|-]*$`)
	for _, m := range found {
		fields := strings.Fields(m[1])
		var words []string
		for _, f := range fields {
			if !word.MatchString(f) || strings.Contains(f, ".") {
				break
			}
			words = append(words, f)
		}
		if len(words) == 0 {
			continue // "oauthgate <command> -h"
		}
		var flags []string
		for _, f := range fields {
			f = strings.Trim(f, "[]")
			if strings.HasPrefix(f, "--") {
				name, _, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
				flags = append(flags, name)
			}
		}
		for _, cmd := range expandAlternatives(words) {
			code, stdout, stderr := cli(t, append(cmd, "-h")...)
			if code != 0 {
				t.Errorf("README shows `oauthgate %s`: `oauthgate %s -h` exits %d: %s", m[1], strings.Join(cmd, " "), code, stderr)
				continue
			}
			for _, f := range flags {
				if !strings.Contains(stdout, "  -"+f+" ") && !strings.Contains(stdout, "  -"+f+"\n") {
					t.Errorf("README shows `oauthgate %s`: `oauthgate %s` has no flag --%s", m[1], strings.Join(cmd, " "), f)
				}
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("only %d commands checked: the README's commands were not found", checked)
	}
}

// expandAlternatives turns ["caps", "add|remove"] into ["caps", "add"] and
// ["caps", "remove"].
func expandAlternatives(words []string) [][]string {
	out := [][]string{nil}
	for _, w := range words {
		var next [][]string
		for _, alt := range strings.Split(w, "|") {
			for _, prefix := range out {
				next = append(next, append(append([]string(nil), prefix...), alt))
			}
		}
		out = next
	}
	return out
}

// Every link to a section of the README names a heading that exists
// (GitHub's anchors: lower case, punctuation dropped, spaces as dashes,
// -1, -2... for repeated headings).
func TestReadmeAnchors(t *testing.T) {
	_, prose := fencedBlocks(readme(t))
	anchors := map[string]bool{}
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for _, line := range prose {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		slug := strings.TrimSpace(strings.TrimLeft(line, "#"))
		slug = strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(slug), ""), " ", "-")
		a := slug
		for n := 1; anchors[a]; n++ {
			a = fmt.Sprintf("%s-%d", slug, n)
		}
		anchors[a] = true
	}
	links := 0
	for _, line := range prose {
		for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(line, -1) {
			links++
			if !anchors[m[1]] {
				t.Errorf("link to #%s: no such section", m[1])
			}
		}
	}
	if links == 0 {
		t.Error("no links to sections found")
	}
}
