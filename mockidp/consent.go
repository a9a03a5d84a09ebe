package mockidp

import (
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
)

// consentTTL is how long a consent page can be answered.
const consentTTL = 10 * time.Minute

// The consent page: the login is kept on the server under a one-use
// ticket, so the form carries no identity a visitor could change.
var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Allow access - mock identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
form{margin:.5rem 0}button{padding:.4rem 1rem}.err{color:#a00}</style></head>
<body><h1>Allow access?</h1>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{else}}<p>Mock identity provider: <b>{{.ClientID}}</b> asks to sign you in as <b>{{.Email}}</b>{{if .Scopes}} with these scopes:{{else}}.{{end}}</p>
{{if .Scopes}}<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
<form method="post" action="consent"><input type="hidden" name="mockidp_consent" value="{{.Ticket}}">
<button name="mockidp_action" value="allow">Allow</button>
<button name="mockidp_action" value="deny">Deny</button></form>{{end}}
</body></html>`))

type consentPageData struct {
	ClientID, Email, Ticket, Error string
	Scopes                         []string
}

const fieldConsent = "mockidp_consent"

type pendingConsent struct {
	req     *authzRequest
	login   login
	expires time.Time
}

type pendingConsents struct {
	mu sync.Mutex
	m  map[string]*pendingConsent
}

func (pc *pendingConsents) put(c *pendingConsent, now time.Time) string {
	t := randomToken()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for k, old := range pc.m {
		if now.After(old.expires) {
			delete(pc.m, k)
		}
	}
	pc.m[t] = c
	return t
}

func (pc *pendingConsents) take(ticket string, now time.Time) (*pendingConsent, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	c, ok := pc.m[ticket]
	delete(pc.m, ticket)
	return c, ok && !now.After(c.expires)
}

// afterLogin completes a login, asking for consent first with
// Options.Consent unless the user granted these scopes to the client
// before (prompt=consent asks again; prompt=none fails with
// consent_required).
func (p *Provider) afterLogin(w http.ResponseWriter, r *http.Request, req *authzRequest, l login) {
	if !p.opts.Consent || (!hasWord(req.prompt, "consent") && p.accts.consented(l.email, req.clientID, req.scope)) {
		p.complete(w, r, req, l)
		return
	}
	if hasWord(req.prompt, "none") {
		p.redirectError(w, r, req, &oauthError{code: "consent_required", description: "the user has not consented to these scopes"})
		return
	}
	if err := checkEmail(l.email); err != nil {
		p.redirectError(w, r, req, errInvalidRequest("login_hint is not a usable email"))
		return
	}
	now := p.opts.Now()
	ticket := p.pending.put(&pendingConsent{req: req, login: l, expires: now.Add(consentTTL)}, now)
	p.renderConsent(w, http.StatusOK, consentPageData{
		ClientID: req.clientID, Email: l.email, Ticket: ticket, Scopes: strings.Fields(req.scope),
	})
}

func (p *Provider) renderConsent(w http.ResponseWriter, status int, d consentPageData) {
	pageHeaders(w)
	w.WriteHeader(status)
	_ = consentPage.Execute(w, d)
}

func (p *Provider) handleConsent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.renderConsent(w, http.StatusBadRequest, consentPageData{Error: "Malformed form."})
		return
	}
	if !p.sameOrigin(r) {
		p.renderConsent(w, http.StatusForbidden, consentPageData{Error: "This form was posted from another site."})
		return
	}
	c, ok := p.pending.take(r.PostForm.Get(fieldConsent), p.opts.Now())
	if !ok {
		p.renderConsent(w, http.StatusBadRequest, consentPageData{Error: "This consent request is unknown, used or expired: sign in again from the application."})
		return
	}
	switch r.PostForm.Get(fieldAction) {
	case "allow":
		if err := p.accts.grant(c.login.email, c.req.clientID, c.req.scope); err != nil {
			p.opts.Logger.Error("mockidp consent", "err", err)
		}
		p.complete(w, r, c.req, c.login)
	default:
		p.redirectError(w, r, c.req, &oauthError{code: "access_denied", description: "the user denied the request"})
	}
}
