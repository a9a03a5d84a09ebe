package awsauthorizer

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/oauthgate/oauthgate/auth"
)

// Config is the `gateway_authorizer:` section of the app's configuration
// file: how [Authorizer.Authorize] answers events. The zero value works
// (audience from the stage, no mappings). It is an [auth.Section]: pass it
// to [auth.LoadConfig] to read it from the same file, in the same run.
type Config struct {
	// Audience is the aud a token must carry:
	//   - "stage" (default): the stage of the event's methodArn ("prod" for
	//     arn:aws:execute-api:…:api/prod/GET/pets), as simple_oauth_server;
	//   - "issuer": the issuer's own rule (the audience of the token's
	//     jwt_issuers entry);
	//   - any other value: that exact audience.
	Audience string `yaml:"audience"`
	// WebSocketScope is the scope a token needs to open a WebSocket
	// connection (a route key is no HTTP method, so none is derived).
	// Wildcards apply as for REST ("read:*", "*"). Default: none needed.
	WebSocketScope string `yaml:"websocket_scope"`
	// AuthMappings maps a token permission to API Gateway resources that
	// an allowed caller may also invoke (Allow statements beside the
	// methodArn's), in simple_oauth_server's AUTH0_AUTH_MAPPINGS format.
	// The key "principalId" applies to every valid token. Mappings of the
	// AUTH0_AUTH_MAPPINGS environment variable are added for permissions
	// not named here (for a permission in both, this list wins). Default:
	// none.
	AuthMappings map[string][]AuthMapping `yaml:"auth_mappings"`
}

// Audience modes of [Config.Audience].
const (
	AudienceStage  = "stage"
	AudienceIssuer = "issuer"
)

// ConfigKey implements [auth.Section]: the section's key.
func (g *Config) ConfigKey() string { return "gateway_authorizer" }

// CheckConfig implements [auth.Section]: it fills in the defaults and
// checks the section. It is idempotent.
func (g *Config) CheckConfig(*auth.Config) error { return errors.Join(g.validate()...) }

func (g *Config) validate() []error {
	var errs []error
	g.Audience = strings.TrimSpace(g.Audience)
	if g.Audience == "" {
		g.Audience = AudienceStage
	}
	if strings.ContainsFunc(g.Audience, unicode.IsControl) {
		errs = append(errs, &auth.ConfigError{Key: "gateway_authorizer.audience", Reason: "contains a control character"})
	}
	g.WebSocketScope = strings.TrimSpace(g.WebSocketScope)
	if strings.ContainsAny(g.WebSocketScope, " \t\r\n\"\\") {
		errs = append(errs, &auth.ConfigError{Key: "gateway_authorizer.websocket_scope", Reason: fmt.Sprintf("%q is not one scope", g.WebSocketScope)})
	}
	return append(errs, checkAuthMappings("gateway_authorizer.auth_mappings", g.AuthMappings)...)
}
