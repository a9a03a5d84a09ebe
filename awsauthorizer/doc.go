// Package awsauthorizer is an AWS API Gateway Lambda authorizer on top of
// package auth: it answers API Gateway's authorizer events (REST TOKEN
// and REQUEST events, WebSocket $connect events) with IAM policies, as
// simple_oauth_server's validator does.
//
// The caller's token must be a machine token that a [Verifier] accepts;
// an *auth.Manager is one, through its jwt_issuers and MachineIssuers
// (such as the app's own client-credentials grant, package clientcreds).
// A REST call needs the scope auth.DerivedScope gives for its method and
// path; extra resources are opened per permission by auth mappings
// (gateway_authorizer.auth_mappings and the AUTH0_AUTH_MAPPINGS
// environment variable).
//
// Wiring, in a Lambda function:
//
//	var azCfg awsauthorizer.Config // the gateway_authorizer: section
//	cfg, err := auth.LoadConfig("config.yaml", &azCfg)
//	m, err := auth.New(ctx, cfg)
//	az, err := awsauthorizer.New(&azCfg, m, awsauthorizer.Options{})
//	lambda.Start(az.Authorize)
//
// A missing or invalid token fails with "Unauthorized" (401); a token
// lacking the scope gets a Deny policy (403); a malformed event or a
// token that could not be checked (a store down) fails with another error
// (500). gateway_authorizer.invalid_token: deny answers a bad token with a
// Deny policy (403) instead, and policy_resource: api names every route
// the token may call, so that API Gateway can cache one answer per token.
// See examples/lambda-authorizer for a deployable function.
package awsauthorizer
