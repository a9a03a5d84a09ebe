package mockidp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/oauthgate/oauthgate/mockidp"
	"golang.org/x/oauth2"
)

// A GitHub login: the OAuth App web flow with x/oauth2, then the REST API
// under /api/v3 (GitHub Enterprise Server's layout) for the user's teams.
func ExampleGitHubAccount() {
	srv, err := mockidp.NewServer(mockidp.Options{
		Mode: mockidp.ModeGitHub,
		Users: []mockidp.User{{Email: "ada@example.com", GitHub: &mockidp.GitHubAccount{
			Login: "ada", Orgs: []string{"acme"}, Teams: []string{"acme/platform"},
		}}},
		DefaultEmail: "ada@example.com",
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	cfg := oauth2.Config{
		ClientID:     mockidp.DemoClientID,
		ClientSecret: mockidp.DemoClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   srv.URL + "/login/oauth/authorize",
			TokenURL:  srv.URL + "/login/oauth/access_token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: "http://127.0.0.1:8080/auth",
		Scopes:      []string{"read:user", "user:email", "read:org"},
	}
	verifier := oauth2.GenerateVerifier()
	callback, err := srv.Authorize(ctx, cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		panic(err)
	}
	tok, err := cfg.Exchange(ctx, callback.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v3/user/teams", nil)
	req.Header.Set("Authorization", "token "+tok.AccessToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var teams []struct {
		Slug string `json:"slug"`
		Org  struct {
			Login string `json:"login"`
		} `json:"organization"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&teams); err != nil {
		panic(err)
	}
	fmt.Println(tok.Extra("scope"), teams[0].Org.Login+"/"+teams[0].Slug)
	// Output: read:user,user:email,read:org acme/platform
}

// A Microsoft login: go-oidc discovers the multi-tenant document, whose
// issuer is a template; the ID token verifies against the template with
// the token's tid in place.
func ExampleMicrosoftAccount() {
	const tenant = "11111111-2222-4333-8444-555555555555"
	srv, err := mockidp.NewServer(mockidp.Options{
		Mode:         mockidp.ModeMicrosoft,
		Users:        []mockidp.User{{Email: "ada@contoso.example", Microsoft: &mockidp.MicrosoftAccount{TenantID: tenant}}},
		DefaultEmail: "ada@contoso.example",
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx := oidc.ClientContext(context.Background(), srv.Client())
	ctx = oidc.InsecureIssuerURLContext(ctx, srv.URL+"/{tenantid}/v2.0")
	provider, err := oidc.NewProvider(ctx, srv.URL+"/common/v2.0")
	if err != nil {
		panic(err)
	}
	cfg := oauth2.Config{
		ClientID:     mockidp.DemoClientID,
		ClientSecret: mockidp.DemoClientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  "http://127.0.0.1:8080/auth",
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
	verifier := oauth2.GenerateVerifier()
	callback, err := srv.Authorize(ctx, cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		panic(err)
	}
	tok, err := cfg.Exchange(ctx, callback.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		panic(err)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	_ = provider.Claims(&meta)
	issuer := strings.Replace(meta.Issuer, "{tenantid}", tenant, 1) // tid read from the token by a real client
	idToken, err := oidc.NewVerifier(issuer, oidc.NewRemoteKeySet(ctx, meta.JWKSURI),
		&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		panic(err)
	}
	var claims struct {
		TID   string `json:"tid"`
		Email string `json:"email"`
		EDOV  bool   `json:"xms_edov"`
	}
	_ = idToken.Claims(&claims)
	fmt.Println(claims.TID == tenant, claims.Email, claims.EDOV)
	// Output: true ada@contoso.example true
}
