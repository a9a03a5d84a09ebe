package mockidp

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/oauthgate/oauthgate/internal/argon2id"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// The sign-up page, in the login page's style: no JavaScript, every OAuth
// parameter in hidden fields, validated again on submission, after which
// the new user is signed in to the client that sent them.
var signupPage = template.Must(template.New("signup").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign up - mock identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
form{margin:.5rem 0}input{width:100%;box-sizing:border-box;margin:.2rem 0 .6rem}
button{padding:.4rem 1rem}.err{color:#a00}</style></head>
<body><h1>Sign up</h1>
<p>Mock identity provider{{if .ClientID}}: creating an account to sign in to <b>{{.ClientID}}</b>{{end}}. Test use only.</p>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
{{if .Done}}<p role="status">Account {{.Email}} created.</p>{{else}}<form method="post" action="signup">{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}
<label>Email <input name="mockidp_email" type="email" required autocomplete="username" value="{{.Email}}"></label>
<label>Password (at least {{.MinLength}} characters) <input name="mockidp_password" type="password" required minlength="{{.MinLength}}" autocomplete="new-password"></label>
<label>Confirm password <input name="mockidp_confirm" type="password" required minlength="{{.MinLength}}" autocomplete="new-password"></label>
<button>Sign up</button></form>{{end}}
{{if .Login}}<p>Have an account? <a href="{{.Login}}">Sign in</a></p>{{end}}
</body></html>`))

type signupPageData struct {
	ClientID, Error, Email, Login string
	Done                          bool
	MinLength                     int
	Hidden                        []hiddenField
}

// accountRoutes registers the sign-up and consent pages under dir.
func (p *Provider) accountRoutes(m *http.ServeMux, dir string) {
	m.HandleFunc("GET "+dir+"/signup", p.handleSignup)
	m.HandleFunc("POST "+dir+"/signup", p.handleSignup)
	m.HandleFunc("POST "+dir+"/consent", p.handleConsent)
}

// knownUser returns what is known of email: the users file first, then
// Options.Users.
func (p *Provider) knownUser(email string) (User, bool) {
	if u, ok := p.editedUser(email); ok {
		return u, true
	}
	if fu, ok := p.accts.lookup(email); ok {
		return fu.user(), true
	}
	u, ok := p.users[emailaddr.Normalize(email)]
	return u, ok
}

// choosableUsers are the users of the click-to-choose login: those
// without a password.
func (p *Provider) choosableUsers() []User {
	var us []User
	for _, u := range p.editedList() {
		if fu, ok := p.accts.lookup(u.Email); !ok || fu.Password == "" {
			us = append(us, u)
		}
	}
	for _, u := range p.opts.Users {
		if slices.ContainsFunc(us, func(e User) bool { return emailaddr.Normalize(e.Email) == emailaddr.Normalize(u.Email) }) {
			continue
		}
		if fu, ok := p.accts.lookup(u.Email); !ok || fu.Password == "" {
			us = append(us, u)
		}
	}
	p.accts.mu.Lock()
	defer p.accts.mu.Unlock()
	for _, fu := range p.accts.users {
		if fu.Password == "" && !slices.ContainsFunc(us, func(u User) bool { return emailaddr.Normalize(u.Email) == emailaddr.Normalize(fu.Email) }) {
			us = append(us, fu.user())
		}
	}
	return us
}

// oauthParams are the OAuth parameters of params (not the page's fields).
func oauthParams(params url.Values) []hiddenField {
	var hs []hiddenField
	for k, v := range params {
		if !strings.HasPrefix(k, "mockidp_") && len(v) == 1 {
			hs = append(hs, hiddenField{k, v[0]})
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Name < hs[j].Name })
	return hs
}

func encodeFields(hs []hiddenField) string { return urlValues(hs).Encode() }

// signupLink is the sign-up page's address relative to the login page,
// carrying the authorization request; "" without a users file.
func (p *Provider) signupLink(params url.Values) string {
	if p.accts.path == "" {
		return ""
	}
	return "signup?" + encodeFields(oauthParams(params))
}

// dummyHash is checked against for an unknown email, so that the answer
// takes as long as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := argon2id.Hash("mockidp: no such user")
	return h
})

// checkPassword lets email sign in: a user with a password must give it;
// when passwords are in use, only passwordless known users sign in
// without. Otherwise it shows the login page again, with one message for
// an unknown email and a wrong password.
func (p *Provider) checkPassword(w http.ResponseWriter, req *authzRequest, email string) bool {
	if p.passwordOK(email, req.params.Get(fieldPassword)) {
		return true
	}
	p.renderLogin(w, req, http.StatusUnauthorized, "Wrong email or password.")
	return false
}

// passwordOK is the password rule of every sign-in page (login, device):
// a user with a password must give it; when passwords are in use, only
// passwordless known users sign in without one.
func (p *Provider) passwordOK(email, given string) bool {
	fu, inFile := p.accts.lookup(email)
	switch {
	case inFile && fu.Password != "":
		ok, err := argon2id.Check(fu.Password, given)
		return err == nil && ok
	case !p.accts.hasPasswords(), inFile:
		return true
	}
	if _, known := p.users[emailaddr.Normalize(email)]; known {
		return true
	}
	if _, known := p.editedUser(email); known {
		return true
	}
	_, _ = argon2id.Check(dummyHash(), given) // the same time as a wrong password
	return false
}

// sameOrigin refuses a form posted from another site: the Origin header,
// sent by browsers on POST, must be the provider's (its issuer, or the
// host the request reached); without one, Sec-Fetch-Site must not say
// another site.
func (p *Provider) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		switch r.Header.Get("Sec-Fetch-Site") {
		case "", "same-origin", "none":
			return true
		}
		return false
	}
	if o == "http://"+r.Host || o == "https://"+r.Host {
		return true
	}
	u, err := url.Parse(p.issuerFor(r))
	return err == nil && o == u.Scheme+"://"+u.Host
}

func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Frame-Options", "DENY")
}

func (p *Provider) renderSignup(w http.ResponseWriter, status int, d signupPageData) {
	d.MinLength = MinPasswordLength
	pageHeaders(w)
	w.WriteHeader(status)
	_ = signupPage.Execute(w, d)
}

func (p *Provider) handleSignup(w http.ResponseWriter, r *http.Request) {
	if p.accts.path == "" {
		pageHeaders(w)
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<!doctype html><title>Sign-up is off</title><p>Sign-up needs a users file (--users FILE).</p>"))
		return
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			p.renderSignup(w, http.StatusBadRequest, signupPageData{Error: "Malformed form."})
			return
		}
		params = r.PostForm
	}
	for k, v := range params {
		if len(v) > 1 {
			p.renderSignup(w, http.StatusBadRequest, signupPageData{Error: "Field " + k + " given more than once."})
			return
		}
	}
	hidden := oauthParams(params)
	d := signupPageData{ClientID: params.Get("client_id"), Hidden: hidden, Email: strings.TrimSpace(params.Get(fieldEmail))}
	var req *authzRequest
	if d.ClientID != "" {
		var oerr *oauthError
		if req, oerr, _ = p.parseAuthorize(r, urlValues(hidden)); oerr != nil {
			p.renderSignup(w, http.StatusBadRequest, signupPageData{Error: "Bad sign-in request: " + oerr.description})
			return
		}
		d.Login = "authorize?" + encodeFields(hidden)
	}
	if r.Method != http.MethodPost {
		p.renderSignup(w, http.StatusOK, d)
		return
	}
	if !p.sameOrigin(r) {
		d.Error = "This form was posted from another site."
		p.renderSignup(w, http.StatusForbidden, d)
		return
	}
	email, err := emailaddr.ParseUser(d.Email)
	password := params.Get(fieldPassword)
	switch {
	case err != nil:
		d.Error = "Enter a valid email address."
	case len([]rune(password)) < MinPasswordLength:
		d.Error = "The password must have at least 8 characters."
	case password != params.Get(fieldConfirm):
		d.Error = "The passwords do not match."
	}
	if d.Error != "" {
		p.renderSignup(w, http.StatusBadRequest, d)
		return
	}
	hash, err := argon2id.Hash(password)
	if err == nil {
		err = p.accts.add(FileUser{Email: email, Password: hash})
	}
	if errors.Is(err, errUserExists) {
		d.Error = "An account with this email exists: sign in instead."
		p.renderSignup(w, http.StatusConflict, d)
		return
	}
	if err != nil {
		p.opts.Logger.Error("mockidp sign-up", "err", err)
		d.Error = "The account could not be saved."
		p.renderSignup(w, http.StatusInternalServerError, d)
		return
	}
	if req == nil {
		d.Done, d.Email = true, email
		p.renderSignup(w, http.StatusOK, d)
		return
	}
	p.afterLogin(w, r, req, login{email: email})
}

func urlValues(hs []hiddenField) url.Values {
	q := url.Values{}
	for _, h := range hs {
		q.Set(h.Name, h.Value)
	}
	return q
}
