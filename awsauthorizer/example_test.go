package awsauthorizer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/mockidp"
)

// The authorizer of a Lambda function: auth verifies the tokens of the
// jwt_issuers, the authorizer answers API Gateway's events with policies.
func ExampleAuthorizer_Authorize() {
	// A provider issuing client-credentials tokens for the "prod" stage.
	idp, err := mockidp.NewServer(mockidp.Options{Clients: map[string]mockidp.Client{
		"shop": {Secret: "s", Audience: "prod", Scope: "read:pets", Permissions: mockidp.StringList{"read:pets"}},
	}})
	if err != nil {
		panic(err)
	}
	defer idp.Close()
	cfg := &auth.Config{
		ServerMetadataURL: idp.URL + "/.well-known/openid-configuration",
		SecretKey:         "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
		ClientID:          "app",
		JWTIssuers: []auth.JWTIssuer{
			{Issuer: idp.URL, Audience: "pets-api", JWKSURL: idp.URL + "/jwks"},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	az, err := awsauthorizer.New(&awsauthorizer.Config{AuthMappings: map[string][]awsauthorizer.AuthMapping{
		"read:pets": {{Method: "GET", ResourcePath: "/pets/{petId}"}},
	}}, m, awsauthorizer.Options{})
	if err != nil {
		panic(err)
	}
	tok, err := idp.Provider.MintClientToken("shop")
	if err != nil {
		panic(err)
	}

	for _, call := range []string{"GET/pets", "POST/pets"} {
		resp, err := az.Authorize(context.Background(), awsauthorizer.Event{
			Type:               "TOKEN",
			AuthorizationToken: "Bearer " + tok,
			MethodArn:          "arn:aws:execute-api:eu-west-1:123456789012:api/prod/" + call,
		})
		if err != nil {
			panic(err)
		}
		fmt.Println(call, "→", resp.PrincipalID, resp.Context["permissions"])
		for _, s := range resp.PolicyDocument.Statement {
			fmt.Println("  ", s.Effect, s.Resource)
		}
	}
	_, err = az.Authorize(context.Background(), awsauthorizer.Event{Type: "TOKEN",
		MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:api/prod/GET/pets"})
	fmt.Println("no token →", err)
	// Output:
	// GET/pets → shop ["read:pets"]
	//    Allow [arn:aws:execute-api:eu-west-1:123456789012:api/prod/GET/pets]
	//    Allow [arn:aws:execute-api:eu-west-1:123456789012:api/prod/GET/pets/*]
	// POST/pets → shop ["read:pets"]
	//    Deny [arn:aws:execute-api:eu-west-1:123456789012:api/prod/POST/pets]
	// no token → Unauthorized
}
