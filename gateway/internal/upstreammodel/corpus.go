package upstreammodel

import "strings"

// ConfusingPaths are request targets that servers read in different
// ways: encoded and double-encoded separators, dots and parameters,
// backslashes, case, overlong UTF-8, empty segments, trailing dots,
// controls, bad escapes, long paths, and combinations of these.
func ConfusingPaths() []string {
	paths := []string{
		"/admin%2Fusers", "/admin%2fusers", "/admin%5Cusers", "/admin%5cusers", `/admin\users`,
		"/admin;/users", "/admin;jsessionid=x/users", "/admin;a=1;b=2/users", "/admin%3B/users", "/admin%3bjsessionid=1/users",
		"/pub/..%2Fadmin/users", "/pub/%2e%2e/admin/users", "/pub/%2E%2E%2Fadmin", "/pub/..;/admin/users",
		"/pub/.%2e/admin", "/pub/..%5Cadmin", `/pub\..\admin\users`, "/pub/%252e%252e/admin", "/pub/..%252Fadmin",
		"/pub/%c0%ae%c0%ae/admin", "/pub/%c0%af..%c0%afadmin", "/admin%c0%afusers", "/admin%e0%80%afusers",
		"/ADMIN/users", "/Admin/users", "/aDmIn", "/%41dmin/users", "/%61dmin/users", "/admin/PUBLIC/x",
		"/ADMIN/public/x", "/admin/Public", "/WRITE/x", "/ta\u017fks/x", "/ta%C5%BFks", "/tas\u212as", "/TASKS",
		"/admın/x", "/admİn/x", "//admin/users", "///admin", "/pub//admin", "/pub/./admin", "/./admin/users",
		"/admin/./users", "/pub/.././admin", "/admin./users", "/admin../users", "/admin.json", "/admin%2e/users",
		"/admin%20/users", "/admin%00/users", "/admin%00", "/admin%0d%0a/users", "/admin%09/users", "/admin%7f",
		"/admin%ff", "/admin%252Fusers", "/admin%255Cusers", "/admin%253Busers", "/admin%2500", "/admin%252E",
		"/%2561dmin/users", "/admin%25%32%46users", "/admin%", "/admin%2", "/admin%zz/users", "/%%32%46admin",
		"/admin%%2F", "/admin\xc0\xafusers", "/admin\xffx", "/admin/public/..%2F..%2Fadmin/users",
		"/admin/public%2F..%2Fusers", "/admin/public;/../users", "/admin/public;/x", "/admin/public%3B/x",
		"/pub/" + strings.Repeat("a/", 2000) + "..%2F..%2Fadmin", "/admin" + strings.Repeat("%2F", 1000),
		"/pub/" + strings.Repeat("x", 8000), "/admin/public/..", "/admin/public/...", "/admin/public/.. ",
		"/pub%2F..%2Fadmin", "/pub;%2F..%2Fadmin", "/pub/x%2F..%2F..%2Fadmin", "/admin%2F", "/admin;",
		"/pub/x?/admin/y", "/pub/x#/../admin", "/%2F%2Fadmin", "/%5C%5Cadmin",
	}
	leads := []string{"/", "//", "/pub/../", "/pub/..%2F", "/pub%2F..%2F", "/./", "/admin/public/../", "/admin/public%2F..%2F", "/pub;/"}
	names := []string{"admin", "ADMIN", "Admin", "%61dmin", "admin.", "admin.json", "admin%20", "admin;x", "admin%3Bx", "ad%6din"}
	seps := []string{"/", "%2F", "%2f", "%5C", ";/", ";x/", "%3B/", "//", "/./", "%252F", "%c0%af", "/public/"}
	for _, l := range leads {
		for _, n := range names {
			for _, s := range seps {
				paths = append(paths, l+n+s+"users")
			}
		}
	}
	return paths
}
