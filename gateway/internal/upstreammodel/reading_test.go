package upstreammodel

import (
	"net/textproto"
	"slices"
	"testing"
)

var routes = []string{"/", "/admin", "/admin/public", "/pub"}

// Each reading routes as the server it stands for.
func TestReadingRoute(t *testing.T) {
	t.Parallel()
	werkzeug := Reading{Decode: 1, DecodeSlash: true}
	tomcat := Reading{Decode: 1, Params: ParamsRaw, ResolveDots: true}
	nginx := Reading{Decode: 1, DecodeSlash: true, MergeSlashes: true, ResolveDots: true}
	express := Reading{Decode: 1, FoldCase: true}
	spring := Reading{Decode: 1, Suffix: true}
	iis := Reading{Decode: 2, DecodeSlash: true, Backslash: true, FoldCase: true, Suffix: true}
	raw := Reading{}
	tests := []struct {
		rd   Reading
		path string
		want string
	}{
		{werkzeug, "/admin%2Fusers", "/admin"},
		{werkzeug, "/admin;/users", "/"},
		{tomcat, "/admin;/users", "/admin"},
		{tomcat, "/admin;jsessionid=x/users", "/admin"},
		{tomcat, "/admin%2Fusers", "/"},
		{tomcat, "/pub/..;/admin/x", "/admin"},
		{nginx, "//admin//users", "/admin"},
		{nginx, "/pub/%2e%2e/admin", "/admin"},
		{nginx, "/ADMIN/users", "/"},
		{express, "/ADMIN/users", "/admin"},
		{express, "/ta\u017fks", "/"},
		{express, "/admin/PUBLIC/x", "/admin/public"},
		{spring, "/admin.json", "/admin"},
		{spring, "/admin./x", "/admin"},
		{spring, "/adminx", "/"},
		{iis, `/admin\users`, "/admin"},
		{iis, "/%2561dmin", "/admin"},
		{raw, "/%61dmin", "/"},
		{raw, "/admin/public", "/admin/public"},
		{raw, "/apple", "/"},
	}
	for _, tt := range tests {
		if got := tt.rd.Route(tt.path, routes); got != tt.want {
			t.Errorf("%+v: Route(%q) = %q, want %q", tt.rd, tt.path, got, tt.want)
		}
	}
}

// The server's answer lists the routes of every reading, and of the
// routing override headers.
func TestRoutes(t *testing.T) {
	t.Parallel()
	if got := Routes("/admin%2Fusers?x=1", nil, routes); !slices.Equal(got, []string{"/", "/admin"}) {
		t.Errorf("Routes = %q", got)
	}
	h := textproto.MIMEHeader{"X-Original-Url": {"/admin/public/x"}}
	if got := Routes("/pub/x", h, routes); !slices.Equal(got, []string{"/admin/public", "/pub"}) {
		t.Errorf("Routes with X-Original-URL = %q", got)
	}
}

// AllRoutes answers what the readings answer one by one.
func TestAllRoutes(t *testing.T) {
	t.Parallel()
	for i, path := range ConfusingPaths() {
		if i%5 != 0 {
			continue // a sample: each path costs every reading
		}
		var want []string
		for _, rd := range Readings() {
			if r := rd.Route(path, routes); !slices.Contains(want, r) {
				want = append(want, r)
			}
		}
		slices.Sort(want)
		if got := AllRoutes(path, routes); !slices.Equal(got, want) {
			t.Errorf("AllRoutes(%q) = %q, want %q", path, got, want)
		}
	}
}
