package mockidp

import (
	"crypto/rand"
	"encoding/xml"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The github mode's OAuth App web flow, as GitHub and GitHub Enterprise
// Server serve it: GET /login/oauth/authorize (client_id, redirect_uri,
// scope, state, login, code_challenge; response_type may be left out)
// and POST /login/oauth/access_token (client_id and client_secret in the
// body, code, redirect_uri, code_verifier; grant_type may be left out).
// The token answer is form-encoded unless the Accept header asks for
// application/json or application/xml; errors come with HTTP 200 in the
// same format. The REST API is in modegithubapi.go.

// githubTokenTTL: OAuth App tokens do not expire; GitHub removes those
// unused for a year.
const githubTokenTTL = 365 * 24 * time.Hour

// githubDocs is the base of the error_uri of GitHub's errors.
const githubDocs = "https://docs.github.com/apps/managing-oauth-apps/"

func (p *Provider) githubRoutes(m *http.ServeMux) {
	p.frontChannelRoutes(m, "/login/oauth")
	m.HandleFunc("POST /login/oauth/access_token", p.handleToken)
	p.githubAPIRoutes(m)
}

// githubScope turns GitHub's scope list (space-delimited, commas
// tolerated) into a space-separated one, repeated scopes dropped.
func githubScope(s string) string {
	var out []string
	for _, sc := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
		if !hasWord(strings.Join(out, " "), sc) {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

// githubToken is an OAuth App user token: gho_ and 36 letters or digits.
func githubToken() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	for i, x := range b {
		b[i] = alphabet[int(x)%len(alphabet)] // 256 % 62: a slight bias, fine for a mock
	}
	return "gho_" + string(b)
}

// githubLoginHint is the email of the known user whose GitHub login is
// the authorize request's login parameter ("" if none: GitHub only
// suggests that account).
func (p *Provider) githubLoginHint(loginName string) string {
	if loginName == "" {
		return ""
	}
	for _, u := range p.knownUsers() {
		if strings.EqualFold(githubAccountFor(u.GitHub, u.Email, true).Login, loginName) {
			return u.Email
		}
	}
	return ""
}

// githubAuthorizeError gives an authorization error GitHub's wording
// and error_uri.
func githubAuthorizeError(v url.Values) {
	switch v.Get("error") {
	case "":
		return
	case "access_denied":
		v.Set("error_description", "The user has denied your application access.")
		v.Set("error_uri", githubDocs+"troubleshooting-authorization-request-errors/#access-denied")
	default:
		v.Set("error_uri", githubDocs+"troubleshooting-authorization-request-errors/")
	}
}

// githubTokenErrors are GitHub's token errors, by the mock's error code.
var githubTokenErrors = map[string]struct{ code, description, anchor string }{
	"invalid_client":     {"incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", "#incorrect-client-credentials"},
	"invalid_grant":      {"bad_verification_code", "The code passed is incorrect or expired.", "#bad-verification-code"},
	descRedirectMismatch: {"redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", "#redirect-uri-mismatch"},
}

// writeGitHubTokenError answers as GitHub does: HTTP 200 (a server error
// keeps its 5xx) with error, error_description and error_uri, in the
// format the Accept header asks for.
func writeGitHubTokenError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	key := e.code
	if e.description == descRedirectMismatch {
		key = descRedirectMismatch
	}
	code, desc, uri := e.code, e.description, githubDocs+"troubleshooting-oauth-app-access-token-request-errors/"
	if ge, ok := githubTokenErrors[key]; ok {
		code, desc, uri = ge.code, ge.description, uri+ge.anchor
	}
	status := http.StatusOK
	if e.status >= 500 {
		status = e.status
	}
	writeGitHubForm(w, r, status, [][2]string{{"error", code}, {"error_description", desc}, {"error_uri", uri}})
}

// writeGitHubToken answers a token: the scope comma-separated, the type
// "bearer", no expiry and no refresh token.
func writeGitHubToken(w http.ResponseWriter, r *http.Request, resp *tokenResponse) {
	writeGitHubForm(w, r, http.StatusOK, [][2]string{
		{"access_token", resp.AccessToken},
		{"scope", strings.Join(strings.Fields(resp.Scope), ",")},
		{"token_type", "bearer"},
	})
}

// writeGitHubForm writes fields as GitHub's /login/oauth endpoints do:
// form-encoded by default, JSON or XML when Accept asks for it.
func writeGitHubForm(w http.ResponseWriter, r *http.Request, status int, fields [][2]string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept")
	switch githubAnswerType(r.Header.Get("Accept")) {
	case "application/json":
		obj := make(map[string]string, len(fields))
		for _, f := range fields {
			obj[f[0]] = f[1]
		}
		writeJSON(w, status, obj)
	case "application/xml":
		var b strings.Builder
		b.WriteString("<OAuth>")
		for _, f := range fields {
			b.WriteString("<" + f[0] + ">")
			_ = xml.EscapeText(&b, []byte(f[1]))
			b.WriteString("</" + f[0] + ">")
		}
		b.WriteString("</OAuth>")
		h.Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(b.String()))
	default:
		v := url.Values{}
		for _, f := range fields {
			v.Set(f[0], f[1])
		}
		h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(v.Encode()))
	}
}

// githubAnswerType picks JSON or XML when the Accept header names one
// (the first named wins), else the form encoding.
func githubAnswerType(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == "application/json" || mt == "application/xml") {
			return mt
		}
	}
	return "application/x-www-form-urlencoded"
}
