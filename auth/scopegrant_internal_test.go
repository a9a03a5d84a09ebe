package auth

import "testing"

// TestDerivedScopeGrants: the scope derived from each request, and
// whether each form of token grants it: the exact scope, every wildcard
// form, permissions only, no scope claim at all.
func TestDerivedScopeGrants(t *testing.T) {
	t.Parallel()
	tokens := map[string]*Machine{
		"exact read:pets":       {HasScope: true, Scopes: []string{"read:pets"}},
		"read:*":                {HasScope: true, Scopes: []string{"read:*"}},
		"*":                     {HasScope: true, Scopes: []string{"*"}},
		"*:*":                   {HasScope: true, Scopes: []string{"*:*"}},
		"*:pets (no wildcard)":  {HasScope: true, Scopes: []string{"*:pets"}},
		"empty scope claim":     {HasScope: true},
		"permissions only":      {Permissions: []string{"write:pets"}},
		"scope and permissions": {HasScope: true, Scopes: []string{"read:owners"}, Permissions: []string{"delete:pets"}},
		"no scope claim":        {},
	}
	// want lists the tokens that pass; the others are refused.
	tests := []struct {
		method, path, prefix string
		scope                string
		want                 []string
	}{
		{"GET", "/pets", "", "read:pets", []string{"exact read:pets", "read:*", "*", "*:*", "no scope claim"}},
		{"HEAD", "/pets/7", "", "read:pets", []string{"exact read:pets", "read:*", "*", "*:*", "no scope claim"}},
		{"POST", "/pets", "", "write:pets", []string{"*", "*:*", "permissions only", "no scope claim"}},
		{"PUT", "/pets/7", "", "write:pets", []string{"*", "*:*", "permissions only", "no scope claim"}},
		{"PATCH", "/pets/7/name", "", "write:pets", []string{"*", "*:*", "permissions only", "no scope claim"}},
		{"DELETE", "/pets/7", "", "delete:pets", []string{"*", "*:*", "scope and permissions", "no scope claim"}},
		{"GET", "/owners/3/pets/7", "", "read:owners", []string{"read:*", "*", "*:*", "scope and permissions", "no scope claim"}},
		{"GET", "/pets/", "", "read:pets", []string{"exact read:pets", "read:*", "*", "*:*", "no scope claim"}},
		{"GET", "/api/v1/pets/7/", "/api/v1", "read:pets", []string{"exact read:pets", "read:*", "*", "*:*", "no scope claim"}},
		{"GET", "/api/v1/", "/api/v1", "read:*", []string{"read:*", "*", "*:*", "no scope claim"}},
		{"DELETE", "/", "", "delete:*", []string{"*", "*:*", "no scope claim"}},
	}
	for _, tt := range tests {
		scope, ok := DerivedScope(tt.method, tt.path, tt.prefix)
		if !ok || scope != tt.scope {
			t.Errorf("DerivedScope(%s %s, prefix %q) = %q, %v; want %q", tt.method, tt.path, tt.prefix, scope, ok, tt.scope)
			continue
		}
		pass := map[string]bool{}
		for _, name := range tt.want {
			pass[name] = true
		}
		for name, mi := range tokens {
			if got := mi.Grants(scope); got != pass[name] {
				t.Errorf("%s %s (%s) with a token of %s: granted %v; want %v", tt.method, tt.path, scope, name, got, pass[name])
			}
		}
	}
	for _, m := range []string{"OPTIONS", "TRACE", "CONNECT", "get", ""} {
		if scope, ok := DerivedScope(m, "/pets", ""); ok {
			t.Errorf("DerivedScope(%q) = %q; want no scope (refused)", m, scope)
		}
	}
}
