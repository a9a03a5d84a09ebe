package mockidp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

type regAnswer struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at"`
	RegistrationAccessToken string   `json:"registration_access_token"`
	RegistrationClientURI   string   `json:"registration_client_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	ClientName              string   `json:"client_name"`
}

func registerClient(t *testing.T, s *Server, body string) regAnswer {
	t.Helper()
	resp, data := postJSON(t, s.Client(), s.URL+"/register", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, data)
	}
	var a regAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func bearerRequest(t *testing.T, s *Server, method, u, token, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, s.Client(), req)
}

func TestRegistrationOffByDefault(t *testing.T) {
	s := newTestServer(t, Options{})
	resp, _ := postJSON(t, s.Client(), s.URL+"/register", `{"redirect_uris":["https://app.example/cb"]}`)
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("status = %d; want 404 or 405", resp.StatusCode)
	}
	if d := s.Provider.DiscoveryFor(s.URL); d.RegistrationEndpoint != "" {
		t.Errorf("registration_endpoint = %q without Registration", d.RegistrationEndpoint)
	}
}

func TestRegistrationValidation(t *testing.T) {
	s := newTestServer(t, Options{Registration: true})
	for _, tc := range []struct {
		name, body, code string
	}{
		{"no redirect URIs", `{}`, "invalid_redirect_uri"},
		{"http beyond loopback", `{"redirect_uris":["http://app.example/cb"]}`, "invalid_redirect_uri"},
		{"fragment", `{"redirect_uris":["https://app.example/cb#x"]}`, "invalid_redirect_uri"},
		{"relative", `{"redirect_uris":["/cb"]}`, "invalid_redirect_uri"},
		{"unknown grant", `{"redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","password"]}`, "invalid_client_metadata"},
		{"implicit", `{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`, "invalid_client_metadata"},
		{"code without grant", `{"redirect_uris":["https://a.example/cb"],"grant_types":["client_credentials"],"response_types":["code"]}`, "invalid_client_metadata"},
		{"grant without code", `{"redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code"],"response_types":[]}`, ""},
		{"bad auth method", `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, "invalid_client_metadata"},
		{"public machine client", `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`, "invalid_client_metadata"},
		{"not JSON", `redirect_uris=x`, "invalid_client_metadata"},
		{"wrong type", `{"redirect_uris":"https://a.example/cb"}`, "invalid_client_metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := postJSON(t, s.Client(), s.URL+"/register", tc.body)
			if tc.code == "" {
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("status = %d %s; want 201", resp.StatusCode, data)
				}
				return
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d %s; want 400", resp.StatusCode, data)
			}
			if e := decodeError(t, data); e.Error != tc.code {
				t.Errorf("error = %q (%s); want %q", e.Error, e.Description, tc.code)
			}
		})
	}
}

func TestRegistrationThenCodeFlow(t *testing.T) {
	file := filepath.Join(t.TempDir(), "clients.yaml")
	s := newTestServer(t, Options{Registration: true, ClientsFile: file})
	a := registerClient(t, s, `{"redirect_uris":["`+testRedirect+`"],"client_name":"My app","grant_types":["authorization_code","refresh_token"]}`)
	switch {
	case !strings.HasPrefix(a.ClientID, "dyn-"), a.ClientSecret == "", a.RegistrationAccessToken == "",
		a.ClientIDIssuedAt == 0, a.ClientSecretExpiresAt == nil || *a.ClientSecretExpiresAt != 0:
		t.Fatalf("answer = %+v", a)
	case a.RegistrationClientURI != s.URL+"/register/"+a.ClientID:
		t.Errorf("registration_client_uri = %q", a.RegistrationClientURI)
	case a.TokenEndpointAuthMethod != "client_secret_basic" || strings.Join(a.ResponseTypes, " ") != "code":
		t.Errorf("defaults = %+v", a)
	}

	// The client works at once.
	rp := newRP(t, s)
	rp.cfg.ClientID, rp.cfg.ClientSecret = a.ClientID, a.ClientSecret
	rp.verifier = rp.provider.Verifier(&oidc.Config{ClientID: a.ClientID})
	res := rp.login(t)
	if _, err := rp.verifier.Verify(rp.ctx, res.raw); err != nil {
		t.Fatalf("ID token: %v", err)
	}
	// Its grant types are enforced.
	resp, data := postForm(t, s.Client(), s.URL+"/token", url.Values{"grant_type": {"client_credentials"}}, a.ClientID, a.ClientSecret)
	if resp.StatusCode != http.StatusBadRequest || decodeError(t, data).Error != "unauthorized_client" {
		t.Errorf("client_credentials: %d %s; want unauthorized_client", resp.StatusCode, data)
	}

	// It is in the clients file, which loads back.
	clients, err := LoadClients(file)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := clients[a.ClientID]
	if !ok || c.Secret != a.ClientSecret || c.ClientName != "My app" || c.RegistrationTokenSHA256 == "" ||
		c.RegistrationTokenSHA256 == a.RegistrationAccessToken || c.IssuedAt != a.ClientIDIssuedAt {
		t.Fatalf("saved client = %+v", c)
	}
	if _, ok := clients[DemoClientID]; !ok {
		t.Error("the demo client is not in the clients file")
	}
	// A new provider from the file still manages the client.
	s2 := newTestServer(t, Options{Registration: true, Clients: clients, ClientsFile: file})
	resp, data = bearerRequest(t, s2, http.MethodGet, s2.URL+"/register/"+a.ClientID, a.RegistrationAccessToken, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), a.ClientID) {
		t.Errorf("read after restart: %d %s", resp.StatusCode, data)
	}
}

func TestRegistrationManagement(t *testing.T) {
	file := filepath.Join(t.TempDir(), "clients.yaml")
	s := newTestServer(t, Options{Registration: true, ClientsFile: file})
	a := registerClient(t, s, `{"redirect_uris":["https://app.example/cb"]}`)
	other := registerClient(t, s, `{"redirect_uris":["https://other.example/cb"]}`)
	uri := a.RegistrationClientURI

	for _, tc := range []struct{ name, uri, token string }{
		{"no token", uri, ""},
		{"wrong token", uri, "nope"},
		{"another client's token", uri, other.RegistrationAccessToken},
		{"unknown client", s.URL + "/register/dyn-unknown", a.RegistrationAccessToken},
		{"static client", s.URL + "/register/" + DemoClientID, a.RegistrationAccessToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := bearerRequest(t, s, http.MethodGet, tc.uri, tc.token, "")
			if resp.StatusCode != http.StatusUnauthorized || decodeError(t, data).Error != "invalid_token" ||
				!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%d %s %q; want 401 invalid_token", resp.StatusCode, data, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}

	resp, data := bearerRequest(t, s, http.MethodGet, uri, a.RegistrationAccessToken, "")
	var got regAnswer
	_ = json.Unmarshal(data, &got)
	if resp.StatusCode != http.StatusOK || got.ClientID != a.ClientID || got.ClientSecret != a.ClientSecret ||
		got.RegistrationAccessToken != "" || got.RedirectURIs[0] != "https://app.example/cb" {
		t.Fatalf("read: %d %s", resp.StatusCode, data)
	}

	// Update: the client_id must match; a wrong secret is refused.
	resp, data = bearerRequest(t, s, http.MethodPut, uri, a.RegistrationAccessToken, `{"client_id":"x","redirect_uris":["https://app.example/new"]}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("update with another client_id: %d %s", resp.StatusCode, data)
	}
	resp, data = bearerRequest(t, s, http.MethodPut, uri, a.RegistrationAccessToken, `{"client_id":"`+a.ClientID+`","client_secret":"wrong","redirect_uris":["https://app.example/new"]}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("update with a wrong secret: %d %s", resp.StatusCode, data)
	}
	resp, data = bearerRequest(t, s, http.MethodPut, uri, a.RegistrationAccessToken, `{"client_id":"`+a.ClientID+`","client_secret":"`+a.ClientSecret+`","redirect_uris":["https://app.example/new"],"client_name":"Renamed"}`)
	_ = json.Unmarshal(data, &got)
	if resp.StatusCode != http.StatusOK || got.ClientName != "Renamed" || got.RedirectURIs[0] != "https://app.example/new" || got.ClientSecret != a.ClientSecret {
		t.Fatalf("update: %d %s", resp.StatusCode, data)
	}
	if c, _ := s.Provider.lookupClient(a.ClientID); !c.redirectAllowed("https://app.example/new", false) || c.redirectAllowed("https://app.example/cb", false) {
		t.Errorf("redirect URIs after update: %v", c.RedirectURIs)
	}
	resp, data = bearerRequest(t, s, http.MethodPut, uri, a.RegistrationAccessToken, `{"client_id":"`+a.ClientID+`","redirect_uris":["http://evil.example/"]}`)
	if resp.StatusCode != http.StatusBadRequest || decodeError(t, data).Error != "invalid_redirect_uri" {
		t.Errorf("bad update: %d %s", resp.StatusCode, data)
	}

	// Delete: gone for the token endpoint and the file.
	resp, data = bearerRequest(t, s, http.MethodDelete, uri, a.RegistrationAccessToken, "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.StatusCode, data)
	}
	resp, _ = bearerRequest(t, s, http.MethodGet, uri, a.RegistrationAccessToken, "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("read after delete: %d", resp.StatusCode)
	}
	resp, data = postForm(t, s.Client(), s.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, a.ClientID, a.ClientSecret)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token after delete: %d %s", resp.StatusCode, data)
	}
	clients, err := LoadClients(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := clients[a.ClientID]; ok {
		t.Error("deleted client still in the file")
	}
	if _, ok := clients[other.ClientID]; !ok {
		t.Error("other client missing from the file")
	}
}

func TestRegistrationPublicClient(t *testing.T) {
	s := newTestServer(t, Options{Registration: true})
	a := registerClient(t, s, `{"redirect_uris":["`+testRedirect+`"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}`)
	if a.ClientSecret != "" || a.ClientSecretExpiresAt != nil {
		t.Fatalf("public client got a secret: %+v", a)
	}
	rp := newRP(t, s)
	rp.cfg.ClientID, rp.cfg.ClientSecret = a.ClientID, ""
	rp.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if res := rp.login(t); res.token.RefreshToken == "" {
		t.Error("no refresh token")
	}
}

func TestRegistrationSaveFailureKeepsNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "missing-dir", "clients.yaml")
	s := newTestServer(t, Options{Registration: true, ClientsFile: file})
	resp, data := postJSON(t, s.Client(), s.URL+"/register", `{"redirect_uris":["https://app.example/cb"]}`)
	if resp.StatusCode != http.StatusInternalServerError || decodeError(t, data).Error != "server_error" {
		t.Fatalf("%d %s; want 500 server_error", resp.StatusCode, data)
	}
	s.Provider.clientsMu.RLock()
	n := len(s.Provider.clients)
	s.Provider.clientsMu.RUnlock()
	if want := len(DemoClients()); n != want {
		t.Errorf("%d clients after a failed save; want %d", n, want)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("file written")
	}
}

func TestRegistrationPage(t *testing.T) {
	s := newTestServer(t, Options{Registration: true})
	resp, data := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/register"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `name="redirect_uris"`) ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, data)
	}
	resp, data = postForm(t, s.Client(), s.URL+"/register", url.Values{
		"client_name": {"<b>x</b>"}, "redirect_uris": {"http://evil.example/cb"}, "token_endpoint_auth_method": {"client_secret_post"},
	}, "", "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `class="err"`) ||
		strings.Contains(string(data), "<b>x</b>") {
		t.Fatalf("bad form: %d %s", resp.StatusCode, data)
	}
	resp, data = postForm(t, s.Client(), s.URL+"/register", url.Values{
		"client_name": {"Web"}, "redirect_uris": {"https://app.example/cb\r\nhttp://localhost:3000/cb"},
		"token_endpoint_auth_method": {"client_secret_post"}, "device_code": {"1"},
	}, "", "")
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(data), `id="client_secret"`) {
		t.Fatalf("register: %d %s", resp.StatusCode, data)
	}
	s.Provider.clientsMu.RLock()
	var found Client
	for id, c := range s.Provider.clients {
		if id != DemoClientID && id != DemoSPAClientID { // the registered one
			found = c
		}
	}
	s.Provider.clientsMu.RUnlock()
	if found.Secret == "" || !strings.Contains(string(data), found.Secret) || len(found.RedirectURIs) != 2 ||
		!found.allowsGrant(deviceGrantType) || found.allowsGrant("refresh_token") {
		t.Errorf("registered client = %+v", found)
	}
}

func TestDiscoveryAdvertisesRegistrationAndDevice(t *testing.T) {
	s := newTestServer(t, Options{Registration: true})
	resp, data := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/.well-known/openid-configuration"))
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	var d Discovery
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.RegistrationEndpoint != s.URL+"/register" || d.DeviceAuthorizationEndpoint != s.URL+"/device_authorization" ||
		!strings.Contains(strings.Join(d.GrantTypesSupported, " "), deviceGrantType) {
		t.Errorf("discovery = %+v", d)
	}
}
