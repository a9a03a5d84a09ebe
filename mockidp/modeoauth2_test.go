package mockidp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// oauth2Doc is the oauth2 mode's user-info answer, numbers kept as written.
type oauth2Doc struct {
	ID      json.Number    `json:"id"`
	Profile map[string]any `json:"profile"`
	Email   any            `json:"email"`
}

func oauth2Userinfo(t *testing.T, s *Server, tok string) oauth2Doc {
	t.Helper()
	req := httpGet(t, s.URL+"/oauth2/userinfo")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, body := do(t, s.Client(), req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: %d %s", resp.StatusCode, body)
	}
	var doc oauth2Doc
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("userinfo %s: %v", body, err)
	}
	return doc
}

func TestOAuth2Mode(t *testing.T) {
	t.Parallel()
	u := User{Email: "ada@example.com", Name: "Ada L", Claims: map[string]any{"groups": []any{"analysts"}}}
	rp := newModeRP(t, modeSetups[3], Options{Users: []User{u}, DefaultEmail: u.Email,
		Clients: map[string]Client{DemoClientID: {Secret: DemoClientSecret}, "no-refresh": {Secret: "s", GrantTypes: []string{"authorization_code"}}}})
	rp.cfg.Scopes = []string{"openid", "profile"}
	tok := rp.login(t)
	if tok.Extra("id_token") != nil || tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
		t.Errorf("token %+v, id_token %v; want a Bearer token with expiry and refresh token and no ID token, even for openid", tok, tok.Extra("id_token"))
	}
	doc := oauth2Userinfo(t, rp.srv, tok.AccessToken)
	if id, err := doc.ID.Int64(); err != nil || id != NumericIDFor(u.Email) || doc.Email != nil ||
		doc.Profile["email"] != u.Email || doc.Profile["email_verified"] != true || doc.Profile["name"] != "Ada L" ||
		len(doc.Profile["groups"].([]any)) != 1 {
		t.Errorf("userinfo %+v; want numeric id %d and the email, verified flag, name and claims under profile", doc, NumericIDFor(u.Email))
	}

	// The refresh token gives a new access token that userinfo takes,
	// and the answer is the user's current one.
	if err := rp.srv.Provider.SetUser(User{Email: u.Email, Name: "Ada King"}); err != nil {
		t.Fatal(err)
	}
	refreshed, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil || refreshed.Extra("id_token") != nil {
		t.Fatalf("refresh: %v (id_token %v)", err, refreshed.Extra("id_token"))
	}
	if doc := oauth2Userinfo(t, rp.srv, refreshed.AccessToken); doc.Profile["name"] != "Ada King" {
		t.Errorf("after SetUser, profile %v", doc.Profile)
	}

	if err := rp.srv.Provider.FailNext(FaultMissingEmail); err != nil {
		t.Fatal(err)
	}
	if doc := oauth2Userinfo(t, rp.srv, rp.login(t).AccessToken); doc.Profile["email"] != nil || doc.Profile["email_verified"] != nil {
		t.Errorf("missing_email: profile %v", doc.Profile)
	}

	rp.cfg.ClientID, rp.cfg.ClientSecret = "no-refresh", "s"
	if tok := rp.login(t); tok.RefreshToken != "" {
		t.Error("a client without the refresh_token grant got a refresh token")
	}

	for _, path := range []string{"/.well-known/openid-configuration", "/oauth2/.well-known/openid-configuration", "/jwks", "/userinfo"} {
		if resp, _ := do(t, rp.srv.Client(), httpGet(t, rp.srv.URL+path)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s in oauth2 mode: %d; want 404", path, resp.StatusCode)
		}
	}
}

func TestOAuth2UserinfoErrors(t *testing.T) {
	t.Parallel()
	rp := newModeRP(t, modeSetups[3], Options{})
	tok := rp.login(t).AccessToken
	for _, tt := range []struct {
		name, auth string
		want       int
		challenge  string
	}{
		{"no token", "", http.StatusUnauthorized, `Bearer realm="mockidp"`},
		{"unknown token", "Bearer nope", http.StatusUnauthorized, `error="invalid_token"`},
		{"good token", "Bearer " + tok, http.StatusOK, ""},
	} {
		req := httpGet(t, rp.srv.URL+"/oauth2/userinfo")
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, body := do(t, rp.srv.Client(), req)
		if resp.StatusCode != tt.want || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tt.challenge) {
			t.Errorf("%s: %d %q %s; want %d with %q", tt.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tt.want, tt.challenge)
		}
	}
	rp.srv.Provider.DeleteUser("test@example.com")
	bearerGet(t, rp.srv, rp.srv.URL+"/oauth2/userinfo", tok, http.StatusUnauthorized, nil)
}
