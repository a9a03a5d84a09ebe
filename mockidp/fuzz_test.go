package mockidp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzParseClients(f *testing.F) {
	f.Add([]byte(clientsYAML))
	f.Add([]byte("clients:\n  a:\n    roles: x\n"))
	f.Add([]byte("clients: {}\n"))
	f.Add([]byte("clients:\n  a: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		clients, err := ParseClients(data)
		if err != nil {
			return
		}
		for id, c := range clients {
			if c.validate(id) != nil {
				t.Fatalf("ParseClients returned an invalid client %q", id)
			}
		}
	})
}

// A users file that parses holds only well-formed GitHub and Microsoft
// accounts.
func FuzzParseUsers(f *testing.F) {
	f.Add([]byte(providerUsersYAML))
	f.Add([]byte("users:\n  - email: a@example.com\n    github: {teams: [a/b], emails: [{email: a@example.com, primary: true}]}\n"))
	f.Add([]byte("users:\n  - email: a@example.com\n    microsoft: {tid: 11111111-2222-4333-8444-555555555555}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := ParseUsers(data)
		if err != nil {
			return
		}
		for i, u := range users {
			if key, reason := validateUser("", u.GitHub, u.Microsoft); reason != "" {
				t.Fatalf("ParseUsers returned users[%d] with %s: %s", i, key, reason)
			}
		}
	})
}

// Whatever the body, the token endpoint answers a well-formed RFC 6749
// error or a token, never a 5xx.
func FuzzTokenEndpoint(f *testing.F) {
	rk, _ := testKeys(f)
	p, err := New(Options{SigningKey: rk, Issuer: "http://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=oauthgate-demo&client_secret=oauthgate-demo-secret")
	f.Add("application/x-www-form-urlencoded", "grant_type=authorization_code&code=x&client_id=oauthgate-demo&client_secret=oauthgate-demo-secret")
	f.Add("application/json", `{"grant_type":"refresh_token","refresh_token":"x","client_id":"oauthgate-demo","client_secret":"oauthgate-demo-secret"}`)
	f.Add("application/json", `{"grant_type":[1]}`)
	f.Add("text/plain", "%%%")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q", rec.Code, contentType, body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("non-JSON answer %q", rec.Body.String())
		}
		if rec.Code != 200 && out["error"] == nil {
			t.Fatalf("error answer without error: %s", rec.Body.String())
		}
	})
}
