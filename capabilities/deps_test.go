package capabilities_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencies keeps capabilities on the standard library and yaml.v3:
// its other imports are this module's internal packages, which are held
// to the same rule by being listed here with their own dependencies.
func TestDependencies(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/oauthgate/oauthgate/capabilities").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	found := false
	for _, dep := range deps {
		switch {
		case dep == "gopkg.in/yaml.v3":
			found = true
		case dep == "github.com/oauthgate/oauthgate/capabilities",
			strings.HasPrefix(dep, "github.com/oauthgate/oauthgate/internal/"):
		default:
			t.Errorf("capabilities depends on %s: only the standard library, yaml.v3 and internal packages are allowed", dep)
		}
	}
	if !found {
		t.Errorf("yaml.v3 not among %q: the check is broken", deps)
	}
}

// TestNoIO keeps capabilities free of I/O: no file of it imports the file
// system, the network, HTTP, logging or the clock, and nothing it
// depends on reaches the network, HTTP, logging or a store (os itself
// comes with fmt, so it is checked among the direct imports only).
func TestNoIO(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	const pkg = "github.com/oauthgate/oauthgate/capabilities"
	list := func(args ...string) []string {
		t.Helper()
		out, err := exec.Command(goTool, append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %q: %v", args, err)
		}
		return strings.Fields(string(out))
	}
	imports := list("-f", `{{join .Imports " "}}`, pkg)
	if !slices.Contains(imports, "gopkg.in/yaml.v3") {
		t.Fatalf("yaml.v3 not among the imports %q: the check is broken", imports)
	}
	for _, imp := range imports {
		switch imp {
		case "os", "os/exec", "os/signal", "io/fs", "io/ioutil", "path/filepath", "syscall", "time",
			"net", "net/http", "log", "log/slog":
			t.Errorf("capabilities imports %s: it does no I/O (stores are packages of their own)", imp)
		}
	}
	for _, dep := range list("-deps", pkg) {
		switch {
		case dep == "net", dep == "log/slog", dep == "log",
			strings.HasPrefix(dep, "net/"), strings.HasPrefix(dep, "crypto/tls"),
			strings.HasPrefix(dep, pkg+"/"):
			t.Errorf("capabilities depends on %s", dep)
		}
	}
}
