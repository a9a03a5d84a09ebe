package auth

import (
	"fmt"
	"strings"
	"unicode"
)

// GatewayAuthorizerConfig is the `gateway_authorizer:` section: how
// [Manager.AuthorizeGateway] answers AWS API Gateway Lambda authorizer
// events. The zero value works (audience from the stage, no mappings).
type GatewayAuthorizerConfig struct {
	// Audience is the aud a token must carry:
	//   - "stage" (default): the stage of the event's methodArn ("prod" for
	//     arn:aws:execute-api:…:api/prod/GET/pets), as simple_oauth_server;
	//   - "issuer": the audience of the token's jwt_issuers entry;
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

// Audience modes of [GatewayAuthorizerConfig.Audience].
const (
	GatewayAudienceStage  = "stage"
	GatewayAudienceIssuer = "issuer"
)

func (g *GatewayAuthorizerConfig) validate() []error {
	var errs []error
	g.Audience = strings.TrimSpace(g.Audience)
	if g.Audience == "" {
		g.Audience = GatewayAudienceStage
	}
	if strings.ContainsFunc(g.Audience, unicode.IsControl) {
		errs = append(errs, &ConfigError{Key: "gateway_authorizer.audience", Reason: "contains a control character"})
	}
	g.WebSocketScope = strings.TrimSpace(g.WebSocketScope)
	if strings.ContainsAny(g.WebSocketScope, " \t\r\n\"\\") {
		errs = append(errs, &ConfigError{Key: "gateway_authorizer.websocket_scope", Reason: fmt.Sprintf("%q is not one scope", g.WebSocketScope)})
	}
	return append(errs, checkAuthMappings("gateway_authorizer.auth_mappings", g.AuthMappings)...)
}
