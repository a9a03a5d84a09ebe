package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// The people, accounts and machine clients of the tests.
const (
	alice   = gatewaytest.Alice // holds read
	admin   = gatewaytest.Admin // holds admin (everything)
	bot     = gatewaytest.Bot   // a service account holding write
	petsAPI = gatewaytest.PetsAPI
)

// env is a gateway between a test client and a real upstream, with a
// mock identity provider.
type env struct {
	t   testing.TB
	gs  *gatewaytest.Server
	idp *mockidp.Server
	gw  *gateway.Gateway
	srv *httptest.Server
	up  *httptest.Server
	obs *recordingObserver
}

// seen is what the echo upstream received.
type seen gatewaytest.Seen

// newEnv starts the upstream (echo unless given), the provider and the
// gateway (gatewaytest.DefaultConfig); change lets a test edit the
// configuration first.
func newEnv(t testing.TB, upstream http.Handler, change func(*gateway.Config)) *env {
	t.Helper()
	obs := &recordingObserver{}
	gs := gatewaytest.New(t, gatewaytest.Options{Upstream: upstream, Configure: func(c *gateway.Config) {
		c.Observer = obs
		if change != nil {
			change(c)
		}
	}})
	return &env{t: t, gs: gs, idp: gs.IdP, gw: gs.Gateway, srv: gs.Server, up: gs.Upstream, obs: obs}
}

// caller makes requests as one identity.
type caller struct {
	name   string
	hc     *http.Client
	bearer string
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (e *env) guest() *caller {
	return &caller{name: "guest", hc: &http.Client{CheckRedirect: noRedirect}}
}

func (e *env) bearer(name, tok string) *caller {
	return &caller{name: name, hc: &http.Client{CheckRedirect: noRedirect}, bearer: tok}
}

// browser logs email in through the gateway's login routes.
func (e *env) browser(email string) *caller {
	e.t.Helper()
	return &caller{name: email, hc: e.gs.Browser(email)}
}

func (e *env) userToken(email string) string      { return e.gs.UserToken(email) }
func (e *env) serviceToken(account string) string { return e.gs.ServiceToken(account) }
func (e *env) clientToken(id string) string       { return e.gs.ClientToken(id) }

func (c *caller) do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (c *caller) get(t testing.TB, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	return c.do(t, req)
}

func (c *caller) getJSON(t testing.TB, u string, v any) {
	t.Helper()
	resp, body := c.get(t, u)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET %s: %d %s", c.name, u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: GET %s: %v in %s", c.name, u, err, body)
	}
}

// upstreamSaw does GET u and returns what the echo upstream received.
func (c *caller) upstreamSaw(t testing.TB, u string, hdr ...string) seen {
	t.Helper()
	resp, body := c.get(t, u, hdr...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET %s: %d %s", c.name, u, resp.StatusCode, body)
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("%s: GET %s: %v in %s", c.name, u, err, body)
	}
	return s
}

func (s seen) get(name string) string {
	return strings.Join(http.Header(s.Header).Values(name), "|")
}

// recordingObserver keeps what the gateway reports.
type recordingObserver struct {
	mu   sync.Mutex
	reqs []gateway.RequestInfo
	idp  int
}

func (o *recordingObserver) Request(i gateway.RequestInfo) {
	o.mu.Lock()
	o.reqs = append(o.reqs, i)
	o.mu.Unlock()
}

func (o *recordingObserver) IdPRequest(string, int, time.Duration, error) {
	o.mu.Lock()
	o.idp++
	o.mu.Unlock()
}

func (o *recordingObserver) last(path string) (gateway.RequestInfo, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.reqs) - 1; i >= 0; i-- {
		if o.reqs[i].Path == path {
			return o.reqs[i], true
		}
	}
	return gateway.RequestInfo{}, false
}
