package auth

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/oauthgate/oauthgate/capabilities"
)

// DerivedScope returns the scope a request needs, as simple_oauth_server's
// validator derives it: "action:entity", where action is read (GET, HEAD),
// write (POST, PUT, PATCH) or delete (DELETE), and entity is the first
// non-empty path segment after prefix ("/api/v1/pets/7/" → "pets"). A path
// with no segment (the root) needs the wildcard "action:*". ok is false
// for any other method.
func DerivedScope(method, path, prefix string) (scope string, ok bool) {
	var action string
	switch method {
	case http.MethodGet, http.MethodHead:
		action = "read"
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		action = "write"
	case http.MethodDelete:
		action = "delete"
	default:
		return "", false
	}
	if prefix != "" && strings.HasPrefix(path, prefix) && (len(path) == len(prefix) || path[len(prefix)] == '/') {
		path = path[len(prefix):]
	}
	path = strings.TrimLeft(path, "/")
	entity, _, _ := strings.Cut(path, "/")
	if entity == "" {
		entity = "*"
	}
	return action + ":" + entity, true
}

// RequireDerivedScope returns middleware that lets a request through only
// when its identity may use the scope derived from its method and path
// ([DerivedScope], below Config.Prefix).
//
// A machine client ([KindClient]) passes when its token grants the scope
// ([Machine.Grants]): its scope claim holds the scope, "action:*", "*" or
// "*:*", or its permissions claim holds the scope. A token without a
// scope claim skips the scope check unless it has a permissions claim,
// which must then hold the scope.
//
// Users, service accounts and guests have no scopes: they pass when they
// hold every capability that scope_capabilities maps the scope (or, when
// the scope itself is not mapped, "action:*") to; an unmapped scope is
// refused. A guest refused this way gets 401 like [Manager.Require].
//
// Refusal: 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
// error_description="...", scope="read:pets"` and JSON {"detail": ...,
// "required_scope": "read:pets"} (RFC 6750; simple_oauth_server answered
// 401). A method other than GET, HEAD, POST, PUT, PATCH and DELETE is
// refused the same way, with an empty required_scope. Bad bearer tokens
// and an unavailable store are answered as with Require.
func (m *Manager) RequireDerivedScope(opts ...RequireOption) func(http.Handler) http.Handler {
	return m.guard(collectOptions(opts), func(r *http.Request, id *Identity) error {
		scope, ok := DerivedScope(r.Method, r.URL.Path, m.cfg.Prefix)
		switch {
		case ok && m.scopeAllowed(id, scope):
			return nil
		case id.IsGuest():
			return unauthenticated()
		}
		return missingScope(r, id, scope)
	})
}

// scopeAllowed reports whether id may use scope.
func (m *Manager) scopeAllowed(id *Identity, scope string) bool {
	if id.Kind == KindClient {
		return id.machine != nil && id.machine.Grants(scope)
	}
	need, ok := m.scopeCaps(scope)
	return ok && id.set.ContainsAll(need)
}

// scopeCaps returns the capabilities scope_capabilities maps scope to,
// else those of its "action:*" form.
func (m *Manager) scopeCaps(scope string) (capabilities.Set, bool) {
	caps := m.cfg.ScopeCapabilities
	names, ok := caps[scope]
	if !ok {
		action, _, _ := strings.Cut(scope, ":")
		names, ok = caps[action+":*"]
	}
	if !ok {
		return capabilities.Set{}, false
	}
	s, err := m.graph.Set(names...)
	return s, err == nil
}

// missingScope is the 403 of an identity that may not use scope (RFC
// 6750's insufficient_scope).
func missingScope(r *http.Request, id *Identity, scope string) error {
	detail := "insufficient scope: this request needs " + scope
	if scope == "" {
		detail = "method " + r.Method + " has no scope"
	}
	return &Error{Status: http.StatusForbidden, Msg: detail, Code: codeInsufficientScope, Scope: scope,
		Err: fmt.Errorf("%s lacks scope %q: %w", id, scope, ErrForbidden)}
}
