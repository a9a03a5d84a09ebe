package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// completionScript writes the script for shell to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, stdout, stderr := cli(t, "completion", shell)
	if code != 0 || stderr != "" {
		t.Fatalf("completion %s: %d %q", shell, code, stderr)
	}
	path := filepath.Join(t.TempDir(), "oauthgate."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// needShell returns the shell's path; without it the test is skipped,
// or fails under CI, where .ci/run installs it.
func needShell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// bashComplete runs the bash completion function on line (the cursor at
// its end) in dir and returns the candidates.
func bashComplete(t *testing.T, script, dir, line string) []string {
	t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shQuote(w)
	}
	cmd := exec.Command(needShell(t, "bash"), "--norc", "--noprofile", "-c",
		`source "$1" || exit 9; COMP_WORDS=(`+strings.Join(quoted, " ")+`); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _oauthgate; printf '%s\n' "${COMPREPLY[@]}"`,
		"bash", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash completion of %q: %v\n%s", line, err, out)
	}
	return strings.Fields(string(out))
}

func TestCompletionUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if code, stdout, stderr := cli(t, args...); code != 2 || stdout != "" || !strings.Contains(stderr, "usage: oauthgate completion bash|zsh|fish") {
			t.Errorf("%v: %d %q %q", args, code, stdout, stderr)
		}
	}
}

// Every registered command, subcommand and flag completes in bash, and
// exactly those that -h documents.
func TestCompletionBashFollowsCommands(t *testing.T) {
	t.Parallel()
	script := completionScript(t, "bash")
	if out, err := exec.Command(needShell(t, "bash"), "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	dir := t.TempDir()
	var top []string
	for name := range commands {
		top = append(top, name)
	}
	top = append(top, "help")
	slices.Sort(top)
	if got := bashComplete(t, script, dir, "oauthgate "); !slices.Equal(got, top) {
		t.Errorf("top level: got %v; want %v", got, top)
	}
	if got := bashComplete(t, script, dir, "oauthgate help "); !slices.Equal(got, slices.DeleteFunc(slices.Clone(top), func(s string) bool { return s == "help" })) {
		t.Errorf("help: got %v", got)
	}
	subRE := regexp.MustCompile(`(?m)^  (\S+)  `)
	flagRE := regexp.MustCompile(`(?m)^  -(\S+)`)
	for _, name := range top[:len(top)-1] {
		if name == "help" {
			continue
		}
		_, usage, _ := cli(t, name, "-h")
		if subs := subRE.FindAllStringSubmatch(usage, -1); strings.Contains(usage, "subcommands:") {
			var want []string
			for _, m := range subs {
				want = append(want, m[1])
			}
			if got := bashComplete(t, script, dir, "oauthgate "+name+" "); !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("%s: got %v; want %v", name, got, want)
			}
			for _, sub := range want {
				checkFlags(t, script, dir, name+" "+sub, flagRE)
			}
			continue
		}
		checkFlags(t, script, dir, name, flagRE)
	}
}

// checkFlags compares the completed flags of a command with those its -h
// prints.
func checkFlags(t *testing.T, script, dir, cmdline string, flagRE *regexp.Regexp) {
	t.Helper()
	_, usage, _ := cli(t, append(strings.Fields(cmdline), "-h")...)
	want := []string{"--help"}
	for _, m := range flagRE.FindAllStringSubmatch(usage, -1) {
		want = append(want, "--"+m[1])
	}
	slices.Sort(want)
	got := bashComplete(t, script, dir, "oauthgate "+cmdline+" --")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s flags: got %v; want %v", cmdline, got, want)
	}
}

func TestCompletionBashValues(t *testing.T) {
	t.Parallel()
	script := completionScript(t, "bash")
	dir := t.TempDir()
	for _, f := range []string{"gateway.yaml", "caps.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"oauthgate se", []string{"serve"}},
		{"oauthgate serve --config ", []string{"caps.yaml", "gateway.yaml"}},
		{"oauthgate serve --config g", []string{"gateway.yaml"}},
		{"oauthgate serve --log-level ", nil},                                               // a value, not a file
		{"oauthgate serve --log-f", []string{"--log-format"}},                               // flags of serve
		{"oauthgate token mint --config caps.yaml --us", []string{"--user"}},                // the value skipped
		{"oauthgate --config caps.yaml caps li", []string{"list"}},                          // flags anywhere
		{"oauthgate caps add --json a@example.com ", []string{"caps.yaml", "gateway.yaml"}}, // positional
		{"oauthgate completion ", []string{"bash", "fish", "zsh"}},
	} {
		if got := bashComplete(t, script, dir, tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v; want %v", tc.line, got, tc.want)
		}
	}
}

func TestCompletionZsh(t *testing.T) {
	t.Parallel()
	script := completionScript(t, "zsh")
	data, _ := os.ReadFile(script)
	for name := range commands {
		if !regexp.MustCompile(`(?m)^\t""\) echo .*\b` + name + `\b`).Match(data) {
			t.Errorf("zsh script does not offer %q", name)
		}
	}
	if out, err := exec.Command(needShell(t, "zsh"), "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
}

// fish completes non-interactively with complete -C.
func TestCompletionFish(t *testing.T) {
	t.Parallel()
	script := completionScript(t, "fish")
	fish := needShell(t, "fish")
	if out, err := exec.Command(fish, "--no-execute", script).CombinedOutput(); err != nil {
		t.Fatalf("fish --no-execute: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gateway.yaml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	complete := func(line string) []string {
		cmd := exec.Command(fish, "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, line)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fish complete -C %q: %v\n%s", line, err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if name, _, _ := strings.Cut(l, "\t"); name != "" {
				got = append(got, name)
			}
		}
		slices.Sort(got)
		return got
	}
	var top []string
	for name := range commands {
		top = append(top, name)
	}
	top = append(top, "help")
	slices.Sort(top)
	if got := complete("oauthgate "); !slices.Equal(got, top) {
		t.Errorf("top level: got %v; want %v", got, top)
	}
	if got := complete("oauthgate caps "); !slices.Equal(got, []string{"add", "export", "import", "list", "remove", "set"}) {
		t.Errorf("caps: got %v", got)
	}
	if got := complete("oauthgate serve --config gate"); !slices.Equal(got, []string{"gateway.yaml"}) {
		t.Errorf("serve --config: got %v", got)
	}
	if got := complete("oauthgate token mint --config gateway.yaml --us"); !slices.Equal(got, []string{"--user"}) {
		t.Errorf("token mint: got %v", got)
	}
}

// Every command describes itself when run with -h for completion.
func TestDescribeCommands(t *testing.T) {
	t.Parallel()
	root, err := describeCommands(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	root.walk(func(c *cmdNode) {
		if c != root && len(c.subs) == 0 && len(c.flags) == 0 && !strings.HasPrefix(c.path, "help ") && !strings.HasPrefix(c.path, "completion ") {
			t.Errorf("%q has neither subcommands nor flags", c.path)
		}
		n++
	})
	if n < len(commands) {
		t.Errorf("%d nodes for %d commands", n, len(commands))
	}
}
