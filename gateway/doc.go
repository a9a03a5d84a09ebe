// Package gateway is a login gateway for apps not written in Go: a
// reverse proxy that checks each request with the auth middleware
// ([auth.Manager.Require], [auth.Manager.RequireLogin],
// [auth.Manager.Optional]) of its upstream's rule and passes the identity
// to the upstream in headers, plus a forward-auth endpoint
// ({prefix}/check) for nginx auth_request, Traefik ForwardAuth and Caddy
// forward_auth. The login, token, logout and manage routes of package
// handlers are served under the auth prefix. `oauthgate serve` runs it.
//
// # Header contract
//
// Sent upstream (and answered by /check on 2xx), as listed by pass_headers:
//
//	X-Auth-Request-Email         user's or service account's email (not for machine clients)
//	X-Auth-Request-User          the email, or a machine client's subject
//	X-Auth-Request-Capabilities  effective capabilities, closed over implications, comma-separated, sorted
//	X-Auth-Request-Kind          user, service or client
//	Authorization                Bearer <JWT> signed by the gateway (opt-in), keys at {prefix}/.well-known/upstream-jwks.json
//
// Nothing is sent for a guest (a public route without identity). Removed
// from every client request whatever pass_headers says: any
// X-Auth-Request-* header (any case, "_" for "-"), a Bearer Authorization
// header (every bearer token that passes is one of the gateway's, verified
// by it; other schemes pass), and the gateway's session, login-flow and
// offline cookies (the app's own cookies pass). X-Forwarded-For,
// X-Forwarded-Proto and X-Forwarded-Host are set by the gateway; the
// client's are believed only from trusted_proxies.
//
// # Example
//
//	cfg, err := gateway.LoadConfig("gateway.yaml")
//	if err != nil { ... }
//	g, err := gateway.New(ctx, cfg)
//	if err != nil { ... }
//	defer g.Close()
//	log.Fatal(g.Server().ListenAndServe())
//
// With tls: set, serve with ListenAndServeTLS("", ""): [Gateway.Server]'s
// TLSConfig gives the certificate of the running configuration, which
// [Gateway.Reload] replaces.
//
// # Upstreams keep to their own
//
// An upstream's Set-Cookie for one of the gateway's cookies is removed
// from its answer (and logged): an app can neither set, replace nor
// delete a session. Two upstreams that reach the same path of one app
// under different rules let the looser rule open what the stricter one
// guards: the gateway logs them when it starts ([Config.Overlaps]), and
// `oauthgate config check` refuses them.
//
// # One path per request
//
// The gateway reads one canonical path per request, and routes, applies
// the rule and proxies with it. Paths that app servers read in different
// ways are refused (400): dot segments, encoded controls, double
// encodings, and, unless the upstream allows them, encoded slashes and
// ";" parameters ([Upstream.AllowEncodedSlashes],
// [Upstream.AllowPathParams]). Where readings still differ (case,
// suffixes, what an opted-in upstream takes), every rule they reach
// applies. CONNECT and TRACE are refused (405).
package gateway
