// Package authtest tests apps built on oauthgate over real HTTP, with a
// mock identity provider, in a few lines:
//
//	at := authtest.New(t, cfg, func(m *auth.Manager) http.Handler {
//		mux := http.NewServeMux()
//		handlers.Mount(mux, m)
//		mux.Handle("GET /payroll", m.Require("payroll")(payroll))
//		return mux
//	})
//	at.SetCapabilities("accountant@example.com", "payroll")
//	at.Guest().Get("/payroll").Expect(t, 401)
//	at.Client("user@example.com").Get("/payroll").Expect(t, 403)
//	at.Client("accountant@example.com").Get("/payroll").Expect(t, 200)
//	at.Service("bot@service", "payroll").Get("/payroll").Expect(t, 200)
//
// Nothing is faked: [Tester.Client] and [Tester.Browser] log in through the
// app's /login, the provider's authorize endpoint and the app's /auth
// callback (state, nonce, PKCE and ID token checks included); Client then
// fetches a bearer token from /token; [Tester.Service] has an admin mint a
// service token through /token?user=. A test that passes here passes with
// a real provider.
//
// # Failures
//
// Requests never stop the test themselves: a failed request (or a failed
// login behind Client) is reported by [Response.Expect], [Response.JSON] or
// [Response.Text] with the test given to them, so that a Tester created in
// a parent test serves parallel subtests. Messages name the method, path,
// status and body:
//
//	GET /payroll: got 403, want 200; body: {"detail":"missing capability payroll"}
//
// Everything (servers, provider, Manager, connections) stops with the test
// that called [New], through t.Cleanup.
package authtest
