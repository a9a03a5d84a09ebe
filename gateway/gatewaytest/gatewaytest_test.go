package gatewaytest_test

import (
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
)

// A session cookie works from any client, e.g. for a proxy in front that
// asks {prefix}/check.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	gs := gatewaytest.New(t, gatewaytest.Options{})
	c := gs.SessionCookie(gatewaytest.Alice)
	for _, tt := range []struct {
		require string
		want    int
	}{{"read", 200}, {"write", 403}} {
		req, _ := http.NewRequest(http.MethodGet, gs.URL+gatewaytest.Prefix+"/check?require="+tt.require, nil)
		req.AddCookie(c)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("require %s: %d, want %d", tt.require, resp.StatusCode, tt.want)
		}
		if tt.want == 200 && resp.Header.Get("X-Auth-Request-Email") != gatewaytest.Alice {
			t.Errorf("identity headers: %v", resp.Header)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, gs.URL+gatewaytest.Prefix+"/check?require=write", nil)
	req.Header.Set("Authorization", "Bearer "+gs.ClientToken(gatewaytest.Writer))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("machine client: %d", resp.StatusCode)
	}
}

// The test configuration gives every app path one rule, as a real one
// must.
func TestDefaultConfigHasNoOverlaps(t *testing.T) {
	t.Parallel()
	cfg := gatewaytest.DefaultConfig("http://127.0.0.1:1", "http://127.0.0.1:2")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if o := cfg.Overlaps(); len(o) > 0 {
		t.Errorf("overlapping upstreams: %q", o)
	}
}
