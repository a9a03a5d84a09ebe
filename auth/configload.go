package auth

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxConfigSize is the largest configuration file read, in bytes.
const MaxConfigSize = 1 << 20

// ParseOptions tunes [ParseConfigWith]. The zero value is the default.
type ParseOptions struct {
	// AllowUnknownKeys ignores keys that Config does not know instead of
	// failing, for a file shared with other programs; they are listed by
	// [Config.UnknownKeys] so that the app can log them. Default false: a
	// typo such as `secert_key` is an error naming the key.
	AllowUnknownKeys bool
	// Dir is the folder against which a relative capabilities.user_file
	// is resolved. Default: left relative (to the working directory).
	Dir string
	// LookupEnv reads environment variables (${NAME} and
	// OAUTHGATE_PASSWORD). Default os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// LoadConfig reads, parses and validates the configuration file at path.
// A relative capabilities.user_file is resolved against path's folder.
// Unknown keys are errors (see [ParseOptions] to tolerate them).
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ConfigError{Reason: "cannot read the configuration file", Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, &ConfigError{Reason: "cannot read the configuration file", Err: err}
	}
	if len(data) > MaxConfigSize {
		return nil, &ConfigError{Reason: fmt.Sprintf("%s is larger than %d bytes", path, MaxConfigSize)}
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, &ConfigError{Reason: "cannot resolve the configuration folder", Err: err}
	}
	return ParseConfigWith(data, ParseOptions{Dir: dir})
}

// ParseConfig parses and validates a YAML configuration with the default
// [ParseOptions]: unknown keys are errors, environment from the process.
func ParseConfig(data []byte) (*Config, error) {
	return ParseConfigWith(data, ParseOptions{})
}

// ParseConfigWith parses and validates a YAML configuration. Errors name
// the key: errors.As finds a *ConfigError (several problems are joined).
func ParseConfigWith(data []byte, opts ParseOptions) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, &ConfigError{Reason: fmt.Sprintf("configuration larger than %d bytes", MaxConfigSize)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{Reason: "invalid YAML", Err: err}
	}
	cfg := &Config{}
	if len(doc.Content) > 0 {
		if err := cfg.decodeNode(doc.Content[0], opts); err != nil {
			return nil, err
		}
	}
	if opts.Dir != "" && cfg.Capabilities.UserFile != "" && !filepath.IsAbs(cfg.Capabilities.UserFile) {
		cfg.Capabilities.UserFile = filepath.Join(opts.Dir, cfg.Capabilities.UserFile)
	}
	if opts.Dir != "" {
		cfg.resolvePaths(opts.Dir)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// UnmarshalYAML decodes a Config nested in a larger YAML document, with
// ${NAME} expansion, ~CRYPT~ values and strict keys, as ParseConfig does.
// It does not validate: call [Config.Validate] (auth.New does).
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	return c.decodeNode(n, ParseOptions{})
}

func (c *Config) decodeNode(n *yaml.Node, opts ParseOptions) error {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	d := &configDecoder{opts: opts}
	var fresh Config
	d.decode("", n, reflect.ValueOf(&fresh).Elem())
	if len(d.errs) > 0 {
		return errors.Join(d.errs...)
	}
	fresh.unknownKeys = d.unknown
	*c = fresh
	return nil
}

// configDecoder walks the YAML node tree alongside the Go type. Working on
// nodes (not text) lets ${NAME} and ~CRYPT~ values hold any character
// without breaking the YAML, and gives every error its key path.
type configDecoder struct {
	opts    ParseOptions
	errs    []error
	unknown []string
	visited int
}

// maxNodes bounds the work on hostile input (aliases can multiply nodes).
const maxNodes = 100_000

var (
	durationType   = reflect.TypeOf(time.Duration(0))
	stringListType = reflect.TypeOf(StringList(nil))
)

func (d *configDecoder) fail(key, reason string, err error) {
	if len(d.errs) < 20 {
		d.errs = append(d.errs, &ConfigError{Key: key, Reason: reason, Err: err})
	}
}

func (d *configDecoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if d.visited++; d.visited > maxNodes {
		if d.visited == maxNodes+1 {
			d.fail(path, "configuration too large or too deeply aliased", nil)
		}
		return
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.fail(path, "bad alias", nil)
			return
		}
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // absent value: keep the zero value (the default)
	}
	if v.Type() == durationType {
		d.decodeDuration(path, n, v)
		return
	}
	if v.Type() == stringListType && n.Kind == yaml.ScalarNode {
		if s, ok := d.scalar(path, n); ok {
			v.Set(reflect.ValueOf(StringList{s}))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(path, n, elem.Elem())
		v.Set(elem)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(path, "expected a mapping, got "+kindName(n), nil)
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, ok := d.mapKey(path, n.Content[i])
			if !ok {
				continue
			}
			if m.MapIndex(reflect.ValueOf(key)).IsValid() {
				d.fail(join(path, key), "key defined twice", nil)
				continue
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(join(path, key), n.Content[i+1], elem)
			m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
		}
		v.Set(m)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(path, "expected a list, got "+kindName(n), nil)
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if s, ok := d.scalar(path, n); ok {
			v.SetString(s)
		}
	default:
		// Booleans and numbers: let YAML resolve the (expanded) text.
		s, ok := d.scalar(path, n)
		if !ok {
			return
		}
		tmp := yaml.Node{Kind: yaml.ScalarNode, Value: s}
		if err := tmp.Decode(v.Addr().Interface()); err != nil {
			d.fail(path, fmt.Sprintf("expected a %s, got %q", v.Kind(), s), nil)
		}
	}
}

func (d *configDecoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "expected a mapping, got "+kindName(n), nil)
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, ok := d.mapKey(path, n.Content[i])
		if !ok {
			continue
		}
		if key == "<<" {
			d.fail(join(path, key), "merge keys are not supported", nil)
			continue
		}
		if seen[key] {
			d.fail(join(path, key), "key defined twice", nil)
			continue
		}
		seen[key] = true
		idx, ok := fields[key]
		if !ok {
			if d.opts.AllowUnknownKeys {
				d.unknown = append(d.unknown, join(path, key))
				continue
			}
			reason := "unknown key"
			if near := nearestKey(key, fields); near != "" {
				reason += fmt.Sprintf(" (did you mean %q?)", near)
			}
			d.fail(join(path, key), reason, nil)
			continue
		}
		d.decode(join(path, key), n.Content[i+1], v.FieldByIndex(idx))
	}
}

// mapKey reads a mapping key, which must be a plain string.
func (d *configDecoder) mapKey(path string, k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		d.fail(path, "mapping keys must be strings, got "+kindName(k), nil)
		return "", false
	}
	return k.Value, true
}

// scalar returns a scalar's text after ${NAME} expansion and ~CRYPT~
// decryption.
// loginKeys are the keys whose absence (not emptiness) means an app
// without browser login.
var loginKeys = map[string]bool{"server_metadata_url": true, "client_id": true}

func (d *configDecoder) scalar(path string, n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, "expected a single value, got "+kindName(n), nil)
		return "", false
	}
	s, err := expandEnv(n.Value, d.opts.LookupEnv)
	if err != nil {
		d.fail(path, err.Error(), nil)
		return "", false
	}
	if s == "" && loginKeys[path] {
		// An empty variable must not turn browser login off unnoticed.
		d.fail(path, "empty; leave out both server_metadata_url and client_id for an app without browser login", nil)
		return "", false
	}
	if !strings.HasPrefix(s, CryptPrefix) {
		return s, true
	}
	password, ok := d.opts.LookupEnv(PasswordEnv)
	if !ok || password == "" {
		d.fail(path, fmt.Sprintf("value is encrypted (~CRYPT~) but %s is not set", PasswordEnv), nil)
		return "", false
	}
	plain, err := DecryptSecret(password, s)
	if errors.Is(err, ErrWrongPassword) {
		d.fail(path, fmt.Sprintf("cannot decrypt: wrong password or corrupted value (%s)", PasswordEnv), nil)
		return "", false
	} else if err != nil {
		d.fail(path, "cannot decrypt", err)
		return "", false
	}
	return plain, true
}

// decodeDuration accepts Go durations ("90m", "1h30m"), days ("30d",
// "1d12h") and integer seconds ("3600").
func (d *configDecoder) decodeDuration(path string, n *yaml.Node, v reflect.Value) {
	s, ok := d.scalar(path, n)
	if !ok {
		return
	}
	dur, err := parseDuration(s)
	if err != nil {
		d.fail(path, err.Error(), nil)
		return
	}
	v.SetInt(int64(dur))
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("bad duration %q: write e.g. 90m, 24h, 30d or a number of seconds", s)
	if s == "" {
		return 0, bad
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs < 0 || secs > int64(maxDuration/time.Second) {
			return 0, bad
		}
		return time.Duration(secs) * time.Second, nil
	}
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || days < 0 || days > int64(maxDuration/(24*time.Hour)) {
			return 0, bad
		}
		total = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return total, nil
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil || rest < 0 || rest > maxDuration-total {
		return 0, bad
	}
	return total + rest, nil
}

// maxDuration keeps durations far from overflow when added to a time.
const maxDuration = 100 * 365 * 24 * time.Hour

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlFields maps a struct's YAML keys to field index paths; the keys of
// a struct field tagged `yaml:",inline"` are the parent's.
func yamlFields(t reflect.Type) map[string][]int {
	m := make(map[string][]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" && opts == "inline" && f.Type.Kind() == reflect.Struct {
			for k, idx := range yamlFields(f.Type) {
				m[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = []int{i}
	}
	return m
}

// nearestKey suggests the known key closest to a mistyped one (at most
// two edits away; ties go to the alphabetically first).
func nearestKey(key string, fields map[string][]int) string {
	best, bestDist := "", 3
	for k := range fields {
		dist := editDistance(key, k)
		if dist < bestDist || dist == bestDist && k < best {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with transpositions).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
