package auth

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Minimal configurations of each provider, to which tests add lines.
const (
	minimalGitHub = `
provider: github
secret_key: "` + testKey + `"
client_id: gh-app
client_secret: gh-secret
`
	minimalMicrosoft = `
provider: microsoft
server_metadata_url: https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration
secret_key: "` + testKey + `"
client_id: ms-app
`
	minimalOAuth2 = `
provider: oauth2
secret_key: "` + testKey + `"
client_id: app
authorize_url: https://sso.example.com/oauth2/authorize
token_url: https://sso.example.com/oauth2/token
userinfo_url: https://sso.example.com/oauth2/userinfo
`
	aTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// What each provider needs and refuses: every problem names its key and
// says what to write.
func TestValidateProviders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yml, key, reason string
	}{
		{"unknown provider", minimal + "provider: githb\n", "provider", `"githb" is not oidc, github, microsoft or oauth2 (did you mean "github"?)`},
		{"unknown provider far", minimal + "provider: okta\n", "provider", `"okta" is not oidc, github, microsoft or oauth2`},
		{"oauth typo", minimal + "provider: oauth\n", "provider", `did you mean "oauth2"?`},

		{"oidc allowed_orgs", minimal + "allowed_orgs: [acme]\n", "allowed_orgs", "only used with provider: github (provider is oidc)"},
		{"oidc allowed_teams", minimal + "allowed_teams: [acme/admins]\n", "allowed_teams", "only used with provider: github"},
		{"oidc provider_url", minimal + "provider_url: https://ghe.example.com\n", "provider_url", "only used with provider: github"},
		{"oidc allowed_tenants", minimal + "allowed_tenants: [" + aTenant + "]\n", "allowed_tenants", "only used with provider: microsoft"},
		{"oidc token_url", minimal + "token_url: https://sso.example.com/token\n", "token_url", "only used with provider: oauth2"},
		{"oidc email_path", minimal + "email_path: profile.email\n", "email_path", "only used with provider: oauth2"},
		{"no login allowed_orgs", "secret_key: \"" + testKey + "\"\nallowed_orgs: [acme]\n", "allowed_orgs", "only used with provider: github"},

		{"github without client_id", strings.Replace(minimalGitHub, "client_id: gh-app\n", "", 1), "client_id", "missing: the client id of the GitHub OAuth App"},
		{"github without client_secret", strings.Replace(minimalGitHub, "client_secret: gh-secret\n", "", 1), "client_secret", "missing"},
		{"github alone", "provider: github\nsecret_key: \"" + testKey + "\"\n", "client_id", "missing"},
		{"github server_metadata_url", minimalGitHub + "server_metadata_url: https://github.com/.well-known/openid-configuration\n", "server_metadata_url", "not used with provider: github"},
		{"github team without org", minimalGitHub + "allowed_teams: [admins]\n", "allowed_teams[0]", `"admins" is not "org/team-slug"`},
		{"github team too deep", minimalGitHub + "allowed_teams: [acme/admins/x]\n", "allowed_teams[0]", "org/team-slug"},
		{"github team empty slug", minimalGitHub + "allowed_teams: [acme/, acme/ok]\n", "allowed_teams[0]", "org/team-slug"},
		{"github org with slash", minimalGitHub + "allowed_orgs: [ok, acme/admins]\n", "allowed_orgs[1]", "not an organisation login"},
		{"github provider_url http", minimalGitHub + "provider_url: http://ghe.example.com\n", "provider_url", "loopback"},
		{"github provider_url query", minimalGitHub + "provider_url: https://ghe.example.com/?x=1\n", "provider_url", "query"},
		{"github allowed_tenants", minimalGitHub + "allowed_tenants: [" + aTenant + "]\n", "allowed_tenants", "only used with provider: microsoft"},
		{"github userinfo_url", minimalGitHub + "userinfo_url: https://api.github.com/user\n", "userinfo_url", "only used with provider: oauth2"},

		{"microsoft without metadata", strings.Replace(minimalMicrosoft, "server_metadata_url: https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration\n", "", 1),
			"server_metadata_url", "missing: Microsoft's discovery URL"},
		{"microsoft alone", "provider: microsoft\nsecret_key: \"" + testKey + "\"\n", "client_id", "missing"},
		{"microsoft tenant name", minimalMicrosoft + "allowed_tenants: [contoso.onmicrosoft.com]\n", "allowed_tenants[0]", `"contoso.onmicrosoft.com" is not a tenant id (a GUID such as`},
		{"microsoft tenant common", minimalMicrosoft + "allowed_tenants: [" + aTenant + ", common]\n", "allowed_tenants[1]", "not a tenant id"},
		{"microsoft tenant short", minimalMicrosoft + "allowed_tenants: [72f988bf-86f1-41af-91ab-2d7cd011db4]\n", "allowed_tenants[0]", "not a tenant id"},
		{"microsoft allowed_orgs", minimalMicrosoft + "allowed_orgs: [acme]\n", "allowed_orgs", "only used with provider: github (provider is microsoft)"},

		{"oauth2 without token_url", strings.Replace(minimalOAuth2, "token_url: https://sso.example.com/oauth2/token\n", "", 1), "token_url", "missing: the provider's token endpoint"},
		{"oauth2 without authorize_url", strings.Replace(minimalOAuth2, "authorize_url: https://sso.example.com/oauth2/authorize\n", "", 1), "authorize_url", "missing"},
		{"oauth2 without userinfo_url", strings.Replace(minimalOAuth2, "userinfo_url: https://sso.example.com/oauth2/userinfo\n", "", 1), "userinfo_url", "missing"},
		{"oauth2 without client_id", strings.Replace(minimalOAuth2, "client_id: app\n", "", 1), "client_id", "missing"},
		{"oauth2 http token_url", strings.Replace(minimalOAuth2, "token_url: https:", "token_url: http:", 1), "token_url", "loopback"},
		{"oauth2 server_metadata_url", minimalOAuth2 + "server_metadata_url: https://sso.example.com/.well-known/openid-configuration\n", "server_metadata_url", "not used with provider: oauth2"},
		{"oauth2 email_path", minimalOAuth2 + "email_path: profile..email\n", "email_path", "empty key"},
		{"oauth2 subject_path", minimalOAuth2 + "subject_path: \"id.\"\n", "subject_path", "empty key"},
		{"oauth2 email_verified_path", minimalOAuth2 + "email_verified_path: \"a b\"\n", "email_verified_path", "space"},
		{"oauth2 allowed_teams", minimalOAuth2 + "allowed_teams: [acme/admins]\n", "allowed_teams", "only used with provider: github (provider is oauth2)"},
		{"provider key typo", minimalGitHub + "allowed_org: [acme]\n", "allowed_org", `did you mean "allowed_orgs"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tc.yml, nil)
			ce := configErr(err, tc.key)
			if ce == nil {
				t.Fatalf("err = %v; want a ConfigError on %s", err, tc.key)
			}
			if !strings.Contains(ce.Reason, tc.reason) {
				t.Errorf("%s: %q; want it to say %q", tc.key, ce.Reason, tc.reason)
			}
		})
	}
}

// Valid configurations of each provider load, with their defaults.
func TestProviderDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yml string
		check     func(t *testing.T, c *Config)
	}{
		{"oidc", minimal, func(t *testing.T, c *Config) {
			if c.Provider != "oidc" || !slices.Equal(c.scopes(), []string{"openid", "email"}) || !c.hasProvider() {
				t.Errorf("provider %q scopes %v", c.Provider, c.scopes())
			}
		}},
		{"no login", "secret_key: \"" + testKey + "\"\n", func(t *testing.T, c *Config) {
			if !c.NoLogin() || c.hasProvider() {
				t.Errorf("NoLogin %v hasProvider %v", c.NoLogin(), c.hasProvider())
			}
		}},
		{"github", minimalGitHub + "provider_url: https://ghe.example.com/\n", func(t *testing.T, c *Config) {
			if c.ProviderURL != "https://ghe.example.com" || c.NoLogin() || !c.hasProvider() {
				t.Errorf("provider_url %q NoLogin %v", c.ProviderURL, c.NoLogin())
			}
			if got := c.scopes(); !slices.Equal(got, []string{"read:user", "user:email"}) {
				t.Errorf("scopes %v", got)
			}
		}},
		{"github orgs", minimalGitHub + "allowed_orgs: [Acme]\nallowed_teams: [acme/Admins]\n", func(t *testing.T, c *Config) {
			if got := c.scopes(); !slices.Equal(got, []string{"read:user", "user:email", "read:org"}) {
				t.Errorf("scopes %v", got)
			}
		}},
		{"github own scope", minimalGitHub + "client_kwargs: {scope: \"repo read:org\", allow_signup: \"false\"}\n", func(t *testing.T, c *Config) {
			if got := c.scopes(); !slices.Equal(got, []string{"repo", "read:org", "user:email"}) {
				t.Errorf("scopes %v", got)
			}
		}},
		{"github case", strings.Replace(minimalGitHub, "provider: github", "provider: \" GitHub \"", 1), func(t *testing.T, c *Config) {
			if c.Provider != "github" {
				t.Errorf("provider %q", c.Provider)
			}
		}},
		{"microsoft", minimalMicrosoft + "allowed_tenants: [\"72F988BF-86F1-41AF-91AB-2D7CD011DB47\"]\n", func(t *testing.T, c *Config) {
			if !slices.Equal(c.AllowedTenants, []string{aTenant}) {
				t.Errorf("allowed_tenants %v", c.AllowedTenants)
			}
			if got := c.scopes(); !slices.Equal(got, []string{"openid", "email", "profile"}) {
				t.Errorf("scopes %v", got)
			}
		}},
		{"microsoft single tenant", strings.Replace(minimalMicrosoft, "/common/", "/"+aTenant+"/", 1), func(*testing.T, *Config) {}},
		{"oauth2", minimalOAuth2, func(t *testing.T, c *Config) {
			if c.EmailPath != "email" || c.EmailVerifiedPath != "email_verified" || c.SubjectPath != "sub" {
				t.Errorf("paths %q %q %q", c.EmailPath, c.EmailVerifiedPath, c.SubjectPath)
			}
			if got := c.scopes(); len(got) != 0 {
				t.Errorf("scopes %v", got)
			}
		}},
		{"oauth2 paths", minimalOAuth2 + "email_path: profile.email\nsubject_path: id\nclient_kwargs: {scope: \"profile offline\"}\n", func(t *testing.T, c *Config) {
			if c.EmailPath != "profile.email" || c.SubjectPath != "id" || c.EmailVerifiedPath != "email_verified" {
				t.Errorf("paths %q %q %q", c.EmailPath, c.EmailVerifiedPath, c.SubjectPath)
			}
			if got := c.scopes(); !slices.Equal(got, []string{"profile", "offline"}) {
				t.Errorf("scopes %v", got)
			}
		}},
		{"github with force_user", "provider: github\nsecret_key: \"" + testKey + "\"\nforce_user: dev@example.com\ninsecure_allow_force_user: true\n", func(t *testing.T, c *Config) {
			if c.hasProvider() {
				t.Error("a provider without client")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parse(t, tc.yml, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
			// Validate is idempotent.
			before := c.String()
			if err := c.Validate(); err != nil || c.String() != before {
				t.Errorf("second Validate: %v\n%s\n%s", err, before, c.String())
			}
		})
	}
}

func TestIsGUID(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		aTenant: true, "00000000-0000-0000-0000-000000000000": true,
		"72F988BF-86F1-41AF-91AB-2D7CD011DB47": false, // lower-cased by Validate first
		"72f988bf86f141af91ab2d7cd011db47":     false, "{72f988bf-86f1-41af-91ab-2d7cd011db47}": false,
		"72f988bf-86f1-41af-91ab-2d7cd011db4g": false, "": false, "common": false,
	} {
		if got := isGUID(s); got != want {
			t.Errorf("isGUID(%q) = %v", s, got)
		}
	}
}

func TestNextLink(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]string{
		`<https://api.github.com/user/orgs?page=2>; rel="next", <https://api.github.com/user/orgs?page=5>; rel="last"`: "https://api.github.com/user/orgs?page=2",
		`<https://api.github.com/user/orgs?page=1>; rel="prev"`:                                                        "",
		`<https://x/a>; rel="prev next"`:                                                                               "https://x/a",
		``:                                                                                                             "",
		`garbage; rel=next`:                                                                                            "",
	} {
		if got := nextLink(h); got != want {
			t.Errorf("nextLink(%q) = %q; want %q", h, got, want)
		}
	}
}

// A Microsoft ID token's issuer is the discovery document's template with
// the token's own tid, which must be a GUID of an allowed tenant.
func TestCheckTenant(t *testing.T) {
	t.Parallel()
	const other = "9188040d-6c67-4c5b-b112-36a304b66dad"
	const template = "https://login.microsoftonline.com/{tenantid}/v2.0"
	for _, tc := range []struct {
		name, template, iss, tid string
		allowed                  []string
		want                     string // part of the error; "" for none
		refusal                  bool   // a refusal of the user (a 400 page saying so)
	}{
		{"any tenant", template, "https://login.microsoftonline.com/" + aTenant + "/v2.0", aTenant, nil, "", false},
		{"allowed tenant", template, "https://login.microsoftonline.com/" + aTenant + "/v2.0", aTenant, []string{other, aTenant}, "", false},
		{"tenant not allowed", template, "https://login.microsoftonline.com/" + other + "/v2.0", other, []string{aTenant}, "not in allowed_tenants", true},
		{"iss of another tenant", template, "https://login.microsoftonline.com/" + other + "/v2.0", aTenant, nil, "is not", false},
		{"iss of another host", template, "https://evil.example/" + aTenant + "/v2.0", aTenant, nil, "is not", false},
		{"tid not a GUID", template, "https://login.microsoftonline.com/common/v2.0", "common", nil, "not a tenant id", false},
		{"tid injecting a path", template, "https://login.microsoftonline.com/x/v2.0", "x/../" + aTenant, nil, "not a tenant id", false},
		{"no tid", template, "https://login.microsoftonline.com/" + aTenant + "/v2.0", "", nil, "without iss or tid", false},
		{"single tenant", "https://login.microsoftonline.com/" + aTenant + "/v2.0", "https://login.microsoftonline.com/" + aTenant + "/v2.0", aTenant, nil, "", false},
		{"single tenant other tid", "https://login.microsoftonline.com/" + aTenant + "/v2.0", "https://login.microsoftonline.com/" + aTenant + "/v2.0", other, nil, "not the tenant of its issuer", false},
		{"single tenant other iss", "https://login.microsoftonline.com/" + aTenant + "/v2.0", "https://login.microsoftonline.com/" + other + "/v2.0", other, nil, "is not", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &oidcProvider{providerDeps: providerDeps{cfg: &Config{AllowedTenants: tc.allowed}}, microsoft: true, issuerTemplate: tc.template}
			claims := map[string]json.RawMessage{"iss": mustJSON(tc.iss), "tid": mustJSON(tc.tid)}
			if tc.tid == "" {
				delete(claims, "tid")
			}
			err := p.checkTenant(claims)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
			var r *refusedError
			if errors.As(err, &r) != tc.refusal {
				t.Errorf("refusal = %v; want %v", !tc.refusal, tc.refusal)
			}
		})
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
