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
	// InvalidToken is the answer to a missing or invalid token:
	//   - "unauthorized" (default): the error "Unauthorized", so API
	//     Gateway answers 401;
	//   - "deny": an explicit Deny policy (principalId "anonymous",
	//     context error=invalid_token), so API Gateway answers 403.
	// A token that could not be checked (a store down) is an error other
	// than Unauthorized either way (500).
	InvalidToken string `yaml:"invalid_token"`
	// PolicyResource is what the policy's statements name:
	//   - "method" (default): the event's methodArn;
	//   - "api": every route of the methodArn's API and stage that the
	//     token may call (the resources of its scopes and of its auth
	//     mappings), whatever the route of the event, so that API
	//     Gateway's authorizer cache can answer every route from one
	//     policy. A token granting every scope gets
	//     arn:…:API/STAGE/METHOD/* for each method that has a derived
	//     scope (GET, HEAD, POST, PUT, PATCH, DELETE), never API/STAGE/*/*,
	//     which would open OPTIONS and other methods no scope covers.
	PolicyResource string `yaml:"policy_resource"`
}

// Audience modes of [Config.Audience].
const (
	AudienceStage  = "stage"
	AudienceIssuer = "issuer"
)

// Values of [Config.InvalidToken].
const (
	InvalidTokenUnauthorized = "unauthorized"
	InvalidTokenDeny         = "deny"
)

// Values of [Config.PolicyResource].
const (
	PolicyResourceMethod = "method"
	PolicyResourceAPI    = "api"
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
	g.InvalidToken = strings.ToLower(strings.TrimSpace(g.InvalidToken))
	switch g.InvalidToken {
	case "":
		g.InvalidToken = InvalidTokenUnauthorized
	case InvalidTokenUnauthorized, InvalidTokenDeny:
	default:
		errs = append(errs, &auth.ConfigError{Key: "gateway_authorizer.invalid_token", Reason: fmt.Sprintf("%q is not unauthorized (401) or deny (403)", g.InvalidToken)})
	}
	g.PolicyResource = strings.ToLower(strings.TrimSpace(g.PolicyResource))
	switch g.PolicyResource {
	case "":
		g.PolicyResource = PolicyResourceMethod
	case PolicyResourceMethod, PolicyResourceAPI:
	default:
		errs = append(errs, &auth.ConfigError{Key: "gateway_authorizer.policy_resource", Reason: fmt.Sprintf("%q is not method (the event's methodArn) or api (every route of the API and stage)", g.PolicyResource)})
	}
	return append(errs, checkAuthMappings("gateway_authorizer.auth_mappings", g.AuthMappings)...)
}
