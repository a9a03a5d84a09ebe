package mockidp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	tenantA = "11111111-2222-4333-8444-555555555555"
	tenantB = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
)

var microsoftUsers = []User{
	{Email: "alice@a.example", Microsoft: &MicrosoftAccount{TenantID: tenantA}},
	{Email: "mallory@b.example", Microsoft: &MicrosoftAccount{TenantID: strings.ToUpper(tenantB), EmailDomainOwnerVerified: new(bool)}},
	{Email: "pat@outlook.example", Microsoft: &MicrosoftAccount{TenantID: consumersTenantID}},
}

func TestMicrosoftDiscovery(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Mode: ModeMicrosoft})
	for _, tt := range []struct{ tenant, issuer string }{
		{"common", s.URL + "/{tenantid}/v2.0"},
		{"organizations", s.URL + "/{tenantid}/v2.0"},
		{"consumers", s.URL + "/" + consumersTenantID + "/v2.0"},
		{tenantA, s.URL + "/" + tenantA + "/v2.0"},
		{strings.ToUpper(tenantB), s.URL + "/" + tenantB + "/v2.0"},
	} {
		var d map[string]any
		bearerGet(t, s, s.URL+"/"+tt.tenant+"/v2.0/.well-known/openid-configuration", "", http.StatusOK, &d)
		if d["issuer"] != tt.issuer || d["authorization_endpoint"] != s.URL+"/"+tt.tenant+"/oauth2/v2.0/authorize" ||
			d["token_endpoint"] != s.URL+"/"+tt.tenant+"/oauth2/v2.0/token" || d["jwks_uri"] != s.URL+"/"+tt.tenant+"/discovery/v2.0/keys" ||
			d["userinfo_endpoint"] != s.URL+"/oidc/userinfo" {
			t.Errorf("%s: discovery %v", tt.tenant, d)
		}
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
		TraceID     string `json:"trace_id"`
	}
	bearerGet(t, s, s.URL+"/contoso.example/v2.0/.well-known/openid-configuration", "", http.StatusBadRequest, &e)
	if e.Error != "invalid_tenant" || len(e.Codes) != 1 || e.Codes[0] != 90002 || !strings.HasPrefix(e.Description, "AADSTS90002:") || e.TraceID == "" {
		t.Errorf("unknown tenant: %+v", e)
	}
	resp, _ := do(t, s.Client(), httpGet(t, s.URL+"/.well-known/openid-configuration"))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("root discovery in microsoft mode: %d; want 404", resp.StatusCode)
	}
}

// go-oidc reads the multi-tenant document through InsecureIssuerURLContext;
// the ID token verifies against the template with its own tid in place,
// and against nothing else.
func TestMicrosoftIDTokenWithGoOIDC(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Mode: ModeMicrosoft, Users: microsoftUsers})
	ctx := oidc.ClientContext(context.Background(), s.Client())
	ctx = oidc.InsecureIssuerURLContext(ctx, s.URL+"/{tenantid}/v2.0")
	provider, err := oidc.NewProvider(ctx, s.URL+"/common/v2.0")
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	keys := oidc.NewRemoteKeySet(ctx, meta.JWKSURI)
	cfg := oauth2.Config{ClientID: DemoClientID, ClientSecret: DemoClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: testRedirect, Scopes: []string{"openid", "email", "profile"}}

	for _, tt := range []struct {
		email, tid string
		edov       bool
	}{
		{"alice@a.example", tenantA, true},
		{"mallory@b.example", tenantB, false},
		{"someone@example.com", DefaultTenantID, true},
	} {
		verifier, nonce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		loc, err := s.Authorize(ctx, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce), oauth2.SetAuthURLParam("login_hint", tt.email)))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("%s: exchange: %v", tt.email, err)
		}
		if tok.RefreshToken != "" {
			t.Errorf("%s: a refresh token without offline_access", tt.email)
		}
		raw, _ := tok.Extra("id_token").(string)
		issuer := strings.Replace(meta.Issuer, "{tenantid}", tt.tid, 1)
		idt, err := oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: DemoClientID}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("%s: ID token does not verify with issuer %s: %v", tt.email, issuer, err)
		}
		var c map[string]any
		if err := idt.Claims(&c); err != nil {
			t.Fatal(err)
		}
		if idt.Nonce != nonce || c["tid"] != tt.tid || c["xms_edov"] != tt.edov || c["ver"] != "2.0" || c["email"] != tt.email ||
			c["preferred_username"] != tt.email || !isGUID(c["oid"].(string)) {
			t.Errorf("%s: claims %v", tt.email, c)
		}
		for _, absent := range []string{"email_verified", "azp", "auth_time"} {
			if _, ok := c[absent]; ok {
				t.Errorf("%s: Microsoft sends no %s: %v", tt.email, absent, c)
			}
		}
		other := strings.Replace(meta.Issuer, "{tenantid}", tenantA, 1)
		if tt.tid != tenantA {
			if _, err := oidc.NewVerifier(other, keys, &oidc.Config{ClientID: DemoClientID}).Verify(ctx, raw); err == nil {
				t.Errorf("%s: the ID token verifies with another tenant's issuer", tt.email)
			}
		}
		if _, err := provider.Verifier(&oidc.Config{ClientID: DemoClientID}).Verify(ctx, raw); err == nil {
			t.Errorf("%s: the ID token verifies with the {tenantid} template as issuer", tt.email)
		}
	}
}

// A tenant's endpoints sign in its own users only; organizations refuses
// personal accounts and consumers the others.
func TestMicrosoftTenantEndpoints(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Mode: ModeMicrosoft, Users: microsoftUsers})
	for _, tt := range []struct {
		tenant, email string
		ok            bool
	}{
		{"common", "alice@a.example", true},
		{"common", "pat@outlook.example", true},
		{tenantA, "alice@a.example", true},
		{strings.ToUpper(tenantA), "alice@a.example", true},
		{tenantA, "mallory@b.example", false},
		{tenantB, "mallory@b.example", true},
		{"organizations", "alice@a.example", true},
		{"organizations", "pat@outlook.example", false},
		{"consumers", "pat@outlook.example", true},
		{"consumers", "alice@a.example", false},
	} {
		q := url.Values{"client_id": {DemoClientID}, "redirect_uri": {testRedirect}, "response_type": {"code"}, "scope": {"openid email"},
			"state": {"st"}, "login_hint": {tt.email}}
		loc, err := s.Authorize(context.Background(), s.URL+"/"+tt.tenant+"/oauth2/v2.0/authorize?"+q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		got := loc.Query()
		if (got.Get("code") != "") != tt.ok || got.Get("state") != "st" {
			t.Errorf("%s at /%s: callback %s; want signed in %v", tt.email, tt.tenant, loc, tt.ok)
		}
		if !tt.ok && (got.Get("error") != "access_denied" || !strings.HasPrefix(got.Get("error_description"), "AADSTS50020:")) {
			t.Errorf("%s at /%s: %s; want access_denied AADSTS50020", tt.email, tt.tenant, loc)
		}
	}
}

// offline_access brings a refresh token; a refreshed ID token keeps the
// tenant and shows the user's current xms_edov.
func TestMicrosoftRefresh(t *testing.T) {
	t.Parallel()
	rp := newModeRP(t, modeSetups[2], Options{Users: microsoftUsers, DefaultEmail: "alice@a.example"})
	tok := rp.login(t)
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	if err := rp.srv.Provider.SetUser(User{Email: "alice@a.example", Microsoft: &MicrosoftAccount{TenantID: tenantA, EmailDomainOwnerVerified: new(bool)}}); err != nil {
		t.Fatal(err)
	}
	refreshed, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	c := idTokenPayload(t, refreshed)
	if c["iss"] != rp.srv.URL+"/"+tenantA+"/v2.0" || c["tid"] != tenantA || c["xms_edov"] != false {
		t.Errorf("refreshed claims %v; want tenant A, xms_edov false", c)
	}
	var e struct {
		Error  string `json:"error"`
		Codes  []int  `json:"error_codes"`
		Corr   string `json:"correlation_id"`
		Stamp  string `json:"timestamp"`
		Detail string `json:"error_description"`
	}
	_, err = rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token() // reused: revoked
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || json.Unmarshal(re.Body, &e) != nil || e.Error != "invalid_grant" || len(e.Codes) != 1 ||
		e.Corr == "" || e.Stamp == "" || !strings.HasPrefix(e.Detail, "AADSTS") {
		t.Errorf("reused refresh token: %v; want a Microsoft-shaped invalid_grant", err)
	}

	var info map[string]any
	bearerGet(t, rp.srv, rp.srv.URL+"/oidc/userinfo", tok.AccessToken, http.StatusUnauthorized, nil) // the session was revoked
	tok = rp.login(t)
	bearerGet(t, rp.srv, rp.srv.URL+"/oidc/userinfo", tok.AccessToken, http.StatusOK, &info)
	if _, ok := info["email_verified"]; ok || info["email"] != "alice@a.example" {
		t.Errorf("userinfo %v; want the email without email_verified", info)
	}
	raw, _ := tok.Extra("id_token").(string)
	resp, body := do(t, rp.srv.Client(), httpGet(t, rp.srv.URL+"/common/oauth2/v2.0/logout?id_token_hint="+raw))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("logout with the ID token as hint: %d %s", resp.StatusCode, body)
	}
	if _, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("the refresh token outlived the logout")
	}
}

// The login page of a tenant posts back to that tenant's endpoint, which
// still refuses the users of other tenants.
func TestMicrosoftLoginPage(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{Mode: ModeMicrosoft, Interactive: true, Users: microsoftUsers})
	c := s.Client()
	for _, tt := range []struct {
		email string
		ok    bool
	}{{"alice@a.example", true}, {"mallory@b.example", false}} {
		u := s.URL + "/" + tenantA + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {DemoClientID}, "redirect_uri": {testRedirect},
			"response_type": {"code"}, "scope": {"openid"}, "state": {"st"}}.Encode()
		_, page := getPage(t, c, u)
		form := pageForm(t, u, page, `value="`+tt.email+`"`)
		if !strings.HasPrefix(form.action, s.URL+"/"+tenantA+"/oauth2/v2.0/authorize") {
			t.Errorf("the login form posts to %s", form.action)
		}
		resp, body := form.submit(t, c, fieldAction, "login")
		if q := callback(t, resp, body); (q.Get("code") != "") != tt.ok || q.Get("state") != "st" {
			t.Errorf("%s on tenant A's page: %v; want signed in %v", tt.email, q, tt.ok)
		}
	}
	resp, _ := do(t, c, httpGet(t, s.URL+"/contoso/oauth2/v2.0/signup"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("sign-up page of an unknown tenant: %d; want 400", resp.StatusCode)
	}
}
