package handlers

import (
	"net/http"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/clientaddr"
)

// Router is what [Mount] registers routes on: [*http.ServeMux] and
// chi.Router both satisfy it. Patterns have the form "GET /api/v1/login".
type Router interface {
	Handle(pattern string, h http.Handler)
}

// Route is one route of the Manager, for routers that take the method and
// the path apart (see package ginauth).
type Route struct {
	Method  string // "GET" or "POST"
	Path    string // the prefix included, such as "/api/v1/login"
	Handler http.Handler
	// Capability, when a RouteProvider sets it, is what the caller must
	// hold: [Routes] serves the route through [auth.Manager.Require]
	// (JSON 401 and 403, the identity in the request's context) and a
	// POST only from the app's own origin. Routes returns the route
	// guarded, with Capability kept for the record.
	Capability string
}

// Pattern returns the ServeMux pattern of the route: "GET /api/v1/login".
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// RouteProvider is a machine issuer plugged into the Manager
// ([auth.Config.MachineIssuers]) that serves routes of its own under the
// Manager's prefix, such as a token endpoint and its key set. Routes
// gives paths relative to the prefix ("/oauth/token"); [Routes] adds it.
type RouteProvider interface {
	Routes() []Route
}

// Routes returns every route of m under m.Config().Prefix, in a stable order,
// then the admin page's (unless [auth.Config.AdminPage] is false, see
// [AdminPagePath]), then those of each machine issuer of m that is a
// [RouteProvider], in the order of [auth.Config.MachineIssuers] (a
// provider's route needing a capability the graph lacks is left out). A GET route also answers
// HEAD on [http.ServeMux] and chi. The routes that change state for a
// session (logout, token revocation, capability changes) refuse requests
// from pages of other origins ([auth.Manager.CrossOrigin]); GET /token
// is reached through the provider's cross-site redirect after a login.
func Routes(m *auth.Manager) []Route {
	if m == nil {
		panic("handlers: Routes: nil *auth.Manager")
	}
	h := &routes{m: m, proxies: clientaddr.ParseProxies(m.Config().TrustedProxies)}
	p := m.Config().Prefix
	route := func(method, path string, h http.Handler) Route {
		return Route{Method: method, Path: p + path, Handler: h}
	}
	out := []Route{
		route(http.MethodGet, "/login", http.HandlerFunc(h.login)),
		route(http.MethodGet, "/auth", http.HandlerFunc(h.callback)),
		route(http.MethodGet, "/token", http.HandlerFunc(h.token)),
		route(http.MethodPost, "/token/revoke", h.sameOrigin(h.revoke)),
		route(http.MethodGet, "/logout", http.HandlerFunc(h.logout)),
		route(http.MethodPost, "/logout", http.HandlerFunc(h.logout)),
		route(http.MethodGet, "/manage_capabilities/list", http.HandlerFunc(h.list)),
		route(http.MethodGet, "/manage_capabilities/list_user", http.HandlerFunc(h.list)),
		route(http.MethodPost, "/manage_capabilities/add", h.sameOrigin(h.add)),
		route(http.MethodPost, "/manage_capabilities/remove", h.sameOrigin(h.remove)),
		route(http.MethodPost, "/manage_capabilities/set", h.sameOrigin(h.set)),
	}
	var provided []Route
	for _, iss := range m.Config().MachineIssuers {
		if rp, ok := iss.(RouteProvider); ok {
			for _, rt := range rp.Routes() {
				rt.Path = p + rt.Path
				if rt.Capability != "" {
					if _, known := m.Users().Policy().Graph().Lookup(rt.Capability); !known {
						continue // nobody could hold it
					}
					rt.Handler = h.guarded(rt)
				}
				provided = append(provided, rt)
			}
		}
	}
	page := h.adminPageRoutes(append(out, provided...))
	return append(append(out, page...), provided...)
}

// guarded serves a provider's route to holders of its capability only,
// and a POST only from the app's own origin.
func (h *routes) guarded(rt Route) http.Handler {
	next := h.m.Require(rt.Capability)(rt.Handler)
	if rt.Method == http.MethodPost {
		return h.sameOrigin(next.ServeHTTP)
	}
	return next
}

// Mount registers every route of m on r, under m.Config().Prefix, with method
// patterns ("GET /login"). It panics if m is nil or if r refuses a pattern
// (ServeMux panics on a conflicting pattern), which is a wiring mistake.
func Mount(r Router, m *auth.Manager) {
	for _, rt := range Routes(m) {
		r.Handle(rt.Pattern(), rt.Handler)
	}
}

// Handler returns an [http.ServeMux] serving only the routes of m, for
// muxes that take a handler for a whole subtree:
//
//	mux.Handle("/api/v1/", handlers.Handler(m)) // with prefix: /api/v1
//
// Requests that match no route get ServeMux's 404 or 405.
func Handler(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	Mount(mux, m)
	return mux
}

// routes holds what the handlers share.
type routes struct {
	m       *auth.Manager
	proxies clientaddr.Proxies // name the client behind a trusted proxy
}
