package gateway_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the metrics library, databases, routers and
// test-only packages out of the gateway package, so that it embeds
// lightly; `oauthgate serve` adds Prometheus in cmd/.
func TestDependencies(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	bad := map[string]string{
		"github.com/prometheus/":                 "metrics go through the Observer; Prometheus lives in cmd/",
		"github.com/jackc/pgx":                   "only capabilities/pgstore may use PostgreSQL",
		"github.com/gin-gonic/gin":               "gin is not needed",
		"github.com/go-chi/chi":                  "chi is not needed",
		"github.com/oauthgate/oauthgate/mockidp": "the mock provider is for tests",
		"net/http/httptest":                      "httptest is for tests",
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", "github.com/oauthgate/oauthgate/gateway").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	found := false
	for _, dep := range deps {
		found = found || dep == "net/http/httputil"
		for prefix, why := range bad {
			if strings.HasPrefix(dep, prefix) {
				t.Errorf("gateway depends on %s: %s", dep, why)
			}
		}
	}
	if !found {
		t.Errorf("net/http/httputil not among %d dependencies: the check is broken", len(deps))
	}
}
