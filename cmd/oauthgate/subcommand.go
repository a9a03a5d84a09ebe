package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// stdin is what commands read tokens, passwords and values from.
var stdin io.Reader = os.Stdin

// runGroup runs a command with subcommands, such as "oauthgate token
// inspect": table maps each subcommand's name to it. "help SUB" and
// "SUB -h" print the subcommand's usage.
func runGroup(ctx context.Context, group string, table map[string]command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "oauthgate %s: missing subcommand\n", group)
		groupUsage(stderr, group, table)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		if d, ok := stdout.(*describer); ok {
			d.table = table
		}
		groupUsage(stdout, group, table)
		return flag.ErrHelp
	case "help":
		if len(args) > 1 {
			if sub, ok := table[args[1]]; ok {
				return sub.run(ctx, []string{"-h"}, stdout, stderr)
			}
		}
		groupUsage(stdout, group, table)
		return flag.ErrHelp
	}
	sub, ok := table[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "oauthgate %s: unknown subcommand %q\n", group, args[0])
		groupUsage(stderr, group, table)
		return errUsage
	}
	err := sub.run(ctx, args[1:], stdout, stderr)
	if err != nil && !errors.Is(err, errUsage) && !errors.Is(err, flag.ErrHelp) {
		return &subcommandError{name: sub.name, err: err}
	}
	return err
}

// subcommandError is the failure of a subcommand, so that the message
// names it ("oauthgate config encrypt: ...") rather than its group.
type subcommandError struct {
	name string // "config encrypt"
	err  error
}

func (e *subcommandError) Error() string { return e.name + ": " + e.err.Error() }
func (e *subcommandError) Unwrap() error { return e.err }

// failedCommand returns the name of the command that failed with err,
// the innermost subcommand, and the error without that name.
func failedCommand(name string, err error) (string, error) {
	var sub *subcommandError
	if errors.As(err, &sub) {
		return sub.name, sub.err
	}
	return name, err
}

func groupUsage(w io.Writer, group string, table map[string]command) {
	fmt.Fprintf(w, "usage: oauthgate %s <subcommand> [flags] [arguments]\n\nsubcommands:\n", group)
	listCommands(w, table)
	fmt.Fprintf(w, "\nRun 'oauthgate %s <subcommand> -h' for its flags.\n", group)
}

// listCommands prints one "name  summary" line per command, sorted, with
// the summaries in one column however long the longest name is.
func listCommands(w io.Writer, table map[string]command) {
	names := make([]string, 0, len(table))
	width := 0
	for n := range table {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, table[n].summary)
	}
}

// newCommandFlags returns the flag set of "oauthgate NAME", whose usage
// shows synopsis ("token mint [flags]"), then about, then the flags.
func newCommandFlags(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("oauthgate "+name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: oauthgate %s\n\n%s\n", synopsis, strings.TrimSpace(about))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseCommandLine parses the flags of fs wherever they stand among args
// (so that `caps add EMAIL CAP --config FILE` works) and returns the other
// arguments; "--" ends the flags. -h prints the usage to stdout and
// returns flag.ErrHelp; a bad flag prints the reason and the usage to
// stderr and returns errUsage. Afterwards fs writes to stderr, for
// [usageError].
func parseCommandLine(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, error) {
	if d, ok := stdout.(*describer); ok {
		d.flags = fs
	}
	var out bytes.Buffer
	fs.SetOutput(&out)
	defer fs.SetOutput(stderr)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				_, _ = stdout.Write(out.Bytes())
				return nil, flag.ErrHelp
			}
			_, _ = stderr.Write(out.Bytes())
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError prints a one-line reason and the usage of fs to stderr and
// returns errUsage (exit status 2).
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

// warn prints a warning of command name to stderr.
func warn(stderr io.Writer, name, format string, args ...any) {
	fmt.Fprintf(stderr, "oauthgate %s: warning: %s\n", name, fmt.Sprintf(format, args...))
}

// readInput reads at most limit bytes from r, for a value given on
// standard input; more is an error rather than a silent cut.
func readInput(r io.Reader, what string, limit int64) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return "", fmt.Errorf("reading %s from standard input: %w", what, err)
	}
	if int64(len(data)) > limit {
		return "", fmt.Errorf("%s on standard input is longer than %d bytes", what, limit)
	}
	return string(data), nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
