package auth

import (
	"errors"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// decodeOptions are the decoding rules of the process: its environment,
// and relative paths resolved against dir ("" leaves them relative).
func decodeOptions(dir string) confdecode.Options {
	return confdecode.Options{LookupEnv: os.LookupEnv, Dir: dir}
}

// Section is a part of the configuration file owned by another package
// (a token issuer, an authorizer, a gateway): a pointer to a struct whose
// yaml-tagged fields are decoded from the same file, by the same rules,
// in the same run. Pass sections to [LoadConfig] or [ParseConfig]; auth
// never imports their packages.
type Section interface {
	// ConfigKey is the top-level key holding the section, or "" when its
	// keys sit at the top level beside auth's. No two owners may take one
	// key: that is a wiring mistake, and the loader panics.
	ConfigKey() string
	// CheckConfig fills in the section's defaults and checks it once the
	// file is decoded and app validated (app may hold problems of its own,
	// reported with the section's). Problems are *ConfigError values
	// naming the full key path; several are joined. It is idempotent.
	CheckConfig(app *Config) error
}

// LoadConfig reads, parses and validates the configuration file at path,
// and the sections of other packages it holds (see [Section]). Relative
// paths in it are resolved against path's folder. A key that neither auth
// nor a section takes is an error naming the closest known key.
func LoadConfig(path string, sections ...Section) (*Config, error) {
	data, dir, err := confdecode.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(data, decodeOptions(dir), sections)
}

// ParseConfig parses and validates a YAML configuration and the sections
// of other packages it holds, as [LoadConfig] does, with the environment
// of the process and relative paths left relative.
func ParseConfig(data []byte, sections ...Section) (*Config, error) {
	return parseConfig(data, decodeOptions(""), sections)
}

// parseConfig decodes data into a Config and the sections in one run,
// then validates the Config and checks every section, and reports every
// problem of all of them.
func parseConfig(data []byte, opts confdecode.Options, sections []Section) (*Config, error) {
	doc, err := confdecode.Parse(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	targets := []confdecode.Target{{Value: cfg}}
	for _, s := range sections {
		targets = append(targets, confdecode.Target{Key: s.ConfigKey(), Value: s})
	}
	_, decodeErr := confdecode.DecodeAll(doc, opts, targets...)
	checkErrs := []error{cfg.Validate()}
	for _, s := range sections {
		checkErrs = append(checkErrs, s.CheckConfig(cfg))
	}
	if err := confdecode.Join(decodeErr, errors.Join(checkErrs...)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// UnmarshalYAML decodes a Config nested in a larger YAML document, with
// ${NAME} expansion, ~CRYPT~ values and strict keys, as ParseConfig does.
// It does not validate: call [Config.Validate] (auth.New does).
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	var fresh Config
	if _, err := confdecode.Decode(n, &fresh, decodeOptions("")); err != nil {
		return err
	}
	*c = fresh
	return nil
}
