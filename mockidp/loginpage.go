package mockidp

import (
	"html/template"
	"net/http"
	"sort"
	"strings"
)

// The page works without JavaScript: one form per known user, one free
// form. Every OAuth parameter travels in hidden fields and is validated
// again on submission.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - mock identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
form{margin:.5rem 0}input,textarea{width:100%;box-sizing:border-box;margin:.2rem 0 .6rem}
button{padding:.4rem 1rem}.err{color:#a00}.user{width:100%;text-align:left}</style></head>
<body><h1>Sign in</h1>
<p>Mock identity provider: signing in to <b>{{.ClientID}}</b>. Test use only.</p>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
{{range .Users}}<form method="post" action="authorize">{{template "hidden" $.Hidden}}
<input type="hidden" name="mockidp_email" value="{{.Email}}">
<button class="user" name="mockidp_action" value="login">{{.Name}} &lt;{{.Email}}&gt;</button></form>
{{end}}{{if .Passwords}}<form method="post" action="authorize">{{template "hidden" .Hidden}}
<label>Email <input name="mockidp_email" type="email" required autocomplete="username" value="{{.Email}}"></label>
<label>Password <input name="mockidp_password" type="password" required autocomplete="current-password"></label>
<button name="mockidp_action" value="login">Sign in</button>
<button name="mockidp_action" value="deny" formnovalidate>Deny</button></form>
{{if .Signup}}<p>No account? <a href="{{.Signup}}">Sign up</a></p>{{end}}
{{else}}<form method="post" action="authorize">{{template "hidden" .Hidden}}
<label>Email <input name="mockidp_email" type="email" required value="{{.Email}}"></label>
<label>Name (optional) <input name="mockidp_name"></label>
<label>Extra claims, JSON object (optional) <textarea name="mockidp_claims" rows="3" placeholder='{"groups": ["admins"]}'></textarea></label>
<button name="mockidp_action" value="login">Sign in</button>
<button name="mockidp_action" value="deny" formnovalidate>Deny</button></form>
{{end}}</body></html>
{{define "hidden"}}{{range .}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}{{end}}`))

type loginPageData struct {
	ClientID string
	Error    string
	Email    string
	Users    []User
	Hidden   []hiddenField
	// Passwords replaces the free form with email and password; Signup
	// links the sign-up page.
	Passwords bool
	Signup    string
}

type hiddenField struct{ Name, Value string }

func (p *Provider) renderLogin(w http.ResponseWriter, req *authzRequest, status int, msg string) {
	d := loginPageData{ClientID: req.clientID, Error: msg, Email: req.loginHint}
	d.Users = p.choosableUsers()
	d.Passwords, d.Signup = p.accts.hasPasswords(), p.signupLink(req.params)
	if d.Email == "" {
		d.Email = p.Email()
	}
	for k, v := range req.params {
		if !strings.HasPrefix(k, "mockidp_") && len(v) == 1 {
			d.Hidden = append(d.Hidden, hiddenField{k, v[0]})
		}
	}
	sort.Slice(d.Hidden, func(i, j int) bool { return d.Hidden[i].Name < d.Hidden[j].Name })
	for i := range d.Users {
		if d.Users[i].Name == "" {
			d.Users[i].Name = nameFromEmail(d.Users[i].Email)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, d)
}
