package e2etest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// Client is one caller of an App: a browser (cookie jar), a bearer token
// holder, or a guest. It never follows redirects, so that each one is
// asserted.
type Client struct {
	Name   string
	App    *App
	HTTP   *http.Client
	Bearer string
}

// Guest returns a client without cookies or token.
func (a *App) Guest() *Client {
	return &Client{Name: "guest", App: a, HTTP: noRedirects(nil)}
}

// NewBrowser returns a client with an empty cookie jar.
func (a *App) NewBrowser(name string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Name: name, App: a, HTTP: noRedirects(jar)}
}

// WithBearer returns a cookie-less client sending token.
func (a *App) WithBearer(name, token string) *Client {
	return &Client{Name: name, App: a, HTTP: noRedirects(nil), Bearer: token}
}

func noRedirects(jar http.CookieJar) *http.Client {
	return &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Response is an answer with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// Do sends a request to the app. A path starting with "/" is relative to
// the app; a full URL is used as it is. A non-empty body is sent as JSON.
func (c *Client) Do(t testing.TB, method, path, body string) *Response {
	t.Helper()
	return c.DoHeader(t, method, path, body, nil)
}

// DoHeader is Do with extra request headers.
func (c *Client) DoHeader(t testing.TB, method, path, body string, h http.Header) *Response {
	t.Helper()
	target := path
	if strings.HasPrefix(path, "/") {
		target = c.App.URL + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return &Response{Response: resp, Body: data}
}

// Get is Do with GET and no body.
func (c *Client) Get(t testing.TB, path string) *Response {
	t.Helper()
	return c.Do(t, http.MethodGet, path, "")
}

// Expect fails the test unless the status is code; the body is shown.
func (r *Response) Expect(t testing.TB, code int) *Response {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d; want %d; body: %s", r.Request.Method, r.Request.URL.RequestURI(), r.StatusCode, code, r.Body)
	}
	return r
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q; want application/json; body: %s", ct, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Detail returns the body's {"detail": ...}.
func (r *Response) Detail(t testing.TB) string {
	t.Helper()
	var d struct {
		Detail string `json:"detail"`
	}
	r.JSON(t, &d)
	return d.Detail
}

// Location returns the redirect target, resolved against the request URL.
func (r *Response) Location(t testing.TB) *url.URL {
	t.Helper()
	loc, err := r.Response.Location()
	if err != nil {
		t.Fatalf("%d without Location: %v", r.StatusCode, err)
	}
	return loc
}

// Login logs c in as email through the real flow: /login?next=next, the
// provider's authorize endpoint (choosing the user with login_hint), and
// the callback, asserting each redirect. It returns the callback's answer
// (a 303 to next).
func (c *Client) Login(t testing.TB, email, next string, offline bool) *Response {
	t.Helper()
	cb := c.StartLogin(t, email, next, offline)
	resp := c.Get(t, cb)
	resp.Expect(t, http.StatusSeeOther)
	if got := resp.Header.Get("Location"); got != next {
		t.Fatalf("callback Location = %q; want %q", got, next)
	}
	return resp
}

// StartLogin runs /login and the provider's authorize step and returns the
// callback URL the provider sends the browser to (not visited yet).
func (c *Client) StartLogin(t testing.TB, email, next string, offline bool) string {
	t.Helper()
	q := url.Values{"next": {next}}
	if offline {
		q.Set("offline_token", "true")
	}
	resp := c.Get(t, c.App.Prefix+"/login?"+q.Encode()).Expect(t, http.StatusFound)
	authURL := resp.Location(t)
	if !strings.HasPrefix(authURL.String(), c.App.IdP.URL+"/") {
		t.Fatalf("/login redirects to %s; want the provider at %s", authURL, c.App.IdP.URL)
	}
	aq := authURL.Query()
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		// A nonce is OpenID's: the other modes get none.
		if got, want := aq.Get(p) != "", p != "nonce" || c.App.OpenID(); got != want {
			t.Fatalf("authorize request with %s: %v; want %v: %s", p, got, want, authURL)
		}
	}
	if aq.Get("code_challenge_method") != "S256" {
		t.Fatalf("code_challenge_method = %q; want S256", aq.Get("code_challenge_method"))
	}
	if email != "" {
		aq.Set("login_hint", email)
		authURL.RawQuery = aq.Encode()
	}
	idpResp := c.Get(t, authURL.String())
	if idpResp.StatusCode != http.StatusFound && idpResp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: status %d; body: %s", idpResp.StatusCode, idpResp.Body)
	}
	cb := idpResp.Location(t)
	if want := c.App.URL + c.App.Prefix + "/auth"; cb.Scheme+"://"+cb.Host+cb.Path != want {
		t.Fatalf("provider redirects to %s; want %s", cb, want)
	}
	return cb.String()
}

// Browser returns a browser logged in as email (a cookie session).
func (a *App) Browser(t testing.TB, email string) *Client {
	t.Helper()
	c := a.NewBrowser(email)
	c.Login(t, email, "/hello", false)
	return c
}

// TokenResponse is GET /token's answer for a user.
type TokenResponse struct {
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresAt    string `json:"expires_at"`
}

// UserToken logs a browser in as email and fetches a user token from
// /token.
func (a *App) UserToken(t testing.TB, email string, offline bool) TokenResponse {
	t.Helper()
	b := a.NewBrowser(email)
	b.Login(t, email, "/hello", offline)
	var tok TokenResponse
	resp := b.Get(t, a.Prefix+"/token").Expect(t, http.StatusOK)
	resp.JSON(t, &tok)
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("/token = %s", resp.Body)
	}
	return tok
}

// User returns a cookie-less client holding a user token of email.
func (a *App) User(t testing.TB, email string) *Client {
	t.Helper()
	return a.WithBearer(email, a.UserToken(t, email, false).RefreshToken)
}

// ServiceTokenResponse is GET /token?user=name@service's answer.
type ServiceTokenResponse struct {
	ServiceToken string   `json:"service_token"`
	User         string   `json:"user"`
	Capabilities []string `json:"capabilities"`
	ExpiresAt    string   `json:"expires_at"`
}

// ServiceToken has minter mint a token for account.
func (c *Client) ServiceToken(t testing.TB, account string) ServiceTokenResponse {
	t.Helper()
	var tok ServiceTokenResponse
	resp := c.Get(t, c.App.Prefix+"/token?user="+url.QueryEscape(account)).Expect(t, http.StatusOK)
	resp.JSON(t, &tok)
	if tok.ServiceToken == "" {
		t.Fatalf("service token = %s", resp.Body)
	}
	return tok
}

// Service returns a client holding a service token for account minted by
// minter.
func (a *App) Service(t testing.TB, minter *Client, account string) *Client {
	t.Helper()
	return a.WithBearer(account, minter.ServiceToken(t, account).ServiceToken)
}
