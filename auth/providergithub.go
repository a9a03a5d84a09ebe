package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthgate/oauthgate/capabilities"
	"golang.org/x/oauth2"
)

// githubProvider is GitHub or GitHub Enterprise Server (provider github):
// an OAuth 2.0 code flow with PKCE, no ID token; who logged in comes from
// the REST API with the access token. OAuth App tokens do not expire, so
// the access token is the grant a re-check uses.
type githubProvider struct {
	providerDeps
	base  string // provider_url, or https://github.com
	api   string // https://api.github.com, or {provider_url}/api/v3
	oauth oauth2.Config
	// memberships: orgs and teams are read (read:org is in the scopes),
	// for allowed_orgs, allowed_teams and the orgs and teams claims.
	memberships bool
}

// githubAPIHeader is sent with every API request.
var githubAPIHeader = http.Header{
	"Accept":               {"application/vnd.github+json"},
	"X-Github-Api-Version": {"2022-11-28"},
}

// githubMaxPages bounds the pages of orgs or teams read (100 each).
const githubMaxPages = 10

func newGitHub(d providerDeps) *githubProvider {
	base := d.cfg.ProviderURL
	if base == "" {
		base = githubURL
	}
	api := base + "/api/v3"
	if u, err := url.Parse(base); err == nil && strings.EqualFold(u.Host, "github.com") {
		api = "https://api.github.com"
	}
	scopes := d.cfg.scopes()
	return &githubProvider{
		providerDeps: d, base: base, api: api,
		oauth: oauth2.Config{
			ClientID:     d.cfg.ClientID,
			ClientSecret: d.cfg.ClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:   base + "/login/oauth/authorize",
				TokenURL:  base + "/login/oauth/access_token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
			Scopes: scopes,
		},
		memberships: slices.Contains(scopes, "read:org"),
	}
}

// GitHub has no nonce and no offline_access: its tokens do not expire.
func (p *githubProvider) authCodeURL(f flow) string {
	return p.providerDeps.authCodeURL(p.oauth, f)
}

// exchange trades the code. GitHub answers form-encoded unless asked for
// JSON, and refuses with HTTP 200 and error=...: x/oauth2 reads both and
// makes the error an *oauth2.RetrieveError.
func (p *githubProvider) exchange(ctx context.Context, code string, f flow) (*oauth2.Token, error) {
	return p.providerDeps.exchange(ctx, p.oauth, code, f)
}

func (p *githubProvider) identify(ctx context.Context, tok *oauth2.Token, _ flow) (verifiedLogin, error) {
	u, err := p.user(ctx, tok.AccessToken)
	if err != nil {
		p.log.Warn("auth: GitHub login refused", "err", err)
		return verifiedLogin{}, err
	}
	return verifiedLogin{email: u.email, subject: u.subject, authTime: p.now(), claims: u.claims}, nil
}

func (p *githubProvider) grant(tok *oauth2.Token) string { return tok.AccessToken }

// recheck reads the user again with the kept access token: a 401 (the
// token was revoked, or the app's authorisation), another primary email,
// or a lost membership ends the user's token.
func (p *githubProvider) recheck(ctx context.Context, grant, email string) (recheckResult, error) {
	u, err := p.user(ctx, grant)
	if err != nil {
		return recheckResult{}, recheckErrorOf(err)
	}
	if capabilities.NormalizeEmail(u.email) != email {
		return recheckResult{}, fmt.Errorf("auth: the GitHub user's primary email is no longer %s: %w", email, ErrTokenRevoked)
	}
	return recheckResult{grant: grant, claims: u.claims}, nil
}

// githubUser is who a GitHub access token belongs to.
type githubUser struct {
	email, subject string
	claims         map[string]json.RawMessage
}

// githubEmail is an entry of /user/emails.
type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// user reads who holds accessToken: /user, the primary email from
// /user/emails, and when needed the orgs and teams, and applies the
// email and membership rules.
func (p *githubProvider) user(ctx context.Context, accessToken string) (githubUser, error) {
	body, _, err := p.getJSON(ctx, p.api+"/user", accessToken, githubAPIHeader)
	if err != nil {
		return githubUser{}, err
	}
	var u struct {
		Login string      `json:"login"`
		ID    json.Number `json:"id"`
		Name  string      `json:"name"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" || u.Login == "" {
		return githubUser{}, fmt.Errorf("auth: GitHub's /user answer has no id or login: %.200s", body)
	}
	body, _, err = p.getJSON(ctx, p.api+"/user/emails", accessToken, githubAPIHeader)
	if err != nil {
		return githubUser{}, err
	}
	var emails []githubEmail
	if err := json.Unmarshal(body, &emails); err != nil {
		return githubUser{}, fmt.Errorf("auth: GitHub's /user/emails answer: %w", err)
	}
	i := slices.IndexFunc(emails, func(e githubEmail) bool { return e.Primary && e.Email != "" })
	const noEmail = "your GitHub account has no verified primary email address"
	switch {
	case i < 0:
		return githubUser{}, refused(noEmail, "auth: GitHub user %s has no primary email", u.Login)
	case !emails[i].Verified && p.cfg.verifiedEmailRequired():
		return githubUser{}, refused(noEmail, "auth: the primary email %q of GitHub user %s is not verified", emails[i].Email, u.Login)
	}
	out := githubUser{email: emails[i].Email, subject: "github:" + u.ID.String()}
	claims := map[string]any{
		"sub": out.subject, "login": u.Login, "id": u.ID, "name": u.Name,
		"email": out.email, "email_verified": emails[i].Verified,
	}
	if p.memberships {
		orgs, teams, err := p.memberOf(ctx, accessToken)
		if err != nil {
			return githubUser{}, err
		}
		if err := p.checkMemberships(u.Login, orgs, teams); err != nil {
			return githubUser{}, err
		}
		claims["orgs"], claims["teams"] = orgs, teams
	}
	out.claims = make(map[string]json.RawMessage, len(claims))
	for k, v := range claims {
		out.claims[k], _ = json.Marshal(v) // strings, numbers and lists of strings
	}
	return out, nil
}

// memberOf lists the user's organisations (logins) and teams
// ("org/team-slug").
func (p *githubProvider) memberOf(ctx context.Context, accessToken string) (orgs, teams []string, err error) {
	orgs, teams = []string{}, []string{} // [] in the claims, not null
	err = p.pages(ctx, p.api+"/user/orgs?per_page=100", accessToken, func(body []byte) error {
		var page []struct {
			Login string `json:"login"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("auth: GitHub's /user/orgs answer: %w", err)
		}
		for _, o := range page {
			orgs = append(orgs, o.Login)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = p.pages(ctx, p.api+"/user/teams?per_page=100", accessToken, func(body []byte) error {
		var page []struct {
			Slug string `json:"slug"`
			Org  struct {
				Login string `json:"login"`
			} `json:"organization"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("auth: GitHub's /user/teams answer: %w", err)
		}
		for _, t := range page {
			teams = append(teams, t.Org.Login+"/"+t.Slug)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return orgs, teams, nil
}

// pages GETs url and the pages its Link headers name next, on the same
// host, at most githubMaxPages.
func (p *githubProvider) pages(ctx context.Context, url, accessToken string, each func([]byte) error) error {
	for range githubMaxPages {
		body, h, err := p.getJSON(ctx, url, accessToken, githubAPIHeader)
		if err != nil {
			return err
		}
		if err := each(body); err != nil {
			return err
		}
		next := nextLink(h.Get("Link"))
		if next == "" || !sameHost(next, p.api) {
			return nil
		}
		url = next
	}
	p.log.Warn("auth: more GitHub pages than read", "url", url, "pages", githubMaxPages)
	return nil
}

// checkMemberships applies allowed_orgs and allowed_teams: each set
// list must hold one of the user's.
func (p *githubProvider) checkMemberships(login string, orgs, teams []string) error {
	in := func(mine, allowed []string) bool {
		return slices.ContainsFunc(mine, func(m string) bool {
			return slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, m) })
		})
	}
	if len(p.cfg.AllowedOrgs) > 0 && !in(orgs, p.cfg.AllowedOrgs) {
		return refused("you are not a member of a GitHub organisation allowed to log in to this app",
			"auth: GitHub user %s is in none of allowed_orgs (member of %v)", login, orgs)
	}
	if len(p.cfg.AllowedTeams) > 0 && !in(teams, p.cfg.AllowedTeams) {
		return refused("you are not in a GitHub team allowed to log in to this app",
			"auth: GitHub user %s is in none of allowed_teams (in %v)", login, teams)
	}
	return nil
}

// check asks the API without a token (it must answer 401), and the token
// endpoint with the client's credentials and an invalid code: GitHub
// tells wrong credentials (incorrect_client_credentials) from a wrong
// code.
func (p *githubProvider) check(ctx context.Context) error {
	_, _, err := p.getJSON(ctx, p.api+"/user", "", githubAPIHeader)
	if !errors.Is(err, errUnauthorized) {
		if err == nil {
			err = errors.New("answered without a token")
		}
		return fmt.Errorf("GitHub API %s: %w", p.api, err)
	}
	return checkClient(ctx, p.providerDeps, p.oauth)
}

// checkClient sends the client's credentials and an invalid code to the
// token endpoint of cfg: an answer refusing the client (invalid_client,
// or GitHub's incorrect_client_credentials) fails, a refusal of the code
// passes.
func checkClient(ctx context.Context, d providerDeps, cfg oauth2.Config) error {
	cfg.RedirectURL = d.cfg.BaseURL + d.cfg.Prefix + "/auth"
	_, err := cfg.Exchange(d.clientContext(ctx), "oauthgate-config-check")
	var re *oauth2.RetrieveError
	switch {
	case err == nil:
		return fmt.Errorf("token endpoint %s accepted an invalid code", cfg.Endpoint.TokenURL)
	case !errors.As(err, &re) || re.Response == nil:
		return fmt.Errorf("token endpoint %s: %w", cfg.Endpoint.TokenURL, err)
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "incorrect_client_credentials" || re.Response.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("token endpoint %s refuses client_id or client_secret (%s)", cfg.Endpoint.TokenURL, re.ErrorCode)
	case re.ErrorCode == "" || re.Response.StatusCode >= 500:
		return fmt.Errorf("token endpoint %s: %w", cfg.Endpoint.TokenURL, err)
	}
	return nil
}

// nextLink returns the URL of rel="next" in an RFC 8288 Link header, or "".
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, param := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}

// sameHost reports whether a and b have the same scheme and host.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}
