package webservertest

import (
	"flag"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// readmeParams are the values the README's snippets are shown with.
var readmeParams = Params{
	Listen:     "80",
	Site:       "app.example.com",
	Gateway:    "127.0.0.1:4180",
	Upstream:   "127.0.0.1:8000",
	Prefix:     "/oauthgate",
	Capability: "read",
	Redirect:   true,
}

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's snippets from the templates")

// The README shows exactly the snippets that the tests run. After a
// change to a template:
//
//	go test ./internal/webservertest -run README -update-readme
func TestREADMEShowsTheTestedSnippets(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, s := range []Snippet{NginxAuthRequest, CaddyForwardAuth, TraefikForwardAuth} {
		want := s.Render(readmeParams)
		if strings.Contains(readme, "```"+s.Lang+"\n"+want+"```\n") {
			continue
		}
		if !*updateREADME {
			t.Errorf("README.md does not show the %s snippet as tested (go test -run README -update-readme rewrites it); it should contain:\n%s", s.Name, want)
			continue
		}
		// The block to rewrite starts as the snippet does.
		first, _, _ := strings.Cut(want, "\n")
		start := strings.Index(readme, "```"+s.Lang+"\n"+first+"\n")
		if start < 0 {
			t.Fatalf("README.md has no %s block starting with %q", s.Lang, first)
		}
		body := start + len("```"+s.Lang+"\n")
		end := strings.Index(readme[body:], "```\n")
		if end < 0 {
			t.Fatalf("README.md: unterminated %s block", s.Lang)
		}
		readme = readme[:body] + want + readme[body+end:]
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The Traefik snippet is not run (Traefik is not a Debian package): this
// checks its shape against what Traefik's file provider reads.
func TestTraefikSnippetShape(t *testing.T) {
	t.Parallel()
	var conf struct {
		HTTP struct {
			Routers map[string]struct {
				Rule        string   `yaml:"rule"`
				Middlewares []string `yaml:"middlewares"`
				Service     string   `yaml:"service"`
			} `yaml:"routers"`
			Middlewares map[string]struct {
				ForwardAuth struct {
					Address             string   `yaml:"address"`
					AuthResponseHeaders []string `yaml:"authResponseHeaders"`
					AuthResponseRegex   string   `yaml:"authResponseHeadersRegex"`
				} `yaml:"forwardAuth"`
			} `yaml:"middlewares"`
			Services map[string]struct {
				LoadBalancer struct {
					Servers []struct {
						URL string `yaml:"url"`
					} `yaml:"servers"`
				} `yaml:"loadBalancer"`
			} `yaml:"services"`
		} `yaml:"http"`
	}
	dec := yaml.NewDecoder(strings.NewReader(TraefikForwardAuth.Render(readmeParams)))
	dec.KnownFields(true)
	if err := dec.Decode(&conf); err != nil {
		t.Fatal(err)
	}
	h := conf.HTTP
	if r := h.Routers["oauthgate"]; r.Rule != "PathPrefix(`/oauthgate/`)" || r.Service != "oauthgate" || len(r.Middlewares) != 0 {
		t.Errorf("oauthgate router %+v", r)
	}
	app := h.Routers["app"]
	if app.Rule != "PathPrefix(`/`)" || app.Service != "app" || len(app.Middlewares) != 1 {
		t.Fatalf("app router %+v", app)
	}
	fa := h.Middlewares[app.Middlewares[0]].ForwardAuth
	if fa.Address != "http://127.0.0.1:4180/oauthgate/check?require=read&redirect=1" {
		t.Errorf("forwardAuth address %q", fa.Address)
	}
	if strings.Join(fa.AuthResponseHeaders, " ") != "X-Auth-Request-Email X-Auth-Request-User X-Auth-Request-Capabilities X-Auth-Request-Kind" {
		t.Errorf("authResponseHeaders %q", fa.AuthResponseHeaders)
	}
	if fa.AuthResponseRegex != "^X-Auth-Request" {
		t.Errorf("authResponseHeadersRegex %q", fa.AuthResponseRegex)
	}
	for name, url := range map[string]string{"oauthgate": "http://127.0.0.1:4180", "app": "http://127.0.0.1:8000"} {
		if s := h.Services[name].LoadBalancer.Servers; len(s) != 1 || s[0].URL != url {
			t.Errorf("service %s: %+v", name, s)
		}
	}
}
