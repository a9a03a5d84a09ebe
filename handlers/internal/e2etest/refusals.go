package e2etest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/mockidp"
)

// Refusal is a login the app must refuse, whatever the router: a readable
// page with Want (400, or 502 when the provider fails), and no session.
// A row whose Want is 303 is the login the refusals next to it would let
// through, so that they cannot pass by refusing everyone.
type Refusal struct {
	Name string
	// Modes are the provider modes the row applies to; nil: every mode.
	Modes []mockidp.Mode
	// Extra is configuration added to the app's; Users the provider's
	// users; Edit changes the parsed configuration.
	Extra string
	Users []mockidp.User
	Edit  func(*auth.Config)
	// Login runs the login in the fresh browser b and returns the
	// callback's answer; nil logs in as UserEmail, going to /me.
	Login func(t *testing.T, a *App, b *Client) *Response
	Want  int
	// Page is a part of the page's text.
	Page string
}

var (
	openID    = []mockidp.Mode{mockidp.ModeOIDC, mockidp.ModeMicrosoft}
	notGitHub = []mockidp.Mode{mockidp.ModeOIDC, mockidp.ModeMicrosoft, mockidp.ModeOAuth2}
	github    = []mockidp.Mode{mockidp.ModeGitHub}
	microsoft = []mockidp.Mode{mockidp.ModeMicrosoft}
	oauth2    = []mockidp.Mode{mockidp.ModeOAuth2}
)

// otherTenant is a tenant that allowed_tenants leaves out.
const otherTenant = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"

// Refusals are the logins refused for who the user is, for a state or
// code that is not this login's, and for the provider's errors.
var Refusals = []Refusal{
	// The email must be one the provider vouches for.
	{Name: "unverified email", Modes: notGitHub, Login: withFault(mockidp.FaultEmailUnverified), Want: 400, Page: "not verified"},
	{Name: "unverified email", Modes: github, Login: withFault(mockidp.FaultEmailUnverified), Want: 400, Page: "no verified primary email"},
	{Name: "no email", Modes: notGitHub, Login: withFault(mockidp.FaultMissingEmail), Want: 400, Page: "gave no email address"},
	{Name: "no email", Modes: github, Login: withFault(mockidp.FaultMissingEmail), Want: 400, Page: "no verified primary email"},
	{Name: "unverified primary email", Modes: github, Want: 400, Page: "no verified primary email", Users: []mockidp.User{{
		Email: UserEmail, GitHub: &mockidp.GitHubAccount{Emails: []mockidp.GitHubEmail{
			{Email: UserEmail, Primary: true}, {Email: "other@corp.example", Verified: true},
		}},
	}}},
	{Name: "verified email not primary", Modes: github, Want: 400, Page: "no verified primary email",
		Login: loginAs("other@corp.example"), Users: []mockidp.User{{
			Email: "other@corp.example", GitHub: &mockidp.GitHubAccount{Emails: []mockidp.GitHubEmail{
				{Email: "primary@corp.example", Primary: true}, {Email: "other@corp.example", Verified: true},
			}},
		}}},
	// Microsoft: no xms_edov, no verified email ("nOAuth").
	{Name: "email domain not verified by the tenant", Modes: microsoft, Want: 400, Page: "not verified", Users: []mockidp.User{{
		Email: UserEmail, Microsoft: &mockidp.MicrosoftAccount{EmailDomainOwnerVerified: new(bool)},
	}}},
	{Name: "unverified email in the profile", Modes: oauth2, Want: 400, Page: "not verified", Users: []mockidp.User{{
		Email: UserEmail, Claims: map[string]any{"email_verified": false},
	}}},
	{Name: "unverified email allowed when configured", Modes: notGitHub, Extra: "require_verified_email: false\n",
		Login: withFault(mockidp.FaultEmailUnverified), Want: 303},

	// GitHub organisations and teams.
	{Name: "member of an allowed org", Modes: github, Extra: "allowed_orgs: [acme, other]\n", Want: 303,
		Users: []mockidp.User{{Email: UserEmail, GitHub: &mockidp.GitHubAccount{Orgs: []string{"Acme"}}}}},
	{Name: "member of an allowed org on a later page", Modes: github, Extra: "allowed_orgs: [acme]\n", Want: 303,
		Users: []mockidp.User{{Email: UserEmail, GitHub: &mockidp.GitHubAccount{Orgs: append(orgs(150), "acme")}}}},
	{Name: "wrong org", Modes: github, Extra: "allowed_orgs: [acme]\n", Want: 400, Page: "not a member of a GitHub organisation",
		Users: []mockidp.User{{Email: UserEmail, GitHub: &mockidp.GitHubAccount{Orgs: []string{"acme-evil"}}}}},
	{Name: "no org", Modes: github, Extra: "allowed_orgs: [acme]\n", Want: 400, Page: "not a member of a GitHub organisation"},
	{Name: "member of an allowed team", Modes: github, Extra: "allowed_teams: [acme/admins]\n", Want: 303,
		Users: []mockidp.User{{Email: UserEmail, GitHub: &mockidp.GitHubAccount{Orgs: []string{"acme"}, Teams: []string{"acme/admins"}}}}},
	{Name: "wrong team", Modes: github, Extra: "allowed_teams: [acme/admins]\n", Want: 400, Page: "not in a GitHub team",
		Users: []mockidp.User{{Email: UserEmail, GitHub: &mockidp.GitHubAccount{Orgs: []string{"acme"}, Teams: []string{"acme/devs"}}}}},
	{Name: "team of another org", Modes: github, Extra: "allowed_teams: [acme/admins]\n", Want: 400, Page: "not in a GitHub team",
		Users: []mockidp.User{{Email: UserEmail, GitHub: &mockidp.GitHubAccount{Orgs: []string{"evil"}, Teams: []string{"evil/admins"}}}}},
	{Name: "org but not team", Modes: github, Extra: "allowed_orgs: [acme]\nallowed_teams: [acme/admins]\n", Want: 400, Page: "not in a GitHub team",
		Users: []mockidp.User{{Email: UserEmail, GitHub: &mockidp.GitHubAccount{Orgs: []string{"acme"}}}}},

	// Microsoft tenants.
	{Name: "allowed tenant", Modes: microsoft, Extra: "allowed_tenants: [" + mockidp.DefaultTenantID + "]\n", Want: 303},
	{Name: "wrong tenant", Modes: microsoft, Extra: "allowed_tenants: [" + mockidp.DefaultTenantID + "]\n", Want: 400, Page: "Microsoft tenant",
		Users: []mockidp.User{{Email: UserEmail, Microsoft: &mockidp.MicrosoftAccount{TenantID: otherTenant}}}},
	{Name: "issuer of another provider", Modes: openID, Login: withFault(mockidp.FaultWrongIssuer), Want: 400, Page: "answer was refused"},

	// A state or a code that is not this login's.
	{Name: "state tampered", Login: func(t *testing.T, a *App, b *Client) *Response {
		cb := b.StartLogin(t, UserEmail, "/me", false)
		state := query(t, cb, "state")
		last := "A"
		if strings.HasSuffix(state, last) {
			last = "B"
		}
		return b.Get(t, withQuery(t, cb, "state", state[:len(state)-1]+last))
	}, Want: 400, Page: "invalid or expired"},
	{Name: "state replayed", Login: func(t *testing.T, a *App, b *Client) *Response {
		cb := b.StartLogin(t, UserEmail, "/me", false)
		b.Get(t, cb).Expect(t, http.StatusSeeOther)
		b.Get(t, a.Prefix+"/logout").Expect(t, http.StatusSeeOther)
		return b.Get(t, cb)
	}, Want: 400, Page: "invalid or expired"},
	{Name: "callback in another browser", Login: func(t *testing.T, a *App, b *Client) *Response {
		cb := a.NewBrowser("attacker").StartLogin(t, "attacker@corp.example", "/me", false)
		return b.Get(t, cb)
	}, Want: 400, Page: "invalid or expired"},
	{Name: "code of another login", Login: func(t *testing.T, a *App, b *Client) *Response {
		// Code injection: the code was issued for another PKCE challenge,
		// and the token endpoint refuses this login's verifier.
		first := b.StartLogin(t, UserEmail, "/me", false)
		second := b.StartLogin(t, UserEmail, "/me", false)
		return b.Get(t, withQuery(t, second, "code", query(t, first, "code")))
	}, Want: 400, Page: "refused the login code"},
	{Name: "verifier altered", Edit: func(c *auth.Config) {
		c.HTTPClient = &http.Client{Transport: alterVerifier{http.DefaultTransport}}
	}, Want: 400, Page: "refused the login code"},

	// The provider's errors.
	{Name: "authorization refused", Login: func(t *testing.T, a *App, b *Client) *Response {
		fail(t, a, mockidp.FaultAuthorizeError)
		return b.Get(t, b.StartLogin(t, UserEmail, "/me", false))
	}, Want: 400, Page: "refused the login (access_denied)"},
	{Name: "code refused", Login: withFault(mockidp.FaultTokenInvalidGrant), Want: 400, Page: "refused the login code"},
	{Name: "token endpoint failing", Login: withFault(mockidp.FaultTokenError), Want: 502, Page: "identity provider failed"},
}

// RunRefusals checks each row of [Refusals] that applies to mode on the
// app that build makes, each with a provider of its own.
func RunRefusals(t *testing.T, mode mockidp.Mode, build Builder) {
	for _, tc := range Refusals {
		if tc.Modes != nil && !slices.Contains(tc.Modes, mode) {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			a := Start(t, IdPMode(t, mode, tc.Users...), build, Options{Extra: tc.Extra, Edit: tc.Edit})
			b := a.NewBrowser("b")
			login := tc.Login
			if login == nil {
				login = loginAs(UserEmail)
			}
			resp := login(t, a, b)
			if resp.StatusCode != tc.Want {
				t.Fatalf("callback: status %d; want %d; body: %.300s", resp.StatusCode, tc.Want, resp.Body)
			}
			if tc.Want == http.StatusSeeOther {
				b.Get(t, "/me").Expect(t, http.StatusOK)
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q; want a page", ct)
			}
			if page := html(resp.Body); !strings.Contains(page, tc.Page) {
				t.Errorf("page without %q: %s", tc.Page, page)
			}
			for _, c := range resp.Cookies() {
				if c.Value != "" {
					t.Errorf("refused login sets cookie %s", c.Name)
				}
			}
			b.Get(t, "/me").Expect(t, http.StatusUnauthorized)
		})
	}
}

// orgs returns n organisation logins.
func orgs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("org-%03d", i)
	}
	return out
}

// loginAs logs in as email.
func loginAs(email string) func(*testing.T, *App, *Client) *Response {
	return func(t *testing.T, a *App, b *Client) *Response {
		return b.Get(t, b.StartLogin(t, email, "/me", false))
	}
}

// withFault logs in as UserEmail with f injected after the authorization
// step: in the token answer, the ID token or the provider's user answers.
func withFault(f mockidp.Fault) func(*testing.T, *App, *Client) *Response {
	return func(t *testing.T, a *App, b *Client) *Response {
		cb := b.StartLogin(t, UserEmail, "/me", false)
		fail(t, a, f)
		return b.Get(t, cb)
	}
}

// fail injects f in the provider's next answer of its kind; a token
// endpoint fault twice, since x/oauth2 sends a refused exchange again
// with the client's credentials in the body when it has not learnt the
// provider's way yet.
func fail(t *testing.T, a *App, f mockidp.Fault) {
	t.Helper()
	n := 1
	if f == mockidp.FaultTokenError || f == mockidp.FaultTokenInvalidGrant {
		n = 2
	}
	if err := a.IdP.Provider.FailNextN(f, n); err != nil {
		t.Fatal(err)
	}
}

// html undoes the page's escaping of the text the tests look for.
func html(b []byte) string {
	return strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&quot;", `"`, "&amp;", "&").Replace(string(b))
}

// withQuery returns raw with its query parameter k set to v.
func withQuery(t *testing.T, raw, k, v string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func query(t *testing.T, raw, k string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(k)
}

// alterVerifier changes the PKCE verifier of every token request: a
// provider that checks PKCE refuses the code.
type alterVerifier struct{ base http.RoundTripper }

func (a alterVerifier) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || r.Body == nil {
		return a.base.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("code_verifier") != "" {
		form.Set("code_verifier", strings.Repeat("w", 43))
		body = []byte(form.Encode())
	}
	r = r.Clone(r.Context())
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return a.base.RoundTrip(r)
}
