package awsauthorizer_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/mockidp"
)

// benchGateway returns an authorizer verifying through a Manager that
// trusts a mock provider whose keys are already fetched, the provider,
// and a REST TOKEN event with a client token of the event's stage that
// maps to two extra resources.
func benchGateway(b *testing.B) (*awsauthorizer.Authorizer, *mockidp.Server, awsauthorizer.Event) {
	b.Helper()
	clients := mockidp.DemoClients()
	clients["cron"] = mockidp.Client{Secret: "s", Audience: "prod", Scope: "read:pets", Permissions: mockidp.StringList{"read:pets"},
		Roles: mockidp.StringList{"ops"}, Groups: mockidp.StringList{"east"}}
	idp, err := mockidp.NewServer(mockidp.Options{Clients: clients})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(idp.Close)
	cfg := testConfig()
	cfg.ServerMetadataURL = "http://127.0.0.1:9/.well-known/openid-configuration"
	cfg.JWTIssuers = []auth.JWTIssuer{{Issuer: idp.URL, Audience: "pets", JWKSURL: idp.URL + "/jwks", Algorithms: []string{"RS256"}}}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	az, err := awsauthorizer.New(&awsauthorizer.Config{AuthMappings: map[string][]awsauthorizer.AuthMapping{
		"read:pets": {{Method: "GET", ResourcePath: "/pets"}, {Method: "GET", ResourcePath: "/pets/{petId}"}},
	}}, m, awsauthorizer.Options{Logger: cfg.Logger})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := idp.Provider.MintClientToken("cron")
	if err != nil {
		b.Fatal(err)
	}
	ev := awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: "Bearer " + tok, MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/7"}
	resp, err := az.Authorize(context.Background(), ev)
	if err != nil || len(resp.PolicyDocument.Statement) != 2 {
		b.Fatalf("%+v %v", resp, err)
	}
	return az, idp, ev
}

// BenchmarkAuthorizeGatewayHot: a token already verified for the stage
// (token cache hit): parse, scope, policy and context.
func BenchmarkAuthorizeGatewayHot(b *testing.B) {
	az, _, ev := benchGateway(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := az.Authorize(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthorizeGatewayCold: a token not in the token cache, verified
// with the cached key (RS256 signature, claims, identity), as each new
// token or a fresh Lambda instance's first event after the key fetch.
// Each event carries a token never seen; minting them is not timed.
func BenchmarkAuthorizeGatewayCold(b *testing.B) {
	az, idp, ev := benchGateway(b)
	ctx := context.Background()
	var fresh []string
	b.ReportAllocs()
	for b.Loop() {
		if len(fresh) == 0 {
			b.StopTimer()
			for range 64 {
				tok, err := idp.Provider.MintClientToken("cron")
				if err != nil {
					b.Fatal(err)
				}
				fresh = append(fresh, tok)
			}
			b.StartTimer()
		}
		ev.AuthorizationToken, fresh = "Bearer "+fresh[0], fresh[1:]
		if _, err := az.Authorize(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
