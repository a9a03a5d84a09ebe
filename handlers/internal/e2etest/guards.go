package e2etest

import (
	"fmt"
	"net/http"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
)

// Mode is how a guarded route checks its caller.
type Mode int

// The modes of Guard.
const (
	Optional   Mode = iota // anyone; the identity if there is one
	Login                  // any logged-in user or service
	Capability             // the capability Cap
)

// Guard is one protected route of the test app (GET only).
type Guard struct {
	Path     string
	Mode     Mode
	Cap      string
	Redirect bool // auth.RedirectToLogin
}

// Guards are the app's protected routes, the same on every router.
var Guards = []Guard{
	{Path: "/hello", Mode: Optional},
	{Path: "/me", Mode: Login},
	{Path: "/look", Mode: Capability, Cap: "look"},
	{Path: "/read", Mode: Capability, Cap: "read"},
	{Path: "/write", Mode: Capability, Cap: "write"},
	{Path: "/announce", Mode: Capability, Cap: "announce"},
	{Path: "/bake", Mode: Capability, Cap: "baker", Redirect: true},
	{Path: "/users", Mode: Capability, Cap: "user_management"},
}

// Options returns the RequireOptions of g.
func (g Guard) Options() []auth.RequireOption {
	if g.Redirect {
		return []auth.RequireOption{auth.RedirectToLogin}
	}
	return nil
}

// Middleware returns g's net/http middleware from m.
func (g Guard) Middleware(m *auth.Manager) func(http.Handler) http.Handler {
	switch g.Mode {
	case Optional:
		return m.Optional()
	case Login:
		return m.RequireLogin(g.Options()...)
	default:
		return m.Require(g.Cap, g.Options()...)
	}
}

// Echo answers "kind email" of the request's identity, such as
// "user user@corp.example" or "guest ".
func Echo(w http.ResponseWriter, r *http.Request) {
	id := auth.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s %s", id.Kind, id.Email)
}

// MuxApp is the test app on an http.ServeMux.
func MuxApp(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	for _, g := range Guards {
		mux.Handle("GET "+g.Path, g.Middleware(m)(http.HandlerFunc(Echo)))
	}
	return mux
}
