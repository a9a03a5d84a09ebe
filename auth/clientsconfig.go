package auth

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// StringList is a list of strings that YAML may also write as one string
// (roles: admin, or roles: [admin, ops]), as simple_oauth_server's clients
// file does.
type StringList = confdecode.StringList

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
	// plaintext secret is accepted, as in the format it replaces, with a
	// warning at start-up (the value itself is never logged); it is hashed
	// in memory at once. Required.
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
}

// ClientCredentialsConfig is the `client_credentials:` section: the
// app's own token endpoint for machine clients (POST {prefix}/oauth/token).
type ClientCredentialsConfig struct {
	// Issuer is the iss claim of the tokens. Default: base_url followed by
	// "/" (https://app.example.com/), the form Auth0 and
	// simple_oauth_server use. Required when base_url is empty.
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
	SigningKeyFile string `yaml:"signing_key_file" conf:"path"`
	// PreviousSigningKeyFiles are former keys: tokens they signed are still
	// accepted and the JWKS still lists them; nothing new is signed with
	// them. Remove a key once its tokens have expired (token_ttl).
	PreviousSigningKeyFiles []string `yaml:"previous_signing_key_files" conf:"path"`

	// SigningKey, set in Go only, replaces SigningKeyFile (an
	// *rsa.PrivateKey for RS256, an *ecdsa.PrivateKey on P-256 for ES256).
	SigningKey crypto.Signer `yaml:"-"`
}

// Defaults of [ClientCredentialsConfig].
const (
	DefaultClientTokenTTL = time.Hour
	maxClientTokenTTL     = 30 * 24 * time.Hour
)

// signingKeyFileFor returns the default signing key beside a user file.
func signingKeyFileFor(userFile string) string { return userFile + ".signing-key.pem" }

// ClientCredentialsEnabled reports whether the app runs its own
// client-credentials grant: clients, clients_file or a key of
// client_credentials is set, or Config.ClientStore is. An empty
// `client_credentials: {}` does not count: set one of its keys (such as
// token_ttl) to run the grant with store clients only.
func (c *Config) ClientCredentialsEnabled() bool {
	cc := &c.ClientCredentials
	return len(c.Clients) > 0 || c.ClientsFile != "" || c.ClientStore != nil ||
		cc.Issuer != "" || len(cc.Audiences) > 0 || cc.TokenTTL != 0 || cc.Algorithm != "" ||
		cc.SigningKeyFile != "" || len(cc.PreviousSigningKeyFiles) > 0 || cc.SigningKey != nil
}

// validateClients fills in the defaults of clients and client_credentials
// and checks them.
func (c *Config) validateClients() []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &ConfigError{Key: key, Reason: reason})
	}
	for id, cl := range c.Clients {
		key := "clients." + id
		for _, reason := range checkClientConfig(id, &cl) {
			bad(key+reason[0], reason[1])
		}
		c.Clients[id] = cl
	}
	if !c.ClientCredentialsEnabled() {
		return errs
	}
	cc := &c.ClientCredentials
	cc.Issuer = strings.TrimSpace(cc.Issuer)
	switch {
	case cc.Issuer != "":
		if reason := checkIssuerURL(cc.Issuer); reason != "" {
			bad("client_credentials.issuer", reason)
		}
	case c.BaseURL != "":
		cc.Issuer = c.BaseURL + "/"
	default:
		bad("client_credentials.issuer", "missing: set it, or base_url (the issuer is then base_url followed by \"/\")")
	}
	for _, iss := range c.JWTIssuers {
		if iss.Issuer == cc.Issuer && cc.Issuer != "" {
			bad("client_credentials.issuer", "also listed in jwt_issuers; the app's own tokens need no entry there")
		}
	}
	for i, a := range cc.Audiences {
		if strings.TrimSpace(a) == "" || hasControl(a) {
			bad(fmt.Sprintf("client_credentials.audiences[%d]", i), "empty or with a control character")
		}
	}
	switch {
	case cc.TokenTTL < 0:
		bad("client_credentials.token_ttl", "negative duration")
	case cc.TokenTTL == 0:
		cc.TokenTTL = DefaultClientTokenTTL
	case cc.TokenTTL < time.Minute:
		bad("client_credentials.token_ttl", "shorter than 1m")
	case cc.TokenTTL > maxClientTokenTTL:
		bad("client_credentials.token_ttl", "longer than 30d")
	}
	switch strings.ToUpper(strings.TrimSpace(cc.Algorithm)) {
	case "", "RS256":
		cc.Algorithm = "RS256"
	case "ES256":
		cc.Algorithm = "ES256"
	default:
		bad("client_credentials.algorithm", fmt.Sprintf("%q is not RS256 or ES256", cc.Algorithm))
	}
	if cc.SigningKeyFile == "" && cc.SigningKey == nil && c.Capabilities.UserFile != "" {
		cc.SigningKeyFile = signingKeyFileFor(c.Capabilities.UserFile)
	}
	for i, p := range cc.PreviousSigningKeyFiles {
		if p == "" || p == cc.SigningKeyFile || slices.Contains(cc.PreviousSigningKeyFiles[:i], p) {
			bad(fmt.Sprintf("client_credentials.previous_signing_key_files[%d]", i), "empty, or repeats another key file")
		}
	}
	return errs
}

// checkClientConfig normalizes one client (scope split on spaces, lists
// trimmed) and returns its problems as {key suffix, reason} pairs.
func checkClientConfig(id string, cl *ClientConfig) [][2]string {
	var out [][2]string
	if id == "" || hasControl(id) || strings.ContainsAny(id, " :") {
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
		if strings.ContainsAny(s, "\"\\") || hasControl(s) {
			out = append(out, [2]string{".scope", fmt.Sprintf("%q is not a scope", s)})
		}
	}
	for name, list := range map[string]StringList{"audience": cl.Audience, "permissions": cl.Permissions, "roles": cl.Roles, "groups": cl.Groups} {
		for _, v := range list {
			if strings.TrimSpace(v) == "" || hasControl(v) {
				out = append(out, [2]string{"." + name, "empty value or control character"})
				break
			}
		}
	}
	if hasControl(cl.Sub) {
		out = append(out, [2]string{".sub", "contains a control character"})
	}
	return out
}

// loadClientsFile reads a simple_oauth_server clients file: a YAML
// document whose only key is clients:, decoded by the configuration's
// rules (${NAME}, ~CRYPT~). Every problem is reported, naming the file.
func loadClientsFile(path string) (map[string]ClientConfig, error) {
	// ReadFile and Parse give a *ConfigError about the whole file.
	data, dir, err := confdecode.ReadFile(path)
	if err != nil {
		e := *err.(*ConfigError)
		e.Key, e.Reason = "clients_file", "cannot read the clients file"
		return nil, &e
	}
	doc, err := confdecode.Parse(data)
	if err != nil {
		e := *err.(*ConfigError)
		e.File = path
		return nil, &e
	}
	var file struct {
		Clients map[string]ClientConfig `yaml:"clients"`
	}
	opts := ParseOptions{Dir: dir}.decodeOptions()
	opts.File = path
	_, decodeErr := confdecode.Decode(doc, &file, opts)
	var errs []error
	for _, id := range sortedKeys(file.Clients) {
		cl := file.Clients[id]
		for _, reason := range checkClientConfig(id, &cl) {
			errs = append(errs, &ConfigError{File: path, Key: "clients." + id + reason[0], Reason: reason[1]})
		}
		file.Clients[id] = cl
	}
	if err := confdecode.Join(decodeErr, errors.Join(errs...)); err != nil {
		return nil, err
	}
	return file.Clients, nil
}
