package authtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// Client makes requests to the app as one identity: a user's bearer token
// (Tester.Client), a service token (Tester.Service), a browser's cookie
// session (Tester.Browser) or nothing (Tester.Guest). A Client is safe for
// concurrent use.
type Client struct {
	at     *Tester
	name   string
	http   *http.Client
	bearer string
	// err is a failed login: every request answers it, so that the test
	// that uses the client reports it.
	err error
}

// Email returns who the client is: the user's email, the service account,
// or "" for a guest.
func (c *Client) Email() string { return c.name }

// Token returns the bearer token the client sends, "" for guests and
// browsers.
func (c *Client) Token() string { return c.bearer }

// HTTPClient returns the client's http.Client (cookie jar and redirect
// policy included), for libraries that make their own requests. It does not
// add the bearer token: see Client.Token.
func (c *Client) HTTPClient() *http.Client { return c.http }

// Err returns why the client could not log in, or nil.
func (c *Client) Err() error { return c.err }

// Guest returns a client without credentials. It does not follow redirects:
// a page behind auth.RedirectToLogin answers 302.
func (at *Tester) Guest() *Client {
	return &Client{at: at, http: at.httpClient(nil, false)}
}

// Client returns a client that logged in as email through the real flow
// and sends the user token it then got from /token as a bearer token. It
// does not follow redirects. Clients are cached: the same email gives the
// same client within a Tester.
//
// A failed login does not stop the test here: the client's requests report
// it (see Response.Expect).
func (at *Tester) Client(email string) *Client {
	at.mu.Lock()
	e, ok := at.clients[email]
	if !ok {
		e = &clientEntry{}
		at.clients[email] = e
	}
	at.mu.Unlock()
	e.once.Do(func() { e.c = at.newUserClient(email) })
	return e.c
}

func (at *Tester) newUserClient(email string) *Client {
	c := &Client{at: at, name: email, http: at.httpClient(nil, false)}
	tok, err := at.userToken(email)
	if err != nil {
		c.err = err
		return c
	}
	c.bearer = tok
	return c
}

// Browser returns a new client with its own cookie jar, logged in as email
// through the real flow (a session cookie). It follows redirects as a
// browser does (at most 10). Browsers are not cached: each call logs in
// again, giving a new session.
func (at *Tester) Browser(email string) *Client {
	jar, _ := cookiejar.New(nil)
	c := &Client{at: at, name: email, http: at.httpClient(jar, true)}
	c.err = at.login(jar, email)
	return c
}

// Service returns a client holding a service token of account (name@service)
// minted through GET {prefix}/token?user=account by an administrator. If
// caps are given, they are first stored as the account's capabilities
// (replacing what was stored); the token carries what the account holds
// then. Each call mints a new token.
func (at *Tester) Service(account string, caps ...string) *Client {
	c := &Client{at: at, name: account, http: at.httpClient(nil, false)}
	if len(caps) > 0 {
		if _, err := at.Manager.Users().Store().Set(context.Background(), account, caps); err != nil {
			c.err = fmt.Errorf("authtest: storing the capabilities of %s: %w", account, err)
			return c
		}
	}
	minter := at.Client(at.minter)
	if minter.err != nil {
		c.err = fmt.Errorf("authtest: logging the minter of service tokens in: %w", minter.err)
		return c
	}
	resp := minter.Get(at.Manager.Config().Prefix + "/token?user=" + url.QueryEscape(account))
	if err := resp.check(http.StatusOK); err != nil {
		c.err = fmt.Errorf("authtest: minting a service token for %s: %w", account, err)
		if resp.Status == http.StatusForbidden {
			c.err = fmt.Errorf("%w (the capability graph needs %q)", c.err, "user_management")
		}
		return c
	}
	var tok struct {
		ServiceToken string `json:"service_token"`
	}
	if err := json.Unmarshal(resp.Body, &tok); err != nil || tok.ServiceToken == "" {
		c.err = fmt.Errorf("authtest: minting a service token for %s: unexpected answer %s", account, resp.Body)
		return c
	}
	c.bearer = tok.ServiceToken
	return c
}

// httpClient returns a client on the tester's shared transport.
func (at *Tester) httpClient(jar http.CookieJar, follow bool) *http.Client {
	hc := &http.Client{Transport: at.transport, Jar: jar}
	if !follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return hc
}

// login runs the login flow for email with jar: the app's /login, the
// provider's authorize endpoint (choosing the user with login_hint), and the
// app's callback, which sets the session cookie in jar.
func (at *Tester) login(jar http.CookieJar, email string) error {
	if email == "" {
		return errors.New("authtest: login: empty email")
	}
	hc := at.httpClient(jar, false)
	prefix := at.Manager.Config().Prefix
	resp, err := at.send(hc, http.MethodGet, at.URL+prefix+"/login?next=%2F")
	if err != nil {
		return fmt.Errorf("authtest: login as %s: %w", email, err)
	}
	if resp.Status != http.StatusFound {
		return fmt.Errorf("authtest: login as %s: GET %s/login: got %d, want 302 (are the Manager's routes served under %q?); body: %s",
			email, prefix, resp.Status, prefix, snippet(resp.Body))
	}
	authURL, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(authURL.String(), at.IdP.URL+"/") {
		return fmt.Errorf("authtest: login as %s: /login redirects to %q, not to the mock provider", email, resp.Header.Get("Location"))
	}
	q := authURL.Query()
	q.Set("login_hint", email)
	authURL.RawQuery = q.Encode()
	resp, err = at.send(hc, http.MethodGet, authURL.String())
	if err != nil {
		return fmt.Errorf("authtest: login as %s: the provider: %w", email, err)
	}
	if resp.Status != http.StatusFound && resp.Status != http.StatusSeeOther {
		return fmt.Errorf("authtest: login as %s: the provider's authorize: got %d, want a redirect; body: %s", email, resp.Status, snippet(resp.Body))
	}
	callback := resp.Header.Get("Location")
	resp, err = at.send(hc, http.MethodGet, callback)
	if err != nil {
		return fmt.Errorf("authtest: login as %s: the callback: %w", email, err)
	}
	if resp.Status != http.StatusSeeOther {
		return fmt.Errorf("authtest: login as %s: GET %s/auth: got %d, want 303; body: %s", email, prefix, resp.Status, snippet(resp.Body))
	}
	return nil
}

// userToken logs email in and returns the user token of GET /token.
func (at *Tester) userToken(email string) (string, error) {
	jar, _ := cookiejar.New(nil)
	if err := at.login(jar, email); err != nil {
		return "", err
	}
	resp, err := at.send(at.httpClient(jar, false), http.MethodGet, at.URL+at.Manager.Config().Prefix+"/token")
	if err != nil {
		return "", fmt.Errorf("authtest: token of %s: %w", email, err)
	}
	if resp.Status != http.StatusOK {
		return "", fmt.Errorf("authtest: token of %s: GET %s/token: got %d, want 200; body: %s", email, at.Manager.Config().Prefix, resp.Status, snippet(resp.Body))
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(resp.Body, &tok); err != nil || tok.RefreshToken == "" {
		return "", fmt.Errorf("authtest: token of %s: unexpected answer %s", email, snippet(resp.Body))
	}
	return tok.RefreshToken, nil
}

// send makes a body-less request and reads the answer.
func (at *Tester) send(hc *http.Client, method, target string) (*Response, error) {
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &Response{Method: method, Path: req.URL.RequestURI(), Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}
