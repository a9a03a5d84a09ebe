package auth

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthgate/oauthgate/auth/internal/jsonpath"
	"github.com/oauthgate/oauthgate/internal/confcheck"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// The kinds of identity provider (the provider key).
const (
	providerOIDC      = "oidc"
	providerGitHub    = "github"
	providerMicrosoft = "microsoft"
	providerOAuth2    = "oauth2"
)

// providerKinds are the values of provider, the default first.
var providerKinds = []string{providerOIDC, providerGitHub, providerMicrosoft, providerOAuth2}

// defaultScopes are client_kwargs.scope's defaults per provider.
var defaultScopes = map[string]string{
	providerOIDC:      "openid email",
	providerMicrosoft: "openid email profile",
	providerGitHub:    "read:user user:email",
	providerOAuth2:    "",
}

// Defaults of the oauth2 provider's JSON paths.
const (
	defaultEmailPath         = "email"
	defaultEmailVerifiedPath = "email_verified"
	defaultSubjectPath       = "sub"
)

// githubURL is provider_url's default.
const githubURL = "https://github.com"

// exampleTenant is a tenant id for messages: that of Microsoft's
// personal accounts.
const exampleTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// providerKind returns provider, normalised, "oidc" when empty.
func (c *Config) providerKind() string {
	k := strings.ToLower(strings.TrimSpace(c.Provider))
	if k == "" {
		return providerOIDC
	}
	return k
}

// hasProvider reports whether c names an identity provider to log in
// with: a discovery URL for oidc and microsoft, a client for the others.
func (c *Config) hasProvider() bool {
	switch c.providerKind() {
	case providerGitHub, providerOAuth2:
		return c.ClientID != ""
	case providerOIDC, providerMicrosoft:
		return c.ServerMetadataURL != ""
	}
	return false
}

// providerOnlyKeys are the keys that one kind of provider uses.
func (c *Config) providerOnlyKeys() []struct {
	key, kind string
	set       bool
} {
	return []struct {
		key, kind string
		set       bool
	}{
		{"provider_url", providerGitHub, c.ProviderURL != ""},
		{"allowed_orgs", providerGitHub, len(c.AllowedOrgs) > 0},
		{"allowed_teams", providerGitHub, len(c.AllowedTeams) > 0},
		{"allowed_tenants", providerMicrosoft, len(c.AllowedTenants) > 0},
		{"authorize_url", providerOAuth2, c.AuthorizeURL != ""},
		{"token_url", providerOAuth2, c.TokenURL != ""},
		{"userinfo_url", providerOAuth2, c.UserinfoURL != ""},
		{"email_path", providerOAuth2, c.EmailPath != ""},
		{"email_verified_path", providerOAuth2, c.EmailVerifiedPath != ""},
		{"subject_path", providerOAuth2, c.SubjectPath != ""},
	}
}

// validateProvider checks provider and the keys each kind needs or
// refuses, and fills in the oauth2 paths' defaults. forced: force_user
// is set, and the login's keys are not required.
func (c *Config) validateProvider(forced bool) []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &ConfigError{Key: key, Reason: reason})
	}
	kind := c.providerKind()
	if !slices.Contains(providerKinds, kind) {
		reason := fmt.Sprintf("%q is not %s", c.Provider, orList(providerKinds))
		if near := confdecode.Nearest(kind, providerKinds); near != "" {
			reason += fmt.Sprintf(" (did you mean %q?)", near)
		}
		bad("provider", reason)
		return errs // what the other keys need depends on it
	}
	c.Provider = kind
	for _, k := range c.providerOnlyKeys() {
		if k.set && k.kind != kind {
			bad(k.key, fmt.Sprintf("only used with provider: %s (provider is %s)", k.kind, kind))
		}
	}
	required := !forced && !c.NoLogin()
	switch kind {
	case providerOIDC, providerMicrosoft:
		const both = "; or leave out both server_metadata_url and client_id for an app without browser login"
		what := "the identity provider's discovery URL (…/.well-known/openid-configuration)"
		if kind == providerMicrosoft {
			what = "Microsoft's discovery URL, such as https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
		}
		if required && c.ServerMetadataURL == "" {
			bad("server_metadata_url", "missing: "+what+both)
		}
		if required && c.ClientID == "" {
			bad("client_id", "missing: the OAuth client id registered with the identity provider"+both)
		}
		if c.ServerMetadataURL != "" {
			if reason := confcheck.ServiceURL(c.ServerMetadataURL); reason != "" {
				bad("server_metadata_url", reason)
			}
		}
		if kind == providerMicrosoft {
			for i, t := range c.AllowedTenants {
				t = strings.ToLower(strings.TrimSpace(t))
				if !isGUID(t) {
					bad(fmt.Sprintf("allowed_tenants[%d]", i), fmt.Sprintf("%q is not a tenant id (a GUID such as %s)", c.AllowedTenants[i], exampleTenant))
					continue
				}
				c.AllowedTenants[i] = t
			}
		}
	case providerGitHub:
		if c.ServerMetadataURL != "" {
			bad("server_metadata_url", "not used with provider: github (GitHub has no discovery document); remove it, and set provider_url for GitHub Enterprise")
		}
		if !forced && c.ClientID == "" {
			bad("client_id", "missing: the client id of the GitHub OAuth App")
		}
		if !forced && c.ClientSecret == "" {
			bad("client_secret", "missing: GitHub's token endpoint needs the OAuth App's client secret")
		}
		if c.ProviderURL != "" {
			if u, reason := normalizeServiceBase(c.ProviderURL); reason != "" {
				bad("provider_url", reason)
			} else {
				c.ProviderURL = u
			}
		}
		for i, o := range c.AllowedOrgs {
			if !validGitHubName(o) {
				bad(fmt.Sprintf("allowed_orgs[%d]", i), fmt.Sprintf("%q is not an organisation login (letters, digits, '-')", o))
			}
		}
		for i, t := range c.AllowedTeams {
			org, team, ok := strings.Cut(t, "/")
			if !ok || !validGitHubName(org) || !validGitHubName(team) {
				bad(fmt.Sprintf("allowed_teams[%d]", i), fmt.Sprintf("%q is not \"org/team-slug\", such as \"my-org/admins\"", t))
			}
		}
	case providerOAuth2:
		if c.ServerMetadataURL != "" {
			bad("server_metadata_url", "not used with provider: oauth2 (it has no discovery); set authorize_url, token_url and userinfo_url")
		}
		if !forced && c.ClientID == "" {
			bad("client_id", "missing: the OAuth client id registered with the provider")
		}
		for _, u := range []struct{ key, v, what string }{
			{"authorize_url", c.AuthorizeURL, "the provider's authorization endpoint"},
			{"token_url", c.TokenURL, "the provider's token endpoint"},
			{"userinfo_url", c.UserinfoURL, "the provider's user-info endpoint (answered with the access token)"},
		} {
			switch {
			case u.v == "" && !forced:
				bad(u.key, "missing: "+u.what)
			case u.v != "":
				if reason := confcheck.ServiceURL(u.v); reason != "" {
					bad(u.key, reason)
				}
			}
		}
		for _, p := range []struct {
			key string
			v   *string
			def string
		}{
			{"email_path", &c.EmailPath, defaultEmailPath},
			{"email_verified_path", &c.EmailVerifiedPath, defaultEmailVerifiedPath},
			{"subject_path", &c.SubjectPath, defaultSubjectPath},
		} {
			if *p.v == "" {
				*p.v = p.def
			} else if reason := jsonpath.Check(*p.v); reason != "" {
				bad(p.key, reason+`; write object keys joined with dots, such as "profile.email"`)
			}
		}
	}
	return errs
}

// normalizeServiceBase checks a service's base URL (a URL the app calls,
// below which it adds paths) and removes a trailing slash.
func normalizeServiceBase(s string) (string, string) {
	s = strings.TrimSpace(s)
	if reason := confcheck.ServiceURL(s); reason != "" {
		return "", reason
	}
	u, _ := url.Parse(s) // ServiceURL parsed it
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return "", "must not have a query or fragment"
	}
	return strings.TrimRight(s, "/"), ""
}

// validGitHubName accepts an organisation login or a team slug: letters,
// digits, '-' and '_' (GitHub Enterprise allows it), 1 to 100 bytes.
func validGitHubName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isGUID reports whether s is a GUID in its 8-4-4-4-12 hex form,
// lower-case.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// orList writes "a, b, c or d".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
