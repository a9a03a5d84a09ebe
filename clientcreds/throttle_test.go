package clientcreds_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers"
	"golang.org/x/crypto/argon2"
)

// throttleApp serves the token routes of a Manager with two clients, a
// (secret a-secret) and b (secret b-secret), over loopback HTTP.
type throttleApp struct {
	m     *auth.Manager
	g     *clientcreds.Issuer
	url   string
	clock *clock
}

// cheapSecretHash hashes secret with the smallest argon2id parameters
// accepted, so that the tests can afford hundreds of checks; an unknown
// client still costs a full one.
func cheapSecretHash(secret string) string {
	salt := []byte("throttle-salt-16")
	key := argon2.IDKey([]byte(secret), salt, 1, 8, 1, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func startThrottleApp(t *testing.T, extra string) *throttleApp {
	t.Helper()
	clients := fmt.Sprintf("clients:\n  a: {client_secret: %q}\n  b: {client_secret: %q}\n", cheapSecretHash("a-secret"), cheapSecretHash("b-secret"))
	cfg, cc, err := loadCC(t, "", ccYAML+clients+extra)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	cfg.Now = clk.Now
	m, g, err := start(t, cfg, cc, clientcreds.Options{Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &throttleApp{m: m, g: g, url: srv.URL, clock: clk}
}

// from returns a client whose connections come from the loopback address
// ip (any of 127.0.0.0/8 works on Linux), a TCP peer of its own.
func from(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

type tokenReply struct {
	status     int
	retryAfter string
	header     http.Header
	Error      string `json:"error"`
	Desc       string `json:"error_description"`
	Token      string `json:"access_token"`
}

// token posts a client-credentials request for id and secret to path
// (default /oauth/token), with the extra headers given as name, value
// pairs.
func (a *throttleApp) token(t *testing.T, c *http.Client, path, id, secret string, hdr ...string) tokenReply {
	t.Helper()
	if path == "" {
		path = "/oauth/token"
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	req, err := http.NewRequest(http.MethodPost, a.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", id, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := tokenReply{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), header: resp.Header}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%s %s: %d %q: %v", id, path, resp.StatusCode, body, err)
	}
	return r
}

// expect fails unless r has this status and error code.
func (r tokenReply) expect(t *testing.T, what string, status int, code string) {
	t.Helper()
	if r.status != status || r.Error != code {
		t.Fatalf("%s: %d %q (%s); want %d %q", what, r.status, r.Error, r.Desc, status, code)
	}
}

// expectSlowDown fails unless r is the throttled answer: 429 slow_down
// with a description and a Retry-After of at most a minute and a twelfth
// (failures are counted in slots of 5s). It returns the Retry-After.
func (r tokenReply) expectSlowDown(t *testing.T, what string) time.Duration {
	t.Helper()
	r.expect(t, what, http.StatusTooManyRequests, "slow_down")
	s, err := strconv.Atoi(r.retryAfter)
	if err != nil || s < 1 || s > 65 {
		t.Errorf("%s: Retry-After %q; want 1 to 65 seconds", what, r.retryAfter)
	}
	if r.Desc == "" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: description %q, Cache-Control %q", what, r.Desc, r.header.Get("Cache-Control"))
	}
	return time.Duration(s) * time.Second
}

func expectChecks(t *testing.T, g *clientcreds.Issuer, want int64) {
	t.Helper()
	if n := clientcreds.SecretChecks(g); n != want {
		t.Fatalf("%d client secrets hashed; want %d", n, want)
	}
}

// TestWrongSecretsThrottledWithoutHashing: after 10 wrong secrets for one
// client id from one address within a minute, its requests get 429
// without their secret being hashed, even a right one; another client id
// from the same address is served; a minute later the id is checked again.
func TestWrongSecretsThrottledWithoutHashing(t *testing.T) {
	t.Parallel()
	a := startThrottleApp(t, "")
	c := from(t, "127.0.0.1")
	paths := []string{"/oauth/token", "/token"} // one route, two paths: one count
	for i := range 10 {
		a.token(t, c, paths[i%2], "a", "wrong").expect(t, fmt.Sprintf("wrong secret %d", i+1), 401, "invalid_client")
	}
	expectChecks(t, a.g, 10)
	a.token(t, c, "/oauth/token", "a", "wrong").expectSlowDown(t, "11th wrong secret")
	wait := a.token(t, c, "/token", "a", "a-secret").expectSlowDown(t, "right secret of the throttled client")
	expectChecks(t, a.g, 10)

	if r := a.token(t, c, "", "b", "b-secret"); r.status != 200 || r.Token == "" {
		t.Fatalf("another client from the same address: %d %s", r.status, r.Error)
	}

	a.clock.Advance(wait - time.Second)
	a.token(t, c, "", "a", "a-secret").expectSlowDown(t, "a second before Retry-After")
	a.clock.Advance(time.Second)
	if r := a.token(t, c, "", "a", "a-secret"); r.status != 200 {
		t.Fatalf("after Retry-After: %d %s", r.status, r.Error)
	}
	// The success forgot a's failures: ten more are checked.
	for i := range 10 {
		a.token(t, c, "", "a", "wrong").expect(t, fmt.Sprintf("later, wrong secret %d", i+1), 401, "invalid_client")
	}
	a.token(t, c, "", "a", "wrong").expectSlowDown(t, "later, 11th wrong secret")
	expectChecks(t, a.g, 10+1+1+10)
}

// TestUnknownClientIDsHitTheAddressCeiling: an address rotating client
// ids (unknown ones, which cost a full dummy hash each) is stopped after
// address_failures failures within a minute, for every client id; another
// address is not. (The limits are lowered to keep the test quick; their
// defaults, 10 and 30, are checked by the other tests and the config's.)
func TestUnknownClientIDsHitTheAddressCeiling(t *testing.T) {
	t.Parallel()
	a := startThrottleApp(t, "throttle: {client_failures: 3, address_failures: 8}\n")
	c := from(t, "127.0.0.1")
	for i := range 8 {
		a.token(t, c, "", fmt.Sprintf("ghost-%d", i), "x").expect(t, fmt.Sprintf("unknown client %d", i), 401, "invalid_client")
	}
	expectChecks(t, a.g, 8)
	a.token(t, c, "", "ghost-8", "x").expectSlowDown(t, "9th unknown client")
	a.token(t, c, "", "b", "b-secret").expectSlowDown(t, "a known client from the throttled address")
	expectChecks(t, a.g, 8)
	if r := a.token(t, from(t, "127.0.0.2"), "", "b", "b-secret"); r.status != 200 {
		t.Fatalf("another address: %d %s", r.status, r.Error)
	}
}

// TestThrottleCountsTheClientAddress: behind a trusted proxy the client is
// the X-Forwarded-For address, and an IPv6 client counts per /64; an
// untrusted peer's X-Forwarded-For is ignored, so rotating it gains
// nothing.
func TestThrottleCountsTheClientAddress(t *testing.T) {
	t.Parallel()
	a := startThrottleApp(t, "trusted_proxies: [127.0.0.1]\n")
	proxy := from(t, "127.0.0.1")
	via := func(client string) []string { return []string{"X-Forwarded-For", client} }
	for i := range 10 {
		a.token(t, proxy, "", "a", "wrong", via(fmt.Sprintf("2001:db8:1:2::%x", i+1))...).expect(t, "wrong secret from the /64", 401, "invalid_client")
	}
	a.token(t, proxy, "", "a", "wrong", via("2001:db8:1:2:ffff:ffff:ffff:ffff")...).expectSlowDown(t, "same /64")
	a.token(t, proxy, "", "a", "wrong", via("2001:db8:1:3::1")...).expect(t, "next /64", 401, "invalid_client")
	a.token(t, proxy, "", "a", "wrong", via("198.51.100.7")...).expect(t, "an IPv4 client", 401, "invalid_client")
	if r := a.token(t, proxy, "", "a", "a-secret"); r.status != 200 {
		t.Fatalf("the proxy itself: %d %s", r.status, r.Error)
	}

	untrusted := from(t, "127.0.0.3")
	for i := range 10 {
		a.token(t, untrusted, "", "b", "wrong", via(fmt.Sprintf("203.0.113.%d", i+1))...).expect(t, "untrusted peer", 401, "invalid_client")
	}
	a.token(t, untrusted, "", "b", "wrong", via("203.0.113.99")...).expectSlowDown(t, "untrusted peer with a new X-Forwarded-For")
}

// TestSecretCheckQueueBounded: while every hashing slot is busy, 32
// token requests wait their turn and the next one is answered 503 at
// once, without hashing; the waiting ones are then checked.
func TestSecretCheckQueueBounded(t *testing.T) {
	t.Parallel()
	a := startThrottleApp(t, "")
	release := clientcreds.HoldSecretChecks(a.g)
	released := false
	defer func() {
		if !released {
			release()
		}
	}()
	const queue = 32
	replies := make(chan tokenReply, queue+1)
	for i := range queue + 1 {
		c := from(t, fmt.Sprintf("127.0.1.%d", i+1))
		go func() {
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"a"}, "client_secret": {"wrong"}}
			resp, err := c.PostForm(a.url+"/oauth/token", form)
			if err != nil {
				replies <- tokenReply{Error: err.Error()}
				return
			}
			defer resp.Body.Close()
			r := tokenReply{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), header: resp.Header}
			_ = json.NewDecoder(resp.Body).Decode(&r)
			replies <- r
		}()
	}
	// Nothing can be hashed now: the only answer that may come is the
	// refusal of the request that found the queue full.
	select {
	case r := <-replies:
		r.expect(t, "request beyond the queue", http.StatusServiceUnavailable, "temporarily_unavailable")
		if s, err := strconv.Atoi(r.retryAfter); err != nil || s < 1 {
			t.Errorf("Retry-After %q", r.retryAfter)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no answer while every hashing slot is held: the queue has no bound")
	}
	expectChecks(t, a.g, 0)
	release()
	released = true
	for range queue {
		(<-replies).expect(t, "queued request", 401, "invalid_client")
	}
	expectChecks(t, a.g, queue)
}

// TestIssueClientTokenCountsByClientAddr: IssueClientToken throttles by
// ClientAddr; a request without one (a Unix socket's peer) cannot be told
// apart from others and is not counted, so it locks nobody out.
func TestIssueClientTokenCountsByClientAddr(t *testing.T) {
	t.Parallel()
	a := startThrottleApp(t, "throttle: {client_failures: 2}\n")
	ctx := context.Background()
	issue := func(addr netip.Addr) error {
		_, err := a.g.IssueToken(ctx, clientcreds.TokenRequest{ClientID: "a", ClientSecret: "wrong", ClientAddr: addr})
		return err
	}
	status := func(err error) int {
		var oe *auth.Error
		if !errors.As(err, &oe) {
			t.Fatalf("%v is not an *auth.Error", err)
		}
		return oe.Status
	}
	for i := range 4 {
		if s := status(issue(netip.Addr{})); s != 401 {
			t.Fatalf("without address, failure %d: %d", i+1, s)
		}
	}
	addr := netip.MustParseAddr("2001:db8::1")
	for i := range 2 {
		if s := status(issue(addr)); s != 401 {
			t.Fatalf("with an address, failure %d: %d", i+1, s)
		}
	}
	err := issue(netip.MustParseAddr("2001:db8::2"))
	var oe *auth.Error
	if !errors.As(err, &oe) || oe.Status != 429 || oe.Code != clientcreds.CodeSlowDown || oe.RetryAfter <= 0 {
		t.Fatalf("third failure from the /64: %v", err)
	}
	expectChecks(t, a.g, 6)
}
