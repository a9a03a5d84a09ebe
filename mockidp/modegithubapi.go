package mockidp

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The github mode's REST API, under GitHub Enterprise Server's prefix
// /api/v3: GET /user, /user/emails, /user/orgs and /user/teams for the
// user of an OAuth App token sent as "Authorization: token X" or
// "Bearer X". As at GitHub: no Authorization is 401 "Requires
// authentication", a token that is not (or no longer) good is 401 "Bad
// credentials"; a token without the scope an endpoint needs gets 404 at
// /user/emails (user:email or user) and 403 at /user/orgs and /user/teams
// (read:org, or a scope implying it). Lists are paginated (per_page,
// default 30, at most 100; page) with a Link header. The answers are
// read from the user's current definition, so [Provider.SetUser] and
// [Provider.DeleteUser] show at once.

const (
	githubAPIPrefix  = "/api/v3"
	githubRESTDocs   = "https://docs.github.com/rest"
	githubCreatedAt  = "2020-01-02T03:04:05Z"
	githubMaxPerPage = 100
)

// githubScopeImplies lists the scopes each scope grants beside itself.
var githubScopeImplies = map[string][]string{
	"user":      {"read:user", "user:email", "user:follow"},
	"admin:org": {"write:org", "read:org"},
	"write:org": {"read:org"},
}

// githubEndpoint is one API endpoint: the scopes any of which allows it
// (none: any token), the status when none is granted, and its answer.
type githubEndpoint struct {
	accepted []string
	denied   int
	answer   func(base string, acct GitHubAccount, l login) any
	list     bool
}

func (p *Provider) githubAPIRoutes(m *http.ServeMux) {
	m.Handle("GET "+githubAPIPrefix+"/user", p.githubAPI(githubEndpoint{answer: githubUserJSON}))
	m.Handle("GET "+githubAPIPrefix+"/user/emails", p.githubAPI(githubEndpoint{
		accepted: []string{"user", "user:email"}, denied: http.StatusNotFound, list: true,
		answer: func(_ string, a GitHubAccount, _ login) any { return githubEmailsJSON(a) },
	}))
	m.Handle("GET "+githubAPIPrefix+"/user/orgs", p.githubAPI(githubEndpoint{
		accepted: []string{"admin:org", "read:org", "user", "write:org"}, denied: http.StatusForbidden, list: true,
		answer: func(base string, a GitHubAccount, _ login) any { return githubOrgsJSON(base, a) },
	}))
	m.Handle("GET "+githubAPIPrefix+"/user/teams", p.githubAPI(githubEndpoint{
		accepted: []string{"admin:org", "read:org", "repo", "user", "write:org"}, denied: http.StatusForbidden, list: true,
		answer: func(base string, a GitHubAccount, _ login) any { return githubTeamsJSON(base, a) },
	}))
	m.HandleFunc(githubAPIPrefix+"/", func(w http.ResponseWriter, _ *http.Request) {
		writeGitHubMessage(w, http.StatusNotFound, "Not Found")
	})
}

func writeGitHubJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeGitHubMessage is GitHub's error body.
func writeGitHubMessage(w http.ResponseWriter, status int, msg string) {
	writeGitHubJSON(w, status, map[string]string{"message": msg, "documentation_url": githubRESTDocs, "status": strconv.Itoa(status)})
}

func (p *Provider) githubAPI(ep githubEndpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, given := githubAPIToken(r)
		if !given {
			writeGitHubMessage(w, http.StatusUnauthorized, "Requires authentication")
			return
		}
		g, oerr := p.accessGrantFor(tok, true)
		if tok == "" || oerr != nil {
			writeGitHubMessage(w, http.StatusUnauthorized, "Bad credentials")
			return
		}
		granted := strings.Fields(g.scope)
		h := w.Header()
		h.Set("X-OAuth-Scopes", strings.Join(granted, ", "))
		h.Set("X-Accepted-OAuth-Scopes", strings.Join(ep.accepted, ", "))
		if len(ep.accepted) > 0 && !githubScopeGranted(granted, ep.accepted) {
			msg := "Not Found"
			if ep.denied == http.StatusForbidden {
				msg = "Forbidden: the token needs one of these scopes: " + strings.Join(ep.accepted, ", ")
			}
			writeGitHubMessage(w, ep.denied, msg)
			return
		}
		base := p.issuerFor(r)
		answer := ep.answer(base, p.githubAccountOf(g), g.login)
		if ep.list {
			answer = githubPage(w, r, base, answer)
		}
		writeGitHubJSON(w, http.StatusOK, answer)
	})
}

// githubAPIToken reads "Authorization: token X" or "Bearer X"; given is
// false without an Authorization header, tok empty for another scheme.
func githubAPIToken(r *http.Request) (tok string, given bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

// githubScopeGranted reports whether granted holds (or implies) one of
// the accepted scopes.
func githubScopeGranted(granted, accepted []string) bool {
	for _, s := range granted {
		if slices.Contains(accepted, s) {
			return true
		}
		for _, implied := range githubScopeImplies[s] {
			if slices.Contains(accepted, implied) {
				return true
			}
		}
	}
	return false
}

// githubAccountOf is the account a token speaks for, with the token's
// email fault applied.
func (p *Provider) githubAccountOf(g accessGrant) GitHubAccount {
	a := githubAccountFor(g.login.gh, g.login.email, emailVerifiedClaim(g.login.claims))
	a.Emails = slices.Clone(a.Emails)
	switch g.emailFault {
	case FaultEmailUnverified:
		for i := range a.Emails {
			if a.Emails[i].Primary {
				a.Emails[i].Verified = false
			}
		}
	case FaultMissingEmail:
		a.Emails = nil
	}
	return a
}

// emailVerifiedClaim is a login's email_verified claim (true if absent).
func emailVerifiedClaim(claims map[string]any) bool {
	v, ok := claims["email_verified"].(bool)
	return !ok || v
}

func githubNodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte("04:" + kind + strconv.FormatInt(id, 10)))
}

func githubUserJSON(base string, a GitHubAccount, l login) any {
	var public any // GitHub shows a verified primary address if the user made it public
	for _, e := range a.Emails {
		if e.Primary && e.Verified {
			public = e.Email
		}
	}
	api := base + githubAPIPrefix
	return map[string]any{
		"login": a.Login, "id": a.ID, "node_id": githubNodeID("User", a.ID),
		"avatar_url":  base + "/avatars/u/" + strconv.FormatInt(a.ID, 10),
		"gravatar_id": "", "url": api + "/users/" + a.Login, "html_url": base + "/" + a.Login,
		"type": "User", "site_admin": false, "name": l.name, "company": nil, "blog": "",
		"location": nil, "email": public, "hireable": nil, "bio": nil, "twitter_username": nil,
		"public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": githubCreatedAt, "updated_at": githubCreatedAt,
	}
}

func githubEmailsJSON(a GitHubAccount) []any {
	out := make([]any, 0, len(a.Emails))
	for _, e := range a.Emails {
		var visibility any
		if e.Primary {
			visibility = "public"
		}
		out = append(out, map[string]any{"email": e.Email, "primary": e.Primary, "verified": e.Verified, "visibility": visibility})
	}
	return out
}

// githubOrgs are the account's organizations: its orgs, then those of
// its teams, each once (logins compare without case, as at GitHub).
func githubOrgs(a GitHubAccount) []string {
	var out []string
	add := func(org string) {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, org) }) {
			out = append(out, org)
		}
	}
	for _, o := range a.Orgs {
		add(o)
	}
	for _, t := range a.Teams {
		org, _, _ := strings.Cut(t, "/")
		add(org)
	}
	return out
}

func githubOrgJSON(base, org string) map[string]any {
	id := numericID("org:" + strings.ToLower(org))
	u := base + githubAPIPrefix + "/orgs/" + org
	return map[string]any{
		"login": org, "id": id, "node_id": githubNodeID("Organization", id), "url": u,
		"repos_url": u + "/repos", "events_url": u + "/events", "hooks_url": u + "/hooks",
		"issues_url": u + "/issues", "members_url": u + "/members{/member}",
		"public_members_url": u + "/public_members{/member}",
		"avatar_url":         base + "/avatars/u/" + strconv.FormatInt(id, 10), "description": nil,
	}
}

func githubOrgsJSON(base string, a GitHubAccount) []any {
	var out []any
	for _, org := range githubOrgs(a) {
		out = append(out, githubOrgJSON(base, org))
	}
	return out
}

func githubTeamsJSON(base string, a GitHubAccount) []any {
	var out []any
	for _, t := range a.Teams {
		org, slug, _ := strings.Cut(t, "/")
		id := numericID("team:" + strings.ToLower(t))
		u := base + githubAPIPrefix + "/teams/" + strconv.FormatInt(id, 10)
		out = append(out, map[string]any{
			"id": id, "node_id": githubNodeID("Team", id), "url": u,
			"html_url": base + "/orgs/" + org + "/teams/" + slug, "name": slug, "slug": slug,
			"description": nil, "privacy": "closed", "notification_setting": "notifications_enabled",
			"permission": "pull", "members_url": u + "/members{/member}", "repositories_url": u + "/repos",
			"parent": nil, "members_count": 1, "repos_count": 0,
			"created_at": githubCreatedAt, "updated_at": githubCreatedAt,
			"organization": githubOrgJSON(base, org),
		})
	}
	return out
}

// githubPage returns the page of list (a []any) that the request's page
// and per_page ask for, and sets the Link header of the other pages.
func githubPage(w http.ResponseWriter, r *http.Request, base string, list any) []any {
	items, _ := list.([]any)
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, githubMaxPerPage)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max(1, (len(items)+per-1)/per)
	if last > 1 {
		link := func(n int, rel string) string {
			v := url.Values{}
			for k, vs := range q {
				v[k] = vs
			}
			v.Set("page", strconv.Itoa(n))
			v.Set("per_page", strconv.Itoa(per))
			return "<" + base + r.URL.Path + "?" + v.Encode() + `>; rel="` + rel + `"`
		}
		var links []string
		if page > 1 {
			links = append(links, link(min(page-1, last), "prev"))
		}
		if page < last {
			links = append(links, link(page+1, "next"), link(last, "last"))
		}
		if page > 1 {
			links = append(links, link(1, "first"))
		}
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	if page > last {
		return []any{}
	}
	lo := (page - 1) * per
	return append([]any{}, items[lo:min(lo+per, len(items))]...)
}
