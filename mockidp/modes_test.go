package mockidp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// modeSetup is how a relying party built from x/oauth2 alone talks to a
// provider in one mode.
type modeSetup struct {
	mode     Mode
	endpoint func(base string) oauth2.Endpoint
	scopes   []string
	// verified reads the email's verified state the way a relying party
	// of the mode must: ID token claim, GitHub API or user info.
	verified func(t *testing.T, s *Server, tok *oauth2.Token) bool
	// tokenErrorStatus is the HTTP status of a token error (GitHub: 200).
	tokenErrorStatus int
	// invalidGrant is the mode's name of a bad code.
	invalidGrant string
}

var modeSetups = []modeSetup{
	{
		mode: ModeOIDC,
		endpoint: func(base string) oauth2.Endpoint {
			return oauth2.Endpoint{AuthURL: base + "/authorize", TokenURL: base + "/token", AuthStyle: oauth2.AuthStyleInHeader}
		},
		scopes: []string{"openid", "email"},
		verified: func(t *testing.T, _ *Server, tok *oauth2.Token) bool {
			v, _ := idTokenPayload(t, tok)["email_verified"].(bool)
			return v
		},
		tokenErrorStatus: http.StatusBadRequest, invalidGrant: "invalid_grant",
	},
	{
		mode: ModeGitHub,
		endpoint: func(base string) oauth2.Endpoint {
			return oauth2.Endpoint{AuthURL: base + "/login/oauth/authorize", TokenURL: base + "/login/oauth/access_token", AuthStyle: oauth2.AuthStyleInParams}
		},
		scopes: []string{"read:user", "user:email"},
		verified: func(t *testing.T, s *Server, tok *oauth2.Token) bool {
			var emails []GitHubEmail
			githubGet(t, s, tok.AccessToken, "/user/emails", http.StatusOK, &emails)
			for _, e := range emails {
				if e.Primary {
					return e.Verified
				}
			}
			t.Fatalf("no primary email in %+v", emails)
			return false
		},
		tokenErrorStatus: http.StatusOK, invalidGrant: "bad_verification_code",
	},
	{
		mode: ModeMicrosoft,
		endpoint: func(base string) oauth2.Endpoint {
			return oauth2.Endpoint{AuthURL: base + "/common/oauth2/v2.0/authorize", TokenURL: base + "/common/oauth2/v2.0/token", AuthStyle: oauth2.AuthStyleInParams}
		},
		scopes: []string{"openid", "email", "profile", "offline_access"},
		verified: func(t *testing.T, _ *Server, tok *oauth2.Token) bool {
			c := idTokenPayload(t, tok)
			if _, ok := c["email_verified"]; ok {
				t.Errorf("a Microsoft ID token carries email_verified: %v", c)
			}
			v, _ := c["xms_edov"].(bool)
			return v
		},
		tokenErrorStatus: http.StatusBadRequest, invalidGrant: "invalid_grant",
	},
	{
		mode: ModeOAuth2,
		endpoint: func(base string) oauth2.Endpoint {
			return oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}
		},
		scopes: []string{"profile"},
		verified: func(t *testing.T, s *Server, tok *oauth2.Token) bool {
			var doc struct {
				Profile struct {
					EmailVerified bool `json:"email_verified"`
				} `json:"profile"`
			}
			bearerGet(t, s, s.URL+"/oauth2/userinfo", tok.AccessToken, http.StatusOK, &doc)
			return doc.Profile.EmailVerified
		},
		tokenErrorStatus: http.StatusBadRequest, invalidGrant: "invalid_grant",
	},
}

// modeRP is a relying party of one mode.
type modeRP struct {
	modeSetup
	srv *Server
	cfg oauth2.Config
	ctx context.Context
}

func newModeRP(t *testing.T, ms modeSetup, opts Options) *modeRP {
	t.Helper()
	opts.Mode = ms.mode
	s := newTestServer(t, opts)
	return &modeRP{modeSetup: ms, srv: s, ctx: context.WithValue(context.Background(), oauth2.HTTPClient, s.Client()),
		cfg: oauth2.Config{ClientID: DemoClientID, ClientSecret: DemoClientSecret, Endpoint: ms.endpoint(s.URL),
			RedirectURL: testRedirect, Scopes: ms.scopes}}
}

// authorize runs the front channel with PKCE and returns the callback's
// query, checking that state comes back.
func (rp *modeRP) authorize(t *testing.T, verifier string, opts ...oauth2.AuthCodeOption) url.Values {
	t.Helper()
	state := oauth2.GenerateVerifier()
	opts = append(opts, oauth2.S256ChallengeOption(verifier))
	loc, err := rp.srv.Authorize(rp.ctx, rp.cfg.AuthCodeURL(state, opts...))
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	q := loc.Query()
	if q.Get("state") != state {
		t.Fatalf("state = %q; want %q (callback %s)", q.Get("state"), state, loc)
	}
	if got := q.Get("iss"); (got != "") != (rp.mode == ModeOIDC) {
		t.Errorf("iss = %q in mode %s: only OpenID Connect's RFC 9207 answer names the issuer", got, rp.mode)
	}
	return q
}

// login runs the whole code flow.
func (rp *modeRP) login(t *testing.T) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	q := rp.authorize(t, verifier)
	tok, err := rp.cfg.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// idTokenPayload decodes the ID token's claims (tests that verify the
// signature do so with go-oidc elsewhere).
func idTokenPayload(t *testing.T, tok *oauth2.Token) map[string]any {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("no ID token in %v", tok.Extra("id_token"))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err != nil || json.Unmarshal(b, &c) != nil {
		t.Fatalf("ID token payload %q: %v", parts[1], err)
	}
	return c
}

func bearerGet(t *testing.T, s *Server, u, tok string, want int, v any) http.Header {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, body := do(t, s.Client(), req)
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d %s; want %d", u, resp.StatusCode, body, want)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", u, err, body)
		}
	}
	return resp.Header
}

// The machinery every mode shares: state comes back, PKCE S256 binds the
// code to its verifier, the code is single use, and the faults show in
// each mode's own shape.
func TestModesShareTheCodeFlowRules(t *testing.T) {
	t.Parallel()
	for _, ms := range modeSetups {
		t.Run(string(ms.mode), func(t *testing.T) {
			t.Parallel()
			rp := newModeRP(t, ms, Options{})
			if tok := rp.login(t); !rp.verified(t, rp.srv, tok) {
				t.Error("the default user's email is not verified")
			}

			t.Run("pkce mismatch", func(t *testing.T) {
				verifier := oauth2.GenerateVerifier()
				code := rp.authorize(t, verifier).Get("code")
				_, err := rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				rp.wantTokenError(t, err, ms.invalidGrant, ms.tokenErrorStatus)
				// The code is spent: the right verifier comes too late.
				_, err = rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
				rp.wantTokenError(t, err, ms.invalidGrant, ms.tokenErrorStatus)
			})
			t.Run("verifier missing", func(t *testing.T) {
				code := rp.authorize(t, oauth2.GenerateVerifier()).Get("code")
				_, err := rp.cfg.Exchange(rp.ctx, code)
				rp.wantTokenError(t, err, ms.invalidGrant, ms.tokenErrorStatus)
			})
			t.Run("plain challenge refused", func(t *testing.T) {
				state := oauth2.GenerateVerifier()
				u := rp.cfg.AuthCodeURL(state, oauth2.SetAuthURLParam("code_challenge", oauth2.GenerateVerifier()),
					oauth2.SetAuthURLParam("code_challenge_method", "plain"))
				loc, err := rp.srv.Authorize(rp.ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				if q := loc.Query(); q.Get("error") != "invalid_request" || q.Get("state") != state || q.Get("code") != "" {
					t.Errorf("plain PKCE: callback %s; want error=invalid_request with the state", loc)
				}
			})
			t.Run("authorize_error", func(t *testing.T) {
				if err := rp.srv.Provider.FailNext(FaultAuthorizeError); err != nil {
					t.Fatal(err)
				}
				verifier := oauth2.GenerateVerifier()
				state := oauth2.GenerateVerifier()
				loc, err := rp.srv.Authorize(rp.ctx, rp.cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
				if err != nil {
					t.Fatal(err)
				}
				if q := loc.Query(); q.Get("error") != "access_denied" || q.Get("state") != state || q.Get("code") != "" {
					t.Errorf("callback %s; want error=access_denied with the state", loc)
				}
			})
			t.Run("token_error", func(t *testing.T) {
				verifier := oauth2.GenerateVerifier()
				code := rp.authorize(t, verifier).Get("code")
				if err := rp.srv.Provider.FailNext(FaultTokenError); err != nil {
					t.Fatal(err)
				}
				_, err := rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) || re.Response.StatusCode != http.StatusInternalServerError {
					t.Errorf("exchange after token_error: %v; want HTTP 500", err)
				}
			})
			t.Run("token_invalid_grant", func(t *testing.T) {
				verifier := oauth2.GenerateVerifier()
				code := rp.authorize(t, verifier).Get("code")
				if err := rp.srv.Provider.FailNext(FaultTokenInvalidGrant); err != nil {
					t.Fatal(err)
				}
				_, err := rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
				rp.wantTokenError(t, err, ms.invalidGrant, ms.tokenErrorStatus)
			})
			t.Run("email_unverified", func(t *testing.T) {
				if err := rp.srv.Provider.FailNext(FaultEmailUnverified); err != nil {
					t.Fatal(err)
				}
				if rp.verified(t, rp.srv, rp.login(t)) {
					t.Error("email_unverified: the email still reads as verified")
				}
				if !rp.verified(t, rp.srv, rp.login(t)) {
					t.Error("the fault outlived its one answer")
				}
			})
		})
	}
}

func (rp *modeRP) wantTokenError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("exchange: %v; want a token error %s", err, code)
	}
	if re.ErrorCode != code || re.Response.StatusCode != status {
		t.Errorf("token error %q with HTTP %d (%s); want %q with HTTP %d", re.ErrorCode, re.Response.StatusCode, re.Body, code, status)
	}
}

// A client that must use PKCE is refused without it in every mode.
func TestModesRequirePKCE(t *testing.T) {
	t.Parallel()
	for _, ms := range modeSetups {
		t.Run(string(ms.mode), func(t *testing.T) {
			t.Parallel()
			rp := newModeRP(t, ms, Options{Clients: map[string]Client{"strict": {Secret: "s3cret", RequirePKCE: true}}})
			rp.cfg.ClientID, rp.cfg.ClientSecret = "strict", "s3cret"
			state := oauth2.GenerateVerifier()
			loc, err := rp.srv.Authorize(rp.ctx, rp.cfg.AuthCodeURL(state))
			if err != nil {
				t.Fatal(err)
			}
			if q := loc.Query(); q.Get("error") != "invalid_request" || q.Get("state") != state {
				t.Errorf("authorize without PKCE: %s; want error=invalid_request", loc)
			}
			rp.login(t) // with PKCE it works
		})
	}
}

// Faults that need an ID token are refused where there is none, so that
// a test cannot pass by testing nothing.
func TestModesRefuseFaultsWithoutIDToken(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode Mode
		f    Fault
		ok   bool
	}{
		{ModeGitHub, FaultBadSignature, false}, {ModeOAuth2, FaultWrongNonce, false},
		{ModeGitHub, FaultEmailUnverified, true}, {ModeOAuth2, FaultMissingEmail, true},
		{ModeGitHub, FaultTokenError, true}, {ModeMicrosoft, FaultBadSignature, true},
	} {
		p, err := New(Options{Mode: tt.mode})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.FailNext(tt.f); (err == nil) != tt.ok {
			t.Errorf("mode %s FailNext(%s) = %v; want accepted %v", tt.mode, tt.f, err, tt.ok)
		}
	}
}

func TestModeOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"unknown mode", Options{Mode: "saml"}, `unknown mode "saml"`},
		{"registration outside oidc", Options{Mode: ModeGitHub, Registration: true}, "registration needs mode oidc"},
		{"jwt access tokens from github", Options{Mode: ModeGitHub, JWTAccessTokens: true}, "opaque access tokens"},
		{"bad team", Options{Mode: ModeGitHub, Users: []User{{Email: "a@example.com", GitHub: &GitHubAccount{Teams: []string{"acme"}}}}}, "Users[0].github.teams[0]"},
		{"bad tenant", Options{Mode: ModeMicrosoft, Users: []User{{Email: "a@example.com", Microsoft: &MicrosoftAccount{TenantID: "contoso"}}}}, "Users[0].microsoft.tid"},
		{"jwt access tokens from microsoft", Options{Mode: ModeMicrosoft, JWTAccessTokens: true}, ""},
	} {
		_, err := New(tt.opts)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: New = %v; want an error containing %q", tt.name, err, tt.wantErr)
		}
	}
	for _, name := range []string{"", "oidc", "github", "microsoft", "oauth2"} {
		if _, err := ParseMode(name); err != nil {
			t.Errorf("ParseMode(%q): %v", name, err)
		}
	}
	if m, err := ParseMode("GitHub"); err == nil {
		t.Errorf("ParseMode(GitHub) = %q; mode names are lower case", m)
	}
}
