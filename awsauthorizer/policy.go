package awsauthorizer

import (
	"slices"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
)

// scopeMethods are the HTTP methods of each action of auth.DerivedScope.
var scopeMethods = map[string][]string{
	"read":   {"GET", "HEAD"},
	"write":  {"POST", "PUT", "PATCH"},
	"delete": {"DELETE"},
}

// allActions lists scopeMethods' actions in a stable order.
var allActions = []string{"read", "write", "delete"}

// scopeResources returns the resources under base (API/STAGE/) of every
// REST route whose derived scope mi grants ([auth.Machine.Grants]), as
// IAM resource patterns, sorted: for a WebSocket API, every route key
// when mi grants wsScope ("" needs none). IAM's "*" matches any
// characters, "/" included, so an entity is opened as METHOD/entity and
// METHOD/entity/*, never METHOD/entity* (which would open
// /entity-other too); a scope whose entity has a wildcard or unsafe
// character opens nothing.
func scopeResources(base string, ws bool, wsScope string, mi *auth.Machine) []string {
	if ws {
		if wsScope == "" || mi.Grants(wsScope) {
			return []string{base + "*"}
		}
		return nil
	}
	var out []string
	add := func(action, path string) {
		for _, m := range scopeMethods[action] {
			if r := base + m + path; !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	// Grants' rules, turned into patterns: a token without scope claim or
	// permissions passes everything; "*", "*:*" and "action:*" in the
	// scope claim open every entity; a permission is one exact scope.
	all := !mi.HasScope && len(mi.Permissions) == 0
	var exact []string
	if mi.HasScope {
		for _, s := range mi.Scopes {
			action, entity, _ := strings.Cut(s, ":")
			switch {
			case s == "*" || s == "*:*":
				all = true
			case entity == "*" && scopeMethods[action] != nil:
				add(action, "/*")
			default:
				exact = append(exact, s)
			}
		}
	}
	if all {
		for _, a := range allActions {
			add(a, "/*")
		}
	}
	for _, s := range append(exact, mi.Permissions...) {
		action, entity, ok := strings.Cut(s, ":")
		switch {
		case !ok || scopeMethods[action] == nil:
		case entity == "*":
			add(action, "/") // the scope of the root path alone
		case entity != "" && arnSafe(entity) && !strings.ContainsAny(entity, "*/"):
			add(action, "/"+entity)
			add(action, "/"+entity+"/*")
		}
	}
	slices.Sort(out)
	return out
}
