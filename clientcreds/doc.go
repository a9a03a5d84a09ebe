// Package clientcreds is the app's own OAuth 2.0 client-credentials grant:
// machine clients authenticate with a client id and secret (argon2id
// hashes, in the configuration, a simple_oauth_server clients file or a
// client store) and get signed JWT access tokens (RS256 or ES256) that
// the app, and any API trusting its JWKS, accepts.
//
// An [Issuer] plugs into auth the way a store does: it is an
// auth.MachineIssuer (the Manager verifies its tokens by asking it) and a
// handlers.RouteProvider (handlers.Mount serves its token endpoint, POST
// {prefix}/oauth/token and POST {prefix}/token, and its key set, GET
// {prefix}/.well-known/jwks.json). Its configuration keys sit in the app's
// file beside auth's: clients:, clients_file, client_credentials: and, in
// throttle:, client_failures, address_failures and secret_check_queue.
// [Config] is an auth.Section that reads them in the same run:
//
//	var cc clientcreds.Config
//	cfg, err := auth.LoadConfig("config.yaml", &cc)
//	grant, err := clientcreds.New(ctx, &cc, clientcreds.Options{})
//	defer grant.Close()
//	cfg.MachineIssuers = append(cfg.MachineIssuers, grant)
//	m, err := auth.New(ctx, cfg)
//	handlers.Mount(mux, m) // the login routes and the grant's
//
// or, in one call, [Load]. The grant never sees the Manager: it is given
// its client store, logger and clock ([Options]).
package clientcreds
