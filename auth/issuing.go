package auth

import (
	"context"
	"errors"
	"slices"
)

// The features here leave auth for packages of their own: the app's own
// client-credentials grant (clients:, clients_file, client_credentials,
// the client throttles) for clientcreds, and the AWS API Gateway
// authorizer (gateway_authorizer) for awsauthorizer. auth reaches them
// through the lines marked "leaves auth:" only.

// errNoGatewayIssuers: AuthorizeGateway without any machine issuer.
var errNoGatewayIssuers = errors.New("auth: AuthorizeGateway: no jwt_issuers are configured, nor the client-credentials grant")

// issuingState is what the Manager keeps of them.
type issuingState struct {
	// grant runs the client-credentials grant; nil when not configured.
	grant *clientGrant
	// gateway answers API Gateway authorizer events; nil without machine
	// issuers.
	gateway *gatewayAuthorizer
}

// initIssuing sets up the client-credentials grant, plugged in as one of
// the Manager's machine issuers, and the API Gateway authorizer, which
// verifies tokens with [Manager.VerifyMachineToken].
func (m *Manager) initIssuing(ctx context.Context) error {
	if err := m.initClients(ctx); err != nil {
		return err
	}
	c := m.cfg
	if g := m.issuing.grant; g != nil {
		c.MachineIssuers = append(slices.Clip(c.MachineIssuers), g)
	}
	if len(c.JWTIssuers) == 0 && len(c.MachineIssuers) == 0 {
		return nil // nothing to verify: AUTH0_AUTH_MAPPINGS is not read
	}
	g, err := newGatewayAuthorizer(c.GatewayAuthorizer, m, m.log, m.now)
	if err != nil {
		return err
	}
	m.issuing.gateway = g
	return nil
}

// validateIssuing fills in the defaults of clients, client_credentials,
// the client throttles and gateway_authorizer, and checks them.
func (c *Config) validateIssuing() []error {
	errs := c.Throttle.ClientThrottle.validate()
	errs = append(errs, c.validateClients()...)
	return append(errs, c.GatewayAuthorizer.validate()...)
}

// redactIssuing replaces the clients' secrets in r, a copy of c.
func (c Config) redactIssuing(r *Config) {
	if len(c.Clients) == 0 {
		return
	}
	r.Clients = make(map[string]ClientConfig, len(c.Clients))
	for id, cl := range c.Clients {
		if cl.ClientSecret != "" {
			cl.ClientSecret = redacted
		}
		r.Clients[id] = cl
	}
}

// MachineCallers reports whether c accepts machine clients: jwt_issuers,
// the client-credentials grant or a plugged-in issuer. Without them (and
// without login), only service tokens and guests reach the app.
func (c *Config) MachineCallers() bool {
	return len(c.JWTIssuers) > 0 || len(c.MachineIssuers) > 0 || c.ClientCredentialsEnabled()
}

// AuthorizeGateway answers an AWS API Gateway Lambda authorizer event, as
// simple_oauth_server's validator does:
//
//   - the token (see [GatewayEvent.Token]) must be a machine token that
//     [Manager.VerifyMachineToken] accepts (a JWT of one of the
//     jwt_issuers, a client-credentials token of our own grant whose
//     client must still exist and be enabled, or a token of a plugged-in
//     [MachineIssuer]) for the audience of gateway_authorizer.audience (by
//     default the methodArn's stage); our own user and service tokens are
//     not accepted here. Without a valid token the error is a
//     [*GatewayUnauthorizedError] whose message is "Unauthorized" (API
//     Gateway answers 401);
//   - a REST call needs the scope [DerivedScope] gives for the methodArn's
//     method and path, granted by the token ([Machine.Grants]). A
//     WebSocket connection needs gateway_authorizer.websocket_scope, if
//     set. A token lacking the scope gets a Deny policy on the methodArn
//     (API Gateway answers 403), with required_scope in the context;
//   - an allowed call gets an Allow policy on the methodArn, plus one
//     Allow statement per auth mapping the token holds (its permissions,
//     and "principalId" for everyone): REST mappings for REST calls,
//     route keys for WebSocket ones, as ARNs under the methodArn's
//     API and stage.
//
// principalId is the token's sub. The context holds strings only: sub,
// scope and scopes (the scope claim), and roles, groups and permissions
// as JSON arrays.
//
// A malformed methodArn is an error other than Unauthorized (API Gateway
// answers 500): it comes from the gateway, not the caller.
func (m *Manager) AuthorizeGateway(ctx context.Context, ev GatewayEvent) (*GatewayResponse, error) {
	if m.issuing.gateway == nil {
		return nil, errNoGatewayIssuers
	}
	return m.issuing.gateway.authorize(ctx, ev)
}
