package handlers_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// TestProviderRecheck: with every kind of provider, a user token from an
// offline login is re-checked with the provider every recheck_interval:
// confirmed while the provider knows the user, refused for good once it
// does not (a refresh token refused, or GitHub's access token).
func TestProviderRecheck(t *testing.T) {
	t.Parallel()
	for _, mode := range mockidp.Modes() {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			clock := e2etest.NewClock()
			idp := e2etest.NewIdP(t, mockidp.Options{Mode: mode, Now: clock.Now}) // ID tokens of the app's time
			app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{Edit: func(c *auth.Config) { c.Now = clock.Now }})
			const leaver = "leaver@corp.example"
			tok := app.UserToken(t, leaver, true)
			cli := app.WithBearer("leaver", tok.RefreshToken)
			cli.Get(t, "/me").Expect(t, 200)
			clock.Advance(2 * time.Hour)
			cli.Get(t, "/me").Expect(t, 200) // re-checked and confirmed
			if !strings.Contains(app.Logs.String(), "user re-checked with the identity provider") {
				t.Fatalf("no re-check logged:\n%s", app.Logs)
			}

			idp.Provider.DeleteUser(leaver)
			cli.Get(t, "/me").Expect(t, 200) // not due yet
			clock.Advance(2 * time.Hour)
			resp := cli.Get(t, "/me").Expect(t, 401)
			if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, "invalid_token") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			idp.Provider.RestoreUser(leaver)
			cli.Get(t, "/me").Expect(t, 401) // revoked for good
		})
	}
}

// TestGitHubRecheckMemberships: a GitHub user who leaves the allowed
// organisation loses the token at the next re-check; the orgs and teams
// claims grant capabilities and follow the provider.
func TestGitHubRecheckMemberships(t *testing.T) {
	t.Parallel()
	clock := e2etest.NewClock()
	const dev = "dev@corp.example"
	member := mockidp.User{Email: dev, GitHub: &mockidp.GitHubAccount{Orgs: []string{"acme"}, Teams: []string{"acme/bakers"}}}
	idp := e2etest.IdPMode(t, mockidp.ModeGitHub, member)
	app := e2etest.Start(t, idp, e2etest.MuxApp, e2etest.Options{
		Extra: "allowed_orgs: [acme]\nclaim_capabilities:\n  - when: {teams: acme/bakers}\n    grant: [baker]\n",
		Edit:  func(c *auth.Config) { c.Now = clock.Now },
	})
	b := app.Browser(t, dev)
	b.Get(t, "/bake").Expect(t, 200) // by the team claim
	tok := app.UserToken(t, dev, true)
	cli := app.WithBearer("dev", tok.RefreshToken)
	cli.Get(t, "/bake").Expect(t, 200)

	// Out of the team, still in the org: the claim grant goes at the next
	// re-check, the token stays.
	member.GitHub.Teams = nil
	if err := idp.Provider.SetUser(member); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	cli.Get(t, "/bake").Expect(t, 403)
	cli.Get(t, "/me").Expect(t, 200)

	// Out of the org: the token ends.
	member.GitHub.Orgs = nil
	if err := idp.Provider.SetUser(member); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	cli.Get(t, "/me").Expect(t, 401)
}

// TestGitHubTokenAnswers: GitHub answers the code exchange form-encoded
// unless asked for JSON; a login works with either.
func TestGitHubTokenAnswers(t *testing.T) {
	t.Parallel()
	for name, accept := range map[string]string{"form": "", "json": "application/json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := &tokenAnswers{accept: accept}
			app := e2etest.Start(t, e2etest.IdPMode(t, mockidp.ModeGitHub), e2etest.MuxApp, e2etest.Options{
				Edit: func(c *auth.Config) { c.HTTPClient = &http.Client{Transport: rt} },
			})
			app.Browser(t, e2etest.UserEmail).Get(t, "/me").Expect(t, 200)
			want := "application/x-www-form-urlencoded"
			if accept != "" {
				want = accept
			}
			if got := rt.contentType.Load(); got == nil || !strings.HasPrefix(*got, want) {
				t.Fatalf("token answer of type %v; want %s", got, want)
			}
		})
	}
}

// tokenAnswers sets the Accept header of the requests to GitHub's token
// endpoint and remembers the type of the last answer.
type tokenAnswers struct {
	accept      string
	contentType atomic.Pointer[string]
}

func (rt *tokenAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	token := strings.HasSuffix(r.URL.Path, "/login/oauth/access_token")
	if token && rt.accept != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Accept", rt.accept)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && token {
		ct := resp.Header.Get("Content-Type")
		rt.contentType.Store(&ct)
	}
	return resp, err
}
