package layering_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/oauthgate/oauthgate"

// layer is a group of packages; a package may import module packages of
// its own subtree and of lower layers only.
type layer struct {
	rank  int
	roots []string // package paths relative to the module; a root covers its subtree
}

// layers, bottom to top. Features of one rank sit beside each other and
// must not import each other: no package mixes AWS, issuing and login.
var layers = []layer{
	{0, []string{"internal/atomicfile", "internal/clientaddr", "internal/confcheck", "internal/confdecode", "internal/emailaddr",
		"internal/argon2id", "internal/pemkey", "internal/redirect", "internal/respond", "internal/throttle"}},
	{1, []string{"capabilities"}},
	{2, []string{"auth"}},
	{3, []string{"handlers"}},
	{4, []string{"clientcreds", "awsauthorizer", "handlers/ginauth"}},
	{5, []string{"gateway"}},
	{6, []string{"cmd/oauthgate"}},
}

// testTools may import anything below the command; library code never
// imports them (cmd/oauthgate runs the mock provider, so it may).
var testTools = []string{"mockidp", "authtest", "gateway/gatewaytest", "capabilities/store/storetest",
	"handlers/internal/e2etest", "internal/webservertest", "internal/pgtest", "internal/readmetest", "internal/pemkey/pemkeytest",
	"gateway/internal/upstreammodel", "internal/browsertest"}

// free packages are outside the layers: runnable programs and this test.
var free = []string{"examples", "bench", "internal/layering"}

// heavy third-party dependencies and the only library packages allowed them.
var heavy = []struct {
	prefix  string
	allowed []string
	why     string
}{
	{"github.com/jackc/pgx", []string{"capabilities/pgstore", "cmd/oauthgate"}, "only the PostgreSQL store uses PostgreSQL"},
	{"github.com/gin-gonic/gin", []string{"handlers/ginauth"}, "only the gin adapter imports gin"},
	{"github.com/go-chi/chi", nil, "chi is for tests and examples"},
	{"github.com/prometheus/", []string{"cmd/oauthgate"}, "metrics go through the gateway's Observer"},
	{"github.com/aws/aws-lambda-go", nil, "the Lambda runtime belongs to the example that runs one"},
	{"net/http/httptest", nil, "httptest is for tests"},
	{"github.com/chromedp/", nil, "Chromium is driven by the browser tests only (internal/browsertest)"},
}

func under(rel, root string) bool { return rel == root || strings.HasPrefix(rel, root+"/") }

// rootOf returns the layer and the root covering rel (the longest match).
func rootOf(rel string) (rank int, root string, ok bool) {
	for _, l := range layers {
		for _, r := range l.roots {
			if under(rel, r) && len(r) > len(root) {
				rank, root, ok = l.rank, r, true
			}
		}
	}
	return rank, root, ok
}

func isTool(rel string) bool {
	for _, r := range testTools {
		if under(rel, r) {
			return true
		}
	}
	return false
}

func isFree(rel string) bool {
	for _, r := range free {
		if under(rel, r) {
			return true
		}
	}
	return false
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listModule(t *testing.T) []pkg {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list gave %d packages; the check would prove nothing", len(pkgs))
	}
	return pkgs
}

// importProblem says why from (a module package) may not import to, or "".
func importProblem(from, to string) string {
	fromTool, toTool := isTool(from), isTool(to)
	switch {
	case isFree(from):
		return ""
	case toTool && !fromTool && from != "cmd/oauthgate":
		return "test tooling is never imported by library code"
	case fromTool:
		return ""
	}
	fr, froot, _ := rootOf(from)
	tr, troot, ok := rootOf(to)
	switch {
	case !ok:
		return "" // an unclassified package is reported on its own
	case fr < tr:
		return "imports flow down: " + troot + " is above " + froot
	case fr == tr && froot != troot:
		return froot + " and " + troot + " sit beside each other and must stay apart"
	}
	return ""
}

// TestLayering checks every import between the module's packages (non-test
// builds) against the layers, and every package has a place in them.
func TestLayering(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, p := range listModule(t) {
		from := strings.TrimPrefix(p.ImportPath, module+"/")
		if _, _, ok := rootOf(from); !ok && !isTool(from) && !isFree(from) {
			t.Errorf("%s has no layer: add it to layers, testTools or free", from)
			continue
		}
		for _, imp := range p.Imports {
			to, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			checked++
			if why := importProblem(from, to); why != "" {
				t.Errorf("%s imports %s: %s", from, to, why)
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d imports between module packages checked: the check is broken", checked)
	}
}

// TestHeavyDependencies keeps database drivers, routers, metrics and test
// helpers out of the packages apps import, directly or through others.
func TestHeavyDependencies(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, p := range listModule(t) {
		from := strings.TrimPrefix(p.ImportPath, module+"/")
		if isFree(from) || isTool(from) {
			continue
		}
		for _, dep := range p.Deps {
			for _, h := range heavy {
				if !strings.HasPrefix(dep, h.prefix) {
					continue
				}
				seen[h.prefix] = true
				if !slices.ContainsFunc(h.allowed, func(root string) bool { return under(from, root) }) {
					t.Errorf("%s depends on %s: %s", from, dep, h.why)
				}
			}
		}
	}
	for _, h := range heavy[:2] {
		if !seen[h.prefix] {
			t.Errorf("no package depends on %s, not even %s: the check is broken", h.prefix, h.allowed[0])
		}
	}
}

// TestRules checks the checker on imports it must refuse and accept.
func TestRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to string
		refused  bool
	}{
		{"capabilities", "auth", true},
		{"auth", "handlers", true},
		{"auth", "gateway", true},
		{"auth", "mockidp", true},
		{"handlers", "authtest", true},
		{"clientcreds", "awsauthorizer", true},
		{"awsauthorizer", "clientcreds", true},
		{"handlers", "clientcreds", true},
		{"gateway", "cmd/oauthgate", true},
		{"internal/respond", "auth", true},
		{"auth", "capabilities/filestore", false},
		{"handlers", "auth", false},
		{"clientcreds", "handlers", false},
		{"gateway", "awsauthorizer", false},
		{"cmd/oauthgate", "mockidp", false},
		{"authtest", "mockidp", false},
		{"examples/quickstart", "mockidp", false},
	} {
		if got := importProblem(tc.from, tc.to) != ""; got != tc.refused {
			t.Errorf("%s → %s refused = %v, want %v", tc.from, tc.to, got, tc.refused)
		}
	}
}
