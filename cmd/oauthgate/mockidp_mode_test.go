package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/oauthgate/oauthgate/mockidp"
)

// serveMockIDP runs `oauthgate mockidp args...` until the test ends and
// returns its URL.
func serveMockIDP(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"mockidp", "--addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("mockidp %q did not start (exit %d)", args, <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("mockidp %q: exit code %d", args, code)
		}
	})
	return strings.TrimSpace(line)
}

const modeUsersFile = `users:
  - email: alice@example.com
    github: {login: alice, teams: [acme/platform]}
    microsoft: {tid: 11111111-2222-4333-8444-555555555555}
`

// --mode picks the protocol; each mode serves its own endpoints only.
func TestMockIDPModeFlag(t *testing.T) {
	t.Parallel()
	users := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(users, []byte(modeUsersFile), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		mode string
		path string
		want int
		body string
	}{
		{"oidc", "/.well-known/openid-configuration", 200, `"issuer":"URL"`},
		{"github", "/api/v3/user", 401, `"message":"Requires authentication"`},
		{"github", "/.well-known/openid-configuration", 404, ""},
		{"microsoft", "/common/v2.0/.well-known/openid-configuration", 200, `"issuer":"URL/{tenantid}/v2.0"`},
		{"microsoft", "/.well-known/openid-configuration", 404, ""},
		{"oauth2", "/oauth2/userinfo", 401, `"error":"invalid_request"`},
		{"oauth2", "/.well-known/openid-configuration", 404, ""},
	} {
		base := serveMockIDP(t, "--mode", tt.mode, "--users", users)
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := strings.ReplaceAll(tt.body, "URL", base); resp.StatusCode != tt.want || !strings.Contains(string(body), want) {
			t.Errorf("--mode %s: GET %s = %d %s; want %d with %s", tt.mode, tt.path, resp.StatusCode, body, tt.want, want)
		}
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--mode", "saml"}, 2, "--mode"},
		{[]string{"--mode", "GitHub"}, 2, "--mode"},
		{[]string{"--mode", "github", "--registration"}, 1, "registration needs mode oidc"},
	} {
		code, stdout, stderr := cli(t, append([]string{"mockidp", "--addr", "127.0.0.1:0"}, tt.args...)...)
		if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
			t.Errorf("mockidp %q: exit %d, %s%s; want %d naming %q", tt.args, code, stdout, stderr, tt.code, tt.want)
		}
	}
}

// A GitHub login against the command: the users file's account shows in
// the API, and the token answer is GitHub's form encoding.
func TestMockIDPGitHubMode(t *testing.T) {
	t.Parallel()
	users := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(users, []byte(modeUsersFile), 0o600); err != nil {
		t.Fatal(err)
	}
	base := serveMockIDP(t, "--mode", "github", "--users", users)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Post(base+"/control/next_login", "application/json", strings.NewReader(`{"email": "alice@example.com"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("next_login: %v %v", resp, err)
	}
	resp.Body.Close()
	cfg := oauth2.Config{ClientID: mockidp.DemoClientID, ClientSecret: mockidp.DemoClientSecret, RedirectURL: "http://127.0.0.1:9/cb",
		Endpoint: oauth2.Endpoint{AuthURL: base + "/login/oauth/authorize", TokenURL: base + "/login/oauth/access_token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"read:user", "read:org"}}
	verifier := oauth2.GenerateVerifier()
	loc, err := mockidp.FollowAuthorize(context.Background(), c, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("state") != "st" {
		t.Fatalf("callback %s", loc)
	}
	tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	// x/oauth2 reads an absent key of a form answer as "", of JSON as nil.
	if tok.Extra("absent") != "" || tok.Extra("scope") != "read:user,read:org" {
		t.Errorf("token answer %+v, scope %v; want GitHub's form encoding", tok, tok.Extra("scope"))
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v3/user/teams", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var teams []struct {
		Slug string `json:"slug"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&teams); err != nil || len(teams) != 1 || teams[0].Slug != "platform" {
		t.Errorf("/user/teams: %v %+v", err, teams)
	}
}
