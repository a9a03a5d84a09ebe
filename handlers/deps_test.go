package handlers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the heavy and the test-only packages out of the
// non-test builds of auth, capabilities, handlers and the features beside
// them (clientcreds, awsauthorizer): apps that import them must not
// compile a database driver, a router they do not use, the mock provider
// or httptest, nor a feature they did not ask for.
func TestDependencies(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	bad := map[string]string{
		"github.com/jackc/pgx":                         "only capabilities/pgstore may use PostgreSQL",
		"github.com/gin-gonic/gin":                     "only handlers/ginauth may import gin",
		"github.com/go-chi/chi":                        "chi is for tests and examples",
		"github.com/oauthgate/oauthgate/mockidp":       "the mock provider is for tests",
		"github.com/oauthgate/oauthgate/handlers/":     "sub-packages of handlers are optional",
		"net/http/httptest":                            "httptest is for tests",
		"github.com/oauthgate/oauthgate/clientcreds":   "the client-credentials grant is a feature an app plugs in",
		"github.com/oauthgate/oauthgate/awsauthorizer": "the AWS authorizer is a feature an app plugs in",
	}
	list := func(t *testing.T, pkg string) []string {
		t.Helper()
		out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", "github.com/oauthgate/oauthgate/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list gave %d packages; the check would prove nothing", len(deps))
		}
		return deps
	}
	// The check sees a dependency when there is one.
	t.Run("ginauth imports gin", func(t *testing.T) {
		t.Parallel()
		for _, dep := range list(t, "handlers/ginauth") {
			if strings.HasPrefix(dep, "github.com/gin-gonic/gin") {
				return
			}
		}
		t.Error("handlers/ginauth does not depend on gin: the check is broken")
	})
	for _, pkg := range []string{"auth", "capabilities", "handlers", "clientcreds", "awsauthorizer"} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			for _, dep := range list(t, pkg) {
				if dep == "github.com/oauthgate/oauthgate/"+pkg {
					continue
				}
				for prefix, why := range bad {
					if strings.HasPrefix(dep, prefix) {
						t.Errorf("%s depends on %s: %s", pkg, dep, why)
					}
				}
			}
		})
	}
}
