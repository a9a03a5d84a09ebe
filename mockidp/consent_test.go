package mockidp

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestConsent(t *testing.T) {
	t.Parallel()
	path := writeUsersFile(t, "users:\n  - email: bob@example.com\n    password: "+hashFor(t, "bob-secret-1")+"\n")
	s := newTestServer(t, Options{UsersFile: path, Consent: true, Users: []User{{Email: "demo@example.com"}}})
	rp := newRP(t, s)
	c := s.Client()

	// signIn logs email in (with a password for bob) and returns the page
	// or the redirect that follows.
	signIn := func(t *testing.T, email string, opts ...oauth2.AuthCodeOption) (*http.Response, string, string) {
		t.Helper()
		verifier := oauth2.GenerateVerifier()
		u := rp.cfg.AuthCodeURL("st", append(opts, oauth2.S256ChallengeOption(verifier))...)
		_, page := getPage(t, c, u)
		if email == "bob@example.com" {
			resp, body := pageForm(t, u, page, fieldPassword).submit(t, c, fieldAction, "login", fieldEmail, email, fieldPassword, "bob-secret-1")
			return resp, body, verifier
		}
		resp, body := pageForm(t, u, page, `value="`+email+`"`).submit(t, c, fieldAction, "login")
		return resp, body, verifier
	}
	consentPage := func(t *testing.T, resp *http.Response, body string, scopes ...string) browserForm {
		t.Helper()
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Allow access?") {
			t.Fatalf("want the consent page, got %s\n%s", resp.Status, body)
		}
		for _, sc := range scopes {
			if !strings.Contains(body, "<code>"+sc+"</code>") {
				t.Errorf("consent page does not list %q:\n%s", sc, body)
			}
		}
		f := pageForm(t, s.URL+"/authorize", body, "mockidp_consent")
		f.origin = s.URL // as a browser posts it
		return f
	}

	for _, email := range []string{"bob@example.com", "demo@example.com"} {
		t.Run(email, func(t *testing.T) {
			// Deny: access_denied with the state, and nothing remembered.
			resp, body, _ := signIn(t, email)
			resp, body = consentPage(t, resp, body, "openid", "email", "profile").submit(t, c, fieldAction, "deny")
			q := callback(t, resp, body)
			if q.Get("error") != "access_denied" || q.Get("state") != "st" || q.Get("code") != "" {
				t.Fatalf("deny: %v", q)
			}
			// Allow: a code for this user; the ticket is used up.
			resp, body, verifier := signIn(t, email)
			form := consentPage(t, resp, body)
			resp, body = form.submit(t, c, fieldAction, "allow")
			q = callback(t, resp, body)
			if got := exchangeEmail(t, rp, q.Get("code"), verifier); got != email {
				t.Fatalf("allow signed in %q", got)
			}
			if resp, body := form.submit(t, c, fieldAction, "allow"); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("a used consent ticket: %s\n%s", resp.Status, body)
			}
			// Remembered: the next login skips the page.
			resp, body, verifier = signIn(t, email)
			q = callback(t, resp, body)
			if got := exchangeEmail(t, rp, q.Get("code"), verifier); got != email {
				t.Fatalf("remembered consent signed in %q", got)
			}
			// prompt=consent and a new scope ask again.
			resp, body, _ = signIn(t, email, oauth2.SetAuthURLParam("prompt", "consent"))
			consentPage(t, resp, body)
			resp, body, _ = signIn(t, email, oauth2.SetAuthURLParam("scope", "openid email groups"))
			consentPage(t, resp, body, "groups")
		})
	}

	// bob's consent is in the users file, so a new provider remembers it.
	users, err := LoadUsers(path)
	if err != nil || len(users) != 1 || users[0].Consents[DemoClientID] != "email openid profile" {
		t.Fatalf("users file: %+v %v", users, err)
	}
	s2 := newTestServer(t, Options{UsersFile: path, Consent: true})
	rp = newRP(t, s2)
	c = s2.Client()
	resp, body, _ := signIn(t, "bob@example.com")
	if q := callback(t, resp, body); q.Get("code") == "" {
		t.Errorf("consent from the users file was not remembered: %v", q)
	}

	// A consent form posted from another site is refused.
	req, err := http.NewRequest(http.MethodPost, s.URL+"/consent", strings.NewReader("mockidp_action=allow&mockidp_consent=x"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := do(t, s.Client(), req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site consent: %s", resp.Status)
	}
}

func TestConsentPromptNone(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Consent: true})
	rp := newRP(t, s)
	for _, tc := range []struct{ prompt, want string }{{"none", "consent_required"}} {
		u := rp.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", tc.prompt))
		loc, err := s.Authorize(rp.ctx, u)
		if err != nil || loc.Query().Get("error") != tc.want || loc.Query().Get("state") != "st" {
			t.Errorf("prompt=%s: %v %v, want error %s", tc.prompt, loc, err, tc.want)
		}
	}
	// Without prompt=none the default user gets the consent page.
	u := rp.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if resp, page := getPage(t, s.Client(), u); resp.StatusCode != http.StatusOK || !strings.Contains(page, "test@example.com") {
		t.Errorf("consent page of the default user: %s\n%s", resp.Status, page)
	}
}
