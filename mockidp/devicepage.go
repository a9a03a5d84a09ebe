package mockidp

import (
	"html/template"
	"net/http"
	"strings"
)

// The /device page: the user types the code the device shows, then signs
// in as on the login page (a known user or any email) and approves or
// denies. It works without JavaScript.
var devicePage = template.Must(template.New("device").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Device login - mock identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
form{margin:.5rem 0}input{width:100%;box-sizing:border-box;margin:.2rem 0 .6rem}
button{padding:.4rem 1rem}.err{color:#a00}.user{width:100%;text-align:left}</style></head>
<body><h1>Device login</h1>
<p>Mock identity provider. Test use only.</p>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
{{if .Done}}<p id="done">{{.Done}}</p>
{{else if .ClientID}}<p>Signing in <b>{{.ClientID}}</b> on your device{{if .Scope}} (scope <code>{{.Scope}}</code>){{end}}, code <b>{{.UserCode}}</b>.</p>
{{if not .Passwords}}{{range .Users}}<form method="post" action="device"><input type="hidden" name="user_code" value="{{$.UserCode}}">
<input type="hidden" name="mockidp_email" value="{{.Email}}">
<button class="user" name="mockidp_action" value="login">{{.Name}} &lt;{{.Email}}&gt;</button></form>
{{end}}{{end}}<form method="post" action="device"><input type="hidden" name="user_code" value="{{.UserCode}}">
<label>Email <input name="mockidp_email" type="email" required value="{{.Email}}"></label>
{{if .Passwords}}<label>Password <input name="mockidp_password" type="password" required autocomplete="current-password"></label>
{{else}}<label>Name (optional) <input name="mockidp_name"></label>{{end}}
<button name="mockidp_action" value="login">Sign in and allow</button>
<button name="mockidp_action" value="deny" formnovalidate>Deny</button></form>
{{else}}<form method="post" action="device">
<label>Enter the code shown on your device <input name="user_code" required autocomplete="off" autocapitalize="characters" placeholder="XXXX-XXXX" value="{{.UserCode}}"></label>
<button>Continue</button></form>{{end}}
</body></html>`))

type devicePageData struct {
	Error    string
	Done     string
	UserCode string
	ClientID string
	Scope    string
	Email    string
	Users    []User
	// Passwords asks for the email and password (users of a users file
	// have passwords) instead of offering the known users.
	Passwords bool
}

func (p *Provider) handleDevicePage(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("user_code")
	if code == "" {
		p.renderDevice(w, http.StatusOK, devicePageData{})
		return
	}
	p.deviceStep(w, code, "", login{}, "")
}

func (p *Provider) handleDeviceForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.renderDevice(w, http.StatusBadRequest, devicePageData{Error: "The form could not be read."})
		return
	}
	if !p.sameOrigin(r) {
		p.renderDevice(w, http.StatusForbidden, devicePageData{Error: "This form was sent from another site."})
		return
	}
	f := r.PostForm
	l := login{email: strings.TrimSpace(f.Get(fieldEmail)), name: strings.TrimSpace(f.Get(fieldName))}
	p.deviceStep(w, f.Get("user_code"), f.Get(fieldAction), l, f.Get(fieldPassword))
}

// deviceStep shows the sign-in step for a user code, or records the
// user's answer when action is login or deny.
func (p *Provider) deviceStep(w http.ResponseWriter, rawCode, action string, l login, password string) {
	user := normalizeUserCode(rawCode)
	// Checked before the lock: a password check takes a while.
	passwordOK := action != "login" || p.passwordOK(l.email, password)
	now := p.opts.Now()
	s := p.devices
	s.mu.Lock()
	code := s.byUser[user]
	g := s.byCode[code]
	if g == nil || g.state != devicePending || now.After(g.expires) {
		s.mu.Unlock()
		p.renderDevice(w, http.StatusBadRequest, devicePageData{
			Error: "This code is unknown, expired or already used. Check the code on your device.", UserCode: rawCode})
		return
	}
	d := devicePageData{UserCode: formatUserCode(user), ClientID: g.clientID, Scope: g.scope}
	switch action {
	case "deny":
		g.state = deviceDenied
		s.mu.Unlock()
		d.Done = "You denied the request. You can close this page."
		p.renderDevice(w, http.StatusOK, d)
		return
	case "login":
		if err := checkEmail(l.email); err != nil {
			s.mu.Unlock()
			d.Error = "Enter an email address."
			p.fillDeviceUsers(&d)
			p.renderDevice(w, http.StatusBadRequest, d)
			return
		}
		if !passwordOK {
			s.mu.Unlock()
			d.Error = "Wrong email or password."
			p.fillDeviceUsers(&d)
			p.renderDevice(w, http.StatusUnauthorized, d)
			return
		}
		g.login = p.resolve(l)
		g.authTime = now
		g.state = deviceApproved
		s.mu.Unlock()
		p.opts.Logger.Info("mockidp device login approved", "client_id", d.ClientID)
		d.Done = "Your device is signed in. You can close this page and return to it."
		p.renderDevice(w, http.StatusOK, d)
		return
	case "":
	default:
		s.mu.Unlock()
		d.Error = "unknown action"
		p.fillDeviceUsers(&d)
		p.renderDevice(w, http.StatusBadRequest, d)
		return
	}
	s.mu.Unlock()
	p.fillDeviceUsers(&d)
	p.renderDevice(w, http.StatusOK, d)
}

func (p *Provider) fillDeviceUsers(d *devicePageData) {
	d.Email = p.Email()
	if d.Passwords = p.accts.hasPasswords(); d.Passwords {
		d.Email = ""
	}
	d.Users = append([]User(nil), p.opts.Users...)
	for i := range d.Users {
		if d.Users[i].Name == "" {
			d.Users[i].Name = nameFromEmail(d.Users[i].Email)
		}
	}
}

func (p *Provider) renderDevice(w http.ResponseWriter, status int, d devicePageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = devicePage.Execute(w, d)
}
