package auth_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
)

// widgets is a section whose keys sit at the top level beside auth's.
type widgets struct {
	Widgets     map[string]int `yaml:"widgets"`
	WidgetsFile string         `yaml:"widgets_file" conf:"path"`
	checked     int
}

func (w *widgets) ConfigKey() string { return "" }

func (w *widgets) CheckConfig(app *auth.Config) error {
	w.checked++
	if w.WidgetsFile == "" && app.Capabilities.UserFile != "" {
		w.WidgetsFile = app.Capabilities.UserFile + ".widgets"
	}
	return nil
}

// audit is a section under its own key.
type audit struct {
	Level string `yaml:"level"`
	Sink  string `yaml:"sink"`
}

func (a *audit) ConfigKey() string { return "audit" }

func (a *audit) CheckConfig(app *auth.Config) error {
	switch a.Level {
	case "":
		a.Level = "info"
	case "info", "debug":
	default:
		return &auth.ConfigError{Key: "audit.level", Reason: fmt.Sprintf("%q is not info or debug", a.Level)}
	}
	if a.Sink == "" {
		a.Sink = app.BaseURL + "/audit"
	}
	return nil
}

const sectionBase = "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\n" +
	"client_id: app\nsecret_key: " + testSecret + "\nbase_url: https://app.example.com\n"

// TestConfigSections: one file holds auth's keys and those of sections of
// other packages; each owner gets its keys by the same rules and checks
// them with auth's validated configuration at hand.
func TestConfigSections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	yml := sectionBase + "capabilities: {user_file: caps.yaml}\nwidgets: {a: 1}\nwidgets_file: w.yaml\naudit: {level: debug}\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	var w widgets
	var a audit
	cfg, err := auth.LoadConfig(path, &w, &a)
	if err != nil {
		t.Fatal(err)
	}
	if w.Widgets["a"] != 1 || w.WidgetsFile != filepath.Join(dir, "w.yaml") || w.checked != 1 ||
		a.Level != "debug" || a.Sink != "https://app.example.com/audit" || cfg.ClientID != "app" {
		t.Fatalf("%+v %+v %+v", w, a, cfg)
	}

	// Defaults come from CheckConfig, with app validated.
	var w2 widgets
	var a2 audit
	if _, err := auth.ParseConfig([]byte(sectionBase+"capabilities: {user_file: /srv/caps.yaml}\n"), &w2, &a2); err != nil {
		t.Fatal(err)
	}
	if w2.WidgetsFile != "/srv/caps.yaml.widgets" || a2.Level != "info" {
		t.Fatalf("defaults: %+v %+v", w2, a2)
	}

	// Without its section, a section's key is unknown.
	if _, err := auth.ParseConfig([]byte(sectionBase + "audit: {level: debug}\n")); !hasKey(err, "audit") {
		t.Fatalf("audit without its section: %v", err)
	}
}

// TestConfigSectionsReportEveryProblem: problems of auth and of every
// section come back from one run, a typo suggesting the key of whichever
// owner is closest.
func TestConfigSectionsReportEveryProblem(t *testing.T) {
	t.Parallel()
	yml := strings.Replace(sectionBase, "base_url: https://app.example.com", "base_url: ftp://app", 1) +
		"widgest: {a: 1}\naudit: {levle: debug}\naudt: {}\nsecret_kye: x\n"
	_, err := auth.ParseConfig([]byte(yml), &widgets{}, &audit{})
	var got []string
	for _, e := range flatten(err) {
		var ce *auth.ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a *ConfigError", e)
		}
		got = append(got, ce.Key+": "+ce.Reason)
	}
	slices.Sort(got)
	want := []string{
		`audit.levle: unknown key (did you mean "level"?)`,
		`audt: unknown key (did you mean "audit"?)`,
		`base_url: "ftp://app" is not an absolute http(s) URL`,
		`secret_kye: unknown key (did you mean "secret_key"?)`,
		`widgest: unknown key (did you mean "widgets"?)`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A section's own check is reported with auth's problems.
	_, err = auth.ParseConfig([]byte(strings.Replace(sectionBase, "base_url: https://app.example.com", "base_url: ftp://app", 1)+"audit: {level: loud}\n"), &audit{})
	if !hasKey(err, "base_url") || !hasKey(err, "audit.level") {
		t.Fatalf("check problems: %v", err)
	}
}

// TestConfigSectionsSharingAKey: two owners of one key is a wiring
// mistake: the loader panics, whatever the file.
func TestConfigSectionsSharingAKey(t *testing.T) {
	t.Parallel()
	for name, sections := range map[string][]auth.Section{
		"two sections":    {&audit{}, &audit{}},
		"a key of auth's": {&clash{}},
		"top-level twice": {&widgets{}, &widgets{}},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "taken by two sections") {
					t.Errorf("%s: recover() = %v", name, r)
				}
			}()
			_, _ = auth.ParseConfig([]byte(sectionBase), sections...)
		}()
	}
}

// clash claims a key of auth's own.
type clash struct {
	Prefix string `yaml:"prefix"`
}

func (*clash) ConfigKey() string                  { return "" }
func (*clash) CheckConfig(app *auth.Config) error { return nil }

func hasKey(err error, key string) bool {
	for _, e := range flatten(err) {
		var ce *auth.ConfigError
		if errors.As(e, &ce) && ce.Key == key {
			return true
		}
	}
	return false
}

// flatten lists the problems joined in err.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
