package mockidp

import (
	"html/template"
	"net/http"
	"strings"
)

// The client registration page: the same registration as POST /register
// with JSON, from a form; the answer shows the secret and the registration
// access token once.
var registerPage = template.Must(template.New("register").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register a client - mock identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
form{margin:.5rem 0}input,textarea,select{width:100%;box-sizing:border-box;margin:.2rem 0 .6rem}
button{padding:.4rem 1rem}.err{color:#a00}code{word-break:break-all}dt{font-weight:bold}</style></head>
<body><h1>Register a client</h1>
<p>Mock identity provider. Test use only.</p>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
{{with .Result}}<p>The client is registered. Copy the secret now: it is not shown again.</p>
<dl><dt>client_id</dt><dd><code id="client_id">{{.ClientID}}</code></dd>
{{if .ClientSecret}}<dt>client_secret</dt><dd><code id="client_secret">{{.ClientSecret}}</code></dd>{{end}}
<dt>registration_access_token</dt><dd><code id="registration_access_token">{{.RegistrationAccessToken}}</code></dd>
<dt>registration_client_uri</dt><dd><code>{{.RegistrationClientURI}}</code></dd>
<dt>redirect_uris</dt><dd>{{range .RedirectURIs}}<code>{{.}}</code><br>{{end}}</dd>
<dt>token_endpoint_auth_method</dt><dd><code>{{.TokenEndpointAuthMethod}}</code></dd></dl>
<p><a href="register">Register another client</a></p>
{{else}}<form method="post" action="register">
<label>Client name <input name="client_name" value="{{.Name}}"></label>
<label>Redirect URIs, one a line (https, or http on localhost) <textarea name="redirect_uris" rows="3" required>{{.RedirectURIs}}</textarea></label>
<label>Client authentication <select name="token_endpoint_auth_method">
<option value="client_secret_basic">client_secret_basic (confidential, a secret)</option>
<option value="client_secret_post"{{if eq .Method "client_secret_post"}} selected{{end}}>client_secret_post (confidential, a secret)</option>
<option value="none"{{if eq .Method "none"}} selected{{end}}>none (public: a browser or native app, with PKCE)</option>
</select></label>
<label><input type="checkbox" name="refresh_token" value="1" style="width:auto"{{if .Refresh}} checked{{end}}> refresh tokens</label>
<label><input type="checkbox" name="device_code" value="1" style="width:auto"{{if .Device}} checked{{end}}> device login (RFC 8628)</label>
<p><button>Register</button></p></form>{{end}}
</body></html>`))

type registerPageData struct {
	Error        string
	Name         string
	RedirectURIs string
	Method       string
	Refresh      bool
	Device       bool
	Result       *registrationResponse
}

func (p *Provider) handleRegisterPage(w http.ResponseWriter, _ *http.Request) {
	renderRegisterPage(w, http.StatusOK, registerPageData{Refresh: true})
}

func (p *Provider) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		renderRegisterPage(w, http.StatusBadRequest, registerPageData{Error: "The form could not be read."})
		return
	}
	f := r.PostForm
	d := registerPageData{
		Name:         strings.TrimSpace(f.Get("client_name")),
		RedirectURIs: f.Get("redirect_uris"),
		Method:       f.Get("token_endpoint_auth_method"),
		Refresh:      f.Get("refresh_token") != "",
		Device:       f.Get("device_code") != "",
	}
	md := clientMetadata{
		ClientName:              d.Name,
		RedirectURIs:            strings.Fields(d.RedirectURIs),
		TokenEndpointAuthMethod: d.Method,
		GrantTypes:              []string{"authorization_code"},
	}
	if d.Refresh {
		md.GrantTypes = append(md.GrantTypes, "refresh_token")
	}
	if d.Device {
		md.GrantTypes = append(md.GrantTypes, deviceGrantType)
	}
	resp, oerr := p.register(r, md)
	if oerr != nil {
		d.Error = oerr.description
		renderRegisterPage(w, oerr.status, d)
		return
	}
	d.Result = resp
	renderRegisterPage(w, http.StatusCreated, d)
}

func renderRegisterPage(w http.ResponseWriter, status int, d registerPageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = registerPage.Execute(w, d)
}
