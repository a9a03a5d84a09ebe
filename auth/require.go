package auth

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/oauthgate/oauthgate/internal/respond"
)

// RequireOption changes how [Manager.Require] and [Manager.RequireLogin]
// answer a request without identity. The only option is [RedirectToLogin].
type RequireOption interface {
	applyRequire(*requireOptions)
}

type requireOptions struct {
	redirect bool
}

type redirectOption struct{}

func (redirectOption) applyRequire(o *requireOptions) { o.redirect = true }

// RedirectToLogin makes a GET or HEAD request without identity (a browser)
// go to the login route, 302 to {prefix}/login?next=<path and query>, and
// back after the login. Other methods still get 401, and so does every
// request when the app has no browser login ([Config.NoLogin]): there is
// no login to send it to.
var RedirectToLogin RequireOption = redirectOption{}

func collectOptions(opts []RequireOption) requireOptions {
	var o requireOptions
	for _, opt := range opts {
		if opt != nil {
			opt.applyRequire(&o)
		}
	}
	return o
}

// Require returns middleware that lets a request through only if its
// identity (see [Manager.Identify]) holds capability, directly or implied;
// the identity is then in the request's context ([IdentityFrom]). Guests
// pass when guest_capabilities grant it.
//
// Refusals: no identity → 401 JSON {"detail": ...} with
// `WWW-Authenticate: Bearer` (or the login redirect with [RedirectToLogin]);
// an identity lacking the capability → 403 JSON (with [RedirectToLogin], a
// 403 HTML page for a browser that accepts text/html); a malformed, invalid,
// expired or revoked bearer token → 401 with
// `WWW-Authenticate: Bearer error="invalid_token"`.
//
// An unknown capability is a wiring mistake: Require panics at once.
func (m *Manager) Require(capability string, opts ...RequireOption) func(http.Handler) http.Handler {
	c, ok := m.graph.Lookup(capability)
	if !ok {
		panic(fmt.Sprintf("auth: Require: unknown capability %q", capability))
	}
	o := collectOptions(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := m.Identify(r)
			switch {
			case err != nil:
				m.refuseToken(w, r, err)
			case id.set.Has(c):
				next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
			case id.IsGuest():
				m.refuseGuest(w, r, o)
			default:
				m.refuseCapability(w, r, id, capability, o)
			}
		})
	}
}

// RequireLogin returns middleware that lets through any request with an
// identity (user or service) and answers requests without one like
// [Manager.Require].
func (m *Manager) RequireLogin(opts ...RequireOption) func(http.Handler) http.Handler {
	o := collectOptions(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := m.Identify(r)
			switch {
			case err != nil:
				m.refuseToken(w, r, err)
			case id.IsGuest():
				m.refuseGuest(w, r, o)
			default:
				next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
			}
		})
	}
}

// Optional returns middleware that puts the request's identity, a guest
// without credentials, in its context and always calls the next handler,
// except when the request carries a bearer token that is malformed,
// invalid, expired or revoked: that is answered 401 like [Manager.Require]
// (a client that sends credentials should learn that they failed).
func (m *Manager) Optional() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := m.Identify(r)
			if err != nil {
				m.refuseToken(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
		})
	}
}

// refuseToken answers a bad bearer token.
func (m *Manager) refuseToken(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := StatusOf(err)
	if status != http.StatusUnauthorized {
		// The capability store failed: not the client's fault.
		m.log.Error("auth: identifying a request failed", "path", r.URL.Path, "err", err)
		respond.Detail(w, http.StatusInternalServerError, "internal error")
		return
	}
	m.log.Debug("auth: bearer token refused", "path", r.URL.Path, "err", err)
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+msg+`"`)
	respond.Detail(w, http.StatusUnauthorized, msg)
}

// refuseGuest answers a request without identity.
func (m *Manager) refuseGuest(w http.ResponseWriter, r *http.Request, o requireOptions) {
	if o.redirect && !m.noLogin && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		target := m.LoginPath() + "?next=" + url.QueryEscape(r.URL.RequestURI())
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	respond.Detail(w, http.StatusUnauthorized, "not authenticated")
}

// refuseCapability answers an identity that lacks a capability: JSON, or a
// readable page for a browser on a route declared with [RedirectToLogin].
func (m *Manager) refuseCapability(w http.ResponseWriter, r *http.Request, id *Identity, capability string, o requireOptions) {
	m.log.Debug("auth: capability missing", "path", r.URL.Path, "identity", id.String(), "capability", capability)
	msg := fmt.Sprintf("missing capability %q", capability)
	if o.redirect && respond.WantsHTML(r) {
		respond.Page(w, http.StatusForbidden, "Forbidden", "You are logged in as "+id.Email+", but this page needs the "+msg[len("missing "):]+" (missing capability).")
		return
	}
	respond.Detail(w, http.StatusForbidden, msg)
}
