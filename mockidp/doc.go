// Package mockidp is a standards-following OpenID Connect provider for tests
// and local development.
//
// It serves discovery, a JWKS (RS256 by default, ES256 on request, with key
// rotation), the authorization-code flow with PKCE S256, state and nonce, the
// token endpoint (authorization_code, refresh_token with rotation and reuse
// detection, client_credentials with JWT access tokens), userinfo, token
// revocation (RFC 7009) and end_session. Independent client libraries
// (golang.org/x/oauth2 with go-oidc, openid-client) accept it as they would a
// real provider: tests run without disabling any security check.
//
// Who logs in is chosen without a browser: a default email
// ([Provider.SetEmail] or POST /set_email, as easy-oauth's mock does), a
// one-shot [Provider.NextLogin], the authorize request's login_hint, or, in
// interactive mode, a small HTML login page.
//
// Negative tests inject faults ([Provider.FailNext]): ID tokens with a bad
// signature, alg none, an HS256 key-confusion signature, wrong issuer or
// audience, expired, and more; token endpoint and authorize errors; latency.
//
// The /control/* endpoints and /set_email change the provider's behaviour
// for everyone who uses it. They exist for tests only: never expose a mock
// provider outside the loopback interface.
//
// # Example
//
//	srv, err := mockidp.NewServer(mockidp.Options{})
//	if err != nil { ... }
//	defer srv.Close()
//	provider, err := oidc.NewProvider(ctx, srv.URL)
//	// client ID mockidp.DemoClientID, secret mockidp.DemoClientSecret,
//	// any loopback redirect URI.
package mockidp
