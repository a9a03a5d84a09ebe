package mockidp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type deviceAnswer struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func startDevice(t *testing.T, s *Server, form url.Values, user, pass string) deviceAnswer {
	t.Helper()
	resp, data := postForm(t, s.Client(), s.URL+"/device_authorization", form, user, pass)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("device_authorization: %d %s", resp.StatusCode, data)
	}
	var a deviceAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func pollDevice(t *testing.T, s *Server, code string) (int, map[string]any) {
	t.Helper()
	resp, data := postForm(t, s.Client(), s.URL+"/token",
		url.Values{"grant_type": {deviceGrantType}, "device_code": {code}}, DemoClientID, DemoClientSecret)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%d %s", resp.StatusCode, data)
	}
	return resp.StatusCode, m
}

var userCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func TestDeviceGrant(t *testing.T) {
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	s := newTestServer(t, Options{Now: clock.Now, Users: []User{{Email: "ada@example.com", Name: "Ada"}}})
	a := startDevice(t, s, url.Values{"scope": {"openid email offline_access"}}, DemoClientID, DemoClientSecret)
	switch {
	case !userCodeRE.MatchString(a.UserCode):
		t.Errorf("user_code = %q", a.UserCode)
	case a.VerificationURI != s.URL+"/device":
		t.Errorf("verification_uri = %q", a.VerificationURI)
	case a.VerificationURIComplete != s.URL+"/device?user_code="+a.UserCode:
		t.Errorf("verification_uri_complete = %q", a.VerificationURIComplete)
	case a.ExpiresIn != 600 || a.Interval != 5 || a.DeviceCode == "":
		t.Errorf("answer = %+v", a)
	}

	// Pending, then too fast, then pending again after the longer interval.
	if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "authorization_pending" {
		t.Fatalf("first poll: %d %v", st, m)
	}
	clock.Add(time.Second)
	if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "slow_down" {
		t.Fatalf("fast poll: %d %v", st, m)
	}
	clock.Add(6 * time.Second) // the interval is 10s now
	if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "slow_down" {
		t.Fatalf("poll inside the longer interval: %d %v", st, m)
	}
	clock.Add(16 * time.Second)
	if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "authorization_pending" {
		t.Fatalf("slow poll: %d %v", st, m)
	}

	// The page: the code entry form, then the sign-in step, then approval.
	resp, data := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/device"))
	if resp.StatusCode != 200 || !strings.Contains(string(data), `name="user_code"`) {
		t.Fatalf("device page: %d %s", resp.StatusCode, data)
	}
	resp, data = postForm(t, s.Client(), s.URL+"/device", url.Values{"user_code": {"nope-nope"}}, "", "")
	if resp.StatusCode != 400 || !strings.Contains(string(data), `class="err"`) {
		t.Fatalf("bad code: %d %s", resp.StatusCode, data)
	}
	typed := strings.ToLower(strings.ReplaceAll(a.UserCode, "-", " "))
	resp, data = postForm(t, s.Client(), s.URL+"/device", url.Values{"user_code": {typed}}, "", "")
	if resp.StatusCode != 200 || !strings.Contains(string(data), "ada@example.com") || !strings.Contains(string(data), DemoClientID) {
		t.Fatalf("sign-in step: %d %s", resp.StatusCode, data)
	}
	resp, data = postForm(t, s.Client(), s.URL+"/device", url.Values{"user_code": {a.UserCode}, fieldAction: {"login"}, fieldEmail: {"bad"}}, "", "")
	if resp.StatusCode != 400 {
		t.Fatalf("bad email: %d %s", resp.StatusCode, data)
	}
	resp, data = postForm(t, s.Client(), s.URL+"/device", url.Values{"user_code": {a.UserCode}, fieldAction: {"login"}, fieldEmail: {"ada@example.com"}}, "", "")
	if resp.StatusCode != 200 || !strings.Contains(string(data), `id="done"`) {
		t.Fatalf("approve: %d %s", resp.StatusCode, data)
	}
	// The code cannot be used twice on the page.
	resp, _ = postForm(t, s.Client(), s.URL+"/device", url.Values{"user_code": {a.UserCode}, fieldAction: {"deny"}}, "", "")
	if resp.StatusCode != 400 {
		t.Errorf("second answer: %d", resp.StatusCode)
	}

	clock.Add(11 * time.Second)
	st, m := pollDevice(t, s, a.DeviceCode)
	if st != 200 || m["access_token"] == "" || m["refresh_token"] == "" || m["id_token"] == nil {
		t.Fatalf("token: %d %v", st, m)
	}
	// The ID token is for the chosen user.
	ctx := oidc.ClientContext(t.Context(), s.Client())
	provider, err := oidc.NewProvider(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: DemoClientID, Now: clock.Now}).Verify(ctx, m["id_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var c idClaims
	_ = idt.Claims(&c)
	if c.Email != "ada@example.com" || c.Name != "Ada" {
		t.Errorf("claims = %+v", c)
	}
	// The userinfo endpoint accepts the access token.
	req := mustRequest(t, http.MethodGet, s.URL+"/userinfo")
	req.Header.Set("Authorization", "Bearer "+m["access_token"].(string))
	if resp, data := do(t, s.Client(), req); resp.StatusCode != 200 || !strings.Contains(string(data), "ada@example.com") {
		t.Errorf("userinfo: %d %s", resp.StatusCode, data)
	}
	// The device code is spent.
	clock.Add(time.Minute)
	if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "invalid_grant" {
		t.Errorf("replay: %d %v", st, m)
	}
}

func TestDeviceGrantDeniedAndExpired(t *testing.T) {
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	s := newTestServer(t, Options{Now: clock.Now, DeviceCodeTTL: time.Minute, DevicePollInterval: 2 * time.Second})
	a := startDevice(t, s, url.Values{"scope": {"openid"}}, DemoClientID, DemoClientSecret)
	if a.ExpiresIn != 60 || a.Interval != 2 {
		t.Errorf("answer = %+v", a)
	}
	// verification_uri_complete shows the sign-in step at once.
	resp, data := do(t, s.Client(), mustRequest(t, http.MethodGet, a.VerificationURIComplete))
	if resp.StatusCode != 200 || !strings.Contains(string(data), `value="deny"`) {
		t.Fatalf("complete URI: %d %s", resp.StatusCode, data)
	}
	resp, _ = postForm(t, s.Client(), s.URL+"/device", url.Values{"user_code": {a.UserCode}, fieldAction: {"deny"}}, "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("deny: %d", resp.StatusCode)
	}
	if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "access_denied" {
		t.Errorf("denied: %d %v", st, m)
	}

	b := startDevice(t, s, url.Values{"scope": {"openid"}}, DemoClientID, DemoClientSecret)
	clock.Add(2 * time.Minute)
	if st, m := pollDevice(t, s, b.DeviceCode); st != 400 || m["error"] != "expired_token" {
		t.Errorf("expired: %d %v", st, m)
	}
	resp, _ = do(t, s.Client(), mustRequest(t, http.MethodGet, b.VerificationURIComplete))
	if resp.StatusCode != 400 {
		t.Errorf("page for an expired code: %d", resp.StatusCode)
	}
}

func TestDeviceAuthorizationErrors(t *testing.T) {
	s := newTestServer(t, Options{Registration: true})
	nodev := registerClient(t, s, `{"redirect_uris":["https://a.example/cb"]}`)
	pub := registerClient(t, s, `{"grant_types":["`+deviceGrantType+`","refresh_token"],"token_endpoint_auth_method":"none"}`)
	for _, tc := range []struct {
		name       string
		form       url.Values
		user, pass string
		status     int
		code       string
	}{
		{"no client", url.Values{}, "", "", 401, "invalid_client"},
		{"bad secret", url.Values{}, DemoClientID, "wrong", 401, "invalid_client"},
		{"grant not registered", url.Values{}, nodev.ClientID, nodev.ClientSecret, 400, "unauthorized_client"},
		{"public client", url.Values{"client_id": {pub.ClientID}, "scope": {"openid"}}, "", "", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := postForm(t, s.Client(), s.URL+"/device_authorization", tc.form, tc.user, tc.pass)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s; want %d", resp.StatusCode, data, tc.status)
			}
			if tc.code != "" && decodeError(t, data).Error != tc.code {
				t.Errorf("error = %s; want %s", data, tc.code)
			}
		})
	}
	// A device code is bound to its client.
	a := startDevice(t, s, url.Values{"client_id": {pub.ClientID}}, "", "")
	if st, m := pollDevice(t, s, a.DeviceCode); st != 400 || m["error"] != "invalid_grant" {
		t.Errorf("other client: %d %v", st, m)
	}
	resp, data := postForm(t, s.Client(), s.URL+"/token", url.Values{"grant_type": {deviceGrantType}, "client_id": {pub.ClientID}}, "", "")
	if resp.StatusCode != 400 || decodeError(t, data).Error != "invalid_request" {
		t.Errorf("no device_code: %d %s", resp.StatusCode, data)
	}
	resp, data = postForm(t, s.Client(), s.URL+"/token", url.Values{"grant_type": {deviceGrantType}, "client_id": {pub.ClientID}, "device_code": {a.DeviceCode}}, "", "")
	if resp.StatusCode != 400 || decodeError(t, data).Error != "authorization_pending" {
		t.Errorf("public poll: %d %s", resp.StatusCode, data)
	}
}

// A client registered for the device grant alone cannot use authorize,
// where its empty redirect URI list would otherwise allow any loopback URI.
func TestDeviceOnlyClientCannotAuthorize(t *testing.T) {
	s := newTestServer(t, Options{Registration: true})
	pub := registerClient(t, s, `{"grant_types":["`+deviceGrantType+`"],"token_endpoint_auth_method":"none"}`)
	u := s.URL + "/authorize?" + url.Values{"client_id": {pub.ClientID}, "response_type": {"code"},
		"redirect_uri": {"http://127.0.0.1:9/cb"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}.Encode()
	resp, data := do(t, s.Client(), mustRequest(t, http.MethodGet, u))
	if resp.StatusCode != http.StatusBadRequest || decodeError(t, data).Error != "unauthorized_client" {
		t.Errorf("authorize: %d %s; want 400 unauthorized_client", resp.StatusCode, data)
	}
}
