// Package handlers serves the routes of an [auth.Manager]: login, the OIDC
// callback, tokens, logout and capability management. It only turns HTTP
// into calls on the Manager and back: every rule (who may do what, how a
// token is checked) lives in package auth.
//
// Routes, all under the Manager's prefix (see [auth.Config] Prefix):
//
//	GET  /login                     start a login (?next=/local/path, ?offline_token=true)
//	GET  /auth                      the identity provider's callback; 303 to next
//	GET  /token                     a user token, or ?user=name@service a service token
//	POST /token/revoke              {"token": T} or {"email": E, "all": true}
//	GET  /logout, POST /logout      end the session; 303 to a local ?next or /
//	GET  /manage_capabilities/list  (?email=) stored capabilities
//	GET  /manage_capabilities/list_user
//	POST /manage_capabilities/add, /remove, /set
//	GET  /manage_capabilities/      the admin page (HTML, user_management), with
//	                                admin.js and admin.css beside it
//
// API routes answer JSON, errors as {"detail": "..."}; the browser routes
// (/login, /auth, /logout) answer small HTML pages on error; the token
// endpoint answers RFC 6749 errors. Every error gets the status
// [auth.ErrorOf] gives it, as the middleware does: 503 with Retry-After
// when a store cannot be reached. Request bodies
// are JSON objects of at most [MaxBodyBytes] bytes, sent with
// Content-Type: application/json.
//
// The admin page ([AdminPagePath]) lists users, service accounts, the
// graph and, when a [RouteProvider] serves [ClientsAdminPath], machine
// clients; its script only calls the JSON routes. It is served under a
// strict [AdminPageCSP] and turned off with admin_page: false.
//
// Without browser login ([auth.Config.NoLogin]), /login, /auth, and /token
// without a credential answer 404 (a page, or JSON for an API client); the
// other routes serve machine clients and service tokens as usual.
//
// # Example
//
//	mux := http.NewServeMux()
//	handlers.Mount(mux, manager)
//	mux.Handle("GET /shout", manager.Require("announce")(shout))
//
// chi's Router has the same Handle method as [http.ServeMux]; gin goes
// through package ginauth.
package handlers
