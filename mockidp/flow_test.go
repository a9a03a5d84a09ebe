package mockidp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestCodeFlowPKCENonceUserinfo(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)
	res := rp.login(t, oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent"))

	idt, err := rp.verifier.Verify(rp.ctx, res.raw)
	if err != nil {
		t.Fatalf("go-oidc rejected the ID token: %v", err)
	}
	if idt.Nonce != res.nonce {
		t.Errorf("nonce = %q; want %q", idt.Nonce, res.nonce)
	}
	if idt.Subject != SubjectFor("test@example.com") {
		t.Errorf("sub = %q; want SubjectFor(default email)", idt.Subject)
	}
	if err := idt.VerifyAccessToken(res.token.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if c.Email != "test@example.com" || c.EmailVerified == nil || !*c.EmailVerified || c.Name != "Test" ||
		c.AZP != DemoClientID || c.AuthTime == 0 || c.SID == "" {
		t.Errorf("claims = %+v", c)
	}
	if res.token.RefreshToken == "" {
		t.Error("no refresh token")
	}

	info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(res.token))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Email != "test@example.com" || info.Subject != idt.Subject || !info.EmailVerified {
		t.Errorf("userinfo = %+v", info)
	}
	// userinfo requires a valid token.
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "nope"})); err == nil {
		t.Error("userinfo accepted a made-up token")
	}
}

func TestCodeFlowES256(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Algorithm: "ES256"})
	rp := newRP(t, s)
	res := rp.login(t)
	// go-oidc takes the algorithms from discovery.
	idt, err := rp.verifier.Verify(rp.ctx, res.raw)
	if err != nil {
		t.Fatalf("verify ES256 token: %v", err)
	}
	if idt.Nonce != res.nonce {
		t.Errorf("nonce = %q", idt.Nonce)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)
	res := rp.login(t, oauth2.AccessTypeOffline)
	first := res.token.RefreshToken

	refreshed, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: first}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if refreshed.RefreshToken == "" || refreshed.RefreshToken == first {
		t.Fatalf("refresh token not rotated: %q", refreshed.RefreshToken)
	}
	raw, _ := refreshed.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(rp.ctx, raw)
	if err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}
	orig, _ := rp.verifier.Verify(rp.ctx, res.raw)
	if idt.Subject != orig.Subject || idt.Nonce != "" {
		t.Errorf("refreshed ID token sub=%q nonce=%q", idt.Subject, idt.Nonce)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(refreshed)); err != nil {
		t.Errorf("userinfo with refreshed token: %v", err)
	}

	// Reusing the first refresh token is refused and ends the session.
	_, err = rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: first}).Token()
	if code := retrieveErrorCode(err); code != "invalid_grant" {
		t.Fatalf("reuse of a rotated refresh token: err %v; want invalid_grant", err)
	}
	_, err = rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token()
	if code := retrieveErrorCode(err); code != "invalid_grant" {
		t.Errorf("refresh after reuse detection: err %v; want invalid_grant", err)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(refreshed)); err == nil {
		t.Error("userinfo accepted an access token of a revoked session")
	}
}

const clientsYAML = `
clients:
  client1:
    client_secret: "client1-secret"
    audience: "test-api"
    sub: "client1-subject"
    scope: "read:data write:data"
    permissions:
      - "read:data"
    roles: sales_manager
    groups: [east, retail]
  webapp:
    client_secret: "webapp-secret"
    redirect_uris: ["https://app.example.com/auth"]
    require_pkce: true
  spa:
    redirect_uris: ["http://127.0.0.1/cb"]
`

func TestClientCredentialsJWT(t *testing.T) {
	t.Parallel()
	clients, err := ParseClients([]byte(clientsYAML))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{Clients: clients})
	ctx := oidc.ClientContext(context.Background(), s.Client())
	cc := clientcredentials.Config{
		ClientID: "client1", ClientSecret: "client1-secret", TokenURL: s.URL + "/token",
		Scopes: []string{"read:data"}, EndpointParams: url.Values{"audience": {"test-api"}},
	}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	// token repeats access_token, as oauthgate's own grant answers.
	if same, _ := tok.Extra("token").(string); same != tok.AccessToken {
		t.Fatalf("token = %q; want the access token", same)
	}
	keys := oidc.NewRemoteKeySet(ctx, s.URL+"/jwks")
	payload, err := keys.VerifySignature(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("access token does not verify against the JWKS: %v", err)
	}
	var c struct {
		Iss         string   `json:"iss"`
		Sub         string   `json:"sub"`
		Aud         string   `json:"aud"`
		Scope       string   `json:"scope"`
		Permissions []string `json:"permissions"`
		Roles       []string `json:"roles"`
		Groups      []string `json:"groups"`
		Exp, Iat    int64
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iss != s.URL || c.Sub != "client1-subject" || c.Aud != "test-api" || c.Scope != "read:data" ||
		strings.Join(c.Permissions, ",") != "read:data" || strings.Join(c.Roles, ",") != "sales_manager" ||
		strings.Join(c.Groups, ",") != "east,retail" || c.Exp <= c.Iat {
		t.Errorf("claims = %+v", c)
	}

	// client_secret_post works too; a scope outside the client's is refused.
	cc.AuthStyle = oauth2.AuthStyleInParams
	cc.Scopes = []string{"admin"}
	if _, err := cc.Token(ctx); retrieveErrorCode(err) != "invalid_scope" {
		t.Errorf("foreign scope: %v; want invalid_scope", err)
	}
	cc.Scopes = nil
	cc.EndpointParams = url.Values{"audience": {"other-api"}}
	if _, err := cc.Token(ctx); retrieveErrorCode(err) != "invalid_target" {
		t.Errorf("foreign audience: %v; want invalid_target", err)
	}
	// JSON bodies, as simple_oauth_server accepts.
	resp, body := postJSON(t, s.Client(), s.URL+"/token",
		`{"client_id":"client1","client_secret":"client1-secret","audience":"test-api","grant_type":"client_credentials"}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"access_token"`) {
		t.Errorf("JSON client_credentials: %s %s", resp.Status, body)
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)
	c := s.Client()

	// Revoking an access token ends that token only.
	res := rp.login(t)
	resp, _ := postForm(t, c, s.URL+"/revoke", url.Values{"token": {res.token.AccessToken}}, DemoClientID, DemoClientSecret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke access token: %s", resp.Status)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(res.token)); err == nil {
		t.Error("userinfo accepted a revoked access token")
	}
	if _, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: res.token.RefreshToken}).Token(); err != nil {
		t.Errorf("refresh after access token revocation: %v", err)
	}

	// Revoking a refresh token ends the session.
	res = rp.login(t)
	resp, _ = postForm(t, c, s.URL+"/revoke",
		url.Values{"token": {res.token.RefreshToken}, "token_type_hint": {"refresh_token"},
			"client_id": {DemoClientID}, "client_secret": {DemoClientSecret}}, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke refresh token: %s", resp.Status)
	}
	if _, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: res.token.RefreshToken}).Token(); retrieveErrorCode(err) != "invalid_grant" {
		t.Errorf("refresh with a revoked token: %v; want invalid_grant", err)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(res.token)); err == nil {
		t.Error("userinfo accepted an access token of a revoked session")
	}

	// Unknown tokens are fine (RFC 7009 §2.2); a bad client is not.
	resp, _ = postForm(t, c, s.URL+"/revoke", url.Values{"token": {"unknown"}}, DemoClientID, DemoClientSecret)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("revoke unknown token: %s", resp.Status)
	}
	resp, body := postForm(t, c, s.URL+"/revoke", url.Values{"token": {"unknown"}}, DemoClientID, "wrong")
	if resp.StatusCode != http.StatusUnauthorized || decodeError(t, body).Error != "invalid_client" {
		t.Errorf("revoke with bad secret: %s %s", resp.Status, body)
	}

	// A minted JWT access token is revoked by its jti.
	at, err := s.Provider.MintAccessToken(MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at})); err != nil {
		t.Fatalf("userinfo with minted JWT: %v", err)
	}
	postForm(t, c, s.URL+"/revoke", url.Values{"token": {at}}, DemoClientID, DemoClientSecret)
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at})); err == nil {
		t.Error("userinfo accepted a revoked JWT access token")
	}
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)
	res := rp.login(t)
	c := s.Client()

	bad := s.URL + "/end_session?" + url.Values{"id_token_hint": {res.raw},
		"post_logout_redirect_uri": {"https://evil.example.com/"}}.Encode()
	resp, body := do(t, c, mustRequest(t, http.MethodGet, bad))
	if resp.StatusCode != http.StatusBadRequest || decodeError(t, body).Error != "invalid_request" {
		t.Errorf("unregistered post_logout_redirect_uri: %s %s", resp.Status, body)
	}
	noClient := s.URL + "/end_session?" + url.Values{"post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}}.Encode()
	if resp, _ := do(t, c, mustRequest(t, http.MethodGet, noClient)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("post_logout_redirect_uri without client: %s", resp.Status)
	}
	forged := s.URL + "/end_session?" + url.Values{"id_token_hint": {res.raw[:len(res.raw)-4] + "AAAA"}}.Encode()
	if resp, _ := do(t, c, mustRequest(t, http.MethodGet, forged)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("forged id_token_hint: %s", resp.Status)
	}

	good := s.URL + "/end_session?" + url.Values{"id_token_hint": {res.raw},
		"post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}, "state": {"st"}}.Encode()
	resp, _ = do(t, c, mustRequest(t, http.MethodGet, good))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://127.0.0.1:9/bye?state=st" {
		t.Fatalf("end_session: %s Location %q", resp.Status, resp.Header.Get("Location"))
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(res.token)); err == nil {
		t.Error("userinfo accepted a token after end_session")
	}
	if _, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: res.token.RefreshToken}).Token(); err == nil {
		t.Error("refresh worked after end_session")
	}
	// Without a redirect, a small page.
	resp, body = do(t, c, mustRequest(t, http.MethodGet, s.URL+"/end_session"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed out") {
		t.Errorf("plain end_session: %s", resp.Status)
	}
}

func mustRequest(t testing.TB, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestChoosingTheUser(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Users: []User{{Email: "boss@corleone.com", Name: "Vito", Claims: map[string]any{"groups": []string{"family"}}}}})
	rp := newRP(t, s)
	p := s.Provider
	email := func(res loginResult) (idClaims, map[string]any) {
		t.Helper()
		idt, err := rp.verifier.Verify(rp.ctx, res.raw)
		if err != nil {
			t.Fatal(err)
		}
		var c idClaims
		var all map[string]any
		_ = idt.Claims(&c)
		_ = idt.Claims(&all)
		return c, all
	}
	if c, _ := email(rp.login(t)); c.Email != "test@example.com" {
		t.Errorf("default email = %q", c.Email)
	}
	if err := p.SetEmail("a@b.c"); err != nil {
		t.Fatal(err)
	}
	if c, _ := email(rp.login(t)); c.Email != "a@b.c" {
		t.Errorf("after SetEmail: %q", c.Email)
	}
	// easy-oauth's mock: JSON and form bodies.
	resp, body := postJSON(t, s.Client(), s.URL+"/set_email", `{"email": "json@x.y"}`)
	if resp.StatusCode != http.StatusOK || p.Email() != "json@x.y" {
		t.Errorf("POST /set_email JSON: %s %s", resp.Status, body)
	}
	resp, _ = postForm(t, s.Client(), s.URL+"/set_email", url.Values{"email": {"form@x.y"}}, "", "")
	if resp.StatusCode != http.StatusOK || p.Email() != "form@x.y" {
		t.Errorf("POST /set_email form: %s", resp.Status)
	}
	resp, body = postJSON(t, s.Client(), s.URL+"/set_email", `{"email": ""}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty email: %s %s", resp.Status, body)
	}
	if c, _ := email(rp.login(t, oauth2.SetAuthURLParam("login_hint", "hint@x.y"))); c.Email != "hint@x.y" {
		t.Errorf("login_hint: %q", c.Email)
	}
	if err := p.NextLogin("next@x.y", map[string]any{"roles": []string{"r1"}, "iss": "ignored"}); err != nil {
		t.Fatal(err)
	}
	c, all := email(rp.login(t, oauth2.SetAuthURLParam("login_hint", "hint@x.y")))
	if c.Email != "next@x.y" || all["roles"] == nil || all["iss"] != s.URL {
		t.Errorf("NextLogin: %+v %v", c, all)
	}
	if c, _ := email(rp.login(t)); c.Email != "form@x.y" {
		t.Errorf("NextLogin is one-shot; got %q", c.Email)
	}
	c, all = email(rp.login(t, oauth2.SetAuthURLParam("login_hint", "Boss@Corleone.com")))
	if c.Name != "Vito" || all["groups"] == nil {
		t.Errorf("known user: %+v %v", c, all)
	}
	// sub is stable per email, whatever the case.
	a, _ := rp.verifier.Verify(rp.ctx, rp.login(t, oauth2.SetAuthURLParam("login_hint", "x@y.z")).raw)
	b, _ := rp.verifier.Verify(rp.ctx, rp.login(t, oauth2.SetAuthURLParam("login_hint", "X@Y.Z")).raw)
	if a.Subject != b.Subject || a.Subject != SubjectFor("x@y.z") {
		t.Errorf("sub not stable: %q %q", a.Subject, b.Subject)
	}
}

func TestInteractiveLogin(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Interactive: true, Users: []User{{Email: "alice@example.com"}}})
	rp := newRP(t, s)
	c := s.Client()
	state, nonce, verifier := "st", oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	authURL := rp.cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", `"><script>x</script>`))
	resp, body := do(t, c, mustRequest(t, http.MethodGet, authURL))
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "alice@example.com") || !strings.Contains(page, `name="mockidp_email"`) {
		t.Fatalf("login page: %s\n%s", resp.Status, page)
	}
	if strings.Contains(page, "<script>") {
		t.Error("login_hint was not escaped")
	}
	if strings.Contains(page, "<script") && !strings.Contains(page, "&lt;script") {
		t.Error("page uses scripts")
	}
	// Submit the free form with extra claims, as a browser would.
	form, err := url.ParseQuery(strings.SplitN(authURL, "?", 2)[1])
	if err != nil {
		t.Fatal(err)
	}
	form.Set(fieldAction, "login")
	form.Set(fieldEmail, "carol@example.com")
	form.Set(fieldName, "Carol C")
	form.Set(fieldClaims, `{"groups": ["admins"]}`)
	resp, _ = postForm(t, c, s.URL+"/authorize", form, "", "")
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != state {
		t.Fatalf("login submission: %s %v", resp.Status, loc)
	}
	tok, err := rp.cfg.Exchange(rp.ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := rp.verifier.Verify(rp.ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email  string   `json:"email"`
		Name   string   `json:"name"`
		Groups []string `json:"groups"`
	}
	_ = idt.Claims(&claims)
	if claims.Email != "carol@example.com" || claims.Name != "Carol C" || len(claims.Groups) != 1 || idt.Nonce != nonce {
		t.Errorf("claims = %+v nonce %q", claims, idt.Nonce)
	}

	form.Set(fieldClaims, `[not json`)
	if resp, _ := postForm(t, c, s.URL+"/authorize", form, "", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad claims JSON: %s", resp.Status)
	}
	form.Set(fieldAction, "deny")
	resp, _ = postForm(t, c, s.URL+"/authorize", form, "", "")
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "access_denied" {
		t.Errorf("deny: %s %v", resp.Status, loc)
	}
	loc, err = s.Authorize(rp.ctx, rp.cfg.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	if err != nil || loc.Query().Get("error") != "login_required" {
		t.Errorf("prompt=none: %v %v", loc, err)
	}
	// A queued login skips the page.
	_ = s.Provider.NextLogin("bot@example.com", nil)
	if loc, err := s.Authorize(rp.ctx, rp.cfg.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier))); err != nil || loc.Query().Get("code") == "" {
		t.Errorf("NextLogin in interactive mode: %v %v", loc, err)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newTestServer(t, Options{Now: clock, KeyGrace: 10 * time.Minute})
	rp := newRP(t, s)
	oldKID := s.Provider.KeyID()
	before := rp.login(t)
	newKID, err := s.Provider.RotateKeys()
	if err != nil || newKID == oldKID {
		t.Fatalf("rotate: %q %v", newKID, err)
	}
	kids := func() []string {
		resp, body := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/jwks"))
		var set struct {
			Keys []struct {
				KID string `json:"kid"`
				Alg string `json:"alg"`
			} `json:"keys"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &set) != nil {
			t.Fatalf("jwks: %s %s", resp.Status, body)
		}
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.KID)
		}
		return out
	}
	if got := strings.Join(kids(), ","); got != newKID+","+oldKID {
		t.Errorf("JWKS during grace = %s", got)
	}
	// Tokens of both keys verify (go-oidc refetches the JWKS on an unknown kid).
	after := rp.login(t)
	for _, raw := range []string{before.raw, after.raw} {
		if _, err := rp.verifier.Verify(rp.ctx, raw); err != nil {
			t.Errorf("verify across rotation: %v", err)
		}
	}
	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	if got := strings.Join(kids(), ","); got != newKID {
		t.Errorf("JWKS after grace = %s", got)
	}
	resp, body := postJSON(t, s.Client(), s.URL+"/control/rotate", `{}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"kid"`) {
		t.Errorf("POST /control/rotate: %s %s", resp.Status, body)
	}
}

func TestDeletedUser(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{DefaultEmail: "gone@example.com"})
	rp := newRP(t, s)
	res := rp.login(t)
	s.Provider.DeleteUser("Gone@Example.com")
	_, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: res.token.RefreshToken}).Token()
	if retrieveErrorCode(err) != "invalid_grant" {
		t.Errorf("refresh of a deleted user: %v; want invalid_grant", err)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(res.token)); err == nil {
		t.Error("userinfo served a deleted user")
	}
	loc := rp.authorize(t, "st", "n", oauth2.GenerateVerifier())
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st" {
		t.Errorf("login of a deleted user: %v", loc)
	}
	s.Provider.RestoreUser("gone@example.com")
	rp.login(t)
	// Over HTTP too.
	resp, _ := postJSON(t, s.Client(), s.URL+"/control/delete_user", `{"email":"gone@example.com"}`)
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	if loc := rp.authorize(t, "st", "n", oauth2.GenerateVerifier()); loc.Query().Get("error") != "access_denied" {
		t.Errorf("after /control/delete_user: %v", loc)
	}
}

func TestConcurrentLogins(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Algorithm: "ES256"})
	rp := newRP(t, s)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hint := oauth2.SetAuthURLParam("login_hint", "u"+string(rune('a'+i))+"@x.y")
			for range 4 {
				res, err := rp.tryLogin(hint)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := rp.verifier.Verify(rp.ctx, res.raw); err != nil {
					t.Error(err)
				}
				if _, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: res.token.RefreshToken}).Token(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(s.Provider.Requests()); n < 16*4*2 {
		t.Errorf("recorded %d requests", n)
	}
}

func TestRequestsRecorded(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)
	rp.login(t, oauth2.SetAuthURLParam("login_hint", "r@x.y"))
	var sawAuthorize, sawToken bool
	for _, r := range s.Provider.Requests() {
		switch r.Path {
		case "/authorize":
			sawAuthorize = r.Query.Get("code_challenge_method") == "S256" && r.Query.Get("login_hint") == "r@x.y"
		case "/token":
			sawToken = r.BasicAuthUser == DemoClientID
		}
	}
	if !sawAuthorize || !sawToken {
		t.Errorf("requests = %+v", s.Provider.Requests())
	}
}

func TestHealthAndDiscovery(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	resp, body := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/health"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("/health: %s %s", resp.Status, body)
	}
	resp, body = do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/.well-known/openid-configuration"))
	var d map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &d) != nil {
		t.Fatalf("discovery: %s", resp.Status)
	}
	// OIDC Discovery §3 REQUIRED fields.
	for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
		"response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"} {
		if d[k] == nil {
			t.Errorf("discovery lacks %s", k)
		}
	}
	if d["issuer"] != s.URL || s.Provider.Issuer() != s.URL || strings.HasSuffix(s.URL, "/") {
		t.Errorf("issuer = %v, URL = %q", d["issuer"], s.URL)
	}
}

// A Provider without an issuer takes it from the request, so it works
// directly under httptest-like servers.
func TestIssuerFromRequest(t *testing.T) {
	t.Parallel()
	rk, _ := testKeys(t)
	p, err := New(Options{SigningKey: rk})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.MintIDToken(MintOptions{}); err == nil {
		t.Error("MintIDToken without an issuer succeeded")
	}
	s := &http.Server{Handler: p}
	srv := newLoopback(t, s)
	resp, body := do(t, http.DefaultClient, mustRequest(t, http.MethodGet, srv+"/.well-known/openid-configuration"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"issuer":"`+srv+`"`) {
		t.Errorf("discovery: %s", body)
	}
}

// TestLookalikeEmails: the provider's user table, deleted users and
// default subjects fold ASCII letters only, as the gateway does: a Unicode
// lookalike of a known user's address (KELVIN SIGN, I WITH DOT ABOVE,
// LONG S, fullwidth letters) is another user, with its own sub, and none
// of the known user's claims.
func TestLookalikeEmails(t *testing.T) {
	t.Parallel()
	kate := User{Email: "kate@example.com", Name: "Kate", Sub: "kate-sub", Claims: map[string]any{"groups": []string{"payroll"}}}
	s := newTestServer(t, Options{Users: []User{kate, {Email: "ines@example.com", Sub: "ines-sub"}, {Email: "sam@example.com", Sub: "sam-sub"}}})
	rp := newRP(t, s)
	login := func(email string) (*oidc.IDToken, map[string]any) {
		t.Helper()
		idt, err := rp.verifier.Verify(rp.ctx, rp.login(t, oauth2.SetAuthURLParam("login_hint", email)).raw)
		if err != nil {
			t.Fatal(err)
		}
		var all map[string]any
		_ = idt.Claims(&all)
		return idt, all
	}
	for _, email := range []string{"\u212Aate@example.com", "\u212AATE@EXAMPLE.COM", "\u0130nes@example.com", "\u017Fam@example.com", "\uff2b\uff21\uff34\uff25@example.com"} {
		idt, all := login(email)
		if strings.HasSuffix(idt.Subject, "-sub") || all["groups"] != nil || all["name"] == "Kate" || all["email"] != email {
			t.Errorf("%q logged in with a known user's claims: sub %q, claims %v", email, idt.Subject, all)
		}
		if lower := strings.ToLower(email); lower != email && SubjectFor(email) == SubjectFor(lower) {
			t.Errorf("%q and %q (its Unicode lower case) share the sub %q", email, lower, SubjectFor(email))
		}
	}
	if idt, all := login("KATE@Example.com"); idt.Subject != "kate-sub" || all["groups"] == nil {
		t.Errorf("Kate in upper case: sub %q, claims %v", idt.Subject, all)
	}
	// Deleting the lookalike does not delete Kate, nor the reverse.
	s.Provider.DeleteUser("\u212Aate@example.com")
	if idt, _ := login("kate@example.com"); idt.Subject != "kate-sub" {
		t.Errorf("Kate after deleting her lookalike: sub %q", idt.Subject)
	}
	s.Provider.RestoreUser("\u212Aate@example.com")
	s.Provider.DeleteUser("kate@example.com")
	login("\u212Aate@example.com")
	if loc := rp.authorize(t, "st", "n", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("login_hint", "KATE@example.com")); loc.Query().Get("error") != "access_denied" {
		t.Errorf("deleted Kate in upper case logs in: %v", loc)
	}
}

func TestSetUserClaimsReachesRefreshes(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{DefaultEmail: "xtof@example.com",
		Users: []User{{Email: "xtof@example.com", Claims: map[string]any{"username": "xtof", "team": "a"}}}})
	rp := newRP(t, s)
	res := rp.login(t, oauth2.AccessTypeOffline)
	claimsOf := func(raw string) map[string]any {
		t.Helper()
		idt, err := rp.verifier.Verify(rp.ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		if err := idt.Claims(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	refresh := func() map[string]any {
		t.Helper()
		tok, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: res.token.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		res.token = tok
		raw, _ := tok.Extra("id_token").(string)
		return claimsOf(raw)
	}
	if c := claimsOf(res.raw); c["username"] != "xtof" {
		t.Fatalf("login claims %v", c)
	}
	if err := s.Provider.SetUserClaims("Xtof@Example.com", map[string]any{"username": "christophe"}); err != nil {
		t.Fatal(err)
	}
	if c := refresh(); c["username"] != "christophe" || c["team"] != nil || c["email"] != "xtof@example.com" {
		t.Errorf("refreshed claims after SetUserClaims: %v", c)
	}
	// Over HTTP too; null undoes it, and the grant keeps its login's claims.
	resp, body := postJSON(t, s.Client(), s.URL+"/control/user_claims", `{"email":"xtof@example.com","claims":{"username":"x2"}}`)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s", resp.Status, body)
	}
	if c := refresh(); c["username"] != "x2" {
		t.Errorf("after /control/user_claims: %v", c)
	}
	postJSON(t, s.Client(), s.URL+"/control/user_claims", `{"email":"xtof@example.com","claims":null}`)
	if c := refresh(); c["username"] != "x2" {
		t.Errorf("after undoing: %v", c)
	}
	if c := claimsOf(rp.login(t).raw); c["username"] != "xtof" || c["team"] != "a" {
		t.Errorf("a new login after undoing: %v", c)
	}
	if resp, _ := postJSON(t, s.Client(), s.URL+"/control/user_claims", `{"claims":{}}`); resp.StatusCode != 400 {
		t.Errorf("no email: %s", resp.Status)
	}
}
