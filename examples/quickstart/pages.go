package main

import (
	"encoding/json"
	"html/template"
	"net/http"
	"sort"

	"github.com/oauthgate/oauthgate/auth"
)

// pages renders the demo's HTML pages.
type pages struct {
	m *auth.Manager
}

// pageData is what every page shows: who is there and where to go.
type pageData struct {
	Title  string
	ID     *auth.Identity
	Prefix string
	// Admin page only.
	Users []userRow
	Caps  []string
}

type userRow struct {
	Email        string
	Capabilities []string
}

func (p *pages) data(r *http.Request, title string) pageData {
	return pageData{Title: title, ID: auth.IdentityFrom(r.Context()), Prefix: p.m.Config().Prefix}
}

func (p *pages) render(w http.ResponseWriter, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := templates[name].ExecuteTemplate(w, "layout", d); err != nil {
		p.m.Config().Logger.Error("quickstart: rendering", "page", name, "err", err)
	}
}

func (p *pages) home(w http.ResponseWriter, r *http.Request) {
	p.render(w, "home", p.data(r, "Home"))
}

func (p *pages) me(w http.ResponseWriter, r *http.Request) {
	p.render(w, "me", p.data(r, "My account"))
}

func (p *pages) payroll(w http.ResponseWriter, r *http.Request) {
	p.render(w, "payroll", p.data(r, "Payroll"))
}

func (p *pages) admin(w http.ResponseWriter, r *http.Request) {
	d := p.data(r, "Admin")
	users, err := p.m.Users().Store().List(r.Context())
	if err != nil {
		p.m.Config().Logger.Error("quickstart: listing users", "err", err)
		http.Error(w, "cannot list the users", http.StatusInternalServerError)
		return
	}
	for email, caps := range users {
		d.Users = append(d.Users, userRow{Email: email, Capabilities: caps})
	}
	sort.Slice(d.Users, func(i, j int) bool { return d.Users[i].Email < d.Users[j].Email })
	d.Caps = p.m.Users().Policy().Graph().Names()
	p.render(w, "admin", d)
}

// whoami is the JSON view of the caller, for curl and service bots.
func (p *pages) whoami(w http.ResponseWriter, r *http.Request) {
	id := auth.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"email":        id.Email,
		"kind":         id.Kind.String(),
		"via":          id.Via,
		"capabilities": id.Capabilities(),
	})
}

const layout = `{{define "layout"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} - oauthgate quickstart</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:16px system-ui,sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45}
nav a{margin-right:1rem} nav{border-bottom:1px solid #ccc;padding-bottom:.5rem}
code,pre{background:#f4f4f4;padding:.1rem .3rem} pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;margin:.75rem 0 1.25rem} td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
.who{float:right;color:#555}
</style></head><body>
<nav><a href="/">Home</a><a href="/me">My account</a><a href="/payroll">Payroll</a><a href="/admin">Admin</a>
<span class="who" id="who">{{if .ID.IsGuest}}guest · <a id="login" href="{{.Prefix}}/login?next=/me">Log in</a>{{else}}{{.ID.Email}} · <a id="logout" href="{{.Prefix}}/logout">Log out</a>{{end}}</span></nav>
<h1>{{.Title}}</h1>
{{template "content" .}}
</body></html>{{end}}
{{define "identity"}}<table id="identity">
<tr><th>Email</th><td id="email">{{if .ID.Email}}{{.ID.Email}}{{else}}(none){{end}}</td></tr>
<tr><th>Kind</th><td id="kind">{{.ID.Kind}}</td></tr>
<tr><th>Capabilities</th><td id="capabilities">{{range $i, $c := .ID.Capabilities}}{{if $i}}, {{end}}<code>{{$c}}</code>{{else}}(none){{end}}</td></tr>
</table>{{end}}`

var pageTemplates = map[string]string{
	"home": `{{define "content"}}
<p>This app uses oauthgate: login through an OpenID Connect provider (here the embedded mock
provider), cookie sessions, capabilities and bearer tokens.</p>
{{if .ID.IsGuest}}<p>You are a guest. <a href="{{.Prefix}}/login?next=/me">Log in</a> as one of the
demo users: <code>admin@example.com</code> (admin), <code>alice@example.com</code> (write, payroll)
or <code>bob@example.com</code> (no capability), or any other email.</p>
{{else}}<p>Welcome, {{.ID.Email}}.</p>{{end}}
{{template "identity" .}}
<h2>Pages</h2>
<ul>
<li><a href="/">Home</a>: public.</li>
<li><a href="/me">My account</a>: any logged-in user; your capabilities and a bearer token.</li>
<li><a href="/payroll">Payroll</a>: needs <code>payroll</code>.</li>
<li><a href="/admin">Admin</a>: needs <code>user_management</code> (admins hold it); view and change capabilities.</li>
<li><a href="/api/whoami">/api/whoami</a>: JSON, for bearer tokens.</li>
</ul>{{end}}`,

	"me": `{{define "content"}}
{{template "identity" .}}
<h2>Bearer token</h2>
<p>A token lets a script act as you: send it as <code>Authorization: Bearer TOKEN</code>.
<a href="{{.Prefix}}/token">Open {{.Prefix}}/token</a> for the raw JSON, or:</p>
<p><button id="get-token" type="button">Get a token</button></p>
<pre id="token" hidden></pre>
<script>
document.getElementById("get-token").addEventListener("click", async () => {
  const out = document.getElementById("token");
  const resp = await fetch({{.Prefix}} + "/token", {credentials: "same-origin", headers: {"Accept": "application/json"}});
  const body = await resp.json().catch(() => ({detail: resp.statusText}));
  out.hidden = false;
  out.textContent = resp.ok
    ? "token (expires " + body.expires_at + "):\n" + body.refresh_token +
      "\n\ncurl -H 'Authorization: Bearer " + body.refresh_token + "' " + location.origin + "/api/whoami"
    : "error " + resp.status + ": " + body.detail;
});
</script>{{end}}`,

	"payroll": `{{define "content"}}
<p>Only holders of <code>payroll</code> see this page (admins hold everything).</p>
<table id="payroll"><tr><th>Employee</th><th>Salary</th></tr>
<tr><td>Alice</td><td>5,100</td></tr><tr><td>Bob</td><td>4,800</td></tr></table>
{{template "identity" .}}{{end}}`,

	"admin": `{{define "content"}}
<p>Stored capabilities (the users file). Changes go through
<code>{{.Prefix}}/manage_capabilities/add</code> and <code>/remove</code>: you may grant only what you hold.</p>
<table id="users"><tr><th>User</th><th>Stored capabilities</th></tr>
{{range .Users}}<tr><td>{{.Email}}</td><td>{{range $i, $c := .Capabilities}}{{if $i}}, {{end}}<code>{{$c}}</code>{{else}}(none){{end}}</td></tr>
{{else}}<tr><td colspan="2">(no user)</td></tr>{{end}}</table>
<h2>Change</h2>
<form id="manage">
<label>Email <input name="email" type="email" required value="bob@example.com"></label>
<label>Capability <select name="capability">{{range .Caps}}<option>{{.}}</option>{{end}}</select></label>
<button name="action" value="add">Add</button> <button name="action" value="remove">Remove</button>
</form>
<h2>Service token</h2>
<form id="service">
<label>Account <input name="account" value="bot@service" required></label>
<button>Mint a service token</button>
</form>
<pre id="result" hidden></pre>
<script>
const prefix = {{.Prefix}};
const result = document.getElementById("result");
function show(resp, body) {
  result.hidden = false;
  result.textContent = resp.status + " " + JSON.stringify(body, null, 2);
}
document.getElementById("manage").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const action = e.submitter ? e.submitter.value : "add";
  const resp = await fetch(prefix + "/manage_capabilities/" + action, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({email: f.get("email"), capability: f.get("capability")}),
  });
  const body = await resp.json().catch(() => ({detail: resp.statusText}));
  if (resp.ok) { location.reload(); } else { show(resp, body); }
});
document.getElementById("service").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const resp = await fetch(prefix + "/token?user=" + encodeURIComponent(f.get("account")), {credentials: "same-origin"});
  show(resp, await resp.json().catch(() => ({detail: resp.statusText})));
});
</script>{{end}}`,
}

// templates holds each page parsed with the layout.
var templates = func() map[string]*template.Template {
	base := template.Must(template.New("layout").Parse(layout))
	ts := make(map[string]*template.Template, len(pageTemplates))
	for name, text := range pageTemplates {
		ts[name] = template.Must(template.Must(base.Clone()).Parse(text))
	}
	return ts
}()
