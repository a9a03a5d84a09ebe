package mockidp

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// codeFor runs authorize for a client and returns the code.
func codeFor(t *testing.T, s *Server, clientID, redirect, verifier string) string {
	t.Helper()
	v := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"scope": {"openid email"}, "state": {"st"}}
	if verifier != "" {
		v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
		v.Set("code_challenge_method", "S256")
	}
	loc, err := s.Authorize(t.Context(), s.URL+"/authorize?"+v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code: %v", loc)
	}
	return code
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	clients, err := ParseClients([]byte(clientsYAML))
	if err != nil {
		t.Fatal(err)
	}
	clients[DemoClientID] = Client{Secret: DemoClientSecret}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newTestServer(t, Options{Clients: clients, Now: clock})
	c := s.Client()
	tokenURL := s.URL + "/token"
	verifier := oauth2.GenerateVerifier()
	exchange := func(code string, extra url.Values) url.Values {
		v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {verifier}}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}

	type req struct {
		form        url.Values
		raw         string // raw body instead of form
		contentType string
		user, pass  string
	}
	cases := []struct {
		name   string
		req    func() req
		status int
		code   string
	}{
		{"unknown client", func() req {
			return req{form: url.Values{"grant_type": {"client_credentials"}}, user: "nobody", pass: "x"}
		}, 401, "invalid_client"},
		{"bad secret basic", func() req {
			return req{form: url.Values{"grant_type": {"client_credentials"}}, user: "client1", pass: "wrong"}
		}, 401, "invalid_client"},
		{"bad secret post", func() req {
			return req{form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"client1"}, "client_secret": {"client1-secret-"}}}
		}, 401, "invalid_client"},
		{"no client authentication", func() req {
			return req{form: url.Values{"grant_type": {"client_credentials"}}}
		}, 401, "invalid_client"},
		{"two authentication methods", func() req {
			return req{form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {"client1-secret"}}, user: "client1", pass: "client1-secret"}
		}, 400, "invalid_request"},
		{"unsupported grant", func() req {
			return req{form: url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}}, user: "client1", pass: "client1-secret"}
		}, 400, "unsupported_grant_type"},
		{"missing grant_type", func() req {
			return req{form: url.Values{}, user: "client1", pass: "client1-secret"}
		}, 400, "invalid_request"},
		{"malformed form body", func() req {
			return req{raw: "grant_type=client_credentials&%zz", contentType: "application/x-www-form-urlencoded", user: "client1", pass: "client1-secret"}
		}, 400, "invalid_request"},
		{"malformed JSON body", func() req {
			return req{raw: `{"grant_type": "client_credentials"`, contentType: "application/json", user: "client1", pass: "client1-secret"}
		}, 400, "invalid_request"},
		{"non-string JSON value", func() req {
			return req{raw: `{"grant_type": 7}`, contentType: "application/json", user: "client1", pass: "client1-secret"}
		}, 400, "invalid_request"},
		{"body too large", func() req {
			return req{raw: "grant_type=client_credentials&pad=" + strings.Repeat("a", maxBodyBytes), contentType: "application/x-www-form-urlencoded", user: "client1", pass: "client1-secret"}
		}, 400, "invalid_request"},
		{"repeated parameter", func() req {
			return req{raw: "grant_type=client_credentials&grant_type=client_credentials", contentType: "application/x-www-form-urlencoded", user: "client1", pass: "client1-secret"}
		}, 400, "invalid_request"},
		{"public client cannot use client_credentials", func() req {
			return req{form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"spa"}}}
		}, 400, "unauthorized_client"},
		{"missing code", func() req {
			return req{form: url.Values{"grant_type": {"authorization_code"}}, user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_request"},
		{"unknown code", func() req {
			return req{form: exchange("made-up", nil), user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_grant"},
		{"wrong PKCE verifier", func() req {
			code := codeFor(t, s, DemoClientID, testRedirect, verifier)
			return req{form: exchange(code, url.Values{"code_verifier": {oauth2.GenerateVerifier()}}), user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_grant"},
		{"missing PKCE verifier", func() req {
			code := codeFor(t, s, DemoClientID, testRedirect, verifier)
			return req{form: exchange(code, url.Values{"code_verifier": nil}), user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_grant"},
		{"verifier without challenge", func() req {
			code := codeFor(t, s, DemoClientID, testRedirect, "")
			return req{form: exchange(code, nil), user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_grant"},
		{"redirect_uri mismatch", func() req {
			code := codeFor(t, s, DemoClientID, testRedirect, verifier)
			return req{form: exchange(code, url.Values{"redirect_uri": {"http://127.0.0.1:9/other"}}), user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_grant"},
		{"code of another client", func() req {
			code := codeFor(t, s, DemoClientID, testRedirect, verifier)
			return req{form: exchange(code, nil), user: "client1", pass: "client1-secret"}
		}, 400, "invalid_grant"},
		{"expired code", func() req {
			code := codeFor(t, s, DemoClientID, testRedirect, verifier)
			mu.Lock()
			now = now.Add(61 * time.Second)
			mu.Unlock()
			return req{form: exchange(code, nil), user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_grant"},
		{"unknown refresh token", func() req {
			return req{form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, user: DemoClientID, pass: DemoClientSecret}
		}, 400, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			body := r.raw
			ct := r.contentType
			if r.form != nil {
				body, ct = r.form.Encode(), "application/x-www-form-urlencoded"
			}
			hr, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			hr.Header.Set("Content-Type", ct)
			if r.user != "" {
				hr.SetBasicAuth(r.user, r.pass)
			}
			resp, respBody := do(t, c, hr)
			e := decodeError(t, respBody)
			if resp.StatusCode != tc.status || e.Error != tc.code {
				t.Errorf("got %d %q (%s); want %d %q", resp.StatusCode, e.Error, e.Description, tc.status, tc.code)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Error("error answer may be cached")
			}
			if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// A replayed code is refused and revokes the tokens it gave (RFC 6749 §4.1.2).
func TestReusedCode(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)
	verifier := oauth2.GenerateVerifier()
	loc := rp.authorize(t, "st", "n", verifier)
	code := loc.Query().Get("code")
	tok, err := rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	_, err = rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != 400 || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reused code: %v", err)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("tokens of a replayed code still work")
	}
}

func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	clients, err := ParseClients([]byte(clientsYAML))
	if err != nil {
		t.Fatal(err)
	}
	clients[DemoClientID] = Client{Secret: DemoClientSecret}
	s := newTestServer(t, Options{Clients: clients})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	base := func(client, redirect string) url.Values {
		return url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect},
			"scope": {"openid"}, "state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	}
	with := func(v url.Values, k, x string) url.Values {
		v = url.Values(cloneValues(v))
		if x == "" {
			v.Del(k)
		} else {
			v.Set(k, x)
		}
		return v
	}
	demo := base(DemoClientID, testRedirect)
	// Errors shown to the user agent, never redirected.
	direct := []struct {
		name   string
		params url.Values
		code   string
	}{
		{"unknown client", base("nobody", testRedirect), "invalid_client"},
		{"missing client", with(demo, "client_id", ""), "invalid_request"},
		{"non-loopback redirect for the demo client", with(demo, "redirect_uri", "https://evil.example.com/cb"), "invalid_request"},
		{"loopback lookalike", with(demo, "redirect_uri", "http://127.0.0.1.evil.example.com/cb"), "invalid_request"},
		{"redirect with fragment", with(demo, "redirect_uri", "http://127.0.0.1:9/cb#x"), "invalid_request"},
		{"unregistered redirect", base("webapp", "https://app.example.com/other"), "invalid_request"},
		{"missing redirect_uri", with(demo, "redirect_uri", ""), "invalid_request"},
	}
	for _, tc := range direct {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/authorize?"+tc.params.Encode()))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("%s Location %q", resp.Status, resp.Header.Get("Location"))
			}
			if e := decodeError(t, body); e.Error != tc.code {
				t.Errorf("error = %q; want %q", e.Error, tc.code)
			}
		})
	}
	// Errors sent back to the client's redirect URI with state.
	redirected := []struct {
		name   string
		params url.Values
		code   string
	}{
		{"response_type token", with(demo, "response_type", "token"), "unsupported_response_type"},
		{"plain PKCE", with(demo, "code_challenge_method", "plain"), "invalid_request"},
		{"challenge without method", with(demo, "code_challenge_method", ""), "invalid_request"},
		{"malformed challenge", with(demo, "code_challenge", "short"), "invalid_request"},
		{"PKCE required by the client", with(base("webapp", "https://app.example.com/auth"), "code_challenge", ""), "invalid_request"},
		{"PKCE required for a public client", with(base("spa", "http://127.0.0.1:5555/cb"), "code_challenge", ""), "invalid_request"},
		{"request object", with(demo, "request", "eyJ..."), "request_not_supported"},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := s.Authorize(t.Context(), s.URL+"/authorize?"+tc.params.Encode())
			if err != nil {
				t.Fatal(err)
			}
			if q := loc.Query(); q.Get("error") != tc.code || q.Get("state") != "st" || q.Get("code") != "" || q.Get("iss") != s.URL {
				t.Errorf("redirect = %v; want error %s", loc, tc.code)
			}
		})
	}
	// Registered loopback URIs match on any port (RFC 8252 §7.3); a public
	// client completes the flow with PKCE and no secret.
	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, s, "spa", "http://127.0.0.1:5555/cb", verifier)
	resp, body := postForm(t, s.Client(), s.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"http://127.0.0.1:5555/cb"}, "code_verifier": {verifier}, "client_id": {"spa"}}, "", "")
	if resp.StatusCode != 200 {
		t.Errorf("public client exchange: %s %s", resp.Status, body)
	}
}

func cloneValues(v url.Values) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, x := range v {
		out[k] = append([]string(nil), x...)
	}
	return out
}

func TestUserinfoErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	resp, body := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/userinfo"))
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %s %q %s", resp.Status, resp.Header.Get("WWW-Authenticate"), body)
	}
	req := mustRequest(t, http.MethodGet, s.URL+"/userinfo")
	req.Header.Set("Authorization", "Bearer a.b.c")
	resp, body = do(t, s.Client(), req)
	if resp.StatusCode != 401 || decodeError(t, body).Error != "invalid_token" {
		t.Errorf("garbage JWT: %s %s", resp.Status, body)
	}
	// A client_credentials token is not a user's.
	tok, err := s.Provider.MintClientToken(DemoClientID)
	if err != nil {
		t.Fatal(err)
	}
	req = mustRequest(t, http.MethodGet, s.URL+"/userinfo")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, body = do(t, s.Client(), req)
	if resp.StatusCode != 403 || decodeError(t, body).Error != "insufficient_scope" {
		t.Errorf("client token at userinfo: %s %s", resp.Status, body)
	}
}
