package auth

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Config is the app's authentication configuration, read from YAML by [LoadConfig] or
// [ParseConfig] or built in Go. easy-oauth's config.yaml keys work
// unchanged; the others are ours. [Config.Validate] fills in the defaults
// stated on each field and checks every value; the defaults that depend
// on other keys are derived by [New] (see [CookieConfig]).
//
// String values may use ${NAME} and ${NAME:-default} (environment
// variables) and may be encrypted in place as "~CRYPT~<fernet>" (written
// by `oauthgate config encrypt`; the password comes from the environment
// variable OAUTHGATE_PASSWORD, else SERIEUX_PASSWORD).
type Config struct {
	// ServerMetadataURL is the identity provider's OpenID discovery
	// document, e.g. https://accounts.google.com/.well-known/openid-configuration.
	// https, or http on a loopback host (a local mock provider). Set it
	// with ClientID, or leave both out for an app without browser login
	// (see [Config.NoLogin]); not needed with InsecureForceUser. For
	// provider microsoft, the tenant's or the multi-tenant document (its
	// issuer may hold "{tenantid}"); refused for github and oauth2, which
	// have none. In YAML, the key with an empty value (an empty ${VAR}) is
	// an error: it must not turn browser login off unnoticed.
	ServerMetadataURL string `yaml:"server_metadata_url" conf:"nonempty"`
	// SecretKey derives the keys of sessions, login flows and tokens. At
	// least 32 bytes of key material (decoded when hex or base64). Make one
	// with `oauthgate keygen` or `openssl rand -base64 32`. Required.
	SecretKey string `yaml:"secret_key"`
	// PreviousSecretKeys still open sessions and tokens made with them;
	// nothing new is sealed with them. Put the old secret_key here when
	// rotating, remove it when its tokens should die. Default: none.
	PreviousSecretKeys []string `yaml:"previous_secret_keys"`
	// ClientID is the OAuth client id registered with the provider.
	// Set with ServerMetadataURL, or leave both out (see [Config.NoLogin]);
	// in YAML, an empty value is an error, as for server_metadata_url.
	ClientID string `yaml:"client_id" conf:"nonempty"`
	// ClientSecret is the OAuth client secret; may be empty for a public
	// client (PKCE is always used).
	ClientSecret string `yaml:"client_secret"`
	// ClientKwargs are extra parameters of the authorization request, as in
	// easy-oauth: "scope", "prompt", and any other authorize parameter except those
	// the login flow sets itself (state, nonce, redirect_uri, client_id,
	// response_type, code_challenge, code_challenge_method). The default
	// scope depends on the provider: "openid email" (oidc), "openid email
	// profile" (microsoft), "read:user user:email" (github), none (oauth2).
	// "openid" is added if missing for oidc and microsoft, "user:email"
	// for github, and "read:org" for github with allowed_orgs or
	// allowed_teams.
	ClientKwargs map[string]string `yaml:"client_kwargs"`

	// Provider is the kind of identity provider: "oidc" (default: any
	// OpenID Connect provider found by server_metadata_url), "github"
	// (GitHub or GitHub Enterprise, OAuth Apps), "microsoft" (Microsoft
	// Entra ID, one tenant or many) or "oauth2" (a plain OAuth 2.0
	// provider with a user-info endpoint). The keys below apply to one
	// kind each; the README's "Providers" section shows each.
	Provider string `yaml:"provider"`
	// ProviderURL is, for github only, the GitHub Enterprise Server's base
	// URL (https://ghe.example.com). Default: github.com.
	ProviderURL string `yaml:"provider_url"`
	// AllowedOrgs, for github only, limits login to members of at least
	// one of these organisations (by login, any case). Default: any user.
	AllowedOrgs []string `yaml:"allowed_orgs"`
	// AllowedTeams, for github only, limits login to members of at least
	// one of these teams, each "org/team-slug". With allowed_orgs too,
	// both must hold. Default: any user.
	AllowedTeams []string `yaml:"allowed_teams"`
	// AllowedTenants, for microsoft only, limits login to users of these
	// tenants (directory ids, GUIDs), checked on the ID token's tid.
	// Default: any tenant the discovery document admits.
	AllowedTenants []string `yaml:"allowed_tenants"`
	// AuthorizeURL, TokenURL and UserinfoURL are, for oauth2 only (and
	// required there), the provider's authorization, token and user-info
	// endpoints.
	AuthorizeURL string `yaml:"authorize_url"`
	TokenURL     string `yaml:"token_url"`
	UserinfoURL  string `yaml:"userinfo_url"`
	// EmailPath, EmailVerifiedPath and SubjectPath are, for oauth2 only,
	// the paths of the email, of its verified flag and of the stable
	// subject in the user-info answer: object keys joined with dots, such
	// as "profile.email". Defaults "email", "email_verified", "sub".
	EmailPath         string `yaml:"email_path"`
	EmailVerifiedPath string `yaml:"email_verified_path"`
	SubjectPath       string `yaml:"subject_path"`

	// Prefix is the path under which the routes (/login, /auth, /token...)
	// are mounted: "" (default) or "/x/y", without a trailing slash.
	Prefix string `yaml:"prefix"`
	// BaseURL is the app's external URL (scheme, host, optional path), the
	// base of the OAuth redirect URI; the request's Host header is never
	// trusted for it. https, or http on a loopback host (localhost,
	// 127.0.0.0/8, ::1). No query, fragment or user info; a trailing slash
	// is removed. Default: empty, in which case the login flow serves only
	// loopback hosts.
	BaseURL string `yaml:"base_url"`

	// InsecureForceUser logs every request in as this email, without any
	// identity provider: for local development only. It is refused unless
	// InsecureAllowForceUser is true or the environment has
	// OAUTHGATE_INSECURE_ALLOW_FORCE_USER=1. Key: force_user.
	InsecureForceUser string `yaml:"force_user"`
	// InsecureAllowForceUser allows InsecureForceUser. Default false.
	InsecureAllowForceUser bool `yaml:"insecure_allow_force_user"`

	// Capabilities is easy-oauth's capabilities section. A relative
	// user_file is resolved against the configuration file's folder by
	// LoadConfig.
	Capabilities capabilities.Config `yaml:"capabilities"`

	// Cookie sets the session cookie's attributes.
	Cookie CookieConfig `yaml:"cookie"`
	// SessionMaxAge is how long a browser session lasts after login,
	// whatever the activity. Default 14d.
	SessionMaxAge time.Duration `yaml:"session_max_age"`
	// FlowTTL is how long a login may take between the redirect to the
	// provider and the callback (the flow cookie's life). Default 10m.
	FlowTTL time.Duration `yaml:"flow_ttl"`
	// TokenTTL is the lifetime of user and service bearer tokens minted
	// by /token. Default 30d.
	TokenTTL time.Duration `yaml:"token_ttl"`
	// RecheckInterval is how often a user holding a token or session is
	// re-checked with the identity provider (refresh token). Default 1h.
	RecheckInterval time.Duration `yaml:"recheck_interval"`
	// RecheckGrace is how long access continues while the provider cannot
	// be reached for a re-check (a refusal by the provider ends access at
	// once). Default 24h.
	RecheckGrace time.Duration `yaml:"recheck_grace"`

	// AllowedEmailDomains, if not empty, limits login to emails in these
	// domains or their subdomains (matched on a dot boundary). Stored
	// lower-case without a leading "@". Default: any domain.
	AllowedEmailDomains []string `yaml:"allowed_email_domains"`
	// RequireVerifiedEmail refuses logins whose email the provider does
	// not vouch for: email_verified=true in the ID token (oidc),
	// xms_edov=true (microsoft: the email's domain is verified by the
	// tenant), a verified primary email (github), true at
	// email_verified_path (oauth2). Default (nil) true.
	RequireVerifiedEmail *bool `yaml:"require_verified_email"`
	// AdminPage serves the capabilities admin page at
	// {prefix}/manage_capabilities/ to holders of user_management (see
	// package handlers). Default (nil) true; false turns it off.
	AdminPage *bool `yaml:"admin_page"`

	// Store says where user capabilities are kept. Default: the YAML file
	// capabilities.user_file.
	Store StoreConfig `yaml:"store"`
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For is believed for the client address. Default:
	// none (the TCP peer is the client).
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Throttle bounds the work of callers who have not authenticated.
	// Packages plugged in may add keys of their own beside login_starts.
	Throttle ThrottleConfig `yaml:"throttle"`

	// JWTIssuers are the external issuers whose JWT access tokens (OAuth
	// 2.0 client credentials) machine clients call the app with, accepted
	// as bearer tokens. Default: none.
	JWTIssuers []JWTIssuer `yaml:"jwt_issuers"`
	// ScopeCapabilities maps a scope or permission of a machine token
	// ("read:pets") to capabilities of the graph; the client holds their
	// closure. Default: none (a client holds only the guest capabilities).
	ScopeCapabilities map[string][]string `yaml:"scope_capabilities"`
	// ClaimCapabilities grant capabilities by claim values: those of a
	// login's ID token (kept in the session, refreshed at each login) and
	// those of a machine token. Grants join the identity's effective set.
	// Default: none.
	ClaimCapabilities []ClaimRule `yaml:"claim_capabilities"`

	// Settings made in Go only, never read from YAML.

	// Logger receives the Manager's logs (never a token or secret).
	// Default slog.Default(); [Manager.Config] has it filled in, so that
	// handlers log where the Manager does.
	Logger *slog.Logger `yaml:"-"`
	// Now is the clock of sessions, tokens and re-checks. Default
	// time.Now; [Manager.Config] has it filled in, so that callers use the
	// Manager's clock.
	Now func() time.Time `yaml:"-"`
	// HTTPClient makes the requests to the identity provider. Default: a
	// client with a 10s timeout. Either way, answers longer than 1 MiB
	// are refused.
	HTTPClient *http.Client `yaml:"-"`
	// CapabilityStore keeps user capabilities. Default: the file store at
	// capabilities.user_file, or a memory store when it is empty.
	CapabilityStore store.Store `yaml:"-"`
	// TokenStore keeps revocations and identity-provider grants. Default:
	// the file "<capabilities.user_file>.tokens.yaml", or a memory store
	// when user_file is empty.
	TokenStore store.TokenStore `yaml:"-"`
	// MachineIssuers are issuers of machine tokens plugged in from Go,
	// verified by asking them (see [MachineIssuer]); an issuer that is
	// also a handlers.RouteProvider gets its routes mounted with the
	// Manager's. The Manager does not close them. Default: none.
	MachineIssuers []MachineIssuer `yaml:"-"`
}

// CookieConfig is the `cookie:` section: the session cookie's attributes.
type CookieConfig struct {
	// Name of the session cookie. Default "__Host-oauthgate_session" when
	// the cookie is Secure and has no Domain, else "oauthgate_session".
	// The defaults of Name, Secure and MaxAge depend on other keys: [New]
	// derives them from the config it is given (Validate leaves them
	// unset), and [Manager.Config] shows the result.
	Name string `yaml:"name"`
	// Secure sends the cookie over https only. Default (nil): true, unless
	// base_url is http (a loopback development host).
	Secure *bool `yaml:"secure"`
	// SameSite is "lax" (default), "strict" or "none" (needs Secure).
	SameSite string `yaml:"same_site"`
	// MaxAge is the cookie's Max-Age. Default: session_max_age.
	MaxAge time.Duration `yaml:"max_age"`
	// Domain, if set, shares the cookie with subdomains; it must contain
	// base_url's host. Default: none (host-only cookie).
	Domain string `yaml:"domain"`
}

// StoreConfig is the `store:` section: where user capabilities live.
type StoreConfig struct {
	// Driver is "file" (default: capabilities.user_file) or "postgres".
	Driver string `yaml:"driver"`
	// DSN is the PostgreSQL connection string (driver postgres only).
	DSN string `yaml:"dsn"`
}

// Defaults of [Config]'s durations and names.
const (
	defaultSessionMaxAge   = 14 * 24 * time.Hour
	defaultFlowTTL         = 10 * time.Minute
	defaultTokenTTL        = 30 * 24 * time.Hour
	defaultRecheckInterval = time.Hour
	defaultRecheckGrace    = 24 * time.Hour
	defaultCookieName      = "oauthgate_session"
	// The __Host- prefix makes browsers refuse the cookie unless it is
	// Secure, host-only and for path "/".
	defaultSecureCookieName = "__Host-" + defaultCookieName
)

// verifiedEmailRequired reports whether logins need email_verified=true
// (the default).
func (c *Config) verifiedEmailRequired() bool {
	return c.RequireVerifiedEmail == nil || *c.RequireVerifiedEmail
}

// AdminPageEnabled reports whether the capabilities admin page is served
// (admin_page, default true).
func (c *Config) AdminPageEnabled() bool {
	return c.AdminPage == nil || *c.AdminPage
}

// cookieSecure reports whether the session cookie is Secure: the
// configured value, else true unless base_url is http.
func (c *Config) cookieSecure() bool {
	if c.Cookie.Secure != nil {
		return *c.Cookie.Secure
	}
	return !strings.HasPrefix(strings.ToLower(c.BaseURL), "http:")
}

// cookieName is the session cookie's name: the configured one, else
// __Host-oauthgate_session for a Secure host-only cookie, else
// oauthgate_session.
func (c *Config) cookieName() string {
	switch {
	case c.Cookie.Name != "":
		return c.Cookie.Name
	case c.cookieSecure() && c.Cookie.Domain == "":
		return defaultSecureCookieName
	}
	return defaultCookieName
}

// cookieMaxAge is the session cookie's Max-Age: the configured one, else
// session_max_age.
func (c *Config) cookieMaxAge() time.Duration {
	if c.Cookie.MaxAge > 0 {
		return c.Cookie.MaxAge
	}
	return c.SessionMaxAge
}

// deriveCookie fills in the cookie attributes that depend on other keys,
// from the values they have now; New calls it on its own copy once the
// config is valid, so [Manager.Config] shows what the cookie gets.
func (c *Config) deriveCookie() {
	secure := c.cookieSecure()
	c.Cookie.Name, c.Cookie.Secure, c.Cookie.MaxAge = c.cookieName(), &secure, c.cookieMaxAge()
}

// scopes returns the scopes of the authorization request:
// client_kwargs' "scope", else the provider's default, with what the
// provider needs added (see [Config.ClientKwargs]).
func (c *Config) scopes() []string {
	kind := c.providerKind()
	scope, ok := c.ClientKwargs["scope"]
	if !ok {
		scope = defaultScopes[kind]
	}
	var scopes []string
	switch kind {
	case providerOIDC, providerMicrosoft:
		scopes = []string{"openid"}
	case providerGitHub:
		scopes = []string{"user:email"}
		if len(c.AllowedOrgs) > 0 || len(c.AllowedTeams) > 0 {
			scopes = append(scopes, "read:org")
		}
	}
	var out []string
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(out, s) && !slices.Contains(scopes, s) {
			out = append(out, s)
		}
	}
	if kind == providerOIDC || kind == providerMicrosoft {
		return append(scopes, out...) // openid first, as before
	}
	return append(out, scopes...)
}

// authorizeParams returns client_kwargs without "scope": the extra
// parameters of the authorization request (e.g. prompt=select_account).
func (c *Config) authorizeParams() map[string]string {
	params := make(map[string]string, len(c.ClientKwargs))
	for k, v := range c.ClientKwargs {
		if k != "scope" {
			params[k] = v
		}
	}
	return params
}
