package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// RemoteCheck is a check of a service a configuration names, for
// `oauthgate config check`.
type RemoteCheck struct {
	// Name says what is checked and under which key, such as
	// "identity provider https://idp.example.com (server_metadata_url)".
	Name string
	run  func(ctx context.Context) error
}

// Run runs the check; ctx bounds its time.
func (r RemoteCheck) Run(ctx context.Context) error { return r.run(ctx) }

// RemoteChecks lists the checks of the services c names: the data source
// of store.driver (through the driver's Ping, which changes nothing), the
// identity provider (oidc and microsoft: its discovery document and keys;
// github: its API, and its token endpoint taking the client's
// credentials; oauth2: the token endpoint taking them, the user-info
// endpoint refusing a request without token, the authorization endpoint
// answering), and each jwt_issuers
// entry's keys (found by discovery or at jwks_url, or read from
// public_key_file or jwks_file). Each check goes the
// way the Manager does, through c.HTTPClient. c is a loaded configuration
// ([LoadConfig] or [Config.Validate]).
func (c *Config) RemoteChecks() []RemoteCheck {
	var out []RemoteCheck
	client := outboundClient(c.HTTPClient)
	log := slog.New(slog.DiscardHandler) // the caller reports the result
	if c.Store.Driver != "" && c.Store.Driver != "file" {
		out = append(out, RemoteCheck{
			Name: fmt.Sprintf("store %s (store.dsn)", c.Store.Driver),
			run: func(ctx context.Context) error {
				d, err := c.storeDriver()
				if err != nil {
					return err
				}
				return d.Ping(ctx, c.Store.DSN)
			},
		})
	}
	if c.hasProvider() && c.InsecureForceUser == "" {
		p := newIdP(c, client, log, time.Now)
		out = append(out, RemoteCheck{
			Name: providerCheckName(c, p.where),
			run: func(ctx context.Context) error {
				r, err := p.discover(ctx)
				if err != nil {
					return err
				}
				return r.check(ctx)
			},
		})
	}
	for i, iss := range c.JWTIssuers {
		how := "discovery"
		switch {
		case iss.JWKSURL != "":
			how = "jwks_url"
		case iss.PublicKeyFile != "":
			how = "public_key_file"
		case iss.JWKSFile != "":
			how = "jwks_file"
		}
		key := fmt.Sprintf("jwt_issuers[%d]", i)
		out = append(out, RemoteCheck{
			Name: fmt.Sprintf("jwt issuer %s (%s, %s)", iss.Issuer, key, how),
			run: func(ctx context.Context) error {
				// Keys in a file are read here.
				j, err := newJWTIssuer(iss, key, client, time.Now, log)
				if err != nil || j.file != nil {
					return err
				}
				url, err := j.keysURL(ctx)
				if err != nil {
					return err
				}
				return newLimitedKeySet(client, time.Now, url, 0).fetch(ctx)
			},
		})
	}
	return out
}

// providerCheckName names the check of the identity provider at where.
func providerCheckName(c *Config, where string) string {
	switch c.providerKind() {
	case providerGitHub:
		return fmt.Sprintf("GitHub %s (provider github: API, client_id and client_secret)", where)
	case providerOAuth2:
		return fmt.Sprintf("OAuth 2.0 provider %s (authorize_url, token_url with client_id and client_secret, userinfo_url)", where)
	case providerMicrosoft:
		return fmt.Sprintf("identity provider %s (server_metadata_url, provider microsoft)", where)
	}
	return fmt.Sprintf("identity provider %s (server_metadata_url)", where)
}
