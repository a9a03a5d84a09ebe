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
// # Modes
//
// [Options.Mode] (oauthgate mockidp --mode) makes the provider speak as
// another kind of identity provider, with the same authorization-code
// machinery (PKCE S256 and state checked as in OIDC mode, single-use
// codes, choosing the user, the users file, consent, and the faults
// authorize_error, token_error, token_invalid_grant and email_unverified):
//
//   - [ModeOIDC], the default: the OpenID Connect provider above.
//   - [ModeGitHub]: GitHub's OAuth App web flow at /login/oauth/authorize
//     and /login/oauth/access_token (form answer unless Accept asks for
//     JSON or XML; errors with HTTP 200) and its REST API under /api/v3
//     (/user, /user/emails, /user/orgs, /user/teams), as GitHub Enterprise
//     Server lays it out. Users' logins, ids, organizations, teams and
//     emails come from [User.GitHub]; email_unverified unverifies the
//     primary email.
//   - [ModeMicrosoft]: the Microsoft identity platform v2.0, per tenant
//     (common, organizations, consumers or a GUID), with the {tenantid}
//     issuer template and ID tokens carrying tid and xms_edov from
//     [User.Microsoft]; email_unverified sets xms_edov false.
//   - [ModeOAuth2]: a plain OAuth 2 server at /oauth2/authorize,
//     /oauth2/token and /oauth2/userinfo, which answers a nested document
//     {"id": n, "profile": {"email", "email_verified", "name"}}; no
//     discovery, no ID token; email_unverified sets email_verified false.
//
// Faults that need an ID token are refused in the github and oauth2
// modes. [Provider.SetUser] (POST /control/user) redefines a user while
// the provider runs, for tests of a relying party that checks again
// later (a lost team membership, an unverified domain).
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
