package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/internal/clientaddr"
	"github.com/oauthgate/oauthgate/internal/confcheck"
	"github.com/oauthgate/oauthgate/internal/confdecode"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
	"github.com/oauthgate/oauthgate/internal/redirect"
)

// reservedAuthorizeParams are set by the login flow itself; a
// configuration must not override them.
var reservedAuthorizeParams = map[string]bool{
	"state": true, "nonce": true, "redirect_uri": true, "client_id": true,
	"response_type": true, "code_challenge": true, "code_challenge_method": true,
}

// Validate fills in defaults, normalises values (prefix, base_url, email
// domains, cookie attributes) and checks everything. It is idempotent.
// Defaults that depend on other keys (the cookie's name, Secure and
// Max-Age) stay out of c: they are checked here and derived by [New]
// from the values it is given, so a config may change after loading.
// The error names each bad key: errors.As finds a *ConfigError; several
// problems are joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &ConfigError{Key: key, Reason: reason})
	}

	if err := envelope.CheckSecretKey(c.SecretKey); err != nil {
		bad("secret_key", err.Error())
	}
	for i, k := range c.PreviousSecretKeys {
		key := fmt.Sprintf("previous_secret_keys[%d]", i)
		if err := envelope.CheckSecretKey(k); err != nil {
			bad(key, err.Error())
		} else if k == c.SecretKey || indexOf(c.PreviousSecretKeys[:i], k) >= 0 {
			bad(key, "repeats secret_key or another previous key")
		}
	}

	c.InsecureForceUser = strings.TrimSpace(c.InsecureForceUser)
	forced := c.InsecureForceUser != ""
	if forced {
		if !c.InsecureAllowForceUser && os.Getenv(ForceUserEnv) != "1" {
			bad("force_user", fmt.Sprintf("refused: it logs every request in without any identity provider; "+
				"for local development set insecure_allow_force_user: true or %s=1", ForceUserEnv))
		}
		if _, err := emailaddr.Parse(c.InsecureForceUser); err != nil {
			bad("force_user", err.Error())
		}
	}
	if c.NoLogin() {
		// No browser login: callers identify with machine or service
		// tokens. What only the login uses would be silently ignored.
		if c.ClientSecret != "" {
			bad("client_secret", "set without server_metadata_url and client_id; the login it is for is not configured")
		}
		if len(c.ClientKwargs) > 0 {
			bad("client_kwargs", "set without server_metadata_url and client_id; the login it is for is not configured")
		}
	}
	errs = append(errs, c.validateProvider(forced)...)
	for k, v := range c.ClientKwargs {
		if reservedAuthorizeParams[k] {
			bad("client_kwargs."+k, "set by the login flow itself; remove it")
		} else if confcheck.HasControl(v) {
			bad("client_kwargs."+k, "contains a control character")
		}
	}

	if p, reason := normalizePrefix(c.Prefix); reason != "" {
		bad("prefix", reason)
	} else {
		c.Prefix = p
	}
	if c.BaseURL != "" {
		if u, reason := normalizeBaseURL(c.BaseURL); reason != "" {
			bad("base_url", reason)
		} else {
			c.BaseURL = u
		}
	}

	for _, d := range []struct {
		key string
		v   *time.Duration
		def time.Duration
	}{
		{"session_max_age", &c.SessionMaxAge, defaultSessionMaxAge},
		{"flow_ttl", &c.FlowTTL, defaultFlowTTL},
		{"token_ttl", &c.TokenTTL, defaultTokenTTL},
		{"recheck_interval", &c.RecheckInterval, defaultRecheckInterval},
		{"recheck_grace", &c.RecheckGrace, defaultRecheckGrace},
		{"cookie.max_age", &c.Cookie.MaxAge, 0}, // derived by New (cookieMaxAge)
	} {
		switch {
		case *d.v < 0:
			bad(d.key, "negative duration")
		case *d.v == 0:
			*d.v = d.def
		}
		if *d.v > confdecode.MaxDuration {
			bad(d.key, "longer than 100 years")
		}
	}
	if c.FlowTTL > 24*time.Hour {
		bad("flow_ttl", "longer than 24h; a login takes minutes")
	}
	if c.Cookie.MaxAge > c.SessionMaxAge {
		bad("cookie.max_age", "longer than session_max_age; the session ends first")
	}

	errs = append(errs, c.Cookie.normalize(c)...)

	for i, d := range c.AllowedEmailDomains {
		d = emailaddr.NormalizeDomain(d)
		if !validDomain(d) {
			bad(fmt.Sprintf("allowed_email_domains[%d]", i), fmt.Sprintf("%q is not a domain name", c.AllowedEmailDomains[i]))
			continue
		}
		c.AllowedEmailDomains[i] = d
	}

	c.Store.Driver = strings.ToLower(strings.TrimSpace(c.Store.Driver))
	switch c.Store.Driver {
	case "", "file":
		c.Store.Driver = "file"
		if c.Store.DSN != "" {
			bad("store.dsn", "only used with driver: postgres")
		}
	case "postgres":
		if c.Store.DSN == "" {
			bad("store.dsn", "missing: the PostgreSQL connection string")
		}
	default:
		bad("store.driver", fmt.Sprintf("%q is not file or postgres", c.Store.Driver))
	}

	for i, s := range c.TrustedProxies {
		if _, err := clientaddr.ParseProxy(strings.TrimSpace(s)); err != nil {
			bad(fmt.Sprintf("trusted_proxies[%d]", i), fmt.Sprintf("%q is not an IP address or CIDR range", s))
		}
	}

	errs = append(errs, c.Throttle.validate()...)
	errs = append(errs, c.validateMachine()...)
	errs = append(errs, c.validateClaimRules()...)

	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

func (k *CookieConfig) normalize(c *Config) []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &ConfigError{Key: "cookie." + key, Reason: reason})
	}
	secure := c.cookieSecure()
	name := c.cookieName()
	k.SameSite = strings.ToLower(strings.TrimSpace(k.SameSite))
	switch k.SameSite {
	case "":
		k.SameSite = "lax"
	case "lax", "strict":
	case "none":
		if !secure {
			bad("same_site", "none needs a Secure cookie (browsers refuse it otherwise)")
		}
	default:
		bad("same_site", fmt.Sprintf("%q is not lax, strict or none", k.SameSite))
	}
	k.Domain = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(k.Domain)), ".")
	if k.Domain != "" {
		if !validDomain(k.Domain) {
			bad("domain", fmt.Sprintf("%q is not a domain name", k.Domain))
		} else if c.BaseURL != "" {
			if u, err := url.Parse(c.BaseURL); err == nil {
				host := strings.ToLower(u.Hostname())
				if host != k.Domain && !strings.HasSuffix(host, "."+k.Domain) {
					bad("domain", fmt.Sprintf("%q does not contain base_url's host %q", k.Domain, host))
				}
			}
		}
	}
	prefix, _ := cutCookiePrefix(name)
	switch {
	case !isCookieToken(name):
		bad("name", fmt.Sprintf("%q is not a valid cookie name", name))
	case prefix == hostCookiePrefix && (!secure || k.Domain != ""):
		bad("name", "a __Host- cookie (the prefix in any case) must be Secure and have no domain")
	case prefix == secureCookiePrefix && !secure:
		bad("name", "a __Secure- cookie (the prefix in any case) must be Secure")
	}
	return errs
}

// normalizePrefix returns "" or "/x/y" without a trailing slash.
func normalizePrefix(p string) (string, string) {
	p = strings.TrimSpace(p)
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", ""
	}
	if _, ok := redirect.LocalPath(p); !ok || strings.ContainsAny(p, "?#%") {
		return "", fmt.Sprintf("%q is not a plain path like /auth or /api/v1", p)
	}
	return p, ""
}

// normalizeBaseURL checks an external URL and removes a trailing slash.
func normalizeBaseURL(s string) (string, string) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Sprintf("not a URL: %v", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	switch {
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Opaque != "":
		return "", fmt.Sprintf("%q is not an absolute http(s) URL", s)
	case u.User != nil:
		return "", "must not contain user info"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return "", "must not have a query or fragment"
	case u.Scheme == "http" && !confcheck.LoopbackHost(u.Hostname()):
		return "", "http is allowed only for loopback hosts (localhost, 127.0.0.1, ::1); use https"
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path != "" {
		if _, ok := redirect.LocalPath(u.EscapedPath()); !ok {
			return "", fmt.Sprintf("path %q is not a plain path", u.Path)
		}
	}
	u.RawPath = ""
	return u.String(), ""
}

// validDomain accepts a DNS name of letters, digits, '-' and '.', or an
// IP literal, without empty labels.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	if net.ParseIP(d) != nil {
		return true
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// isCookieToken checks an RFC 6265 cookie name (an RFC 7230 token).
func isCookieToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
