// Package ginauth adapts package auth's middleware and package handlers'
// routes to gin. It is the only package of the module that imports gin, so
// apps on other routers do not compile it.
//
// # Example
//
//	r := gin.New()
//	ginauth.Mount(r, manager)
//	r.GET("/shout", ginauth.Require(manager, "announce"), shout)
//	r.GET("/hello", ginauth.Optional(manager), func(c *gin.Context) {
//		id := ginauth.Identity(c)
//		c.String(200, "hello "+id.Email)
//	})
package ginauth

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
)

// Mount registers every route of m (see package handlers) on r, under
// m.Prefix(). gin answers HEAD only for routes registered for it, so the
// GET routes are registered for HEAD too, as on http.ServeMux.
func Mount(r gin.IRoutes, m *auth.Manager) {
	for _, rt := range handlers.Routes(m) {
		h := gin.WrapH(rt.Handler)
		r.Handle(rt.Method, rt.Path, h)
		if rt.Method == http.MethodGet {
			r.Handle(http.MethodHead, rt.Path, h)
		}
	}
}

// Require is [auth.Manager.Require] as gin middleware: a request without
// identity gets 401 (or, with auth.RedirectToLogin, a redirect to the
// login), one lacking capability gets 403, and the chain is aborted; else
// the identity is in c.Request's context (see [Identity]). An unknown
// capability panics here, when the route is wired.
func Require(m *auth.Manager, capability string, opts ...auth.RequireOption) gin.HandlerFunc {
	return adapt(m.Require(capability, opts...))
}

// RequireLogin is [auth.Manager.RequireLogin] as gin middleware: any
// logged-in user or service passes, guests are refused as by [Require].
func RequireLogin(m *auth.Manager, opts ...auth.RequireOption) gin.HandlerFunc {
	return adapt(m.RequireLogin(opts...))
}

// Optional is [auth.Manager.Optional] as gin middleware: the identity, a
// guest when the request has none, is put in c.Request's context.
func Optional(m *auth.Manager) gin.HandlerFunc {
	return adapt(m.Optional())
}

// Identity returns the identity that the middleware put in c.Request's
// context; a guest when there is none. It never returns nil.
func Identity(c *gin.Context) *auth.Identity {
	return auth.IdentityFrom(c.Request.Context())
}

// adapt runs a net/http middleware inside gin's chain. The middleware is
// built once; the gin context travels to its next handler in the request's
// context. When the middleware calls next, the rest of gin's chain runs
// there with the request it passed (which carries the identity); when it
// answers by itself (401, 403, a redirect), the chain is aborted.
func adapt(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	h := mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		st, _ := r.Context().Value(stateKey{}).(*state)
		if st == nil {
			return // unreachable: only adapt's handler below reaches here
		}
		st.passed = true
		st.c.Request = r
		st.c.Next()
	}))
	return func(c *gin.Context) {
		st := &state{c: c}
		h.ServeHTTP(c.Writer, c.Request.WithContext(context.WithValue(c.Request.Context(), stateKey{}, st)))
		if !st.passed {
			c.Abort()
		}
	}
}

// state is one request's passage through an adapted middleware.
type state struct {
	c      *gin.Context
	passed bool
}

type stateKey struct{}
