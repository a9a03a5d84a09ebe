package readmetest_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/internal/readmetest"
)

// template wraps a snippet of one kind into a file of the generated
// package: {{SNIPPET}} is replaced by the snippet, {{N}} by its line, and
// {{TEST}} by the test's body (configuration, expectations). The kinds
// are the program the README says the snippet belongs to.
type template struct {
	imports []string
	body    string
}

const programTest = `
func TestReadmeLine{{N}}(t *testing.T) {
{{TEST}}
}
`

var templates = map[string]template{
	// Statements of a main function that builds mux.
	"mux": {[]string{"context", "fmt", "log", "net", "net/http", "testing", "github.com/oauthgate/oauthgate/auth",
		"github.com/oauthgate/oauthgate/handlers", "github.com/oauthgate/oauthgate/internal/readmetest"}, `
func programLine{{N}}(ctx context.Context, ln net.Listener, config string) error {
	shout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "shouted") })
	bake := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "baked") })
	_, _ = shout, bake
{{SNIPPET}}
	return readmetest.Serve(ctx, ln, mux)
}
` + programTest},
	// Statements after the Manager m, building the chi router r.
	"chi": {[]string{"context", "fmt", "net", "net/http", "testing", "github.com/go-chi/chi/v5", "github.com/oauthgate/oauthgate/auth",
		"github.com/oauthgate/oauthgate/handlers", "github.com/oauthgate/oauthgate/internal/readmetest"}, `
func programLine{{N}}(ctx context.Context, ln net.Listener, config string) error {
	cfg, err := auth.LoadConfig(config)
	if err != nil {
		return err
	}
	m, err := auth.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	shout := func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "shouted") }
	bake := func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "baked") }
{{SNIPPET}}
	return readmetest.Serve(ctx, ln, r)
}
` + programTest},
	// Statements after the Manager m, building the gin engine r.
	"gin": {[]string{"context", "net", "testing", "github.com/gin-gonic/gin", "github.com/oauthgate/oauthgate/auth",
		"github.com/oauthgate/oauthgate/handlers/ginauth", "github.com/oauthgate/oauthgate/internal/readmetest"}, `
func programLine{{N}}(ctx context.Context, ln net.Listener, config string) error {
	gin.SetMode(gin.ReleaseMode)
	cfg, err := auth.LoadConfig(config)
	if err != nil {
		return err
	}
	m, err := auth.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	shout := func(c *gin.Context) { c.String(200, "shouted\n") }
	bake := func(c *gin.Context) { c.String(200, "baked\n") }
{{SNIPPET}}
	return readmetest.Serve(ctx, ln, r)
}
` + programTest},
	// Statements of a main function, given mux.
	"clientcreds": {[]string{"context", "net", "net/http", "testing", "github.com/oauthgate/oauthgate/auth", "github.com/oauthgate/oauthgate/clientcreds",
		"github.com/oauthgate/oauthgate/handlers", "github.com/oauthgate/oauthgate/internal/readmetest"}, `
func programLine{{N}}(ctx context.Context, ln net.Listener, config string) error {
	mux := http.NewServeMux()
{{SNIPPET}}
	return readmetest.Serve(ctx, ln, mux)
}
` + programTest},
	// Statements of a Lambda function's main: lambda.Start gets the
	// handler, which the test calls with the event of each request (the
	// token from Authorization, the method ARN from the method and path).
	"awsauthorizer": {[]string{"context", "errors", "net", "net/http", "testing", "github.com/oauthgate/oauthgate/auth",
		"github.com/oauthgate/oauthgate/awsauthorizer", "github.com/oauthgate/oauthgate/internal/readmetest"}, `
func programLine{{N}}(ctx context.Context, ln net.Listener, config string) error {
	type handler = func(context.Context, awsauthorizer.Event) (*awsauthorizer.Response, error)
	var h handler
	lambda := struct{ Start func(handler) }{Start: func(f handler) { h = f }}
{{SNIPPET}}
	return readmetest.Serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev := awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: r.Header.Get("Authorization"),
			MethodArn: "arn:aws:execute-api:us-east-1:123456789012:api1/prod/" + r.Method + r.URL.Path}
		resp, err := h(r.Context(), ev)
		switch {
		case errors.Is(err, awsauthorizer.ErrUnauthorized):
			w.WriteHeader(http.StatusUnauthorized)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case resp.PolicyDocument.Statement[0].Effect != "Allow":
			w.WriteHeader(http.StatusForbidden)
		}
	}))
}
` + programTest},
	// An import of an app's main package; the program is the app.
	"pgimport": {[]string{"context", "net", "net/http", "testing", "github.com/oauthgate/oauthgate/auth",
		"github.com/oauthgate/oauthgate/handlers", "github.com/oauthgate/oauthgate/internal/readmetest"}, `
// {{SNIPPET}} is in the imports.

func programLine{{N}}(ctx context.Context, ln net.Listener, config string) error {
	cfg, err := auth.LoadConfig(config)
	if err != nil {
		return err
	}
	m, err := auth.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	return readmetest.Serve(ctx, ln, mux)
}
` + programTest},
	// Statements given the configuration cfg, before auth.New.
	"pgopen": {[]string{"context", "net", "net/http", "os", "testing", "github.com/oauthgate/oauthgate/auth",
		"github.com/oauthgate/oauthgate/capabilities/pgstore", "github.com/oauthgate/oauthgate/handlers",
		"github.com/oauthgate/oauthgate/internal/readmetest"}, `
func programLine{{N}}(ctx context.Context, ln net.Listener, config string) error {
	cfg, err := auth.LoadConfig(config)
	if err != nil {
		return err
	}
{{SNIPPET}}
	m, err := auth.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	return readmetest.Serve(ctx, ln, mux)
}
` + programTest},
	// A test function of its own.
	"test": {[]string{"fmt", "net/http", "testing", "github.com/oauthgate/oauthgate/auth", "github.com/oauthgate/oauthgate/authtest",
		"github.com/oauthgate/oauthgate/capabilities", "github.com/oauthgate/oauthgate/handlers"}, `
var payrollView = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "payroll") })

{{SNIPPET}}`},
	// Statements built, not run.
	"compiled": {[]string{"context", "net/http", "github.com/oauthgate/oauthgate/gateway"}, `
type metricsLine{{N}} struct{ gateway.Observer }

func programLine{{N}}(ctx, stopCtx context.Context, newCfg *gateway.Config) error {
	var myMetrics metricsLine{{N}}
	var _ *http.Server
{{SNIPPET}}
	_ = closed
	return err
}
`},
}

// Every Go snippet of the README runs against the configuration shown
// beside it: each is wrapped into the program its comment names, built
// in a package of its own, run with the mock provider, and sent the
// requests its comment lists. A snippet without a comment fails the
// test; only those marked "listing" (not statements) are not built.
func TestReadmeSnippets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a package: not with -short")
	}
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmetest.Blocks(data)
	configs := map[string]string{}
	var snippets []readmetest.Block
	for _, b := range blocks {
		if b.Marker == "" {
			if b.Lang == "go" {
				t.Errorf("README.md:%d: a Go block without a <!-- readme-test snippet ... --> comment", b.Line)
			}
			continue
		}
		kind, name, _, err := readmetest.ParseMarker(b.Marker)
		switch {
		case err != nil:
			t.Errorf("README.md:%d: %v", b.Line, err)
		case kind == "config":
			configs[name] = b.Text
		case b.Lang != "go":
			t.Errorf("README.md:%d: a snippet comment on a %s block", b.Line, b.Lang)
		default:
			snippets = append(snippets, b)
		}
	}

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rnd := make([]byte, 4)
	rand.Read(rnd)
	dir := filepath.Join(root, "_readme_snippets_"+hex.EncodeToString(rnd)) // "_": not part of ./...
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	built := 0
	for _, b := range snippets {
		_, _, s, _ := readmetest.ParseMarker(b.Marker)
		if s.Kind == "listing" {
			t.Logf("README.md:%d: a listing, not built", b.Line)
			continue
		}
		src, err := generate(b, s, configs)
		if err != nil {
			t.Errorf("README.md:%d: %v", b.Line, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("line%d_test.go", b.Line)), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		built++
	}
	if built < 8 {
		t.Fatalf("only %d snippets built: the README's snippets were not found", built)
	}
	cmd := exec.Command("go", "test", "-count=1", "-v", ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's snippets fail (file lineN_test.go holds the snippet of README.md line N):\n%s", out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "--- ") {
			t.Log(line)
		}
	}
}

// generate returns the source of the test file of snippet b.
func generate(b readmetest.Block, s readmetest.Spec, configs map[string]string) (string, error) {
	tpl, ok := templates[s.Kind]
	if !ok {
		return "", fmt.Errorf("unknown snippet kind %q", s.Kind)
	}
	snippet := strings.ReplaceAll(b.Text, "{ ... }", "{ return err }")
	snippet = strings.ReplaceAll(snippet, `"config.yaml"`, "config")
	snippet = strings.ReplaceAll(snippet, `"gateway.yaml"`, `"/nonexistent/gateway.yaml"`)
	imports := append([]string(nil), tpl.imports...)
	n := strconv.Itoa(b.Line)
	body := tpl.body
	if s.Kind == "pgimport" {
		imports = append(imports, strings.TrimSpace(strings.TrimPrefix(strings.SplitN(snippet, "//", 2)[0], "import ")))
		snippet = "the README's import"
	}
	test, err := testBody(s, configs, n)
	if err != nil {
		return "", err
	}
	if strings.Contains(test, "pgtest.") {
		imports = append(imports, "github.com/oauthgate/oauthgate/internal/pgtest")
	}
	body = strings.NewReplacer("{{SNIPPET}}", snippet, "{{N}}", n, "{{TEST}}", test).Replace(body)
	sort.Strings(imports)
	var src strings.Builder
	src.WriteString("// Code generated from README.md by internal/readmetest; DO NOT EDIT.\n\npackage readme\n\nimport (\n")
	for _, imp := range imports {
		if strings.HasPrefix(imp, "_ ") {
			src.WriteString("\t" + imp + "\n")
		} else {
			src.WriteString("\t" + strconv.Quote(imp) + "\n")
		}
	}
	src.WriteString(")\n" + body)
	return src.String(), nil
}

// testBody returns the statements of a program's test: start it with its
// configuration and files, then send the requests expected.
func testBody(s readmetest.Spec, configs map[string]string, n string) (string, error) {
	if len(s.Configs) == 0 {
		return "", nil
	}
	merged := map[string]any{}
	dsnNeeded := false
	for _, name := range s.Configs {
		text, ok := configs[name]
		if !ok {
			return "", fmt.Errorf("no config %q in the README", name)
		}
		var top map[string]any
		if err := yaml.Unmarshal([]byte(text), &top); err != nil {
			return "", fmt.Errorf("config %s: %v", name, err)
		}
		for k, v := range top {
			merged[k] = v
		}
		dsnNeeded = dsnNeeded || strings.Contains(text, "driver: postgres")
	}
	config, err := yaml.Marshal(merged)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	dsn := `""`
	if dsnNeeded {
		dsn = "pgtest.DSN(t)"
	}
	files := "map[string]string{"
	names := make([]string, 0, len(s.Files))
	for name := range s.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		from := s.Files[name]
		text := ""
		if from == "RSA" {
			files += strconv.Quote(name) + ": readmetest.NewRSAKey, "
			continue
		}
		if from != "" {
			if text = configs[from]; text == "" {
				return "", fmt.Errorf("files: no config %q in the README", from)
			}
		}
		files += strconv.Quote(name) + ": " + strconv.Quote(text) + ", "
	}
	files += "}"
	fmt.Fprintf(&b, "\tapp := readmetest.Start(t, %s, %s, %s, programLine%s)\n", strconv.Quote(string(config)), files, dsn, n)
	expect := regexp.MustCompile(`^(?:([A-Z]+) (\S+)(?: as (\S+))?|token for (\S+)) (\d{3})$`)
	for _, e := range s.Expect {
		m := expect.FindStringSubmatch(e)
		switch {
		case m == nil:
			return "", fmt.Errorf("expect %q: not METHOD PATH [as WHO] STATUS or token for CLIENT STATUS", e)
		case m[4] != "":
			fmt.Fprintf(&b, "\tapp.Form(\"/oauth/token\", map[string]string{\"grant_type\": \"client_credentials\", \"client_id\": %q, \"client_secret\": readmetest.ClientSecret}, %s)\n", m[4], m[5])
		default:
			fmt.Fprintf(&b, "\tapp.Expect(%q, %q, %q, \"\", %s)\n", m[1], m[2], m[3], m[5])
		}
	}
	return b.String(), nil
}
