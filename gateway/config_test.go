package gateway_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/gateway"
)

const validYAML = `
server_metadata_url: https://idp.example.com/.well-known/openid-configuration
client_id: app
secret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o
base_url: https://app.example.com
prefix: /oauth2
trusted_proxies: [10.0.0.0/8]
capabilities:
  graph: {read: [], write: [read]}
  user_file: caps.yaml
listen: 127.0.0.1:8080
metrics_listen: 127.0.0.1:9090
upstreams:
  - {path_prefix: /api/, url: "http://127.0.0.1:3001/v1", require: write, strip_prefix: true, login_redirect: false}
  - {path_prefix: /, url: "http://127.0.0.1:3000", require: login, allow_encoded_slashes: true, allow_path_params: true}
pass_headers: [x-auth-request-email, authorization]
upstream_jwt: {audience: app, ttl: 2m, key_file: jwt.pem}
timeouts: {read: 30s, response_header: 5s}
`

func TestParseConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := gateway.ParseConfig([]byte(validYAML), dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.MetricsListen != "127.0.0.1:9090" || cfg.HealthPath != "/healthz" || cfg.ReadyPath != "/readyz" {
		t.Errorf("listen: %+v", cfg)
	}
	if len(cfg.Upstreams) != 2 || cfg.Upstreams[0].PathPrefix != "/api" || !cfg.Upstreams[0].StripPrefix || cfg.Upstreams[0].Redirects() || !cfg.Upstreams[1].Redirects() {
		t.Errorf("upstreams: %+v", cfg.Upstreams)
	}
	if u := cfg.Upstreams; u[0].AllowEncodedSlashes || u[0].AllowPathParams || !u[1].AllowEncodedSlashes || !u[1].AllowPathParams {
		t.Errorf("allow_encoded_slashes, allow_path_params: %+v", cfg.Upstreams)
	}
	if strings.Join(cfg.PassHeaders, ",") != "X-Auth-Request-Email,Authorization" {
		t.Errorf("pass_headers: %v", cfg.PassHeaders)
	}
	j := cfg.UpstreamJWT
	if j.Audience != "app" || j.TTL != 2*time.Minute || j.KeyFile != filepath.Join(dir, "jwt.pem") || j.Issuer != "https://app.example.com/oauth2" {
		t.Errorf("upstream_jwt: %+v", j)
	}
	if tm := cfg.Timeouts; tm.Read != 30*time.Second || tm.ResponseHeader != 5*time.Second || tm.ReadHeader != 10*time.Second || tm.Write >= 0 {
		t.Errorf("timeouts: %+v", tm)
	}
	if cfg.Auth.Prefix != "/oauth2" || cfg.Auth.Capabilities.UserFile != filepath.Join(dir, "caps.yaml") || len(cfg.Auth.TrustedProxies) != 1 {
		t.Errorf("auth: %+v", cfg.Auth)
	}
}

func TestParseConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, change, key string
	}{
		{"unknown gateway key", "upstreams:\n  - {path_prefix: /, url: http://127.0.0.1:1, require: login, pathprefix: /x}", "upstreams[0].pathprefix"},
		{"unknown timeout", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1, require: login}]\ntimeouts: {reed: 1s}", "timeouts.reed"},
		{"unknown top-level key", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1, require: login}]\nlisten_addr: :1", "listen_addr"},
		{"unknown capability", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1, require: nope}]", "upstreams[0].require"},
		{"no require", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1}]", "upstreams[0].require"},
		{"bad url", "upstreams: [{path_prefix: /, url: 'ftp://x', require: login}]", "upstreams[0].url"},
		{"bad prefix", "upstreams: [{path_prefix: app, url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"upstream inside the prefix", "prefix: /oauth2\nupstreams: [{path_prefix: /oauth2/app, url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"duplicate prefix", "upstreams: [{path_prefix: /a, url: http://127.0.0.1:1, require: login}, {path_prefix: /a/, url: http://127.0.0.1:1, require: login}]", "upstreams[1].path_prefix"},
		{"prefix equal ignoring case", "upstreams: [{path_prefix: /Admin, url: http://127.0.0.1:1, require: login}, {path_prefix: /aDMIN, url: http://127.0.0.1:1, require: login}]", "upstreams[1].path_prefix"},
		{"prefix with a parameter", "upstreams: [{path_prefix: /a;b, url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"prefix with a backslash", "upstreams: [{path_prefix: '/a\\b', url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"prefix with an escape", "upstreams: [{path_prefix: /a%2Fb, url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"prefix with a dot segment", "upstreams: [{path_prefix: /a/./b, url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"prefix of dots", "upstreams: [{path_prefix: /a/..., url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"prefix not ASCII", "upstreams: [{path_prefix: /café, url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"prefix with an empty segment", "upstreams: [{path_prefix: /a//b, url: http://127.0.0.1:1, require: login}]", "upstreams[0].path_prefix"},
		{"unknown header", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1, require: login}]\npass_headers: [X-Auth-Request-Groups]", "pass_headers[0]"},
		{"jwt ttl", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1, require: login}]\nupstream_jwt: {ttl: 2h}", "upstream_jwt.ttl"},
		{"bad transport", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1, require: login}]\nupstream_transport: fast", "upstream_transport"},
		{"auth error", "upstreams: [{path_prefix: /, url: http://127.0.0.1:1, require: login}]\nsession_max_age: -1s", "session_max_age"},
	}
	base := "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\nclient_id: app\nsecret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o\ncapabilities: {graph: {read: []}}\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gateway.ParseConfig([]byte(base+tt.change), "")
			var ce *auth.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *auth.ConfigError", err)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
		})
	}
}

func TestLoadConfigMissing(t *testing.T) {
	t.Parallel()
	if _, err := gateway.LoadConfig(filepath.Join(t.TempDir(), "none.yaml")); err == nil {
		t.Error("no error for a missing file")
	}
	path := filepath.Join(t.TempDir(), "g.yaml")
	if err := os.WriteFile(path, []byte("- a\n- b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.LoadConfig(path); err == nil {
		t.Error("no error for a list")
	}
}

// The gateway.yaml of the README parses.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("no README:", err)
	}
	_, rest, ok := strings.Cut(string(readme), "### gateway.yaml")
	if !ok {
		t.Fatal("no gateway.yaml section in the README")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("no yaml block in the gateway.yaml section")
	}
	t.Setenv("OAUTH_CLIENT_ID", "app")
	t.Setenv("OAUTH_CLIENT_SECRET", "secret")
	t.Setenv("NIGHTLY_JOB_SECRET", "nightly-secret")
	t.Setenv("OAUTHGATE_SECRET_KEY", "q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o")
	cfg, err := gateway.ParseConfig([]byte(example), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Upstreams) != 4 || len(cfg.PassHeaders) != 5 || cfg.Timeouts.Write >= 0 || !cfg.ClientCredentials.Enabled() {
		t.Errorf("parsed: %+v", cfg)
	}
}

// The gateway's keys and the auth keys share the file's top level: none
// may be both.
func TestGatewayKeysAreNotAuthKeys(t *testing.T) {
	t.Parallel()
	authKeys := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if opts == "inline" {
				walk(f.Type)
				continue
			}
			if name != "" && name != "-" {
				authKeys[name] = true
			}
		}
	}
	walk(reflect.TypeFor[auth.Config]())
	if !authKeys["secret_key"] || !authKeys["jwt_issuers"] {
		t.Fatalf("auth keys not found: %v", authKeys)
	}
	rt := reflect.TypeFor[gateway.Config]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ",")
		if authKeys[name] {
			t.Errorf("%s is both a gateway key and an auth key", name)
		}
	}
}

const gatewayBase = "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\nclient_id: app\nsecret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o\n"

// The gateway's durations are written as the auth keys' are: in days, as
// Go durations or as a number of seconds.
func TestGatewayDurations(t *testing.T) {
	t.Parallel()
	cfg, err := gateway.ParseConfig([]byte(gatewayBase+`session_max_age: 30d
timeouts: {read: 30d, write: 60, idle: 1d12h, shutdown: 90s}
upstreams:
  - {path_prefix: /, url: "http://127.0.0.1:3000", require: login, flush_interval: -1}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	tm := cfg.Timeouts
	if tm.Read != 30*24*time.Hour || tm.Write != time.Minute || tm.Idle != 36*time.Hour || tm.Shutdown != 90*time.Second {
		t.Errorf("timeouts: %+v", tm)
	}
	if cfg.Upstreams[0].FlushInterval >= 0 || cfg.Auth.SessionMaxAge != 30*24*time.Hour {
		t.Errorf("flush_interval %v, session_max_age %v", cfg.Upstreams[0].FlushInterval, cfg.Auth.SessionMaxAge)
	}
}

// The gateway's values take ${NAME} and ${NAME:-default} as the auth
// keys' do.
func TestGatewayKeysExpandEnv(t *testing.T) {
	t.Setenv("GATEWAY_PORT", "127.0.0.1:9999")
	cfg, err := gateway.ParseConfig([]byte(gatewayBase+`listen: ${GATEWAY_PORT}
metrics_listen: ${GATEWAY_METRICS:-127.0.0.1:9090}
upstreams:
  - {path_prefix: /, url: "http://127.0.0.1:3000", require: login}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.MetricsListen != "127.0.0.1:9090" {
		t.Errorf("listen %q, metrics_listen %q; want the variables expanded", cfg.Listen, cfg.MetricsListen)
	}
}

// A file with five mistakes, in auth keys and gateway keys, gets all five
// named in one run.
func TestParseConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	file := `server_metadata_url: https://idp.example.com/.well-known/openid-configuration
client_id: app
secret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o
sesion_max_age: 1d
cookie: {same_site: loose}
listne: 127.0.0.1:8080
timeouts: {read: soon}
upstreams:
  - {path_prefix: /, url: "ftp://127.0.0.1", require: login}
`
	_, err := gateway.ParseConfig([]byte(file), "")
	var keys []string
	for _, e := range flattenErrors(err) {
		var ce *auth.ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not an *auth.ConfigError", e)
		}
		keys = append(keys, ce.Key)
	}
	slices.Sort(keys)
	want := []string{"cookie.same_site", "listne", "sesion_max_age", "timeouts.read", "upstreams[0].url"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %q; want %q\nerror:\n%v", keys, want, err)
	}
	for _, hint := range []string{`did you mean "session_max_age"?`, `did you mean "listen"?`} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error does not say %s:\n%v", hint, err)
		}
	}
}

// flattenErrors lists the errors joined in err, recursively.
func flattenErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
