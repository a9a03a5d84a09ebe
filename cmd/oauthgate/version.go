package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

func init() {
	register(command{
		name:    "version",
		summary: "print the version, VCS revision and Go version of this binary",
		run:     runVersion,
	})
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("version", "version", `
Prints what the binary was built from, read from its build information:
the module version ("(devel)" for go run and go test builds), the VCS
revision and commit time with "dirty" when the tree had uncommitted changes
(absent when built without VCS information, as by go install from the
module proxy, where the version names the release), and the Go toolchain.
"oauthgate --version" prints the same.`)
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(fs, "unexpected argument %q", rest[0])
	}
	info, _ := debug.ReadBuildInfo() // nil without module support
	_, err = io.WriteString(stdout, versionText(info))
	return err
}

// versionText formats the build information of the binary; info is nil
// for a binary built without module support.
func versionText(info *debug.BuildInfo) string {
	var b strings.Builder
	version := "(unknown)"
	goVersion := runtime.Version()
	settings := map[string]string{}
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
	}
	fmt.Fprintf(&b, "oauthgate %s\n", version)
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " dirty"
		}
		fmt.Fprintf(&b, "  revision  %s\n", rev)
	}
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(&b, "  time      %s\n", t)
	}
	fmt.Fprintf(&b, "  go        %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
