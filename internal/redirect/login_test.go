package redirect

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The login redirect keeps a local next, query included, and replaces
// anything else with "/".
func TestToLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		next    string
		offline bool
		want    string
	}{
		{"/bake?food=croissant", false, "/api/login?next=%2Fbake%3Ffood%3Dcroissant"},
		{"/api/token?user=bot@service", true, "/api/login?next=%2Fapi%2Ftoken%3Fuser%3Dbot%40service&offline_token=true"},
		{"//evil.example/x", false, "/api/login?next=%2F"},
		{"/\t/evil.example", true, "/api/login?next=%2F&offline_token=true"},
		{"", false, "/api/login?next=%2F"},
	} {
		w := httptest.NewRecorder()
		ToLogin(w, httptest.NewRequest(http.MethodGet, "/x", nil), "/api/login", tc.next, tc.offline)
		if w.Code != http.StatusFound || w.Header().Get("Location") != tc.want || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("ToLogin(%q, %v): %d Location %q Cache-Control %q; want 302 %q no-store",
				tc.next, tc.offline, w.Code, w.Header().Get("Location"), w.Header().Get("Cache-Control"), tc.want)
		}
	}
}
