package redirect

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalPath checks that whatever LocalPath accepts stays on the origin,
// both resolved as a reference and after http.Redirect's rewriting.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{
		"/", "/a/b?x=1&y=%2F#frag", "//evil.com", "/\\evil.com", "/\t/evil.com",
		"/%2f%2fevil.com", "/%252f", "javascript:alert(1)", "/a/../b", "/caf%C3%A9",
		"/a?next=//x", "/\uff0fevil.com", "/%2e%2e/x", "/a#/b",
	} {
		f.Add(s)
	}
	base, _ := url.Parse("https://origin.example/dir/page")
	f.Fuzz(func(t *testing.T, next string) {
		got, ok := LocalPath(next)
		if !ok {
			return
		}
		if got != next {
			t.Fatalf("LocalPath(%q) changed the value to %q", next, got)
		}
		if strings.HasPrefix(got, "//") || strings.ContainsRune(got, '\\') {
			t.Fatalf("accepted %q", got)
		}
		for _, c := range []byte(got) {
			if c < 0x20 || c >= 0x7f {
				t.Fatalf("accepted %q with byte %#x", got, c)
			}
		}
		ref, err := url.Parse(got)
		if err != nil {
			t.Fatalf("accepted %q which does not parse: %v", got, err)
		}
		if u := base.ResolveReference(ref); u.Host != "origin.example" || u.Scheme != "https" || u.User != nil {
			t.Fatalf("accepted %q resolves to %s", got, u)
		}
		// http.Redirect cleans the path; the Location it writes must stay local too.
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest("GET", "https://origin.example/login", nil), got, http.StatusSeeOther)
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsRune(loc, '\\') {
			t.Fatalf("http.Redirect turned accepted %q into Location %q", got, loc)
		}
		lref, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("Location %q does not parse: %v", loc, err)
		}
		if u := base.ResolveReference(lref); u.Host != "origin.example" {
			t.Fatalf("Location %q resolves to %s", loc, u)
		}
	})
}
