package mockidp

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

var githubSetup = modeSetups[1]

// githubGet calls the API with "Authorization: token X" and decodes the answer.
func githubGet(t *testing.T, s *Server, tok, path string, want int, v any) http.Header {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v3"+path, nil)
	req.Header.Set("Authorization", "token "+tok)
	resp, body := do(t, s.Client(), req)
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d %s; want %d", path, resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.Header
}

// githubCode runs the front channel as GitHub's documentation writes it
// (no response_type) and returns the code and its verifier.
func githubCode(t *testing.T, rp *modeRP) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	q := url.Values{"client_id": {rp.cfg.ClientID}, "redirect_uri": {testRedirect}, "scope": {"read:user user:email"},
		"state": {"st"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	loc, err := rp.srv.Authorize(rp.ctx, rp.srv.URL+"/login/oauth/authorize?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("callback %s", loc)
	}
	return loc.Query().Get("code"), verifier
}

// The token answer is form-encoded unless Accept asks for JSON or XML,
// as GitHub documents; x/oauth2 reads the form.
func TestGitHubTokenAnswerFormats(t *testing.T) {
	t.Parallel()
	rp := newModeRP(t, githubSetup, Options{})
	tok := rp.login(t)
	if !strings.HasPrefix(tok.AccessToken, "gho_") || len(tok.AccessToken) != 40 || tok.TokenType != "bearer" ||
		tok.RefreshToken != "" || !tok.Expiry.IsZero() || tok.Extra("scope") != "read:user,user:email" {
		t.Errorf("x/oauth2 token = %+v, scope %v; want gho_ bearer token, no expiry nor refresh, scope read:user,user:email", tok, tok.Extra("scope"))
	}
	for _, tt := range []struct{ accept, want string }{
		{"", "application/x-www-form-urlencoded"},
		{"*/*", "application/x-www-form-urlencoded"},
		{"application/json", "application/json"},
		{"application/vnd.github+json, application/json;q=0.9", "application/json"},
		{"application/xml", "application/xml"},
	} {
		code, verifier := githubCode(t, rp)
		form := url.Values{"client_id": {DemoClientID}, "client_secret": {DemoClientSecret}, "code": {code},
			"redirect_uri": {testRedirect}, "code_verifier": {verifier}} // no grant_type, as GitHub documents
		req, _ := http.NewRequest(http.MethodPost, rp.srv.URL+"/login/oauth/access_token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		resp, body := do(t, rp.srv.Client(), req)
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if resp.StatusCode != http.StatusOK || ct != tt.want {
			t.Errorf("Accept %q: %d %s %s; want 200 %s", tt.accept, resp.StatusCode, ct, body, tt.want)
			continue
		}
		var got struct {
			AccessToken string `json:"access_token" xml:"access_token"`
			Scope       string `json:"scope" xml:"scope"`
			TokenType   string `json:"token_type" xml:"token_type"`
		}
		var err error
		switch ct {
		case "application/json":
			err = json.Unmarshal(body, &got)
		case "application/xml":
			err = xml.Unmarshal(body, &got)
		default:
			var v url.Values
			v, err = url.ParseQuery(string(body))
			got.AccessToken, got.Scope, got.TokenType = v.Get("access_token"), v.Get("scope"), v.Get("token_type")
		}
		if err != nil || !strings.HasPrefix(got.AccessToken, "gho_") || got.Scope != "read:user,user:email" || got.TokenType != "bearer" {
			t.Errorf("Accept %q: %+v, %v from %s", tt.accept, got, err, body)
		}
	}
}

// GitHub answers token errors with HTTP 200, in the asked format, with
// its own error names; x/oauth2 reads them as errors.
func TestGitHubTokenErrors(t *testing.T) {
	t.Parallel()
	rp := newModeRP(t, githubSetup, Options{})
	for _, tt := range []struct {
		name   string
		change func(form url.Values)
		header bool // credentials in a Basic header, which GitHub does not document
		want   string
	}{
		{"wrong secret", func(f url.Values) { f.Set("client_secret", "nope") }, false, "incorrect_client_credentials"},
		{"unknown client", func(f url.Values) { f.Set("client_id", "nobody") }, false, "incorrect_client_credentials"},
		{"credentials in a header", nil, true, "incorrect_client_credentials"},
		{"unknown code", func(f url.Values) { f.Set("code", "made-up") }, false, "bad_verification_code"},
		{"verifier mismatch", func(f url.Values) { f.Set("code_verifier", oauth2.GenerateVerifier()) }, false, "bad_verification_code"},
		{"redirect_uri mismatch", func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:9/other") }, false, "redirect_uri_mismatch"},
		{"refresh grant", func(f url.Values) { f.Set("grant_type", "refresh_token"); f.Set("refresh_token", "x") }, false, "unsupported_grant_type"},
	} {
		for _, accept := range []string{"", "application/json"} {
			code, verifier := githubCode(t, rp)
			form := url.Values{"client_id": {DemoClientID}, "client_secret": {DemoClientSecret}, "code": {code},
				"redirect_uri": {testRedirect}, "code_verifier": {verifier}}
			if tt.change != nil {
				tt.change(form)
			}
			if tt.header {
				form.Del("client_id")
				form.Del("client_secret")
			}
			req, _ := http.NewRequest(http.MethodPost, rp.srv.URL+"/login/oauth/access_token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			if tt.header {
				req.SetBasicAuth(DemoClientID, DemoClientSecret)
			}
			resp, body := do(t, rp.srv.Client(), req)
			var e oauthErrorBody
			var uri string
			if accept == "" {
				v, _ := url.ParseQuery(string(body))
				e.Error, e.Description, uri = v.Get("error"), v.Get("error_description"), v.Get("error_uri")
			} else {
				var j map[string]string
				_ = json.Unmarshal(body, &j)
				e.Error, e.Description, uri = j["error"], j["error_description"], j["error_uri"]
			}
			if resp.StatusCode != http.StatusOK || e.Error != tt.want || e.Description == "" || !strings.HasPrefix(uri, "https://docs.github.com/") {
				t.Errorf("%s (Accept %q): %d %s; want HTTP 200 error=%s with a description and error_uri", tt.name, accept, resp.StatusCode, body, tt.want)
			}
		}
	}

	// x/oauth2 turns the HTTP 200 error into a RetrieveError...
	rp.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	verifier := oauth2.GenerateVerifier()
	_, err := rp.cfg.Exchange(rp.ctx, rp.authorize(t, verifier).Get("code"), oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "incorrect_client_credentials" || re.Response.StatusCode != http.StatusOK || re.ErrorURI == "" {
		t.Errorf("x/oauth2 with the secret in a header: %v; want RetrieveError incorrect_client_credentials with HTTP 200", err)
	}
	// ...and its auto-detection falls back to the body.
	rp.cfg.Endpoint.AuthStyle = oauth2.AuthStyleAutoDetect
	if _, err := rp.cfg.Exchange(rp.ctx, rp.authorize(t, verifier).Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("x/oauth2 auto-detecting the client authentication: %v", err)
	}
}

// The API answers for the user's GitHub account: login, id, emails with
// their flags, organizations (those of its teams included) and teams.
func TestGitHubAPI(t *testing.T) {
	t.Parallel()
	alice := User{Email: "alice@example.com", Name: "Alice Liddell", GitHub: &GitHubAccount{
		Login: "alice-l", ID: 4242, Orgs: []string{"acme", "Wonderland"}, Teams: []string{"acme/platform", "tea-party/hatters"},
		Emails: []GitHubEmail{{Email: "alice@old.example", Verified: true}, {Email: "alice@example.com", Primary: true, Verified: true}, {Email: "a@unverified.example"}},
	}}
	rp := newModeRP(t, githubSetup, Options{Users: []User{alice}, DefaultEmail: alice.Email})
	rp.cfg.Scopes = []string{"read:user", "user:email", "read:org"}
	tok := rp.login(t).AccessToken

	var user map[string]any
	h := githubGet(t, rp.srv, tok, "/user", http.StatusOK, &user)
	if user["login"] != "alice-l" || user["id"] != float64(4242) || user["name"] != "Alice Liddell" || user["email"] != "alice@example.com" || user["type"] != "User" {
		t.Errorf("/user = %v", user)
	}
	if got := h.Get("X-OAuth-Scopes"); got != "read:user, user:email, read:org" {
		t.Errorf("X-OAuth-Scopes = %q", got)
	}
	var emails []map[string]any
	githubGet(t, rp.srv, tok, "/user/emails", http.StatusOK, &emails)
	if len(emails) != 3 || emails[1]["email"] != "alice@example.com" || emails[1]["primary"] != true || emails[1]["verified"] != true ||
		emails[1]["visibility"] != "public" || emails[0]["primary"] != false || emails[2]["verified"] != false {
		t.Errorf("/user/emails = %v", emails)
	}
	var orgs []map[string]any
	githubGet(t, rp.srv, tok, "/user/orgs", http.StatusOK, &orgs)
	var logins []string
	for _, o := range orgs {
		logins = append(logins, fmt.Sprint(o["login"]))
	}
	if strings.Join(logins, ",") != "acme,Wonderland,tea-party" {
		t.Errorf("/user/orgs logins = %v; want acme, Wonderland, then tea-party of a team", logins)
	}
	var teams []struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
		Org  struct {
			Login string `json:"login"`
		} `json:"organization"`
	}
	githubGet(t, rp.srv, tok, "/user/teams", http.StatusOK, &teams)
	if len(teams) != 2 || teams[0].Slug != "platform" || teams[0].Org.Login != "acme" || teams[1].Slug != "hatters" ||
		teams[1].Org.Login != "tea-party" || teams[0].ID == 0 || teams[0].ID == teams[1].ID {
		t.Errorf("/user/teams = %+v", teams)
	}
}

// API authentication and scopes fail as GitHub's do.
func TestGitHubAPIAuthErrors(t *testing.T) {
	t.Parallel()
	rp := newModeRP(t, githubSetup, Options{})
	rp.cfg.Scopes = []string{"read:user"}
	narrow := rp.login(t).AccessToken
	rp.cfg.Scopes = []string{"user"}
	wide := rp.login(t).AccessToken
	for _, tt := range []struct {
		name, path, auth string
		want             int
		message          string
	}{
		{"no header", "/user", "", 401, "Requires authentication"},
		{"unknown token", "/user", "token gho_madeup", 401, "Bad credentials"},
		{"basic scheme", "/user", "Basic " + narrow, 401, "Bad credentials"},
		{"empty token", "/user", "token ", 401, "Bad credentials"},
		{"token scheme", "/user", "token " + narrow, 200, ""},
		{"bearer scheme", "/user", "Bearer " + narrow, 200, ""},
		{"scheme case", "/user", "BEARER " + narrow, 200, ""},
		{"emails without user:email", "/user/emails", "token " + narrow, 404, "Not Found"},
		{"orgs without read:org", "/user/orgs", "token " + narrow, 403, "Forbidden"},
		{"teams without read:org", "/user/teams", "token " + narrow, 403, "Forbidden"},
		{"emails with user", "/user/emails", "token " + wide, 200, ""},
		{"orgs with user", "/user/orgs", "token " + wide, 200, ""},
		{"teams with user", "/user/teams", "token " + wide, 200, ""},
		{"unknown endpoint", "/user/repos/x", "token " + wide, 404, "Not Found"},
	} {
		req, _ := http.NewRequest(http.MethodGet, rp.srv.URL+"/api/v3"+tt.path, nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, body := do(t, rp.srv.Client(), req)
		var msg struct {
			Message string `json:"message"`
			Doc     string `json:"documentation_url"`
		}
		_ = json.Unmarshal(body, &msg)
		if resp.StatusCode != tt.want || tt.message != "" && (!strings.HasPrefix(msg.Message, tt.message) || msg.Doc == "") {
			t.Errorf("%s: %d %s; want %d %q", tt.name, resp.StatusCode, body, tt.want, tt.message)
		}
	}
	// A token of a user deleted since is bad credentials.
	rp.srv.Provider.DeleteUser("test@example.com")
	githubGet(t, rp.srv, wide, "/user", http.StatusUnauthorized, nil)
}

// Lists come in pages of per_page (default 30, at most 100) with Link.
func TestGitHubAPIPagination(t *testing.T) {
	t.Parallel()
	var orgs []string
	for i := range 65 {
		orgs = append(orgs, fmt.Sprintf("org%02d", i))
	}
	u := User{Email: "many@example.com", GitHub: &GitHubAccount{Orgs: orgs}}
	rp := newModeRP(t, githubSetup, Options{Users: []User{u}, DefaultEmail: u.Email})
	rp.cfg.Scopes = []string{"read:org"}
	tok := rp.login(t).AccessToken
	for _, tt := range []struct {
		query     string
		n         int
		first     string
		rels      []string
		nextQuery string
	}{
		{"", 30, "org00", []string{"next", "last"}, "page=2&per_page=30"},
		{"?page=3", 5, "org60", []string{"prev", "first"}, ""},
		{"?per_page=500", 65, "org00", nil, ""},
		{"?per_page=20&page=2", 20, "org20", []string{"prev", "next", "last", "first"}, "page=3&per_page=20"},
		{"?page=9", 0, "", []string{"prev", "first"}, ""},
	} {
		var page []map[string]any
		h := githubGet(t, rp.srv, tok, "/user/orgs"+tt.query, http.StatusOK, &page)
		link := h.Get("Link")
		if len(page) != tt.n || tt.n > 0 && page[0]["login"] != tt.first {
			t.Errorf("%q: %d orgs from %v; want %d from %s", tt.query, len(page), page, tt.n, tt.first)
		}
		for _, rel := range tt.rels {
			if !strings.Contains(link, `rel="`+rel+`"`) {
				t.Errorf("%q: Link %q has no rel=%s", tt.query, link, rel)
			}
		}
		if tt.rels == nil && link != "" {
			t.Errorf("%q: Link %q for a single page", tt.query, link)
		}
		if tt.nextQuery != "" && !strings.Contains(link, rp.srv.URL+"/api/v3/user/orgs?"+tt.nextQuery+`>; rel="next"`) {
			t.Errorf("%q: Link %q has no next page %s", tt.query, link, tt.nextQuery)
		}
	}
}

// Choosing the user: the default user gets a derived account; the
// control endpoint and NextLoginUser carry GitHub attributes; the login
// parameter picks a known user by GitHub login; SetUser changes what the
// API says for a token issued before.
func TestGitHubChooseAndChangeUser(t *testing.T) {
	t.Parallel()
	bob := User{Email: "bob@example.com", GitHub: &GitHubAccount{Login: "bobby", Orgs: []string{"acme"}}}
	rp := newModeRP(t, githubSetup, Options{Users: []User{bob}, DefaultEmail: "Jane.Doe+gh@example.com"})
	rp.cfg.Scopes = []string{"user"}

	var user map[string]any
	githubGet(t, rp.srv, rp.login(t).AccessToken, "/user", http.StatusOK, &user)
	if user["login"] != "jane-doe-gh" || user["id"] != float64(NumericIDFor("jane.doe+gh@example.com")) {
		t.Errorf("default user = %v; want login jane-doe-gh and NumericIDFor the email", user)
	}

	resp, body := postJSON(t, rp.srv.Client(), rp.srv.URL+"/control/next_login",
		`{"email": "carol@example.com", "github": {"login": "carol", "id": 7, "teams": ["acme/ops"], "emails": [{"email": "carol@example.com", "primary": true}]}}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("next_login: %d %s", resp.StatusCode, body)
	}
	tok := rp.login(t).AccessToken
	var emails []GitHubEmail
	githubGet(t, rp.srv, tok, "/user", http.StatusOK, &user)
	githubGet(t, rp.srv, tok, "/user/emails", http.StatusOK, &emails)
	if user["login"] != "carol" || user["id"] != float64(7) || user["email"] != nil || len(emails) != 1 || emails[0].Verified {
		t.Errorf("next_login user = %v, emails %+v; want carol, id 7, an unverified primary email kept private", user, emails)
	}
	resp, _ = postJSON(t, rp.srv.Client(), rp.srv.URL+"/control/next_login", `{"email": "x@example.com", "github": {"teams": ["no-slash"]}}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("next_login with a bad team: %d; want 400", resp.StatusCode)
	}

	verifier := oauth2.GenerateVerifier()
	q := rp.authorize(t, verifier, oauth2.SetAuthURLParam("login", "BOBBY"))
	bobTok, err := rp.cfg.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var orgs []map[string]any
	githubGet(t, rp.srv, bobTok.AccessToken, "/user", http.StatusOK, &user)
	githubGet(t, rp.srv, bobTok.AccessToken, "/user/orgs", http.StatusOK, &orgs)
	if user["login"] != "bobby" || len(orgs) != 1 {
		t.Errorf("login=BOBBY signed in %v with orgs %v; want bobby of acme", user["login"], orgs)
	}

	// Bob leaves acme: the token issued before sees it at once.
	resp, body = postJSON(t, rp.srv.Client(), rp.srv.URL+"/control/user", `{"email": "bob@example.com", "github": {"login": "bobby", "orgs": []}}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("control/user: %d %s", resp.StatusCode, body)
	}
	githubGet(t, rp.srv, bobTok.AccessToken, "/user/orgs", http.StatusOK, &orgs)
	if len(orgs) != 0 {
		t.Errorf("after SetUser, /user/orgs = %v; want none", orgs)
	}
}

// An authorization error reads as GitHub's.
func TestGitHubAuthorizeError(t *testing.T) {
	t.Parallel()
	rp := newModeRP(t, githubSetup, Options{})
	if err := rp.srv.Provider.FailNext(FaultAuthorizeError); err != nil {
		t.Fatal(err)
	}
	loc, err := rp.srv.Authorize(rp.ctx, rp.cfg.AuthCodeURL("xyz", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if q.Get("error") != "access_denied" || q.Get("error_description") != "The user has denied your application access." ||
		!strings.HasSuffix(q.Get("error_uri"), "#access-denied") || q.Get("state") != "xyz" {
		t.Errorf("callback %s", loc)
	}
	// No discovery, no JWKS, no OpenID endpoints.
	for _, path := range []string{"/.well-known/openid-configuration", "/jwks", "/token", "/userinfo"} {
		resp, _ := do(t, rp.srv.Client(), httpGet(t, rp.srv.URL+path))
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s in github mode: %d; want 404", path, resp.StatusCode)
		}
	}
}

func httpGet(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
