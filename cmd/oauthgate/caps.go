package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
)

func init() {
	register(command{
		name:    "caps",
		summary: "manage stored capabilities (import, export)",
		run:     runCaps,
	})
}

// capsCommands are the subcommands of caps; each file registers its own
// with registerCaps.
var capsCommands = map[string]command{}

func registerCaps(c command) {
	if _, dup := capsCommands[c.name]; dup {
		panic("oauthgate: caps command registered twice: " + c.name)
	}
	capsCommands[c.name] = c
}

func runCaps(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		capsUsage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	c, ok := capsCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "oauthgate caps: unknown command %q\n", args[0])
		capsUsage(stderr)
		return errUsage
	}
	if err := c.run(ctx, args[1:], stdout, stderr); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

func capsUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: oauthgate caps <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(capsCommands))
	for n := range capsCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, capsCommands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'oauthgate caps <command> -h' for a command's flags.")
}

// parseWithArgs parses args allowing flags before and after the
// positional arguments, and returns at most max positional ones.
func parseWithArgs(fs *flag.FlagSet, args []string, max int) ([]string, error) {
	var pos []string
	for {
		if err := parseFlagsKeepArgs(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > max {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), pos[max])
		return nil, errUsage
	}
	return pos, nil
}

// parseFlagsKeepArgs is parseFlags without the check for stray arguments.
func parseFlagsKeepArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	return nil
}
