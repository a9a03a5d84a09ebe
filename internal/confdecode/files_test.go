package confdecode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type filesInner struct {
	CA string `yaml:"ca_file" conf:"path"`
}

type filesConfig struct {
	Log       string                `yaml:"log_file" conf:"path,written"`
	Keys      []string              `yaml:"keys" conf:"path"`
	Upstreams []filesInner          `yaml:"upstreams"`
	Named     map[string]filesInner `yaml:"named"`
	Other     string                `yaml:"other"`
	Empty     string                `yaml:"empty" conf:"path"`
}

// Files lists every value of a path field, nested and in lists and maps;
// Check accepts a readable file and a writable folder for a written one.
func TestFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists.pem")
	if err := os.WriteFile(exists, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	cfg := &filesConfig{
		Log:       filepath.Join(dir, "new.log"),
		Keys:      []string{exists, missing},
		Upstreams: []filesInner{{}, {CA: dir}},
		Named:     map[string]filesInner{"b": {CA: exists}, "a": {CA: filepath.Join(dir, "nowhere", "x.log")}},
		Other:     missing,
	}
	var got []string
	for _, f := range Files(cfg) {
		line := f.Key + " ok"
		if err := f.Check(); err != nil {
			line = err.Error()
		}
		got = append(got, strings.ReplaceAll(line, dir, "D"))
	}
	want := []string{
		"keys[0] ok",
		"config: keys[1]: D/missing.pem does not exist",
		"log_file ok",
		"config: named.a.ca_file: D/nowhere/x.log does not exist",
		"named.b.ca_file ok",
		"config: upstreams[1].ca_file: D is not a regular file",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := os.Stat(cfg.Log); !os.IsNotExist(err) {
		t.Errorf("Check left a file behind: %v", err)
	}
}
