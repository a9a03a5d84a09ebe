package mockidp_test

import (
	"context"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/oauthgate/oauthgate/mockidp"
	"golang.org/x/oauth2"
)

// A complete login with x/oauth2 and go-oidc, without a browser.
func ExampleNewServer() {
	srv, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	if err := srv.Provider.SetEmail("boss@corleone.com"); err != nil {
		panic(err)
	}

	ctx := oidc.ClientContext(context.Background(), srv.Client())
	provider, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		panic(err)
	}
	cfg := oauth2.Config{
		ClientID:     mockidp.DemoClientID,
		ClientSecret: mockidp.DemoClientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  "http://127.0.0.1:8080/auth",
		Scopes:       []string{oidc.ScopeOpenID, "email"},
	}
	verifier := oauth2.GenerateVerifier()
	callback, err := srv.Authorize(ctx, cfg.AuthCodeURL("state-1", oidc.Nonce("nonce-1"), oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		panic(err)
	}
	tok, err := cfg.Exchange(ctx, callback.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		panic(err)
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		panic(err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	_ = idToken.Claims(&claims)
	fmt.Println(callback.Query().Get("state"), idToken.Nonce, claims.Email)
	// Output: state-1 nonce-1 boss@corleone.com
}

// Negative tests: the next ID token is expired.
func ExampleProvider_FailNext() {
	srv, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	raw, err := srv.Provider.MintIDToken(mockidp.MintOptions{Fault: mockidp.FaultExpired})
	if err != nil {
		panic(err)
	}
	ctx := oidc.ClientContext(context.Background(), srv.Client())
	provider, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		panic(err)
	}
	_, err = provider.Verifier(&oidc.Config{ClientID: mockidp.DemoClientID}).Verify(ctx, raw)
	fmt.Println(err != nil)
	// Output: true
}
