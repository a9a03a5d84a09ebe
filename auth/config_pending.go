package auth

// This file stands in for config.go until it is merged; it declares only
// what the rest of the package compiles against and is deleted then.

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
)

// Config is the gateway's configuration (see config.go once merged).
type Config struct {
	ServerMetadataURL      string              `yaml:"server_metadata_url"`
	SecretKey              string              `yaml:"secret_key"`
	PreviousSecretKeys     []string            `yaml:"previous_secret_keys"`
	ClientID               string              `yaml:"client_id"`
	ClientSecret           string              `yaml:"client_secret"`
	ClientKwargs           map[string]string   `yaml:"client_kwargs"`
	Prefix                 string              `yaml:"prefix"`
	BaseURL                string              `yaml:"base_url"`
	InsecureForceUser      string              `yaml:"force_user"`
	InsecureAllowForceUser bool                `yaml:"insecure_allow_force_user"`
	Capabilities           capabilities.Config `yaml:"capabilities"`
	Cookie                 CookieConfig        `yaml:"cookie"`
	SessionMaxAge          time.Duration       `yaml:"session_max_age"`
	FlowTTL                time.Duration       `yaml:"flow_ttl"`
	TokenTTL               time.Duration       `yaml:"token_ttl"`
	RecheckInterval        time.Duration       `yaml:"recheck_interval"`
	RecheckGrace           time.Duration       `yaml:"recheck_grace"`
	AllowedEmailDomains    []string            `yaml:"allowed_email_domains"`
	RequireVerifiedEmail   *bool               `yaml:"require_verified_email"`

	Logger     *slog.Logger            `yaml:"-"`
	Now        func() time.Time        `yaml:"-"`
	HTTPClient *http.Client            `yaml:"-"`
	Store      capabilities.Store      `yaml:"-"`
	Tokens     capabilities.TokenStore `yaml:"-"`
}

// CookieConfig is the `cookie:` section.
type CookieConfig struct {
	Name     string        `yaml:"name"`
	Secure   *bool         `yaml:"secure"`
	SameSite string        `yaml:"same_site"`
	MaxAge   time.Duration `yaml:"max_age"`
	Domain   string        `yaml:"domain"`
}

// ParseConfig parses a configuration (pending).
func ParseConfig(data []byte) (*Config, error) {
	return nil, errors.New("auth: config: not merged yet")
}

// LoadConfig loads a configuration file (pending).
func LoadConfig(path string) (*Config, error) { return nil, errors.New("auth: config: not merged yet") }

// Validate checks c (pending).
func (c *Config) Validate() error { return nil }

const (
	DefaultSessionMaxAge   = 14 * 24 * time.Hour
	DefaultFlowTTL         = 10 * time.Minute
	DefaultTokenTTL        = 30 * 24 * time.Hour
	DefaultRecheckInterval = time.Hour
	DefaultRecheckGrace    = 24 * time.Hour
	DefaultCookieName      = "oauthgate_session"
)

func (c *Config) VerifiedEmailRequired() bool {
	return c.RequireVerifiedEmail == nil || *c.RequireVerifiedEmail
}

func (c *Config) CookieSecure() bool {
	if c.Cookie.Secure != nil {
		return *c.Cookie.Secure
	}
	return len(c.BaseURL) < 5 || c.BaseURL[:5] != "http:"
}

func (c *Config) Scopes() []string { return []string{"openid", "email"} }

func (c *Config) AuthorizeParams() map[string]string { return nil }
