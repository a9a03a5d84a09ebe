package capabilities_test

import (
	"os/exec"
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
