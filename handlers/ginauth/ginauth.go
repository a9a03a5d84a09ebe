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
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
)

// Mount registers every route of m (see package handlers) on r, under
// m.Config().Prefix. gin answers HEAD only for routes registered for it, so the
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
// built once; the gin context reaches its next handler inside the
// ResponseWriter (one allocation per request; a middleware that wraps the
// writer must offer Unwrap, as http.ResponseController expects). When the
// middleware calls next, the rest of gin's chain runs there with the
// request it passed (which carries the identity); when it answers by itself
// (401, 403, a redirect), the chain is aborted.
func adapt(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pw := findPassWriter(w)
		if pw == nil {
			panic("ginauth: the middleware replaced the ResponseWriter with one that has no Unwrap method")
		}
		pw.passed = true
		pw.c.Request = r
		pw.c.Next()
	}))
	return func(c *gin.Context) {
		pw := &passWriter{ResponseWriter: c.Writer, c: c}
		h.ServeHTTP(pw, c.Request)
		if !pw.passed {
			c.Abort()
		}
	}
}

// passWriter is gin's writer carrying the gin context through a net/http
// middleware, and whether the middleware let the request pass.
type passWriter struct {
	gin.ResponseWriter
	c      *gin.Context
	passed bool
}

// Unwrap returns gin's writer, for http.ResponseController.
func (w *passWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func findPassWriter(w http.ResponseWriter) *passWriter {
	for w != nil {
		if pw, ok := w.(*passWriter); ok {
			return pw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}
