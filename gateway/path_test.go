package gateway

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/gateway/internal/upstreammodel"
)

// The canonical form of each path, or the reason it is refused.
func TestCanonicalPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target           string
		path, raw        string
		encSlash, params bool
		reason           string
	}{
		{target: "/app/x", path: "/app/x", raw: "/app/x"},
		{target: "/app/caf%C3%A9", path: "/app/café", raw: "/app/caf%C3%A9"},
		{target: "/app/caf%c3%a9", path: "/app/café", raw: "/app/caf%c3%a9"},
		{target: "/app/%61", path: "/app/a", raw: "/app/%61"},
		{target: "/app/50%25", path: "/app/50%", raw: "/app/50%25"},
		{target: "//app//x///", path: "/app/x/", raw: "/app/x/"},
		{target: "/app//a%2Fb", path: "/app/a/b", raw: "/app/a%2Fb", encSlash: true},
		{target: "/app/a%5cb", path: `/app/a\b`, raw: "/app/a%5cb", encSlash: true},
		{target: `/app/a\b`, path: `/app/a\b`, raw: "/app/a%5Cb", encSlash: true},
		{target: "/app;v=1/x", path: "/app;v=1/x", raw: "/app;v=1/x", params: true},
		{target: "/app%3Bv=1/x", path: "/app;v=1/x", raw: "/app%3Bv=1/x", params: true},
		{target: "http://example.com", path: "/", raw: "/"},
		{target: "*", reason: badPathSyntax},
		{target: "/a%00", reason: badPathControl},
		{target: "/a%0A", reason: badPathControl},
		{target: "/a%7f", reason: badPathControl},
		{target: "/a%C0%AF", reason: badPathUTF8},
		{target: "/a/\xff", reason: badPathUTF8},
		{target: "/a%252F", reason: badPathDouble},
		{target: "/a%2541", reason: badPathDouble},
		{target: "/a%25%32%46", reason: badPathDouble},
		{target: "/a/..", reason: badPathDots},
		{target: "/a/./b", reason: badPathDots},
		{target: "/a/%2e%2E/b", reason: badPathDots},
		{target: "/a/..%2Fb", reason: badPathDots},
		{target: "/a/..;x/b", reason: badPathDots},
		{target: `/a\..\b`, reason: badPathDots},
		{target: "/a/.../b", reason: badPathDots},
		{target: "/a/..%20/b", reason: badPathDots},
		{target: "/a/.x/x./..b/b..", path: "/a/.x/x./..b/b..", raw: "/a/.x/x./..b/b.."},
	}
	for _, tt := range tests {
		u, err := url.ParseRequestURI(tt.target)
		if err != nil {
			t.Fatalf("%q: %v", tt.target, err)
		}
		p, reason := canonicalPath(u)
		if reason != tt.reason {
			t.Errorf("%q: reason %q, want %q", tt.target, reason, tt.reason)
			continue
		}
		if reason != "" {
			continue
		}
		if p.path != tt.path || p.raw != tt.raw || p.encSlash != tt.encSlash || p.params != tt.params {
			t.Errorf("%q: %+v, want path %q raw %q encSlash %v params %v", tt.target, p, tt.path, tt.raw, tt.encSlash, tt.params)
		}
	}
}

// The canonicaliser and the route decision allocate nothing for an
// ordinary path.
func TestCanonicalPathAllocs(t *testing.T) {
	st := routesState(false)
	u, _ := url.ParseRequestURI("/pub/some/page.html")
	allocs := testing.AllocsPerRun(100, func() {
		p, reason := canonicalPath(u)
		if reason != "" {
			t.Fatal(reason)
		}
		if d, _ := st.decide(&p); d.m == nil {
			t.Fatal("no route")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request, want 0", allocs)
	}
}

func BenchmarkCanonicalPath(b *testing.B) {
	st := routesState(false)
	for _, target := range []string{"/pub/some/page.html", "/admin/users/42", "/unrouted/x"} {
		u, _ := url.ParseRequestURI(target)
		b.Run(strings.ReplaceAll(target, "/", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, _ := canonicalPath(u)
				st.decide(&p)
			}
		})
	}
}

// testRoutes are the upstreams of the route tests: nested rules of both
// strengths, a prefix with a dot, one with letters that fold from
// non-ASCII ones, and a catch-all.
var testRoutes = []struct{ prefix, require string }{
	{"/", RequireLogin},
	{"/admin", "admin"},
	{"/admin/public", RequirePublic},
	{"/pub", RequirePublic},
	{"/pub/private", "write"},
	{"/pub/private/open", RequirePublic},
	{"/tasks", "write"},
	{"/a", RequirePublic},
	{"/a.b", "admin"},
	{"/a/b", "read"},
	{"/api/v1", "read"},
}

// routesState is a state with testRoutes only, each allowing encoded
// slashes and ";" parameters when optIn is set.
func routesState(optIn bool) *state {
	st := &state{}
	for _, r := range testRoutes {
		u := &Upstream{PathPrefix: r.prefix, Require: r.require, AllowEncodedSlashes: optIn, AllowPathParams: optIn}
		st.mounts = append(st.mounts, &mount{u: u})
	}
	sortMounts(st.mounts)
	return st
}

// prefixes are the routes of the model servers: testRoutes' prefixes in
// reverse order, so that the model breaks ties between prefixes of the
// same length (/a/b and /a.b on /a.b/b) the other way than the gateway.
var prefixes = func() []string {
	var out []string
	for _, r := range slices.Backward(testRoutes) {
		out = append(out, r.prefix)
	}
	return out
}()

// requires returns every requirement of d.
func (d *decision) requires() []string {
	return append([]string{d.m.u.Require}, append(d.rules[:min(d.n, len(d.rules))], d.more...)...)
}

// checkRoute checks the gateway's property for the request target: if
// the gateway takes it, every way an app server may read the path it
// forwards leads to a route whose rule the gateway applied.
func checkRoute(t *testing.T, st *state, target string) {
	u, err := url.ParseRequestURI(target)
	if err != nil || strings.ContainsAny(target, " ?#") {
		return // Go's server refuses it, or it is no path
	}
	p, reason := canonicalPath(u)
	if reason != "" {
		return
	}
	if back, err := url.PathUnescape(p.raw); err != nil || back != p.path || strings.Contains(p.raw, "//") {
		t.Fatalf("%q: raw %q does not decode to path %q, or has //", target, p.raw, p.path)
	}
	lower := strings.ToLower(p.raw)
	if !p.encSlash && (strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(p.raw, `\`)) ||
		!p.params && (strings.Contains(lower, "%3b") || strings.Contains(p.raw, ";")) {
		t.Fatalf("%q: %+v: flags wrong", target, p)
	}
	d, reason := st.decide(&p)
	if reason != "" {
		return
	}
	if d.m == nil {
		t.Fatalf("%q: no upstream, but / is one", target)
	}
	if pre := d.m.u.PathPrefix; pre != "/" && (d.strip != len(pre) || !asciiEqualFold(p.path[:d.strip], pre)) {
		t.Fatalf("%q: upstream %s spans %q", target, pre, p.path[:d.strip])
	}
	applied := d.requires()
	for _, route := range upstreammodel.AllRoutes(p.raw, prefixes) {
		for _, r := range testRoutes {
			if r.prefix == route && r.require != RequirePublic && !slices.Contains(applied, r.require) {
				t.Fatalf("%q: the upstream gets %q, which some server routes to %s (require %s); the gateway applied %q to %s",
					target, p.raw, route, r.require, applied, d.m.u.PathPrefix)
			}
		}
	}
}

// routeCases are targets for testRoutes, beside the confusing paths.
var routeCases = []string{
	"/a.b/c", "/A.B.json", "/a.b/b", "/a/b.x", "/api/v1;x/y", "/api%2Fv1", "/API/V1", "/pub/private.x",
	"/pub/PRIVATE", "/a;/b", "/pub;x/private;y/open%3Bz/q", "/pub/private%3Bx/open", "/pub%2Fprivate;x%2Fopen",
}

// The readings of every app server lead to rules the gateway applied.
func TestRouteReadings(t *testing.T) {
	t.Parallel()
	for _, optIn := range []bool{false, true} {
		st := routesState(optIn)
		for _, target := range append(upstreammodel.ConfusingPaths(), routeCases...) {
			checkRoute(t, st, target)
		}
	}
}

// FuzzCanonicalPath: whatever the target, a path the gateway takes is
// routed under every rule that some app server's reading of it reaches
// (checkRoute), with and without the upstreams opting in to encoded
// slashes and ";" parameters.
func FuzzCanonicalPath(f *testing.F) {
	for _, target := range upstreammodel.ConfusingPaths() {
		if len(target) < 200 {
			f.Add(target)
		}
	}
	for _, target := range routeCases {
		f.Add(target)
	}
	strict, optIn := routesState(false), routesState(true)
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/") || len(target) > 512 {
			return
		}
		checkRoute(t, strict, target)
		checkRoute(t, optIn, target)
	})
}
