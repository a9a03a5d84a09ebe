package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	t.Parallel()
	goLine := "  go        go1.99.1 " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-24T10:00:00Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"release from the module proxy", &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v1.2.3"}},
			"oauthgate v1.2.3\n" + goLine},
		{"clean clone", &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v0.0.0-20261124100000-0123456789ab"}, Settings: vcs("false")},
			"oauthgate v0.0.0-20261124100000-0123456789ab\n  revision  0123456789abcdef0123456789abcdef01234567\n  time      2026-11-24T10:00:00Z\n" + goLine},
		{"modified tree", &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")},
			"oauthgate (devel)\n  revision  0123456789abcdef0123456789abcdef01234567 dirty\n  time      2026-11-24T10:00:00Z\n" + goLine},
		{"no build information", nil,
			"oauthgate (unknown)\n  go        " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionText(tc.info); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestVersionCommandLine(t *testing.T) {
	t.Parallel()
	code, want, stderr := cli(t, "version")
	if code != 0 || !strings.HasPrefix(want, "oauthgate ") || stderr != "" {
		t.Fatalf("version: %d %q %q", code, want, stderr)
	}
	for _, args := range [][]string{{"--version"}, {"-version"}} {
		if code, got, _ := cli(t, args...); code != 0 || got != want {
			t.Errorf("%v: %d %q; want %q", args, code, got, want)
		}
	}
	if code, _, stderr := cli(t, "version", "extra"); code != 2 || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("version extra: %d %q", code, stderr)
	}
	if code, stdout, _ := cli(t, "help"); code != 0 || !strings.Contains(stdout, "\n  version ") {
		t.Errorf("help does not list version: %q", stdout)
	}
}

// The built binary prints what `go version -m` reads from it.
func TestBinaryVersion(t *testing.T) {
	t.Parallel()
	checkBinaryVersion(t, oauthgateBinary(t))
}

// A binary built with VCS stamping names the revision it was built from.
func TestBinaryVersionVCS(t *testing.T) {
	t.Parallel()
	oauthgateBinary(t) // for -short
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	bin := filepath.Join(t.TempDir(), "oauthgate")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Skipf("not built with VCS stamping (not a git clone?): %v\n%s", err, out)
	}
	settings := checkBinaryVersion(t, bin)
	if settings["vcs.revision"] == "" {
		// go sees no repository: a git worktree (whose .git is a file), or
		// a tree exported without .git.
		if os.Getenv("CI") != "" {
			t.Fatal("CI builds from a clone, but go stamped no VCS revision")
		}
		t.Skip("go stamped no VCS revision here")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := settings["vcs.revision"], strings.TrimSpace(string(head)); got != want {
		t.Errorf("vcs.revision %s; git HEAD is %s", got, want)
	}
}

// checkBinaryVersion runs bin version and compares it with the build
// information `go version -m` reads from the file; it returns the build
// settings.
func checkBinaryVersion(t *testing.T, bin string) map[string]string {
	t.Helper()
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	got := string(out)
	if alt, err := exec.Command(bin, "--version").Output(); err != nil || string(alt) != got {
		t.Errorf("--version: %v %q; want %q", err, alt, got)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var goVersion, modVersion string
	settings := map[string]string{}
	for i, line := range strings.Split(string(meta), "\n") {
		f := strings.Split(strings.TrimSpace(line), "\t")
		switch {
		case i == 0:
			_, goVersion, _ = strings.Cut(line, ": ")
		case f[0] == "mod" && len(f) >= 3:
			modVersion = f[2]
		case f[0] == "build" && len(f) == 2:
			if k, v, ok := strings.Cut(f[1], "="); ok {
				settings[k] = v
			}
		}
	}
	want := []string{"oauthgate " + modVersion + "\n", "  go        " + goVersion + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " dirty"
		}
		want = append(want, "  revision  "+rev+"\n", "  time      "+settings["vcs.time"]+"\n")
	} else if strings.Contains(got, "revision") {
		t.Errorf("a revision without vcs.revision in the build info:\n%s", got)
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("version output lacks %q:\n%s\ngo version -m:\n%s", w, got, meta)
		}
	}
	return settings
}
