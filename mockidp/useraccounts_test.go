package mockidp

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

const providerUsersYAML = `users:
  - email: alice@example.com
    name: Alice
    github:
      login: alice
      id: 1001
      orgs: [acme]
      teams: [acme/platform]
      emails:
        - {email: alice@example.com, primary: true, verified: true}
        - {email: alice@old.example}
    microsoft: {tid: 11111111-2222-4333-8444-555555555555, xms_edov: false}
  - email: bob@example.com
`

func TestParseUsersProviderAccounts(t *testing.T) {
	t.Parallel()
	users, err := ParseUsers([]byte(providerUsersYAML))
	if err != nil {
		t.Fatal(err)
	}
	gh, ms := users[0].GitHub, users[0].Microsoft
	if gh == nil || gh.Login != "alice" || gh.ID != 1001 || len(gh.Teams) != 1 || len(gh.Emails) != 2 || !gh.Emails[0].Primary || gh.Emails[1].Verified ||
		ms == nil || ms.TenantID != tenantA || ms.edov() || users[1].GitHub != nil || users[1].Microsoft != nil {
		t.Errorf("parsed %+v %+v %+v", users[0], gh, ms)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"team without org", "users:\n  - email: a@example.com\n    github: {teams: [platform]}\n", "users[0].github.teams[0]"},
		{"team with two slashes", "users:\n  - email: a@example.com\n    github: {teams: [a/b/c]}\n", "users[0].github.teams[0]"},
		{"org with a space", "users:\n  - email: a@example.com\n    github: {orgs: [a b]}\n", "users[0].github.orgs[0]"},
		{"two primaries", "users:\n  - email: a@example.com\n    github: {emails: [{email: a@example.com, primary: true}, {email: b@example.com, primary: true}]}\n", "users[0].github.emails"},
		{"no primary", "users:\n  - email: a@example.com\n    github: {emails: [{email: a@example.com}]}\n", "exactly one primary"},
		{"bad email", "users:\n  - email: a@example.com\n    github: {emails: [{email: nobody, primary: true}]}\n", "users[0].github.emails[0].email"},
		{"negative id", "users:\n  - email: a@example.com\n    github: {id: -1}\n", "users[0].github.id"},
		{"unknown github key", "users:\n  - email: a@example.com\n    github: {logn: a}\n", "login"},
		{"tenant not a GUID", "users:\n  - email: a@example.com\n    microsoft: {tid: contoso.onmicrosoft.com}\n", "users[0].microsoft.tid"},
		{"xms_edov not a bool", "users:\n  - email: a@example.com\n    microsoft: {xms_edov: maybe}\n", "xms_edov"},
	} {
		_, err := ParseUsers([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

// A users file's GitHub account is what the API tells. The user signs in
// on the login page and allows on the consent page, both served beside
// GitHub's authorize endpoint.
func TestUsersFileGitHubAccount(t *testing.T) {
	t.Parallel()
	path := writeUsersFile(t, providerUsersYAML)
	rp := newModeRP(t, githubSetup, Options{UsersFile: path, Consent: true})
	rp.cfg.Scopes = []string{"user"}
	c := rp.srv.Client()
	verifier := oauth2.GenerateVerifier()
	u := rp.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))
	_, page := getPage(t, c, u)
	resp, body := pageForm(t, u, page, `value="alice@example.com"`).submit(t, c, fieldAction, "login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Allow access?") {
		t.Fatalf("want the consent page, got %s\n%s", resp.Status, body)
	}
	form := pageForm(t, u, body, fieldConsent)
	if !strings.HasPrefix(form.action, rp.srv.URL+"/login/oauth/") {
		t.Errorf("consent form posts to %s", form.action)
	}
	resp, body = form.submit(t, c, fieldAction, "allow")
	q := callback(t, resp, body)
	tok, err := rp.cfg.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var teams []struct {
		Slug string `json:"slug"`
	}
	var user map[string]any
	githubGet(t, rp.srv, tok.AccessToken, "/user", http.StatusOK, &user)
	githubGet(t, rp.srv, tok.AccessToken, "/user/teams", http.StatusOK, &teams)
	if user["login"] != "alice" || user["id"] != float64(1001) || user["name"] != "Alice" || len(teams) != 1 || teams[0].Slug != "platform" {
		t.Errorf("/user %v, teams %+v", user, teams)
	}
}

func TestNumericIDAndLogin(t *testing.T) {
	t.Parallel()
	if a, b := NumericIDFor("Ann@Example.com"), NumericIDFor("ann@example.com"); a != b || a < 1_000_000 || a >= 1<<31 {
		t.Errorf("NumericIDFor = %d, %d; want equal, in 1e6..2^31", a, b)
	}
	if NumericIDFor("ann@example.com") == NumericIDFor("bob@example.com") {
		t.Error("two emails share a numeric id")
	}
	for _, tt := range []struct{ email, want string }{
		{"ann@example.com", "ann"},
		{"Jane.Doe+gh@example.com", "jane-doe-gh"},
		{"__x__@example.com", "x"},
		{"+@example.com", "user"},
		{strings.Repeat("a", 50) + "@example.com", strings.Repeat("a", 39)},
	} {
		if got := githubLoginFor(tt.email); got != tt.want || !githubName(got) {
			t.Errorf("githubLoginFor(%q) = %q; want %q", tt.email, got, tt.want)
		}
	}
}
