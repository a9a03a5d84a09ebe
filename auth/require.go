package auth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/oauthgate/oauthgate/internal/redirect"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// RequireOption changes how the middleware ([Manager.Require],
// [Manager.RequireLogin], [Manager.RequireDerivedScope]) answers the
// requests it refuses. The only option is [RedirectToLogin].
type RequireOption interface {
	applyRequire(*requireOptions)
}

type requireOptions struct {
	redirect bool
}

type redirectOption struct{}

func (redirectOption) applyRequire(o *requireOptions) { o.redirect = true }

// RedirectToLogin declares a route that browsers visit. A GET or HEAD
// request without identity goes to the login route, 302 to
// {prefix}/login?next=<path and query>, and back after the login. Other
// methods still get 401 JSON, and so does every request when the app has
// no browser login ([Config.NoLogin]): there is no login to send it to.
// The other refusals (403, 503) are HTML pages for a browser navigation
// (a GET or HEAD accepting text/html) and JSON for anything else.
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
// Refusals, as [ErrorOf] maps them: no identity → 401 JSON {"detail": ...}
// with `WWW-Authenticate: Bearer` (or the login redirect with
// [RedirectToLogin]); an identity lacking the capability → 403; a
// malformed, invalid, expired or revoked bearer token → 401 with
// `WWW-Authenticate: Bearer error="invalid_token"`; a store that cannot
// be reached → 503 with Retry-After. With [RedirectToLogin] a browser
// navigation gets a 403 or 503 as an HTML page.
//
// An unknown capability is a wiring mistake: Require panics at once.
func (m *Manager) Require(capability string, opts ...RequireOption) func(http.Handler) http.Handler {
	c, ok := m.graph.Lookup(capability)
	if !ok {
		panic(fmt.Sprintf("auth: Require: unknown capability %q", capability))
	}
	o := collectOptions(opts)
	return m.guard(o, func(r *http.Request, id *Identity) error {
		switch {
		case id.set.Has(c):
			return nil
		case id.IsGuest():
			return unauthenticated()
		}
		return m.lacking(r, id, capability, o)
	})
}

// RequireClaim returns middleware that lets a request through only if
// its identity's token had claim name with one of values (any value when
// none is given): the ID token of a browser login, or a machine client's
// JWT. An array claim matches when it holds one of the values; strings,
// numbers and booleans are compared as text. Refusals are those of
// [Manager.Require]: 401 without identity, 403 naming the claim (never
// its value) otherwise; service tokens carry no claims.
//
// A login keeps only the claims that claim_capabilities and RequireClaim
// read, so wire RequireClaim before serving: a session started before
// does not hold the claim until the next login. An empty name panics.
func (m *Manager) RequireClaim(name string, values ...string) func(http.Handler) http.Handler {
	if name == "" {
		panic("auth: RequireClaim: empty claim name")
	}
	m.claims.want(name, values)
	values = slices.Clone(values)
	return m.guard(requireOptions{}, func(_ *http.Request, id *Identity) error {
		switch {
		case id.claims.has(name, values):
			return nil
		case id.IsGuest():
			return unauthenticated()
		}
		return &Error{Status: http.StatusForbidden, Msg: "missing claim " + strconv.Quote(name),
			Err: fmt.Errorf("%s has no accepted value of claim %q: %w", id, name, ErrForbidden)}
	})
}

// RequireLogin returns middleware that lets through any request with an
// identity (user, service or machine client) and refuses the others like
// [Manager.Require].
func (m *Manager) RequireLogin(opts ...RequireOption) func(http.Handler) http.Handler {
	return m.guard(collectOptions(opts), func(_ *http.Request, id *Identity) error {
		if id.IsGuest() {
			return unauthenticated()
		}
		return nil
	})
}

// Optional returns middleware that puts the request's identity, a guest
// without credentials, in its context and always calls the next handler,
// except when the identity cannot be resolved: a bearer token that is
// malformed, invalid, expired or revoked is refused 401 like
// [Manager.Require] (a client that sends credentials should learn that
// they failed), and a store that cannot be reached 503.
func (m *Manager) Optional() func(http.Handler) http.Handler {
	return m.guard(requireOptions{}, nil)
}

// guard is the middleware of every access rule: identify the request,
// let decide judge the identity (nil lets it through; nil decide lets
// every identity through), then serve or refuse it.
func (m *Manager) guard(o requireOptions, decide func(*http.Request, *Identity) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := m.Identify(r)
			if err == nil && decide != nil {
				err = decide(r, id)
			}
			if err != nil {
				m.refuse(w, r, err, o)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
		})
	}
}

// refuse answers a request that an access rule refused with err: a guest
// to the login with [RedirectToLogin] (GET and HEAD, when the app has a
// login), else err as [ErrorOf] maps it; with [RedirectToLogin] a browser
// gets a page, except for a 401, whose challenge is for API clients.
func (m *Manager) refuse(w http.ResponseWriter, r *http.Request, err error, o requireOptions) {
	if o.redirect && !m.noLogin && (r.Method == http.MethodGet || r.Method == http.MethodHead) && errors.Is(err, ErrNoIdentity) {
		redirect.ToLogin(w, r, m.Login().Path(), r.URL.RequestURI(), false)
		return
	}
	e := ErrorOf(err)
	format := respond.AsJSON
	if o.redirect && e.Status != http.StatusUnauthorized {
		format = respond.AsNegotiated
	}
	respond.Fail(w, r, m.log, e, format)
}

// lacking is the 403 of an identity without capability; a browser on a
// route with [RedirectToLogin] is told who it is logged in as and offered
// a way on.
func (m *Manager) lacking(r *http.Request, id *Identity, capability string, o requireOptions) error {
	e := &Error{Status: http.StatusForbidden, Msg: "missing capability " + strconv.Quote(capability),
		Err: fmt.Errorf("%s lacks %q: %w", id, capability, ErrForbidden)}
	if o.redirect && respond.WantsHTML(r) {
		e.Msg = "You are logged in as " + id.Email + ", but this page needs the capability " + strconv.Quote(capability) + " (missing capability)."
		e.Links = m.refusedLinks(r, id)
	}
	return e
}

// refusedLinks are the ways on from a 403 page: the home page (base_url,
// else "/"), and for a browser session, logging out and logging in as
// someone else (a logout whose next is the login, back to this page).
func (m *Manager) refusedLinks(r *http.Request, id *Identity) []respond.Link {
	home := "/"
	if m.cfg.BaseURL != "" {
		home = m.cfg.BaseURL + "/"
	}
	links := []respond.Link{{Text: "Home page", Href: home}}
	if m.noLogin || id.Kind != KindUser {
		return links
	}
	logout := m.cfg.Prefix + "/logout"
	login := m.Login().Path() + "?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
	return append(links,
		respond.Link{Text: "Log in as another user", Href: logout + "?" + url.Values{"next": {login}}.Encode()},
		respond.Link{Text: "Log out", Href: logout})
}
