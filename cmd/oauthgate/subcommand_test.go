package main

import (
	"context"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// Every command: -h is usage on stdout with status 0; a bad command line
// is a one-line reason and the usage on stderr with status 2.
func TestCommandLineErrors(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout for status 0, in stderr otherwise
	}{
		{"keygen help", []string{"keygen", "-h"}, 0, "usage: oauthgate keygen"},
		{"keygen --help", []string{"keygen", "--help"}, 0, "-bytes"},
		{"keygen stray", []string{"keygen", "x"}, 2, `unexpected argument "x"`},
		{"keygen few bytes", []string{"keygen", "--bytes", "16"}, 2, "must be between 32"},
		{"keygen bad bytes", []string{"keygen", "--bytes", "many"}, 2, "invalid value"},
		{"keygen unknown flag", []string{"keygen", "--nope"}, 2, "flag provided but not defined: -nope"},

		{"config alone", []string{"config"}, 2, "missing subcommand"},
		{"config help", []string{"config", "--help"}, 0, "encrypt"},
		{"config unknown", []string{"config", "fix"}, 2, `unknown subcommand "fix"`},
		{"config help check", []string{"config", "help", "check"}, 0, "usage: oauthgate config check"},
		{"oauthgate help config", []string{"help", "config"}, 0, "check"},
		{"config check help", []string{"config", "check", "-h"}, 0, "--config FILE"},
		{"config check no config", []string{"config", "check"}, 2, "missing --config FILE"},
		{"config check stray", []string{"config", "check", "--offline", "--config", cfg, "x"}, 2, `unexpected argument "x"`},
		{"config check unknown flag", []string{"config", "check", "--cfg", cfg}, 2, "flag provided but not defined: -cfg"},
		{"config encrypt help", []string{"config", "encrypt", "-h"}, 0, "--password-stdin"},
		{"config encrypt no config", []string{"config", "encrypt"}, 2, "missing --config FILE"},
		{"config encrypt value and config", []string{"config", "encrypt", "--value", "--config", cfg}, 2, "--value does not take --config"},
		{"config encrypt value and password stdin", []string{"config", "encrypt", "--value", "--password-stdin"}, 2, "give the password in OAUTHGATE_PASSWORD"},
		{"config encrypt empty keys", []string{"config", "encrypt", "--config", cfg, "--keys", ","}, 2, "--keys is empty"},

		{"token alone", []string{"token"}, 2, "missing subcommand"},
		{"token help", []string{"token", "-h"}, 0, "mint"},
		{"token inspect help", []string{"token", "inspect", "-h"}, 0, "usage: oauthgate token inspect"},
		{"token inspect no config", []string{"token", "inspect", "abc"}, 2, "missing --config FILE"},
		{"token inspect two tokens", []string{"token", "inspect", "--config", cfg, "a", "b"}, 2, `unexpected argument "b"`},
		{"token mint help", []string{"token", "mint", "--help"}, 0, "--service"},
		{"token mint no subject", []string{"token", "mint", "--config", cfg}, 2, "exactly one of --user"},
		{"token mint two subjects", []string{"token", "mint", "--config", cfg, "--user", "a@b.c", "--service", "x@service"}, 2, "exactly one of --user"},
		{"token mint user caps", []string{"token", "mint", "--config", cfg, "--user", "a@b.c", "--caps", "read"}, 2, "--caps is for service tokens"},
		{"token mint bad service", []string{"token", "mint", "--config", cfg, "--service", "bot"}, 2, `"bot" is not a service account name`},
		{"token mint service as user", []string{"token", "mint", "--config", cfg, "--user", "bot@service"}, 2, "use --service"},
		{"token mint bad email", []string{"token", "mint", "--config", cfg, "--user", "nobody"}, 2, `"nobody" is not an email`},
		{"token mint bad ttl", []string{"token", "mint", "--config", cfg, "--user", "a@b.c", "--ttl", "soon"}, 2, "bad duration"},
		{"token mint zero ttl", []string{"token", "mint", "--config", cfg, "--user", "a@b.c", "--ttl", "0s"}, 2, "bad duration"},
		{"token mint negative ttl", []string{"token", "mint", "--config", cfg, "--user", "a@b.c", "--ttl", "-1h"}, 2, "bad duration"},

		{"caps alone", []string{"caps"}, 2, "missing subcommand"},
		{"caps help", []string{"caps", "help"}, 0, "remove"},
		{"caps help add", []string{"caps", "help", "add"}, 0, "usage: oauthgate caps add"},
		{"caps unknown", []string{"caps", "grant"}, 2, `unknown subcommand "grant"`},
		{"caps list help", []string{"caps", "list", "-h"}, 0, "--json"},
		{"caps list no config", []string{"caps", "list"}, 2, "missing --config FILE"},
		{"caps list two emails", []string{"caps", "list", "--config", cfg, "a@b.c", "d@e.f"}, 2, `unexpected argument "d@e.f"`},
		{"caps add no email", []string{"caps", "add", "--config", cfg}, 2, "missing EMAIL"},
		{"caps add no cap", []string{"caps", "add", "--config", cfg, "a@b.c"}, 2, "missing CAP"},
		{"caps remove no cap", []string{"caps", "remove", "--config", cfg, "a@b.c", ","}, 2, "missing CAP"},
		{"caps set empty email", []string{"caps", "set", "--config", cfg, " "}, 2, `EMAIL: " " is not an email address or name@service: empty`},
		{"caps add bad email", []string{"caps", "add", "--config", cfg, "a@corp..example", "read"}, 2, "an empty domain label"},
		{"caps list bad email", []string{"caps", "list", "--config", cfg, "a b@corp.example"}, 2, "contains white space"},
		{"caps set unknown flag", []string{"caps", "set", "--config", cfg, "a@b.c", "--force"}, 2, "flag provided but not defined: -force"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := cli(t, tc.args...)
			if code != tc.code {
				t.Fatalf("status %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			got, other := stdout, stderr
			if code != 0 {
				got, other = stderr, stdout
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("output %q does not contain %q", got, tc.want)
			}
			if other != "" {
				t.Errorf("unexpected output on the other stream: %q", other)
			}
			if code == 2 && !strings.Contains(stderr, "usage: oauthgate") {
				t.Errorf("usage error without the usage: %q", stderr)
			}
		})
	}
}

// Runtime errors are "oauthgate <command> <subcommand>: <message>" with
// status 1: the prefix names the command that failed, as its usage does.
func TestRuntimeErrorFormat(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"caps", "list", "--config", "/nonexistent/config.yaml"},
		{"config", "check", "--config", "/nonexistent/config.yaml"},
		{"config", "encrypt", "--config", "/nonexistent/config.yaml"},
		{"token", "inspect", "--config", "/nonexistent/config.yaml", "x"},
		{"clients", "list", "--config", "/nonexistent/config.yaml"},
	} {
		prefix := "oauthgate " + args[0] + " " + args[1] + ": "
		code, stdout, stderr := cli(t, args...)
		// config check lists the problems first, then says how many.
		said := strings.HasPrefix(stderr, prefix) || strings.Contains(stderr, "\n"+prefix)
		if code != 1 || stdout != "" || !said || strings.Contains(stderr, "oauthgate "+args[0]+": ") {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 1 and %q once", args, code, stdout, stderr, prefix)
		}
	}
}

func TestParseCommandLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args       []string
		config     string
		positional []string
	}{
		{[]string{"a", "b"}, "", []string{"a", "b"}},
		{[]string{"--config", "f", "a", "b"}, "f", []string{"a", "b"}},
		{[]string{"a", "--config", "f", "b"}, "f", []string{"a", "b"}},
		{[]string{"a", "b", "-config=f"}, "f", []string{"a", "b"}},
		{[]string{"-", "--config", "f"}, "f", []string{"-"}},
		{[]string{"a", "--", "--config", "f"}, "", []string{"a", "--config", "f"}},
		{[]string{"--config", "f", "--", "-x"}, "f", []string{"-x"}},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		config := fs.String("config", "", "")
		got, err := parseCommandLine(fs, tc.args, io.Discard, io.Discard)
		if err != nil || *config != tc.config || !slices.Equal(got, tc.positional) {
			t.Errorf("parse %q = %q, config %q, %v; want %q, config %q", tc.args, got, *config, err, tc.positional, tc.config)
		}
	}
}

// Other files add caps subcommands to capsCommands; they are dispatched
// like the built-in ones.
func TestCapsCommandsExtensible(t *testing.T) {
	for _, name := range []string{"list", "add", "remove", "set"} {
		if _, ok := capsCommands[name]; !ok {
			t.Errorf("caps %s is not in capsCommands", name)
		}
	}
	var gotArgs []string
	capsCommands["probe"] = command{name: "caps probe", summary: "test probe", run: func(_ context.Context, args []string, stdout, _ io.Writer) error {
		gotArgs = args
		_, err := io.WriteString(stdout, "probed\n")
		return err
	}}
	t.Cleanup(func() { delete(capsCommands, "probe") })
	code, stdout, _ := cli(t, "caps", "probe", "x", "--y")
	if code != 0 || stdout != "probed\n" || !slices.Equal(gotArgs, []string{"x", "--y"}) {
		t.Errorf("status %d, stdout %q, args %q", code, stdout, gotArgs)
	}
	if _, stdout, _ := cli(t, "caps", "--help"); !strings.Contains(stdout, "test probe") {
		t.Errorf("caps --help does not list probe: %q", stdout)
	}
}

// Every group's listing keeps its summaries in one column, also when a name
// (such as "clients rotate-secret") is longer than the others.
func TestCommandListingAligned(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"clients", "-h"}, {"token", "-h"}, {"caps", "-h"}, {"config", "-h"}} {
		_, stdout, stderr := cli(t, args...)
		out := stdout + stderr
		col := -1
		for _, line := range strings.Split(out, "\n") {
			if !strings.HasPrefix(line, "  ") {
				continue
			}
			name := strings.Fields(line)[0]
			start := strings.Index(line, name) + len(name)
			i := start + len(line[start:]) - len(strings.TrimLeft(line[start:], " "))
			if i-start < 2 {
				t.Errorf("%v: name and summary run together: %q", args, line)
			}
			if col == -1 {
				col = i
			} else if i != col {
				t.Errorf("%v: summary of %q at column %d, others at %d", args, name, i, col)
			}
		}
		if col == -1 {
			t.Errorf("%v: no command listed in %q", args, out)
		}
	}
}

// Each command's help wraps its prose at 80 columns (usage lines, examples
// and flag descriptions aside), and serve's usage line names its flags as
// the other commands' do.
func TestHelpProseWrapped(t *testing.T) {
	for _, c := range []string{"authorize", "serve", "keygen", "mockidp",
		"caps list", "caps add", "caps remove", "caps set", "caps import", "caps export",
		"clients add", "clients list", "clients disable", "clients enable",
		"clients rotate-secret", "clients remove", "clients hash",
		"token client", "token inspect", "token mint", "config check", "config encrypt"} {
		_, stdout, _ := cli(t, append(strings.Fields(c), "-h")...)
		if stdout == "" {
			t.Errorf("%s -h printed nothing", c)
		}
		for _, line := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(line, "usage:") || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
				continue
			}
			if len(line) > 80 {
				t.Errorf("%s -h: line of %d characters: %q", c, len(line), line)
			}
		}
	}
	_, stdout, _ := cli(t, "serve", "-h")
	usage, _, _ := strings.Cut(stdout, "\n")
	for _, flag := range []string{"--config FILE", "--log-level", "--access-log"} {
		if !strings.Contains(usage, flag) {
			t.Errorf("serve's usage line lacks %s: %q", flag, usage)
		}
	}
}
