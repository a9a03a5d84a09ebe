package mockidp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Keys are generated once: RSA key generation dominates otherwise.
var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, ecKey
}

func newTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	rk, ek := testKeys(t)
	if opts.SigningKey == nil {
		if opts.Algorithm == "ES256" {
			opts.SigningKey = ek
		} else {
			opts.SigningKey = rk
		}
	}
	s, err := NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

const testRedirect = "http://127.0.0.1:9/callback"

// relyingParty is a client built only from x/oauth2 and go-oidc.
type relyingParty struct {
	srv      *Server
	ctx      context.Context
	provider *oidc.Provider
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRP(t testing.TB, s *Server) *relyingParty {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), s.Client())
	provider, err := oidc.NewProvider(ctx, s.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader // no silent retry in the body
	return &relyingParty{
		srv:      s,
		ctx:      ctx,
		provider: provider,
		cfg: oauth2.Config{
			ClientID:     DemoClientID,
			ClientSecret: DemoClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  testRedirect,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: DemoClientID}),
	}
}

// loginResult is what one complete code flow gave.
type loginResult struct {
	token *oauth2.Token
	raw   string
	nonce string
}

// authorize runs the front channel and returns the callback URL.
func (rp *relyingParty) authorize(t testing.TB, state, nonce, verifier string, opts ...oauth2.AuthCodeOption) *url.URL {
	t.Helper()
	opts = append(opts, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	loc, err := rp.srv.Authorize(rp.ctx, rp.cfg.AuthCodeURL(state, opts...))
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	return loc
}

// login runs the whole code flow (PKCE, state, nonce) and returns the
// tokens without verifying the ID token.
func (rp *relyingParty) login(t testing.TB, opts ...oauth2.AuthCodeOption) loginResult {
	t.Helper()
	res, err := rp.tryLogin(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// tryLogin is login for goroutines other than the test's.
func (rp *relyingParty) tryLogin(opts ...oauth2.AuthCodeOption) (loginResult, error) {
	state, nonce, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	opts = append(opts, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	loc, err := rp.srv.Authorize(rp.ctx, rp.cfg.AuthCodeURL(state, opts...))
	if err != nil {
		return loginResult{}, err
	}
	q := loc.Query()
	switch {
	case q.Get("state") != state:
		return loginResult{}, fmt.Errorf("state = %q; want %q (callback %s)", q.Get("state"), state, loc)
	case q.Get("code") == "":
		return loginResult{}, fmt.Errorf("no code in callback %s", loc)
	case q.Get("iss") != rp.srv.URL:
		return loginResult{}, fmt.Errorf("iss = %q; want %q", q.Get("iss"), rp.srv.URL)
	}
	tok, err := rp.cfg.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return loginResult{}, fmt.Errorf("exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return loginResult{}, errors.New("no id_token in the token response")
	}
	return loginResult{token: tok, raw: raw, nonce: nonce}, nil
}

// idClaims are the claims the tests read.
type idClaims struct {
	Email         string `json:"email"`
	EmailVerified *bool  `json:"email_verified"`
	Name          string `json:"name"`
	AZP           string `json:"azp"`
	AuthTime      int64  `json:"auth_time"`
	SID           string `json:"sid"`
}

// oauthErrorBody is an RFC 6749 error answer.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func postForm(t testing.TB, c *http.Client, u string, form url.Values, basicUser, basicPass string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(url.QueryEscape(basicUser), url.QueryEscape(basicPass))
	}
	return do(t, c, req)
}

func postJSON(t testing.TB, c *http.Client, u, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, c, req)
}

func do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func decodeError(t testing.TB, body []byte) oauthErrorBody {
	t.Helper()
	var e oauthErrorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("not an RFC 6749 error body: %s", body)
	}
	return e
}

func retrieveErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}
