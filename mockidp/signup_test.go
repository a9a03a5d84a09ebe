package mockidp

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/oauthgate/oauthgate/internal/argon2id"
)

// browserForm is a form of a page, as a browser would submit it.
type browserForm struct {
	action string
	fields url.Values
	origin string // the Origin header a browser sends, if set
}

var (
	formRE   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)">(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	hrefRE   = regexp.MustCompile(`<a href="([^"]*)">`)
)

// pageForm returns the first form of page that holds want (a field name,
// or a button value), with its hidden fields.
func pageForm(t *testing.T, base, page, want string) browserForm {
	t.Helper()
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[2], want) {
			continue
		}
		f := browserForm{action: resolveRef(t, base, m[1]), fields: url.Values{}}
		for _, h := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
			f.fields.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		return f
	}
	t.Fatalf("no form with %q in page:\n%s", want, page)
	return browserForm{}
}

func resolveRef(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(html.UnescapeString(ref))
	if err != nil {
		t.Fatal(err)
	}
	return b.ResolveReference(r).String()
}

// submit posts the form with extra fields set.
func (f browserForm) submit(t *testing.T, c *http.Client, extra ...string) (*http.Response, string) {
	t.Helper()
	v := url.Values{}
	for k, vs := range f.fields {
		v[k] = vs
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	req, err := http.NewRequest(http.MethodPost, f.action, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if f.origin != "" {
		req.Header.Set("Origin", f.origin)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, body := do(t, c, req)
	return resp, string(body)
}

func getPage(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, body := do(t, c, mustRequest(t, http.MethodGet, u))
	return resp, string(body)
}

// callback checks a redirect to the client and returns its query.
func callback(t *testing.T, resp *http.Response, body string) url.Values {
	t.Helper()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), testRedirect) {
		t.Fatalf("want a redirect to the client, got %s %v\n%s", resp.Status, loc, body)
	}
	return loc.Query()
}

func writeUsersFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func hashFor(t *testing.T, password string) string {
	t.Helper()
	h, err := HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// exchangeEmail redeems a code and returns the ID token's email.
func exchangeEmail(t *testing.T, rp *relyingParty, code, verifier string) string {
	t.Helper()
	tok, err := rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := rp.verifier.Verify(rp.ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c.Email
}

func TestSignupAndPasswordLogin(t *testing.T) {
	t.Parallel()
	path := writeUsersFile(t, "users:\n  - email: bob@example.com\n    password: "+hashFor(t, "bob-secret-1")+
		"\n    claims: {groups: [admins]}\n  - email: demo@example.com\n")
	s := newTestServer(t, Options{UsersFile: path})
	rp := newRP(t, s)
	c := s.Client()
	verifier := oauth2.GenerateVerifier()
	authURL := rp.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))

	_, login := getPage(t, c, authURL)
	if !strings.Contains(login, `name="mockidp_password"`) || !strings.Contains(login, "&lt;demo@example.com&gt;") ||
		strings.Contains(login, "&lt;bob@example.com&gt;") || strings.Contains(login, "mockidp_claims") {
		t.Fatalf("login page: want a password form, the passwordless user to choose and no free form:\n%s", login)
	}
	m := hrefRE.FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("no sign-up link:\n%s", login)
	}
	signupURL := resolveRef(t, s.URL+"/authorize", m[1])
	_, page := getPage(t, c, signupURL)
	form := pageForm(t, signupURL, page, "mockidp_confirm")
	if form.fields.Get("client_id") != DemoClientID || form.fields.Get("state") != "st" {
		t.Fatalf("sign-up form lost the authorization request: %v", form.fields)
	}

	for _, tc := range []struct {
		name, email, password, confirm string
		status                         int
		message                        string
	}{
		{"weak password", "carol@example.com", "short", "short", http.StatusBadRequest, "at least 8 characters"},
		{"confirmation differs", "carol@example.com", "carol-secret", "carol-secret2", http.StatusBadRequest, "do not match"},
		{"bad email", "carol", "carol-secret", "carol-secret", http.StatusBadRequest, "valid email"},
		{"duplicate email", "Bob@Example.com", "carol-secret", "carol-secret", http.StatusConflict, "exists"},
	} {
		resp, body := form.submit(t, c, fieldEmail, tc.email, fieldPassword, tc.password, fieldConfirm, tc.confirm)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.message) {
			t.Errorf("%s: %s, want %d with %q\n%s", tc.name, resp.Status, tc.status, tc.message, body)
		}
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "carol") {
		t.Fatal("a refused sign-up was written")
	}

	// A cross-site post is refused.
	v := url.Values{fieldEmail: {"eve@example.com"}, fieldPassword: {"eve-secret"}, fieldConfirm: {"eve-secret"}}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/signup", strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-up: %s", resp.Status)
	}
	for _, h := range [][2]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "null"}} {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/signup", strings.NewReader(v.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(h[0], h[1])
		if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-up with %s: %s: %s", h[0], h[1], resp.Status)
		}
	}

	form.origin = s.URL
	resp, body := form.submit(t, c, fieldEmail, "carol@example.com", fieldPassword, "carol-secret", fieldConfirm, "carol-secret")
	q := callback(t, resp, body)
	if q.Get("state") != "st" || exchangeEmail(t, rp, q.Get("code"), verifier) != "carol@example.com" {
		t.Fatalf("sign-up did not sign carol in: %v", q)
	}
	users, err := LoadUsers(path)
	if err != nil || len(users) != 3 || users[0].Email != "bob@example.com" || users[0].Claims["groups"] == nil || users[2].Email != "carol@example.com" {
		t.Fatalf("users file after sign-up: %+v, %v", users, err)
	}
	if ok, err := argon2id.Check(users[2].Password, "carol-secret"); !ok || err != nil {
		t.Fatalf("stored password hash %q does not verify: %v", users[2].Password, err)
	}

	// The new user and the old one log in with their passwords.
	for _, tc := range []struct{ email, password string }{{"carol@example.com", "carol-secret"}, {"bob@example.com", "bob-secret-1"}} {
		verifier := oauth2.GenerateVerifier()
		u := rp.cfg.AuthCodeURL("st2", oauth2.S256ChallengeOption(verifier))
		_, page := getPage(t, c, u)
		resp, body := pageForm(t, u, page, fieldPassword).submit(t, c, fieldAction, "login", fieldEmail, tc.email, fieldPassword, tc.password)
		q := callback(t, resp, body)
		if got := exchangeEmail(t, rp, q.Get("code"), verifier); got != tc.email {
			t.Errorf("password login of %s signed in %s", tc.email, got)
		}
	}

	// Wrong passwords and unknown users get the same page.
	_, page = getPage(t, c, authURL)
	pf := pageForm(t, authURL, page, fieldPassword)
	var pages []string
	for _, tc := range []struct{ email, password string }{
		{"bob@example.com", "wrong-password"}, {"nobody@example.com", "bob-secret-1"}, {"bob@example.com", ""},
	} {
		resp, body := pf.submit(t, c, fieldAction, "login", fieldEmail, tc.email, fieldPassword, tc.password)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password.") {
			t.Errorf("%s / %q: %s\n%s", tc.email, tc.password, resp.Status, body)
		}
		pages = append(pages, strings.ReplaceAll(body, tc.email, "EMAIL"))
	}
	if pages[0] != pages[1] {
		t.Error("the page for an unknown email differs from the one for a wrong password")
	}

	// The passwordless demo user is still chosen with a click.
	resp, body = pageForm(t, authURL, page, `value="demo@example.com"`).submit(t, c, fieldAction, "login")
	if q := callback(t, resp, body); q.Get("code") == "" {
		t.Errorf("passwordless login: %v", q)
	}
}

func TestSignupOffWithoutUsersFile(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Interactive: true})
	if resp, _ := getPage(t, s.Client(), s.URL+"/signup"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /signup without a users file: %s", resp.Status)
	}
	u := newRP(t, s).cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if _, page := getPage(t, s.Client(), u); strings.Contains(page, "signup") || !strings.Contains(page, "mockidp_claims") {
		t.Errorf("login page without a users file:\n%s", page)
	}
}

func TestSignupCreatesUsersFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new.yaml")
	s := newTestServer(t, Options{UsersFile: path})
	_, page := getPage(t, s.Client(), s.URL+"/signup")
	resp, body := pageForm(t, s.URL+"/signup", page, fieldConfirm).submit(t, s.Client(),
		fieldEmail, "dan@example.com", fieldPassword, "dan-secret", fieldConfirm, "dan-secret")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "created") {
		t.Fatalf("sign-up without a client: %s\n%s", resp.Status, body)
	}
	if users, err := LoadUsers(path); err != nil || len(users) != 1 || users[0].Email != "dan@example.com" {
		t.Fatalf("users file: %+v %v", users, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("users file mode: %v %v", fi, err)
	}
}

func TestParseUsers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"plaintext password", "users:\n  - email: a@example.com\n    password: hunter22\n", "users[0].password"},
		{"unknown key", "users:\n  - email: a@example.com\n    pasword: x\n", "password"},
		{"bad email", "users:\n  - email: nobody\n", "users[0].email"},
		{"duplicate", "users:\n  - email: a@example.com\n  - email: A@example.com\n", "users[1].email"},
		{"not a list", "users: {a: b}\n", "users"},
	} {
		_, err := ParseUsers([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
	}
	path := writeUsersFile(t, "users:\n  - email: a@example.com\n    password: hunter22\n")
	if _, err := New(Options{UsersFile: path}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("New with a bad users file: %v", err)
	}
}
