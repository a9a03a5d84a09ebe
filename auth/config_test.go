package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/internal/clientaddr"
	"github.com/oauthgate/oauthgate/internal/confdecode"
	"gopkg.in/yaml.v3"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// minimal is a valid configuration to which tests add lines.
const minimal = `
server_metadata_url: https://idp.example.com/.well-known/openid-configuration
secret_key: "` + testKey + `"
client_id: app
`

func parse(t *testing.T, yml string, env map[string]string) (*Config, error) {
	t.Helper()
	return parseConfig([]byte(yml), confdecode.Options{LookupEnv: envMap(env)}, nil)
}

// configErr returns the *ConfigError for key inside err, or nil.
func configErr(err error, key string) *ConfigError {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var ce *ConfigError
		if errors.As(e, &ce) && ce.Key == key {
			return ce
		}
	}
	return nil
}

func TestLoadEasyOAuthConfig(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("testdata/easy-oauth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/caps.yaml")
	if cfg.Capabilities.UserFile != abs {
		t.Errorf("user_file = %q; want %q", cfg.Capabilities.UserFile, abs)
	}
	if got := cfg.Capabilities.Graph["moderate"]; !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("graph.moderate = %v", got)
	}
	if g, ok := cfg.Capabilities.Graph["read"]; !ok || len(g) != 0 {
		t.Errorf("graph.read = %v, %v", g, ok)
	}
	if !cfg.Capabilities.AutoAdminEnabled() || !slices.Equal(cfg.Capabilities.DefaultCapabilities, []string{"read"}) {
		t.Errorf("capabilities = %+v", cfg.Capabilities)
	}
	if cfg.ClientID != "1234567890-abc.apps.googleusercontent.com" || cfg.ClientSecret != "GOCSPX-client-secret" {
		t.Errorf("client = %q %q", cfg.ClientID, cfg.ClientSecret)
	}
	if !slices.Equal(cfg.scopes(), []string{"openid", "email"}) || cfg.authorizeParams()["prompt"] != "select_account" {
		t.Errorf("scopes %v params %v", cfg.scopes(), cfg.authorizeParams())
	}
	// Defaults.
	if cfg.Prefix != "" || cfg.TokenTTL != defaultTokenTTL || cfg.FlowTTL != defaultFlowTTL ||
		cfg.SessionMaxAge != defaultSessionMaxAge || cfg.RecheckInterval != time.Hour || cfg.RecheckGrace != 24*time.Hour ||
		cfg.cookieMaxAge() != defaultSessionMaxAge || cfg.Cookie.SameSite != "lax" || cfg.cookieName() != defaultSecureCookieName ||
		!cfg.cookieSecure() || !cfg.verifiedEmailRequired() || cfg.Store.Driver != "file" || len(cfg.TrustedProxies) != 0 {
		t.Errorf("defaults: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate not idempotent: %v", err)
	}
}

func TestUnknownKeys(t *testing.T) {
	t.Parallel()
	_, err := parse(t, minimal+"secert_key: x\ncookie:\n  same_sit: lax\ncapabilities:\n  auto_amdin: true\n", nil)
	for key, hint := range map[string]string{
		"secert_key":              `did you mean "secret_key"?`,
		"cookie.same_sit":         `did you mean "same_site"?`,
		"capabilities.auto_amdin": `did you mean "auto_admin"?`,
	} {
		ce := configErr(err, key)
		if ce == nil || !strings.Contains(ce.Error(), hint) || !strings.Contains(ce.Error(), "unknown key") {
			t.Errorf("%s: %v", key, err)
		}
	}
	// A file shared with another program takes its keys through a Section
	// (TestConfigSections); there is no switch that ignores unknown keys.
}

func TestEnvExpansion(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SECRET":  testKey,
		"WEIRD":   "a: b # c\n- d '\"${NOT_EXPANDED}",
		"EMPTY":   "",
		"TTL":     "2d",
		"SECURE":  "false",
		"DOMAINS": "ignored",
	}
	cfg, err := parse(t, `
server_metadata_url: https://idp.example.com/.well-known/openid-configuration
secret_key: ${SECRET}
client_id: "id-${MISSING:-fallback}-${EMPTY:-was empty}"
client_secret: "${WEIRD}"
token_ttl: ${TTL}
base_url: http://localhost:8080
cookie:
  secure: ${SECURE}
client_kwargs:
  prompt: "$${LITERAL} and $dollar"
`, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecretKey != testKey || cfg.ClientID != "id-fallback-was empty" || cfg.ClientSecret != env["WEIRD"] {
		t.Errorf("got %q %q %q", cfg.SecretKey, cfg.ClientID, cfg.ClientSecret)
	}
	if cfg.TokenTTL != 48*time.Hour || cfg.cookieSecure() || cfg.cookieName() != defaultCookieName {
		t.Errorf("ttl %v secure %v name %q", cfg.TokenTTL, cfg.cookieSecure(), cfg.cookieName())
	}
	if got := cfg.ClientKwargs["prompt"]; got != "${LITERAL} and $dollar" {
		t.Errorf("prompt = %q", got)
	}

	_, err = parse(t, minimal+"client_secret: ${NOPE}\n", env)
	if ce := configErr(err, "client_secret"); ce == nil || !strings.Contains(ce.Reason, "NOPE is not set") {
		t.Errorf("unset variable: %v", err)
	}
	for _, bad := range []string{"${}", "${1X}", "${A-B}", "${UNTERMINATED"} {
		_, err = parse(t, minimal+"client_secret: \""+bad+"\"\n", env)
		if configErr(err, "client_secret") == nil {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestCryptValues(t *testing.T) {
	t.Parallel()
	enc := confdecode.Encrypt("pw", "the-client-secret")
	yml := minimal + "client_secret: " + enc + "\n"
	cfg, err := parse(t, yml, map[string]string{confdecode.PasswordEnv: "pw"})
	if err != nil || cfg.ClientSecret != "the-client-secret" {
		t.Fatalf("got %v, %v", cfg, err)
	}
	// Through an environment variable too.
	cfg, err = parse(t, minimal+"client_secret: ${CS}\n", map[string]string{confdecode.PasswordEnv: "pw", "CS": enc})
	if err != nil || cfg.ClientSecret != "the-client-secret" {
		t.Fatalf("via env: %v, %v", cfg, err)
	}
	_, err = parse(t, yml, nil)
	if ce := configErr(err, "client_secret"); ce == nil || !strings.Contains(ce.Reason, confdecode.PasswordEnv) {
		t.Errorf("no password: %v", err)
	}
	_, err = parse(t, yml, map[string]string{confdecode.PasswordEnv: "wrong"})
	if ce := configErr(err, "client_secret"); ce == nil || !strings.Contains(ce.Reason, "wrong password or corrupted value") {
		t.Errorf("wrong password: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong\"") {
		t.Errorf("password leaked: %v", err)
	}
}

func TestDurations(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "24h": 24 * time.Hour, "30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour,
		"3600": time.Hour, "1h30m": 90 * time.Minute, "0": 0, "\"45s\"": 45 * time.Second,
	} {
		cfg, err := parse(t, minimal+"recheck_grace: "+in+"\n", nil)
		if want == 0 {
			want = defaultRecheckGrace
		}
		if err != nil || cfg.RecheckGrace != want {
			t.Errorf("%s: got %v, %v; want %v", in, cfg, err, want)
		}
	}
	for _, in := range []string{"-1h", "-5", "1y", "d", "1d-2h", "abc", "1.5d", "[1]", "99999999999999d", "1e3"} {
		_, err := parse(t, minimal+"recheck_grace: "+in+"\n", nil)
		if configErr(err, "recheck_grace") == nil {
			t.Errorf("%s: err = %v", in, err)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yml, key string
	}{
		{"missing secret", "server_metadata_url: https://idp.example.com/x\nclient_id: a\n", "secret_key"},
		{"short secret", "server_metadata_url: https://idp.example.com/x\nclient_id: a\nsecret_key: changeme\n", "secret_key"},
		{"weak previous", minimal + "previous_secret_keys: [short]\n", "previous_secret_keys[0]"},
		{"repeated previous", minimal + "previous_secret_keys: [\"" + testKey + "\"]\n", "previous_secret_keys[0]"},
		{"missing client_id", "server_metadata_url: https://idp.example.com/x\nsecret_key: " + testKey + "\n", "client_id"},
		{"missing metadata", "client_id: a\nsecret_key: " + testKey + "\n", "server_metadata_url"},
		{"http metadata", minimal + "server_metadata_url: http://idp.example.com/x\n", "server_metadata_url"},
		{"relative metadata", minimal + "server_metadata_url: /x\n", "server_metadata_url"},
		{"reserved kwarg", minimal + "client_kwargs: {redirect_uri: https://evil}\n", "client_kwargs.redirect_uri"},
		{"bad prefix", minimal + "prefix: api\n", "prefix"},
		{"prefix with query", minimal + "prefix: /api?x\n", "prefix"},
		{"prefix dotdot", minimal + "prefix: /a/../b\n", "prefix"},
		{"prefix double slash", minimal + "prefix: //evil\n", "prefix"},
		{"base_url http", minimal + "base_url: http://app.example.com\n", "base_url"},
		{"base_url relative", minimal + "base_url: app.example.com\n", "base_url"},
		{"base_url query", minimal + "base_url: https://app.example.com/?x=1\n", "base_url"},
		{"base_url fragment", minimal + "base_url: https://app.example.com/#x\n", "base_url"},
		{"base_url userinfo", minimal + "base_url: https://u:p@app.example.com\n", "base_url"},
		{"base_url scheme", minimal + "base_url: ftp://app.example.com\n", "base_url"},
		{"same_site", minimal + "cookie: {same_site: loose}\n", "cookie.same_site"},
		{"same_site none insecure", minimal + "cookie: {same_site: none, secure: false}\n", "cookie.same_site"},
		{"host cookie with domain", minimal + "cookie: {name: __Host-x, domain: example.com}\n", "cookie.name"},
		{"host cookie insecure", minimal + "cookie: {name: __Host-x, secure: false}\n", "cookie.name"},
		{"cookie name", minimal + "cookie: {name: \"a b\"}\n", "cookie.name"},
		{"cookie domain mismatch", minimal + "base_url: https://app.example.com\ncookie: {domain: other.com}\n", "cookie.domain"},
		{"cookie max_age", minimal + "session_max_age: 1h\ncookie: {max_age: 2h}\n", "cookie.max_age"},
		{"flow_ttl", minimal + "flow_ttl: 2d\n", "flow_ttl"},
		{"email domain", minimal + "allowed_email_domains: [\"a@b.com\"]\n", "allowed_email_domains[0]"},
		{"email domain empty", minimal + "allowed_email_domains: [\"@\"]\n", "allowed_email_domains[0]"},
		{"email domain lookalike", minimal + "allowed_email_domains: [\"\u212Aiosk.example\"]\n", "allowed_email_domains[0]"}, // KELVIN SIGN, not k
		{"email domain fullwidth", minimal + "allowed_email_domains: [ok.example, \"\uff4biosk.example\"]\n", "allowed_email_domains[1]"},
		{"store driver", minimal + "store: {driver: mysql}\n", "store.driver"},
		{"store dsn", minimal + "store: {driver: postgres}\n", "store.dsn"},
		{"file dsn", minimal + "store: {dsn: x}\n", "store.dsn"},
		{"proxy", minimal + "trusted_proxies: [10.0.0.0/8, nope]\n", "trusted_proxies[1]"},
		{"huge throttle", minimal + "throttle: {login_starts: 1000001}\n", "throttle.login_starts"},
		{"throttle typo", minimal + "throttle: {login_start: 5}\n", "throttle.login_start"},
		{"force_user refused", minimal + "force_user: dev@example.com\n", "force_user"},
		{"force_user not email", minimal + "force_user: dev\ninsecure_allow_force_user: true\n", "force_user"},
		{"force_user empty domain label", minimal + "force_user: dev@corp..example\ninsecure_allow_force_user: true\n", "force_user"},
		{"force_user no-break space", minimal + "force_user: \"dev\u00a0x@corp.example\"\ninsecure_allow_force_user: true\n", "force_user"},
		{"wrong type", minimal + "prefix: [a]\n", "prefix"},
		{"wrong bool", minimal + "require_verified_email: maybe\n", "require_verified_email"},
		{"admin_page not a bool", minimal + "admin_page: maybe\n", "admin_page"},
		{"wrong map", minimal + "client_kwargs: [a]\n", "client_kwargs"},
		{"duplicate key", minimal + "prefix: /a\nprefix: /b\n", "prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tc.yml, nil)
			if configErr(err, tc.key) == nil {
				t.Errorf("err = %v; want a ConfigError on %s", err, tc.key)
			}
		})
	}
}

// The admin page is on unless admin_page: false.
func TestAdminPageKey(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{"": true, "admin_page: true\n": true, "admin_page: false\n": false} {
		cfg, err := parse(t, minimal+text, nil)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if cfg.AdminPageEnabled() != want {
			t.Errorf("%q: AdminPageEnabled() = %v; want %v", text, !want, want)
		}
	}
}

func TestNormalisation(t *testing.T) {
	t.Parallel()
	cfg, err := parse(t, minimal+`
prefix: /api/v1/
base_url: HTTPS://App.Example.com/base/
allowed_email_domains: ["@Example.COM", " corp.example.org "]
cookie: {domain: .Example.com, same_site: Strict}
trusted_proxies: [10.0.0.1, "192.168.0.0/16", "::1"]
require_verified_email: false
store: {driver: Postgres, dsn: "postgres://db/x"}
client_kwargs: {scope: email profile}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Prefix != "/api/v1" || cfg.BaseURL != "https://app.example.com/base" {
		t.Errorf("prefix %q base %q", cfg.Prefix, cfg.BaseURL)
	}
	if !slices.Equal(cfg.AllowedEmailDomains, []string{"example.com", "corp.example.org"}) {
		t.Errorf("domains %q", cfg.AllowedEmailDomains)
	}
	if cfg.Cookie.Domain != "example.com" || cfg.Cookie.SameSite != "strict" || cfg.cookieName() != defaultCookieName {
		t.Errorf("cookie %+v", cfg.Cookie)
	}
	if got := fmt.Sprint(clientaddr.ParseProxies(cfg.TrustedProxies)); got != "[10.0.0.1/32 192.168.0.0/16 ::1/128]" {
		t.Errorf("proxies %s", got)
	}
	if cfg.verifiedEmailRequired() || cfg.Store.Driver != "postgres" {
		t.Errorf("verified %v driver %q", cfg.verifiedEmailRequired(), cfg.Store.Driver)
	}
	if !slices.Equal(cfg.scopes(), []string{"openid", "email", "profile"}) {
		t.Errorf("scopes %v", cfg.scopes())
	}
	for _, ok := range []string{"http://localhost:8080", "http://127.0.0.1:9000/", "http://[::1]:80", "https://app.example.com"} {
		if _, err := parse(t, minimal+"base_url: \""+ok+"\"\n", nil); err != nil {
			t.Errorf("base_url %s: %v", ok, err)
		}
	}
}

func TestThrottleDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yml  string
		want ThrottleConfig
	}{
		{"", ThrottleConfig{LoginStarts: 60}},
		{"throttle: {login_starts: 1000}\n", ThrottleConfig{LoginStarts: 1000}},
	} {
		cfg, err := parse(t, minimal+tc.yml, nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.yml, err)
		}
		if cfg.Throttle != tc.want {
			t.Errorf("%q: %+v; want %+v", tc.yml, cfg.Throttle, tc.want)
		}
		if err := cfg.Validate(); err != nil || cfg.Throttle != tc.want {
			t.Errorf("%q: validating twice: %v %+v", tc.yml, err, cfg.Throttle)
		}
	}
}

// Not parallel: it sets the process environment.
func TestForceUser(t *testing.T) {
	yml := "secret_key: " + testKey + "\nforce_user: dev@example.com\n"
	t.Setenv(ForceUserEnv, "")
	if _, err := parse(t, yml, nil); configErr(err, "force_user") == nil {
		t.Errorf("force_user without allow: %v", err)
	}
	cfg, err := parse(t, yml+"insecure_allow_force_user: true\n", nil)
	if err != nil || cfg.InsecureForceUser != "dev@example.com" {
		t.Errorf("allowed by key: %v, %v", cfg, err)
	}
	t.Setenv(ForceUserEnv, "1")
	if _, err := parse(t, yml, nil); err != nil {
		t.Errorf("allowed by env: %v", err)
	}
}

func TestConfigErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := parse(t, "server_metadata_url: https://idp.example.com/x\nclient_id: a\n", nil)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "config: secret_key: missing") || !strings.Contains(msg, "oauthgate keygen") || !strings.Contains(msg, "openssl rand -base64 32") {
		t.Errorf("message %q", msg)
	}
	_, err = parse(t, "a: [", nil)
	if !errors.As(err, &ce) || ce.Key != "" || !strings.HasPrefix(err.Error(), "config: invalid YAML") {
		t.Errorf("syntax error: %v", err)
	}
}

func TestNestedConfig(t *testing.T) {
	t.Parallel()
	var app struct {
		Auth Config `yaml:"auth"`
		Port int    `yaml:"port"`
	}
	if err := yamlUnmarshal("port: 8080\nauth:\n  secret_key: "+testKey+"\n  client_id: a\n  server_metadata_url: https://i.example/x\n  token_ttl: 7d\n", &app); err != nil {
		t.Fatal(err)
	}
	if app.Port != 8080 || app.Auth.TokenTTL != 7*24*time.Hour {
		t.Errorf("got %+v", app)
	}
	if err := app.Auth.Validate(); err != nil {
		t.Error(err)
	}
	if err := yamlUnmarshal("auth:\n  secert_key: x\n", &app); err == nil || !strings.Contains(err.Error(), "secert_key") {
		t.Errorf("nested typo: %v", err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte("a: \""+strings.Repeat("x", confdecode.MaxSize)+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
}

func ExampleParseConfig() {
	cfg, err := ParseConfig([]byte(`
server_metadata_url: https://accounts.google.com/.well-known/openid-configuration
secret_key: "k7Jq9vXyPz3mN2bR8tW5cL1dF6gH4sA0eU9iO7pQ2wE="
client_id: my-client
client_kwargs:
  prompt: select_account
capabilities:
  graph:
    read: []
    write: [read]
prefix: /auth/
base_url: https://app.example.com
token_ttl: 7d
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Prefix, cfg.ClientKwargs, cfg.TokenTTL, cfg.Cookie.SameSite)

	_, err = ParseConfig([]byte("secert_key: x\n"))
	var ce *ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce)
	}
	// Output:
	// /auth map[prompt:select_account] 168h0m0s lax
	// config: secert_key: unknown key (did you mean "secret_key"?)
}

func yamlUnmarshal(s string, v any) error { return yaml.Unmarshal([]byte(s), v) }

// A file with five mistakes, some that do not decode and some that do
// not check, gets all five named in one run.
func TestParseConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := parse(t, minimal+`sesion_max_age: 1d
token_ttl: soon
cookie: {same_site: loose}
base_url: ftp://app.example.com
previous_secret_keys: [short]
`, nil)
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a *ConfigError", e)
		}
		keys = append(keys, ce.Key)
	}
	slices.Sort(keys)
	want := []string{"base_url", "cookie.same_site", "previous_secret_keys[0]", "sesion_max_age", "token_ttl"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %q; want %q\nerror:\n%v", keys, want, err)
	}
}
