package handlers_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"github.com/oauthgate/oauthgate/mockidp"
)

const petsAPI = "pets-api"

// ccApp is an app with the client-credentials grant, a trusted mock
// provider issuing client tokens too, and routes guarded by a capability
// and by the derived scope.
type ccApp struct {
	*e2etest.App
	idp     *mockidp.Server
	keyFile string
	store   *memstore.ClientStore
}

func startCC(t testing.TB, extra string) *ccApp {
	t.Helper()
	idp, err := mockidp.NewServer(mockidp.Options{Algorithm: "ES256", Clients: map[string]mockidp.Client{
		mockidp.DemoClientID: mockidp.DemoClients()[mockidp.DemoClientID],
		"idp-cron":           {Secret: "idp-cron-secret", Audience: petsAPI, Scope: "read:pets"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	keyFile := filepath.Join(t.TempDir(), "signing.pem")
	clients := memstore.NewClientStore()
	yaml := `
scope_capabilities:
  "read:pets": [read]
  "bake:bread": [baker]
jwt_issuers:
  - issuer: ` + idp.URL + `
    audience: ` + petsAPI + `
    jwks_url: ` + idp.URL + `/jwks
    algorithms: [ES256]
client_credentials:
  signing_key_file: ` + keyFile + `
clients:
  cron:
    client_secret: cron-plain-secret-1
    audience: [` + petsAPI + `, other-api]
    sub: cron-subject
    scope: "read:pets write:pets"
    permissions: bake:bread
    roles: [ops, batch]
    groups: east
  sleeper:
    client_secret: sleeper-secret
    audience: ` + petsAPI + `
    scope: read:pets
    disabled: true
` + extra
	var cc clientcreds.Config
	app := e2etest.Start(t, idp, ccBuild, e2etest.Options{Extra: yaml, Sections: []auth.Section{&cc}, Edit: func(c *auth.Config) {
		plugGrant(t, c, &cc, clientcreds.Options{ClientStore: clients})
	}})
	return &ccApp{App: app, idp: idp, keyFile: keyFile, store: clients}
}

// plugGrant checks cc against the app's configuration c as edited, builds
// the client-credentials grant and puts it in c.MachineIssuers, so that
// handlers.Mount serves its routes.
func plugGrant(t testing.TB, c *auth.Config, cc *clientcreds.Config, opts clientcreds.Options) *clientcreds.Issuer {
	t.Helper()
	if err := cc.CheckConfig(c); err != nil {
		t.Fatal(err)
	}
	opts.Logger = c.Logger
	g, err := clientcreds.New(context.Background(), cc, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	c.MachineIssuers = append(c.MachineIssuers, g)
	return g
}

func ccBuild(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	echo := http.HandlerFunc(e2etest.Echo)
	mux.Handle("GET /read", m.Require("read")(echo))
	mux.Handle("GET /bake", m.Require("baker")(echo))
	mux.Handle("/pets/", m.RequireDerivedScope()(echo))
	mux.Handle("/pets", m.RequireDerivedScope()(echo))
	return mux
}

type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	Token            string `json:"token"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// tokenRequest posts to the token route; how is "json", "form" or "basic"
// (form body, credentials in the Authorization header).
func (a *ccApp) tokenRequest(t testing.TB, path, how string, params map[string]string) (*e2etest.Response, tokenAnswer) {
	t.Helper()
	h := http.Header{}
	var body string
	switch how {
	case "json":
		b, _ := json.Marshal(params)
		body = string(b)
		h.Set("Content-Type", "application/json")
	case "form", "basic":
		v := url.Values{}
		for k, p := range params {
			if how == "basic" && (k == "client_id" || k == "client_secret") {
				continue
			}
			v.Set(k, p)
		}
		body = v.Encode()
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		if how == "basic" {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(params["client_id"]+":"+params["client_secret"])))
		}
	}
	resp := a.Guest().DoHeader(t, http.MethodPost, path, body, h)
	var ans tokenAnswer
	_ = json.Unmarshal(resp.Body, &ans)
	return resp, ans
}

func (a *ccApp) token(t testing.TB, id, secret string) string {
	t.Helper()
	resp, ans := a.tokenRequest(t, "/oauth/token", "json", map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret})
	resp.Expect(t, 200)
	return ans.AccessToken
}

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientCredentialsEndToEnd(t *testing.T) {
	t.Parallel()
	a := startCC(t, "")
	for _, how := range []string{"json", "form", "basic"} {
		for _, path := range []string{"/oauth/token", "/token"} {
			resp, ans := a.tokenRequest(t, path, how, map[string]string{
				"grant_type": "client_credentials", "client_id": "cron", "client_secret": "cron-plain-secret-1",
			})
			resp.Expect(t, 200)
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s %s: Cache-Control %q", how, path, cc)
			}
			if ans.AccessToken == "" || ans.Token != ans.AccessToken || ans.TokenType != "Bearer" ||
				ans.ExpiresIn != 3600 || ans.Scope != "read:pets write:pets" {
				t.Fatalf("%s %s: answer %s", how, path, resp.Body)
			}
			c := claimsOf(t, ans.AccessToken)
			if c["iss"] != a.URL+"/" || c["sub"] != "cron-subject" || c["aud"] != petsAPI || c["client_id"] != "cron" ||
				c["scope"] != "read:pets write:pets" || c["jti"] == nil || c["exp"].(float64)-c["iat"].(float64) != 3600 {
				t.Errorf("%s: claims %v", how, c)
			}
			for name, want := range map[string][]any{"permissions": {"bake:bread"}, "roles": {"ops", "batch"}, "groups": {"east"}} {
				if got, _ := c[name].([]any); !slices.Equal(got, want) {
					t.Errorf("%s: %s = %v; want %v", how, name, c[name], want)
				}
			}
			bot := a.WithBearer("cron", ans.AccessToken)
			if got := string(bot.Get(t, "/read").Expect(t, 200).Body); got != "client " {
				t.Errorf("/read = %q", got)
			}
			bot.Get(t, "/bake").Expect(t, 200) // permission bake:bread → baker
			bot.Get(t, "/pets/7").Expect(t, 200)
			bot.Do(t, http.MethodPost, "/pets", `{}`).Expect(t, 200)
			r := bot.Do(t, http.MethodDelete, "/pets/7", "").Expect(t, 403)
			if !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
				t.Errorf("403 challenge %q", r.Header.Get("WWW-Authenticate"))
			}
		}
	}

	// A subset of the scope and another allowed audience.
	resp, ans := a.tokenRequest(t, "/oauth/token", "form", map[string]string{
		"grant_type": "client_credentials", "client_id": "cron", "client_secret": "cron-plain-secret-1",
		"scope": "read:pets", "audience": "other-api",
	})
	resp.Expect(t, 200)
	if c := claimsOf(t, ans.AccessToken); ans.Scope != "read:pets" || c["aud"] != "other-api" {
		t.Errorf("subset: %s %v", resp.Body, c)
	}

	// A client-credentials JWT of the trusted mock provider works the same.
	tok, err := a.idp.Provider.MintClientToken("idp-cron")
	if err != nil {
		t.Fatal(err)
	}
	idpBot := a.WithBearer("idp-cron", tok)
	idpBot.Get(t, "/read").Expect(t, 200)
	idpBot.Get(t, "/pets").Expect(t, 200)
	idpBot.Do(t, http.MethodPost, "/pets", `{}`).Expect(t, 403)

	// The mock provider's own token endpoint, over HTTP, as a client would.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"idp-cron"}, "client_secret": {"idp-cron-secret"}}
	r, err := http.PostForm(a.idp.URL+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var idpAns tokenAnswer
	_ = json.NewDecoder(r.Body).Decode(&idpAns)
	r.Body.Close()
	a.WithBearer("idp-cron", idpAns.AccessToken).Get(t, "/pets/1").Expect(t, 200)
}

func TestClientCredentialsErrors(t *testing.T) {
	t.Parallel()
	a := startCC(t, "")
	ok := map[string]string{"grant_type": "client_credentials", "client_id": "cron", "client_secret": "cron-plain-secret-1"}
	with := func(k, v string) map[string]string {
		p := map[string]string{}
		for kk, vv := range ok {
			p[kk] = vv
		}
		if v == "" {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		how    string
		params map[string]string
		status int
		code   string
	}{
		{"wrong secret", "json", with("client_secret", "nope"), 401, "invalid_client"},
		{"wrong secret basic", "basic", with("client_secret", "nope"), 401, "invalid_client"},
		{"unknown client", "form", with("client_id", "ghost"), 401, "invalid_client"},
		{"disabled client", "json", map[string]string{"grant_type": "client_credentials", "client_id": "sleeper", "client_secret": "sleeper-secret"}, 401, "invalid_client"},
		{"no secret", "form", with("client_secret", ""), 401, "invalid_client"},
		{"unsupported grant", "form", with("grant_type", "password"), 400, "unsupported_grant_type"},
		{"no grant", "json", with("grant_type", ""), 400, "invalid_request"},
		{"bad scope", "form", with("scope", "read:pets delete:pets"), 400, "invalid_scope"},
		{"bad audience", "json", with("audience", "elsewhere"), 400, "invalid_target"},
	} {
		resp, ans := a.tokenRequest(t, "/oauth/token", tc.how, tc.params)
		if resp.StatusCode != tc.status || ans.Error != tc.code || ans.ErrorDescription == "" {
			t.Errorf("%s: %d %s; want %d %s", tc.name, resp.StatusCode, resp.Body, tc.status, tc.code)
		}
		if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", tc.name, resp.Header.Get("Cache-Control"))
		}
	}

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("cron:cron-plain-secret-1"))
	for _, tc := range []struct {
		name, ct, body, auth string
		status               int
		code                 string
	}{
		{"basic and body differ", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=other", basic, 400, "invalid_request"},
		{"basic and body agree", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=cron", basic, 200, ""},
		{"repeated parameter", "application/x-www-form-urlencoded", "grant_type=client_credentials&grant_type=client_credentials", basic, 400, "invalid_request"},
		{"repeated JSON key", "application/json", `{"grant_type":"client_credentials","grant_type":"password"}`, basic, 400, "invalid_request"},
		{"not a string", "application/json", `{"grant_type":["client_credentials"]}`, basic, 400, "invalid_request"},
		{"not JSON", "application/json", `{"grant_type":`, basic, 400, "invalid_request"},
		{"text body", "text/plain", "grant_type=client_credentials", basic, 400, "invalid_request"},
		{"bad basic", "application/x-www-form-urlencoded", "grant_type=client_credentials", "Basic !!!", 401, "invalid_client"},
		{"huge body", "application/x-www-form-urlencoded", "grant_type=client_credentials&x=" + strings.Repeat("a", handlers.MaxBodyBytes), basic, 413, "invalid_request"},
	} {
		h := http.Header{"Content-Type": {tc.ct}, "Authorization": {tc.auth}}
		resp := a.Guest().DoHeader(t, http.MethodPost, "/oauth/token", tc.body, h)
		var ans tokenAnswer
		_ = json.Unmarshal(resp.Body, &ans)
		if resp.StatusCode != tc.status || ans.Error != tc.code {
			t.Errorf("%s: %d %s; want %d %s", tc.name, resp.StatusCode, resp.Body, tc.status, tc.code)
		}
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		a.Guest().Do(t, m, "/oauth/token", "").Expect(t, 405)
	}
	a.Guest().Do(t, http.MethodPut, "/token", "").Expect(t, 405)
	if strings.Contains(a.Logs.String(), "nope") {
		t.Error("a refused secret is in the logs")
	}
}

// forger signs tokens with the app's own key, to make every kind of bad
// token the verifier must refuse.
type forger struct {
	t   *testing.T
	key any
	kid string
	pub []byte // PEM of the public key
}

func newForger(t *testing.T, keyFile string) *forger {
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: key}
	pub := jwk.Public()
	tp, _ := pub.Thumbprint(crypto.SHA256)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub.Key)
	return &forger{t: t, key: key, kid: base64.RawURLEncoding.EncodeToString(tp),
		pub: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})}
}

func (f *forger) sign(alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	f.t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	tok, _ := jws.CompactSerialize()
	return tok
}

func TestClientCredentialsBadTokens(t *testing.T) {
	t.Parallel()
	a := startCC(t, "")
	good := a.token(t, "cron", "cron-plain-secret-1")
	a.WithBearer("cron", good).Get(t, "/read").Expect(t, 200)
	f := newForger(t, a.keyFile)
	now := time.Now()
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": a.URL + "/", "sub": "cron-subject", "aud": petsAPI, "client_id": "cron",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "x", "scope": "read:pets"}
		if edit != nil {
			edit(c)
		}
		return c
	}
	// The forger's own token with good claims passes: the cases below
	// differ from it by one thing each.
	a.WithBearer("forged", f.sign(jose.RS256, f.key, f.kid, claims(nil))).Get(t, "/read").Expect(t, 200)

	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "read:pets", "read:*   ", 1))) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+f.kid+`"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(mustJSON(claims(nil))) + "."
	for name, tok := range map[string]string{
		"tampered":    tampered,
		"expired":     f.sign(jose.RS256, f.key, f.kid, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() })),
		"wrong aud":   f.sign(jose.RS256, f.key, f.kid, claims(func(c map[string]any) { c["aud"] = "elsewhere" })),
		"wrong iss":   f.sign(jose.RS256, f.key, f.kid, claims(func(c map[string]any) { c["iss"] = "https://evil.example/" })),
		"alg none":    none,
		"HS256 pub":   f.sign(jose.HS256, f.pub, f.kid, claims(nil)),
		"unknown kid": f.sign(jose.RS256, f.key, "not-a-kid", claims(nil)),
		"no kid":      f.sign(jose.RS256, f.key, "", claims(nil)),
		"future iat":  f.sign(jose.RS256, f.key, f.kid, claims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })),
		"no client":   f.sign(jose.RS256, f.key, f.kid, claims(func(c map[string]any) { c["client_id"] = "ghost" })),
		"disabled":    f.sign(jose.RS256, f.key, f.kid, claims(func(c map[string]any) { c["client_id"] = "sleeper" })),
	} {
		for _, path := range []string{"/read", "/pets"} {
			r := a.WithBearer(name, tok).Get(t, path)
			if r.StatusCode != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%s %s: %d %q %s", name, path, r.StatusCode, r.Header.Get("WWW-Authenticate"), r.Body)
			}
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestClientCredentialsDisableAndRemoveStopTokens(t *testing.T) {
	t.Parallel()
	a := startCC(t, "")
	ctx := context.Background()
	hash, err := clientcreds.HashClientSecret("stored-secret-42")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutClient(ctx, store.Client{ID: "stored", SecretHash: hash, Audience: []string{petsAPI}, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	tok := a.token(t, "stored", "stored-secret-42")
	bot := a.WithBearer("stored", tok)
	bot.Get(t, "/read").Expect(t, 200)
	bot.Get(t, "/read").Expect(t, 200) // cached

	c, _, _ := a.store.Client(ctx, "stored")
	c.Disabled = true
	if err := a.store.PutClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	bot.Get(t, "/read").Expect(t, 401)
	resp, ans := a.tokenRequest(t, "/oauth/token", "json", map[string]string{"grant_type": "client_credentials", "client_id": "stored", "client_secret": "stored-secret-42"})
	if resp.StatusCode != 401 || ans.Error != "invalid_client" {
		t.Errorf("disabled client's token request: %d %s", resp.StatusCode, resp.Body)
	}

	c.Disabled = false
	if err := a.store.PutClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	tok = a.token(t, "stored", "stored-secret-42")
	bot = a.WithBearer("stored", tok)
	bot.Get(t, "/pets").Expect(t, 200)
	if err := a.store.RemoveClient(ctx, "stored"); err != nil {
		t.Fatal(err)
	}
	bot.Get(t, "/pets").Expect(t, 401)
}

func TestClientCredentialsNoPlaintextSecret(t *testing.T) {
	t.Parallel()
	a := startCC(t, "")
	const secret = "stored-secret-which-must-not-leak"
	hash, err := clientcreds.HashClientSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.store.PutClient(ctx, store.Client{ID: "leaky", SecretHash: hash, Audience: []string{petsAPI}}); err != nil {
		t.Fatal(err)
	}
	tok := a.token(t, "leaky", secret)
	a.token(t, "cron", "cron-plain-secret-1")
	a.tokenRequest(t, "/oauth/token", "basic", map[string]string{"grant_type": "client_credentials", "client_id": "leaky", "client_secret": secret + "-wrong"})
	a.WithBearer("leaky", tok).Get(t, "/pets").Expect(t, 403)

	logs := a.Logs.String()
	if !strings.Contains(logs, "plaintext client secret") || !strings.Contains(logs, "client token issued") {
		t.Fatalf("the logs lack the expected lines:\n%s", logs)
	}
	for _, s := range []string{secret, "cron-plain-secret-1", tok, strings.Split(tok, ".")[2]} {
		if strings.Contains(logs, s) {
			t.Errorf("the logs hold a secret or token %q", s)
		}
	}
	clients, err := a.store.Clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dump, _ := json.Marshal(clients)
	if strings.Contains(string(dump), secret) || !clientcreds.IsClientSecretHash(clients[0].SecretHash) {
		t.Errorf("the store holds %s", dump)
	}
	if s := a.Manager.Config().String(); strings.Contains(s, "cron-plain-secret-1") {
		t.Error("the printed configuration holds a client secret")
	}
}

func TestClientCredentialsJWKS(t *testing.T) {
	t.Parallel()
	a := startCC(t, "")
	r := a.Guest().Get(t, "/.well-known/jwks.json").Expect(t, 200)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", r.Body, err)
	}
	k := set.Keys[0]
	if k.KeyID == "" || k.Algorithm != "RS256" || !k.IsPublic() {
		t.Errorf("key %+v", k)
	}
	// A token verifies with the published key, as another API would do.
	tok := a.token(t, "cron", "cron-plain-secret-1")
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || jws.Signatures[0].Protected.KeyID != k.KeyID {
		t.Fatalf("parse: %v", err)
	}
	if _, err := jws.Verify(&k); err != nil {
		t.Errorf("verify with the JWKS key: %v", err)
	}
}

// BenchmarkClientTokenRequest: a whole client-credentials token request
// over loopback HTTP (JSON body, argon2id secret check, RS256 signature).
func BenchmarkClientTokenRequest(b *testing.B) {
	a := startCC(b, "")
	params := map[string]string{"grant_type": "client_credentials", "client_id": "cron", "client_secret": "cron-plain-secret-1"}
	a.token(b, "cron", "cron-plain-secret-1")
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := a.tokenRequest(b, "/oauth/token", "json", params); resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// TestClientCredentialsFileStoreHoldsNoSecret: with a user file, clients
// are kept in "<user_file>.clients.yaml" and the signing key beside it;
// neither that file nor the logs ever hold a secret or a token.
func TestClientCredentialsFileStoreHoldsNoSecret(t *testing.T) {
	t.Parallel()
	idp := e2etest.IdP(t)
	dir := t.TempDir()
	userFile := filepath.Join(dir, "users.yaml")
	var cc clientcreds.Config
	var grant *clientcreds.Issuer
	app := e2etest.Start(t, idp, ccBuild, e2etest.Options{
		Extra:    "scope_capabilities: {\"read:pets\": [read]}\nclients:\n  conf: {client_secret: conf-plain-secret-7, scope: read:pets}\n",
		Sections: []auth.Section{&cc},
		Edit: func(c *auth.Config) {
			c.Capabilities.UserFile = userFile
			grant = plugGrant(t, c, &cc, clientcreds.Options{})
		},
	})
	clients := grant.ClientStore()
	if _, ok := clients.(*filestore.ClientStore); !ok {
		t.Fatalf("client store %T", clients)
	}
	const secret = "file-stored-secret-never-written"
	hash, err := clientcreds.HashClientSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := clients.PutClient(ctx, store.Client{ID: "filed", SecretHash: hash, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	a := &ccApp{App: app}
	var tokens []string
	for _, c := range [][2]string{{"filed", secret}, {"conf", "conf-plain-secret-7"}} {
		tok := a.token(t, c[0], c[1])
		a.WithBearer(c[0], tok).Get(t, "/pets").Expect(t, 200)
		tokens = append(tokens, tok)
	}
	a.tokenRequest(t, "/oauth/token", "form", map[string]string{"grant_type": "client_credentials", "client_id": "filed", "client_secret": secret + "-typo"})

	file, err := os.ReadFile(filestore.ClientFileFor(userFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(file), "filed:") || !strings.Contains(string(file), "$argon2id$") {
		t.Fatalf("clients file:\n%s", file)
	}
	if st, err := os.Stat(userFile + ".signing-key.pem"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("default signing key: %v %v", st, err)
	}
	logs := app.Logs.String()
	for _, s := range append(tokens, secret, "conf-plain-secret-7") {
		if strings.Contains(string(file), s) || strings.Contains(logs, s) {
			t.Errorf("%q is in the clients file or the logs", s)
		}
	}
	// Removing the client from the file (as the CLI does) stops its token.
	if err := clients.RemoveClient(ctx, "filed"); err != nil {
		t.Fatal(err)
	}
	a.WithBearer("filed", tokens[0]).Get(t, "/pets").Expect(t, 401)

	// Another process (the clients command) disables a client: the app
	// sees the file change and refuses its token within the poll interval.
	if err := clients.PutClient(ctx, store.Client{ID: "other", SecretHash: hash, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	bot := a.WithBearer("other", a.token(t, "other", secret))
	bot.Get(t, "/pets").Expect(t, 200)
	cli, err := filestore.OpenClientStore(filestore.ClientFileFor(userFile), filestore.Options{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	c, _, _ := cli.Client(ctx, "other")
	c.Disabled = true
	if err := cli.PutClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for bot.Get(t, "/pets").StatusCode == 200 {
		if time.Now().After(deadline) {
			t.Fatal("the disabled client's token still works after 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FuzzClientTokenRequest: whatever the body, content type and
// Authorization header, the token route answers an RFC 6749 JSON error or
// a token, never a 500 or a panic.
func FuzzClientTokenRequest(f *testing.F) {
	a := startCC(f, "")
	h := a.Server.Config.Handler
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("cron:cron-plain-secret-1"))
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=cron&client_secret=cron-plain-secret-1", "")
	f.Add("application/json", `{"grant_type":"client_credentials","scope":"read:pets"}`, basic)
	f.Add("application/json", `{"grant_type":"client_credentials","client_id":null,"audience":7}`, basic)
	f.Add("application/json; charset=utf-8", `[]`, "Basic Og==")
	f.Add("application/x-www-form-urlencoded", "grant_type=%zz", "Bearer x")
	f.Add("multipart/form-data; boundary=x", "--x--", basic)
	f.Fuzz(func(t *testing.T, ct, body, authz string) {
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var ans tokenAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || rec.Code >= 500 ||
			rec.Code == 200 && ans.AccessToken == "" || rec.Code != 200 && ans.Error == "" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
}
