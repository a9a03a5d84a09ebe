package security_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// Tokens: anything but an intact, unexpired, unrevoked token of the right
// kind sealed under a current or previous key is a 401 with
// `WWW-Authenticate: Bearer error="invalid_token"`.

// invalidToken checks a refused bearer token.
func invalidToken(t *testing.T, resp *e2etest.Response) {
	t.Helper()
	resp.Expect(t, http.StatusUnauthorized)
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q; want Bearer error=\"invalid_token\"", got)
	}
}

// withAuthorization sends GET path with these Authorization header values.
func withAuthorization(t *testing.T, a *app, path string, values ...string) *e2etest.Response {
	t.Helper()
	return a.Guest().DoHeader(t, http.MethodGet, path, "", http.Header{"Authorization": values})
}

// swapKeyID returns tok with the key id of other's header: a token whose
// header claims another purpose's key.
func swapKeyID(t *testing.T, tok, other string) string {
	t.Helper()
	a, err1 := base64.RawURLEncoding.DecodeString(tok)
	b, err2 := base64.RawURLEncoding.DecodeString(other)
	if err1 != nil || err2 != nil || len(a) < 5 || len(b) < 5 {
		t.Fatalf("tokens are not base64url: %v %v", err1, err2)
	}
	copy(a[1:5], b[1:5])
	return base64.RawURLEncoding.EncodeToString(a)
}

func TestTokenFaults(t *testing.T) {
	t.Parallel()
	clock := e2etest.NewClock()
	a := start(t, e2etest.Options{Edit: func(c *auth.Config) { c.Now = clock.Now }})
	admin := a.User(t, e2etest.AdminEmail)
	user := a.UserToken(t, e2etest.UserEmail, false).RefreshToken
	service := admin.ServiceToken(t, e2etest.ServiceName).ServiceToken
	session := sessionValue(t, a, a.Browser(t, e2etest.UserEmail))
	flowResp := a.NewBrowser("f").Get(t, "/login?next=/").Expect(t, http.StatusFound)
	flow := flowResp.Cookies()[0].Value

	for name, tok := range map[string]string{"user": user, "service": service} {
		a.WithBearer(name, tok).Get(t, "/me").Expect(t, http.StatusOK)
	}
	std := strings.NewReplacer("-", "+", "_", "/").Replace(user)
	bad := map[string]string{
		"tampered first":      flip(user, 0),
		"tampered key id":     flip(user, 3),
		"tampered nonce":      flip(user, 10),
		"tampered middle":     flip(user, len(user)/2),
		"tampered tag":        flip(user, len(user)-1),
		"truncated by one":    user[:len(user)-1],
		"truncated by four":   user[:len(user)-4],
		"truncated to header": user[:24],
		"extended":            user + "AAAA",
		"re-padded =":         user + "=",
		"re-padded ==":        user + "==",
		"standard base64":     std + strings.Repeat("=", (4-len(std)%4)%4),
		"doubled":             user + user,
		"session cookie":      session,
		"flow cookie":         flow,
		"user under service":  swapKeyID(t, user, service),
		"service under user":  swapKeyID(t, service, user),
		"made up":             "bm90LWEtdG9rZW4tb2YtdGhpcy1hcHA",
		"one character":       "x",
		"long":                strings.Repeat("A", 70<<10),
		"service tampered":    flip(service, len(service)/2),
		"service re-padded":   service + "=",
		"service truncated":   service[:len(service)-2],
	}
	if std == user {
		delete(bad, "standard base64")
	}
	for name, tok := range bad {
		t.Run(name, func(t *testing.T) {
			invalidToken(t, a.WithBearer(name, tok).Get(t, "/me"))
			invalidToken(t, a.WithBearer(name, tok).Get(t, "/hello")) // even where guests may go
		})
	}
	// A token sent as the session cookie is no session.
	for _, tok := range []string{user, service} {
		withCookie(a, sessionCookie, tok).Get(t, "/me").Expect(t, http.StatusUnauthorized)
	}

	t.Run("revoked", func(t *testing.T) {
		tok := a.UserToken(t, e2etest.UserEmail, false).RefreshToken
		c := a.WithBearer("u", tok)
		c.Get(t, "/me").Expect(t, http.StatusOK)
		c.Do(t, http.MethodPost, "/token/revoke", `{"token":"`+tok+`"}`).Expect(t, http.StatusOK)
		invalidToken(t, c.Get(t, "/me"))
		st := admin.ServiceToken(t, e2etest.ServiceName).ServiceToken
		admin.Do(t, http.MethodPost, "/token/revoke", `{"token":"`+st+`"}`).Expect(t, http.StatusOK)
		invalidToken(t, a.WithBearer("s", st).Get(t, "/me"))
	})
	t.Run("expired", func(t *testing.T) {
		// Tokens never used before (not in any cache) and tokens in use.
		unusedUser := a.UserToken(t, e2etest.UserEmail, false).RefreshToken
		unusedService := admin.ServiceToken(t, e2etest.ServiceName).ServiceToken
		clock.Advance((30 * 24 * time.Hour) + time.Second)
		invalidToken(t, a.WithBearer("u", unusedUser).Get(t, "/me"))
		invalidToken(t, a.WithBearer("s", unusedService).Get(t, "/me"))
		invalidToken(t, a.WithBearer("u", user).Get(t, "/me"))
		invalidToken(t, a.WithBearer("s", service).Get(t, "/me"))
	})
}

// TestTokenKeyRotation: a token sealed under a key listed in
// previous_secret_keys still works; once the key is retired (removed),
// its tokens are 401.
func TestTokenKeyRotation(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	oldKey, newKey := e2etest.SecretKey(), e2etest.SecretKey()
	withKeys := func(current string, previous ...string) func(*auth.Config) {
		return func(c *auth.Config) { c.SecretKey, c.PreviousSecretKeys = current, previous }
	}
	before := startWith(t, idp, e2etest.Options{Edit: withKeys(oldKey)})
	admin := before.User(t, e2etest.AdminEmail)
	user := before.UserToken(t, e2etest.UserEmail, false).RefreshToken
	service := admin.ServiceToken(t, e2etest.ServiceName).ServiceToken
	session := sessionValue(t, before, before.Browser(t, e2etest.UserEmail))

	rotating := startWith(t, idp, e2etest.Options{Edit: withKeys(newKey, oldKey)})
	rotating.WithBearer("u", user).Get(t, "/me").Expect(t, http.StatusOK)
	rotating.WithBearer("s", service).Get(t, "/write").Expect(t, http.StatusOK)
	withCookie(rotating, sessionCookie, session).Get(t, "/me").Expect(t, http.StatusOK)
	// New tokens are sealed under the new key only.
	fresh := rotating.UserToken(t, e2etest.UserEmail, false).RefreshToken
	invalidToken(t, before.WithBearer("u", fresh).Get(t, "/me"))

	retired := startWith(t, idp, e2etest.Options{Edit: withKeys(newKey)})
	invalidToken(t, retired.WithBearer("u", user).Get(t, "/me"))
	invalidToken(t, retired.WithBearer("s", service).Get(t, "/me"))
	withCookie(retired, sessionCookie, session).Get(t, "/me").Expect(t, http.StatusUnauthorized)
	retired.WithBearer("u", fresh).Get(t, "/me").Expect(t, http.StatusOK)
}

// TestBearerSyntax: RFC 6750 §2.1 with RFC 7235's grammar: the scheme is
// case-insensitive and separated by spaces; anything else in the header
// is refused rather than guessed at. Another scheme is not a bearer
// attempt: the request is a guest's.
func TestBearerSyntax(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	tok := a.UserToken(t, e2etest.UserEmail, false).RefreshToken
	for _, h := range []string{
		"Bearer " + tok, "bearer " + tok, "BEARER " + tok, "BeArEr " + tok,
		"Bearer  " + tok, "Bearer   " + tok,
		// HTTP itself drops whitespace around a field value.
		" Bearer " + tok, "Bearer " + tok + " ", "Bearer " + tok + "\t",
	} {
		if got := string(withAuthorization(t, a, "/me", h).Expect(t, http.StatusOK).Body); got != "user "+e2etest.UserEmail {
			t.Errorf("%q: /me = %q", h, got)
		}
	}
	for _, h := range []string{
		"Bearer\t" + tok, "Bearer", "Bearer ", "Bearer " + tok + " x",
		"Bearer " + tok + ",Bearer " + tok, "Bearer " + tok + ", Basic eDp5", "Bearer \"" + tok + "\"",
		"Bearer =" + tok, "Bearer " + tok[:10] + " " + tok[10:],
	} {
		t.Run(shortName(h), func(t *testing.T) { invalidToken(t, withAuthorization(t, a, "/me", h)) })
	}
	// Two Authorization headers: one request must say one thing.
	invalidToken(t, withAuthorization(t, a, "/me", "Bearer "+tok, "Bearer "+tok))
	// Other schemes are ignored (no token attempt): a guest, plain
	// challenge.
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Token " + tok, "Bearertoken " + tok, "Bearer" + tok} {
		resp := withAuthorization(t, a, "/me", h).Expect(t, http.StatusUnauthorized)
		if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("%q: WWW-Authenticate %q; want Bearer", h, got)
		}
	}
}
