// Package security is oauthgate's security test suite: one place where a
// reviewer reads, top to bottom, a test for each defence the gateway makes
// (open redirects, forwarded headers, email domains and lookalikes,
// login-flow faults, sessions, cross-site requests, tokens, authorization,
// request input, caching and logs).
//
// Every test drives a real app over HTTP on loopback, built with package
// handlers on a [github.com/oauthgate/oauthgate/auth.Manager], against the
// mock identity provider. The package has no code of its own; SECURITY.md
// at the module root says what is defended and how to report a problem.
package security
