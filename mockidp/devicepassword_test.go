package mockidp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDeviceLoginNeedsPassword: with a users file, the device page signs
// in by the rule of the login page (a user with a password must give it),
// and refuses a form posted from another site.
func TestDeviceLoginNeedsPassword(t *testing.T) {
	t.Parallel()
	path := writeUsersFile(t, "users:\n  - email: bob@example.com\n    password: "+hashFor(t, "bob-secret-1")+"\n")
	s := newTestServer(t, Options{UsersFile: path})
	a := startDevice(t, s, url.Values{"scope": {"openid email"}}, DemoClientID, DemoClientSecret)

	_, page := do(t, s.Client(), mustRequest(t, http.MethodGet, a.VerificationURIComplete))
	if !strings.Contains(string(page), `name="mockidp_password"`) {
		t.Fatalf("device page without a password field:\n%s", page)
	}
	try := func(email, password string, header http.Header) (int, string) {
		t.Helper()
		form := url.Values{"user_code": {a.UserCode}, fieldAction: {"login"}, fieldEmail: {email}, fieldPassword: {password}}
		req, err := http.NewRequest(http.MethodPost, s.URL+"/device", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, body := do(t, s.Client(), req)
		return resp.StatusCode, string(body)
	}
	for _, tc := range []struct{ email, password string }{
		{"bob@example.com", "wrong-password"},
		{"bob@example.com", ""},
		{"eve@example.com", "bob-secret-1"}, // unknown: no sign-in without a password
	} {
		if st, body := try(tc.email, tc.password, nil); st != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password.") {
			t.Errorf("%s / %q: %d; want 401 and the page again", tc.email, tc.password, st)
		}
		// Still waiting (polled too often here, so slow_down will do too).
		if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "authorization_pending" && m["error"] != "slow_down" {
			t.Fatalf("after a refused sign-in the device got %d %v", st, m)
		}
	}
	if st, _ := try("bob@example.com", "bob-secret-1", http.Header{"Origin": {"https://evil.example"}}); st != http.StatusForbidden {
		t.Errorf("cross-site post: %d; want 403", st)
	}
	if st, body := try("bob@example.com", "bob-secret-1", nil); st != http.StatusOK || !strings.Contains(body, `id="done"`) {
		t.Fatalf("right password: %d %s", st, body)
	}
}
