package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

func init() {
	register(command{
		name:    "completion",
		summary: "print a shell completion script (bash, zsh or fish)",
		run:     runCompletion,
	})
}

func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("completion", "completion bash|zsh|fish", `
Prints a completion script for the shell: the commands, subcommands and
flags, read from the commands themselves, and file names for flags that
take a FILE. Load it with one of:

  source <(oauthgate completion bash)            # in ~/.bashrc
  oauthgate completion zsh > "${fpath[1]}/_oauthgate"
  oauthgate completion fish > ~/.config/fish/completions/oauthgate.fish`)
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError(fs, "want one shell: bash, zsh or fish")
	}
	gen, ok := completionScripts[rest[0]]
	if !ok {
		return usageError(fs, "unknown shell %q: want bash, zsh or fish", rest[0])
	}
	root, err := describeCommands(ctx)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, gen(root))
	return err
}

// completionScripts maps a shell to the generator of its script.
var completionScripts = map[string]func(*cmdNode) string{
	"bash": bashCompletion,
	"zsh":  zshCompletion,
	"fish": fishCompletion,
}

// cmdNode is a command as completion sees it: the words that lead to it,
// its flags, and its subcommands (sorted).
type cmdNode struct {
	path    string // "" for oauthgate itself, "caps add"
	summary string
	flags   []flagInfo
	subs    []*cmdNode
}

type flagInfo struct {
	name  string // without dashes
	usage string
	value bool // takes a value (not a boolean flag)
	file  bool // the value is a file name
}

// describer is the stdout given to a command run with -h for completion:
// parseCommandLine records the command's flag set in it, and runGroup the
// table of a group's subcommands. What -h documents is what completes.
type describer struct {
	flags *flag.FlagSet
	table map[string]command
}

func (*describer) Write(p []byte) (int, error) { return len(p), nil }

// describeCommands builds the tree of the registered commands.
func describeCommands(ctx context.Context) (*cmdNode, error) {
	root := &cmdNode{flags: []flagInfo{
		{name: "help", usage: "print the commands"},
		{name: "version", usage: "print the version"},
	}}
	subs, err := describeTable(ctx, "", commands)
	if err != nil {
		return nil, err
	}
	help := &cmdNode{path: "help", summary: "print the usage of oauthgate or of a command"}
	for _, s := range subs {
		help.subs = append(help.subs, &cmdNode{path: "help " + s.path, summary: s.summary})
		if s.path == "completion" { // its argument completes like a subcommand
			for shell := range completionScripts {
				s.subs = append(s.subs, &cmdNode{path: "completion " + shell, summary: "the script for " + shell})
			}
			sort.Slice(s.subs, func(i, j int) bool { return s.subs[i].path < s.subs[j].path })
		}
	}
	root.subs = append(subs, help)
	sort.Slice(root.subs, func(i, j int) bool { return root.subs[i].path < root.subs[j].path })
	return root, nil
}

func describeTable(ctx context.Context, parent string, table map[string]command) ([]*cmdNode, error) {
	var out []*cmdNode
	for name, c := range table {
		n := &cmdNode{path: strings.TrimSpace(parent + " " + name), summary: c.summary}
		d := &describer{}
		_ = c.run(ctx, []string{"-h"}, d, io.Discard)
		switch {
		case d.table != nil:
			subs, err := describeTable(ctx, n.path, d.table)
			if err != nil {
				return nil, err
			}
			n.subs = subs
		case d.flags != nil:
			n.flags = append(n.flags, flagInfo{name: "help", usage: "print the usage"})
			d.flags.VisitAll(func(f *flag.Flag) {
				placeholder, usage := flag.UnquoteUsage(f)
				b, isBool := f.Value.(interface{ IsBoolFlag() bool })
				n.flags = append(n.flags, flagInfo{
					name:  f.Name,
					usage: usage,
					value: !isBool || !b.IsBoolFlag(),
					file:  strings.EqualFold(placeholder, "file"),
				})
			})
		default:
			return nil, fmt.Errorf("command %q did not describe its flags with -h", n.path)
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// name is the last word of the node's path.
func (n *cmdNode) name() string { return n.path[strings.LastIndexByte(n.path, ' ')+1:] }

// walk calls f for n and every node below it.
func (n *cmdNode) walk(f func(*cmdNode)) {
	f(n)
	for _, s := range n.subs {
		s.walk(f)
	}
}

// names lists the subcommand names, or the flag names a filter keeps.
func (n *cmdNode) subNames() []string {
	var out []string
	for _, s := range n.subs {
		out = append(out, s.name())
	}
	return out
}

func (n *cmdNode) flagNames(keep func(flagInfo) bool) []string {
	var out []string
	for _, f := range n.flags {
		if keep(f) {
			out = append(out, f.name)
		}
	}
	return out
}
