package auth

import (
	"context"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

// benchGateway returns a Manager trusting a mock provider whose keys are
// already fetched, and a REST TOKEN event with a client token of the
// event's stage that maps to two extra resources.
func benchGateway(b *testing.B) (*Manager, GatewayEvent) {
	b.Helper()
	clients := mockidp.DemoClients()
	clients["cron"] = mockidp.Client{Secret: "s", Audience: "prod", Scope: "read:pets", Permissions: mockidp.StringList{"read:pets"},
		Roles: mockidp.StringList{"ops"}, Groups: mockidp.StringList{"east"}}
	idp, err := mockidp.NewServer(mockidp.Options{Clients: clients})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(idp.Close)
	m := benchManager(b)
	m.cfg.JWTIssuers = []JWTIssuer{{Issuer: idp.URL, Audience: "pets", JWKSURL: idp.URL + "/jwks", Algorithms: []string{"RS256"}, Leeway: defaultJWTLeeway, RefetchInterval: defaultJWKSRefetchInterval}}
	m.cfg.GatewayAuthorizer = GatewayAuthorizerConfig{Audience: GatewayAudienceStage, AuthMappings: map[string][]AuthMapping{
		"read:pets": {{Method: "GET", ResourcePath: "/pets"}, {Method: "GET", ResourcePath: "/pets/{petId}"}},
	}}
	if err := m.initIssuing(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := m.initMachine(); err != nil {
		b.Fatal(err)
	}
	tok, err := idp.Provider.MintClientToken("cron")
	if err != nil {
		b.Fatal(err)
	}
	ev := GatewayEvent{Type: "TOKEN", AuthorizationToken: "Bearer " + tok, MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/7"}
	resp, err := m.AuthorizeGateway(context.Background(), ev)
	if err != nil || len(resp.PolicyDocument.Statement) != 2 {
		b.Fatalf("%+v %v", resp, err)
	}
	return m, ev
}

// BenchmarkAuthorizeGatewayHot: a token already verified for the stage
// (token cache hit): parse, scope, policy and context.
func BenchmarkAuthorizeGatewayHot(b *testing.B) {
	m, ev := benchGateway(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.AuthorizeGateway(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthorizeGatewayCold: a token not in the token cache, verified
// with the cached key (RS256 signature, claims, identity), as each new
// token or a fresh Lambda instance's first event after the key fetch.
func BenchmarkAuthorizeGatewayCold(b *testing.B) {
	m, ev := benchGateway(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m.machine.mu.Lock()
		clear(m.machine.cache)
		m.machine.mu.Unlock()
		if _, err := m.AuthorizeGateway(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
