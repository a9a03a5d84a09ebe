package auth

import (
	"os"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// MaxConfigSize is the largest configuration file read, in bytes.
const MaxConfigSize = confdecode.MaxSize

// ParseOptions tunes [ParseConfigWith]. The zero value is the default.
type ParseOptions struct {
	// AllowUnknownKeys ignores keys that Config does not know instead of
	// failing, for a file shared with other programs; they are listed by
	// [Config.UnknownKeys] so that the app can log them. Default false: a
	// typo such as `secert_key` is an error naming the key.
	AllowUnknownKeys bool
	// Dir is the folder against which relative paths (capabilities.user_file,
	// clients_file, the signing key files) are resolved. Default: left
	// relative (to the working directory).
	Dir string
	// LookupEnv reads environment variables (${NAME} and
	// OAUTHGATE_PASSWORD). Default os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// decodeOptions returns the decoding rules these options ask for.
func (o ParseOptions) decodeOptions() confdecode.Options {
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return confdecode.Options{LookupEnv: lookup, Dir: o.Dir, AllowUnknownKeys: o.AllowUnknownKeys}
}

// LoadConfig reads, parses and validates the configuration file at path.
// Relative paths in it are resolved against path's folder. Unknown keys
// are errors (see [ParseOptions] to tolerate them).
func LoadConfig(path string) (*Config, error) {
	data, dir, err := confdecode.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfigWith(data, ParseOptions{Dir: dir})
}

// ParseConfig parses and validates a YAML configuration with the default
// [ParseOptions]: unknown keys are errors, environment from the process.
func ParseConfig(data []byte) (*Config, error) {
	return ParseConfigWith(data, ParseOptions{})
}

// ParseConfigWith parses and validates a YAML configuration. Every
// problem is reported, each naming its key: errors.As finds a
// *ConfigError (several problems are joined).
func ParseConfigWith(data []byte, opts ParseOptions) (*Config, error) {
	doc, err := confdecode.Parse(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	unknown, err := confdecode.Decode(doc, cfg, opts.decodeOptions())
	cfg.unknownKeys = unknown
	if err := confdecode.Join(err, cfg.Validate()); err != nil {
		return nil, err
	}
	return cfg, nil
}

// UnmarshalYAML decodes a Config nested in a larger YAML document, with
// ${NAME} expansion, ~CRYPT~ values and strict keys, as ParseConfig does.
// It does not validate: call [Config.Validate] (auth.New does).
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	var fresh Config
	if _, err := confdecode.Decode(n, &fresh, ParseOptions{}.decodeOptions()); err != nil {
		return err
	}
	*c = fresh
	return nil
}
