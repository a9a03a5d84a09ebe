package clientcreds

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/confcheck"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// StringList is a list of strings that YAML may also write as one string
// (roles: admin, or roles: [admin, ops]), as simple_oauth_server's clients
// file does.
type StringList = confdecode.StringList

// Config is the part of the app's configuration file that the grant owns:
// the keys clients:, clients_file, client_credentials: and, in throttle:,
// client_failures, address_failures and secret_check_queue. It is an
// [auth.Section]: pass it to [auth.LoadConfig] to read it from the same
// file, by the same rules, in the same run:
//
//	var cc clientcreds.Config
//	cfg, err := auth.LoadConfig("config.yaml", &cc)
type Config struct {
	// Clients are machine clients of the grant (POST {prefix}/oauth/token),
	// in simple_oauth_server's format. They win over store clients of the
	// same id. Default: none.
	Clients map[string]ClientConfig `yaml:"clients"`
	// ClientsFile is a simple_oauth_server clients file (a YAML document
	// whose only key is clients:), read at start-up and added to Clients
	// (an id in both is an error). Relative to the configuration file's
	// folder. Default: none.
	ClientsFile string `yaml:"clients_file" conf:"path"`
	// Grant is the client_credentials: section: the tokens' issuer,
	// audiences, lifetime and signing keys.
	Grant GrantConfig `yaml:"client_credentials"`
	// Throttle holds the grant's keys of throttle:.
	Throttle ThrottleConfig `yaml:"throttle"`
	// Store holds the grant's key of store: (read_only).
	Store StoreConfig `yaml:"store"`

	// app is the app's configuration CheckConfig was given: its
	// base_url, capabilities.user_file, store, prefix and trusted_proxies
	// give defaults.
	app *auth.Config
}

// ClientConfig is one machine client of the `clients:` section, in the
// format of simple_oauth_server's clients file:
//
//	clients:
//	  reader:
//	    client_secret: "$argon2id$v=19$..."   # or ~CRYPT~..., or plaintext
//	    audience: pets-api
//	    sub: reader-1
//	    scope: "read:pets"
//	    permissions: ["read:pets"]
//	    roles: viewer
type ClientConfig struct {
	// ClientSecret is an argon2id hash made by [HashClientSecret] (or
	// `oauthgate clients hash`), a ~CRYPT~ value, or a plaintext secret. A
	// plaintext secret is accepted, as in the format it replaces, and
	// hashed in memory at once; one written out in the file gets a warning
	// at start-up (the value itself is never logged), one read from the
	// environment (${NAME}) does not. Required.
	ClientSecret string `yaml:"client_secret"`
	// Audience lists the aud values the client may ask for; the first is
	// the default. Default: the issuer.
	Audience StringList `yaml:"audience"`
	// Sub is the sub claim of the client's tokens. Default: the client id.
	Sub string `yaml:"sub"`
	// Scope lists the scopes the client may ask for and gets by default:
	// a space-separated string or a list.
	Scope StringList `yaml:"scope"`
	// Permissions, Roles and Groups are copied into the client's tokens.
	Permissions StringList `yaml:"permissions"`
	Roles       StringList `yaml:"roles"`
	Groups      StringList `yaml:"groups"`
	// Disabled refuses the client's token requests and tokens.
	Disabled bool `yaml:"disabled"`

	// secretIndirect: ClientSecret came from the environment or a ~CRYPT~
	// value, not from the file's text (see Config.IndirectValue).
	secretIndirect bool
}

// StoreConfig is the grant's key of the `store:` mapping, beside auth's
// driver and dsn.
type StoreConfig struct {
	// ReadOnly: the grant only reads its clients from the store, never
	// writes them (the admin routes' disable, enable and rotate-secret,
	// `oauthgate clients add`… with this configuration are refused with
	// [ErrClientsReadOnly]). With the postgres driver the clients table is
	// opened as pgstore.OpenClients does, so the role of store.dsn needs
	// only USAGE on the schema and SELECT on its clients table (a token
	// endpoint such as examples/lambda-token); a Manager opening the
	// users store on the same dsn still needs a role that may write. With
	// the file store, the clients file may sit on a read-only file system.
	// Default false.
	ReadOnly bool `yaml:"read_only"`
}

// GrantConfig is the `client_credentials:` section: the app's own token
// endpoint for machine clients (POST {prefix}/oauth/token).
type GrantConfig struct {
	// Issuer is the iss claim of the tokens. Default: base_url followed by
	// "/" (https://app.example.com/), the form Auth0 and
	// simple_oauth_server use. Required when base_url is empty. A name
	// that is not a URL ("admin", as some simple_oauth_server setups use)
	// is accepted, with a `config check` warning.
	Issuer string `yaml:"issuer"`
	// Audiences, if set, are the only aud values this app accepts on the
	// app's own tokens: set it when other APIs trust the same issuer,
	// so that a token minted for them is refused here. Default: a token is
	// accepted when its aud is still one of its client's audiences.
	Audiences StringList `yaml:"audiences"`
	// TokenTTL is the lifetime of the tokens. Default 1h
	// (simple_oauth_server used 24h).
	TokenTTL time.Duration `yaml:"token_ttl"`
	// Algorithm signs the tokens: "RS256" (default) or "ES256".
	Algorithm string `yaml:"algorithm"`
	// SigningKeyFile is a PEM private key (PKCS#8, PKCS#1 or SEC 1). When
	// the file does not exist, a key is generated and written there (mode
	// 0600). Default: "<capabilities.user_file>.signing-key.pem" beside the
	// user file; without a user file, a key generated in memory, so that
	// tokens do not survive a restart (logged at start-up). A relative path
	// is resolved against the configuration file's folder.
	SigningKeyFile string `yaml:"signing_key_file" conf:"path,written"`
	// PreviousSigningKeyFiles are former keys: tokens they signed are still
	// accepted and the JWKS still lists them; nothing new is signed with
	// them. Remove a key once its tokens have expired (token_ttl).
	PreviousSigningKeyFiles []string `yaml:"previous_signing_key_files" conf:"path"`

	// SigningKey, set in Go only, replaces SigningKeyFile (an
	// *rsa.PrivateKey for RS256, an *ecdsa.PrivateKey on P-256 for ES256).
	SigningKey crypto.Signer `yaml:"-"`
}

// Defaults of [GrantConfig].
const (
	DefaultTokenTTL = time.Hour
	maxTokenTTL     = 30 * 24 * time.Hour
)

// Warnings lists what the checked configuration allows but an operator
// should know, for `oauthgate config check`.
func (c *Config) Warnings() []string {
	var out []string
	if c.Enabled() && c.Grant.Issuer != "" && !strings.Contains(c.Grant.Issuer, "://") {
		out = append(out, fmt.Sprintf("client_credentials.issuer %q is not a URL: oauthgate accepts it for its own tokens, "+
			"but other verifiers usually expect an https URL (OIDC discovery, RFC 8414)", c.Grant.Issuer))
	}
	return out
}

// ConfigKey implements [auth.Section]: the grant's keys sit at the top
// level, beside auth's.
func (c *Config) ConfigKey() string { return "" }

// Enabled reports whether the app runs its own client-credentials grant:
// clients, clients_file or a key of client_credentials is set. An empty
// `client_credentials: {}` does not count: set one of its keys (such as
// token_ttl) to run the grant with store clients only.
func (c *Config) Enabled() bool {
	g := &c.Grant
	return len(c.Clients) > 0 || c.ClientsFile != "" ||
		g.Issuer != "" || len(g.Audiences) > 0 || g.TokenTTL != 0 || g.Algorithm != "" ||
		g.SigningKeyFile != "" || len(g.PreviousSigningKeyFiles) > 0 || g.SigningKey != nil
}

// CheckConfig implements [auth.Section]: it fills in the defaults of the
// clients, client_credentials and the throttles, some taken from app
// (base_url, capabilities.user_file, store, prefix, trusted_proxies), and
// checks them. Every problem is a *auth.ConfigError naming its key. A
// nil app counts as an empty one. It is idempotent.
func (c *Config) CheckConfig(app *auth.Config) error {
	if app == nil {
		app = &auth.Config{}
	}
	if app != c.app {
		kept := *app
		c.app = &kept
	}
	errs := c.Throttle.validate()
	errs = append(errs, c.validateClients(app)...)
	return errors.Join(errs...)
}

// validateClients fills in the defaults of clients and client_credentials
// and checks them.
func (c *Config) validateClients(app *auth.Config) []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &auth.ConfigError{Key: key, Reason: reason})
	}
	for _, id := range sortedKeys(c.Clients) {
		cl := c.Clients[id]
		for _, reason := range checkClientConfig(id, &cl) {
			bad("clients."+id+reason[0], reason[1])
		}
		c.Clients[id] = cl
	}
	if !c.Enabled() {
		return errs
	}
	g := &c.Grant
	g.Issuer = strings.TrimSpace(g.Issuer)
	switch {
	case !strings.Contains(g.Issuer, "://") && g.Issuer != "":
		// A name ("admin"): the app's own tokens need no discovery, so
		// nothing fetches it; `config check` warns (see Warnings).
		if strings.ContainsFunc(g.Issuer, unicode.IsSpace) || confcheck.HasControl(g.Issuer) {
			bad("client_credentials.issuer", fmt.Sprintf("%q is neither a URL nor a name without spaces", g.Issuer))
		}
	case g.Issuer != "":
		if reason := confcheck.ServiceURL(g.Issuer); reason != "" {
			bad("client_credentials.issuer", reason)
		}
	case app.BaseURL != "":
		g.Issuer = app.BaseURL + "/"
	default:
		bad("client_credentials.issuer", "missing: set it, or base_url (the issuer is then base_url followed by \"/\")")
	}
	for _, iss := range app.JWTIssuers {
		if iss.Issuer == g.Issuer && g.Issuer != "" {
			bad("client_credentials.issuer", "also listed in jwt_issuers; the app's own tokens need no entry there")
		}
	}
	for i, a := range g.Audiences {
		if strings.TrimSpace(a) == "" || confcheck.HasControl(a) {
			bad(fmt.Sprintf("client_credentials.audiences[%d]", i), "empty or with a control character")
		}
	}
	switch {
	case g.TokenTTL < 0:
		bad("client_credentials.token_ttl", "negative duration")
	case g.TokenTTL == 0:
		g.TokenTTL = DefaultTokenTTL
	case g.TokenTTL < time.Minute:
		bad("client_credentials.token_ttl", "shorter than 1m")
	case g.TokenTTL > maxTokenTTL:
		bad("client_credentials.token_ttl", "longer than 30d")
	}
	switch strings.ToUpper(strings.TrimSpace(g.Algorithm)) {
	case "", "RS256":
		g.Algorithm = "RS256"
	case "ES256":
		g.Algorithm = "ES256"
	default:
		bad("client_credentials.algorithm", fmt.Sprintf("%q is not RS256 or ES256", g.Algorithm))
	}
	if g.SigningKeyFile == "" && g.SigningKey == nil && c.app.Capabilities.UserFile != "" {
		g.SigningKeyFile = signingKeyFileFor(c.app.Capabilities.UserFile)
	}
	for i, p := range g.PreviousSigningKeyFiles {
		if p == "" || p == g.SigningKeyFile || slices.Contains(g.PreviousSigningKeyFiles[:i], p) {
			bad(fmt.Sprintf("client_credentials.previous_signing_key_files[%d]", i), "empty, or repeats another key file")
		}
	}
	return errs
}

// signingKeyFileFor returns the default signing key beside a user file.
func signingKeyFileFor(userFile string) string { return userFile + ".signing-key.pem" }

// checkClientConfig normalizes one client (scope split on spaces, lists
// trimmed) and returns its problems as {key suffix, reason} pairs.
func checkClientConfig(id string, cl *ClientConfig) [][2]string {
	var out [][2]string
	if id == "" || confcheck.HasControl(id) || strings.ContainsAny(id, " :") {
		out = append(out, [2]string{"", "a client id must be non-empty, without spaces, colons or control characters"})
	}
	if cl.ClientSecret == "" {
		out = append(out, [2]string{".client_secret", "missing"})
	} else if IsClientSecretHash(cl.ClientSecret) {
		if _, err := parseArgon2id(cl.ClientSecret); err != nil {
			out = append(out, [2]string{".client_secret", err.Error()})
		}
	}
	cl.Scope = cl.Scope.Words()
	for _, s := range cl.Scope {
		if strings.ContainsAny(s, "\"\\") || confcheck.HasControl(s) {
			out = append(out, [2]string{".scope", fmt.Sprintf("%q is not a scope", s)})
		}
	}
	for _, l := range []struct {
		name string
		list StringList
	}{{"audience", cl.Audience}, {"permissions", cl.Permissions}, {"roles", cl.Roles}, {"groups", cl.Groups}} {
		for _, v := range l.list {
			if strings.TrimSpace(v) == "" || confcheck.HasControl(v) {
				out = append(out, [2]string{"." + l.name, "empty value or control character"})
				break
			}
		}
	}
	if confcheck.HasControl(cl.Sub) {
		out = append(out, [2]string{".sub", "contains a control character"})
	}
	return out
}

// String prints the configuration with the clients' secrets and the
// signing key redacted, so that logging it leaks nothing.
func (c Config) String() string {
	type plain Config // drops the methods, so no recursion
	r := c
	if len(c.Clients) > 0 {
		r.Clients = make(map[string]ClientConfig, len(c.Clients))
		for id, cl := range c.Clients {
			if cl.ClientSecret != "" {
				cl.ClientSecret = "[redacted]"
			}
			r.Clients[id] = cl
		}
	}
	r.Grant.SigningKey = nil
	r.app = nil
	return fmt.Sprintf("%+v", plain(r))
}
