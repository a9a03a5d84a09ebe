package mockidp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/internal/atomicfile"
)

// Dynamic client registration (RFC 7591) and its management (RFC 7592).

// clientMetadata is the client metadata a registration request sends and
// a registration response returns (RFC 7591 §2 and §3.2.1).
type clientMetadata struct {
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
}

// registrationResponse is RFC 7591 §3.2.1's answer with RFC 7592's fields.
type registrationResponse struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	clientMetadata
}

var registrableGrants = []string{"authorization_code", "refresh_token", "client_credentials", deviceGrantType}

func (p *Provider) registrationRoutes(m *http.ServeMux) {
	if !p.opts.Registration {
		return
	}
	m.HandleFunc("POST /register", p.handleRegister)
	m.HandleFunc("GET /register", p.handleRegisterPage)
	m.HandleFunc("GET /register/{client_id}", p.handleRegistrationRead)
	m.HandleFunc("PUT /register/{client_id}", p.handleRegistrationUpdate)
	m.HandleFunc("DELETE /register/{client_id}", p.handleRegistrationDelete)
}

// lookupClient returns a registered client.
func (p *Provider) lookupClient(id string) (Client, bool) {
	p.clientsMu.RLock()
	defer p.clientsMu.RUnlock()
	c, ok := p.clients[id]
	return c, ok
}

// allowsGrant reports whether the client may use a grant type: any when it
// registered none.
func (c Client) allowsGrant(gt string) bool {
	return len(c.GrantTypes) == 0 || slices.Contains(c.GrantTypes, gt)
}

func errClientMetadata(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_client_metadata", desc}
}

// normalize fills in RFC 7591's defaults and checks the metadata.
func (md *clientMetadata) normalize() *oauthError {
	if len(md.GrantTypes) == 0 {
		md.GrantTypes = []string{"authorization_code"}
	}
	if len(md.ResponseTypes) == 0 && slices.Contains(md.GrantTypes, "authorization_code") {
		md.ResponseTypes = []string{"code"}
	}
	if md.TokenEndpointAuthMethod == "" {
		md.TokenEndpointAuthMethod = "client_secret_basic"
	}
	for _, g := range md.GrantTypes {
		if !slices.Contains(registrableGrants, g) {
			return errClientMetadata("grant_type " + g + " is not supported")
		}
	}
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			return errClientMetadata("response_type " + rt + " is not supported (only code)")
		}
	}
	code := slices.Contains(md.GrantTypes, "authorization_code")
	if code != slices.Contains(md.ResponseTypes, "code") {
		return errClientMetadata("grant_types authorization_code and response_types code go together")
	}
	switch md.TokenEndpointAuthMethod {
	case "client_secret_basic", "client_secret_post":
	case "none":
		if slices.Contains(md.GrantTypes, "client_credentials") {
			return errClientMetadata("a client with token_endpoint_auth_method none cannot use client_credentials")
		}
	default:
		return errClientMetadata("token_endpoint_auth_method must be client_secret_basic, client_secret_post or none")
	}
	if code && len(md.RedirectURIs) == 0 {
		return &oauthError{http.StatusBadRequest, "invalid_redirect_uri", "redirect_uris is required for the authorization code flow"}
	}
	for _, list := range [][]string{md.RedirectURIs, md.PostLogoutRedirectURIs} {
		for _, raw := range list {
			if !registrableRedirect(raw) {
				return &oauthError{http.StatusBadRequest, "invalid_redirect_uri",
					fmt.Sprintf("redirect URI %q must be https, or http on loopback, absolute and without a fragment", raw)}
			}
		}
	}
	if len(md.ClientName) > 200 {
		return errClientMetadata("client_name is longer than 200 characters")
	}
	return nil
}

func registrableRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && isLoopbackURL(u))
}

func (md clientMetadata) client(secret string) Client {
	return Client{
		Secret:                  secret,
		Scope:                   md.Scope,
		RedirectURIs:            md.RedirectURIs,
		PostLogoutRedirectURIs:  md.PostLogoutRedirectURIs,
		GrantTypes:              md.GrantTypes,
		ClientName:              md.ClientName,
		TokenEndpointAuthMethod: md.TokenEndpointAuthMethod,
		RequirePKCE:             secret == "",
	}
}

func metadataOf(c Client) clientMetadata {
	md := clientMetadata{
		RedirectURIs:            c.RedirectURIs,
		PostLogoutRedirectURIs:  c.PostLogoutRedirectURIs,
		GrantTypes:              c.GrantTypes,
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		ClientName:              c.ClientName,
		Scope:                   c.Scope,
	}
	if slices.Contains(c.GrantTypes, "authorization_code") {
		md.ResponseTypes = []string{"code"}
	}
	return md
}

// readMetadata decodes a JSON metadata body. Unknown members are ignored,
// as RFC 7591 §2 asks.
func readMetadata(r *http.Request, into any) *oauthError {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return errInvalidRequest("the body must be application/json")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(into); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errInvalidRequest("request body too large")
		}
		return errClientMetadata("malformed client metadata: " + err.Error())
	}
	if dec.More() {
		return errClientMetadata("malformed client metadata: trailing data")
	}
	return nil
}

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func (p *Provider) handleRegister(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		p.handleRegisterForm(w, r)
		return
	}
	var md clientMetadata
	if oerr := readMetadata(r, &md); oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	resp, oerr := p.register(r, md)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

// register validates md, adds the client and saves the clients file.
func (p *Provider) register(r *http.Request, md clientMetadata) (*registrationResponse, *oauthError) {
	if oerr := md.normalize(); oerr != nil {
		return nil, oerr
	}
	id := "dyn-" + randomToken()[:22]
	secret := ""
	if md.TokenEndpointAuthMethod != "none" {
		secret = randomToken()
	}
	rat := randomToken()
	c := md.client(secret)
	c.IssuedAt = p.opts.Now().Unix()
	c.RegistrationTokenSHA256 = tokenHash(rat)
	p.clientsMu.Lock()
	p.clients[id] = c
	err := p.saveClientsLocked()
	if err != nil {
		delete(p.clients, id)
	}
	p.clientsMu.Unlock()
	if err != nil {
		p.opts.Logger.Error("mockidp: save clients file", "err", err)
		return nil, &oauthError{http.StatusInternalServerError, "server_error", "could not save the clients file"}
	}
	p.opts.Logger.Info("mockidp client registered", "client_id", id, "client_name", md.ClientName)
	resp := p.registrationAnswer(r, id, c)
	resp.RegistrationAccessToken = rat
	return resp, nil
}

func (p *Provider) registrationAnswer(r *http.Request, id string, c Client) *registrationResponse {
	resp := &registrationResponse{
		ClientID:              id,
		ClientSecret:          c.Secret,
		ClientIDIssuedAt:      c.IssuedAt,
		RegistrationClientURI: p.issuerFor(r) + "/register/" + url.PathEscape(id),
		clientMetadata:        metadataOf(c),
	}
	if c.Secret != "" {
		zero := int64(0)
		resp.ClientSecretExpiresAt = &zero
	}
	return resp
}

// managedClient authenticates an RFC 7592 request by its registration
// access token. Any failure is 401 invalid_token, so that a caller learns
// nothing about which clients exist (RFC 7592 §2.1).
func (p *Provider) managedClient(w http.ResponseWriter, r *http.Request) (string, Client, bool) {
	id := r.PathValue("client_id")
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	c, known := p.lookupClient(id)
	want := c.RegistrationTokenSHA256
	if !known || want == "" {
		want = "no-registration-token"
	}
	if !secretsEqual(tokenHash(strings.TrimSpace(tok)), want) || !found || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeOAuthError(w, &oauthError{http.StatusUnauthorized, "invalid_token", "bad or missing registration access token"})
		return "", Client{}, false
	}
	return id, c, true
}

func (p *Provider) handleRegistrationRead(w http.ResponseWriter, r *http.Request) {
	id, c, ok := p.managedClient(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, p.registrationAnswer(r, id, c))
}

func (p *Provider) handleRegistrationUpdate(w http.ResponseWriter, r *http.Request) {
	id, old, ok := p.managedClient(w, r)
	if !ok {
		return
	}
	var body struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		clientMetadata
	}
	if oerr := readMetadata(r, &body); oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	if body.ClientID != id {
		writeOAuthError(w, errInvalidRequest("client_id must be that of the client updated"))
		return
	}
	if body.ClientSecret != "" && !secretsEqual(body.ClientSecret, old.Secret) {
		writeOAuthError(w, errInvalidRequest("client_secret does not match the issued secret"))
		return
	}
	md := body.clientMetadata
	if oerr := md.normalize(); oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	secret := old.Secret
	switch {
	case md.TokenEndpointAuthMethod == "none":
		secret = ""
	case secret == "":
		secret = randomToken()
	}
	c := md.client(secret)
	c.IssuedAt = old.IssuedAt
	c.RegistrationTokenSHA256 = old.RegistrationTokenSHA256
	p.clientsMu.Lock()
	p.clients[id] = c
	err := p.saveClientsLocked()
	if err != nil {
		p.clients[id] = old
	}
	p.clientsMu.Unlock()
	if err != nil {
		p.opts.Logger.Error("mockidp: save clients file", "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "could not save the clients file"})
		return
	}
	writeJSON(w, http.StatusOK, p.registrationAnswer(r, id, c))
}

func (p *Provider) handleRegistrationDelete(w http.ResponseWriter, r *http.Request) {
	id, old, ok := p.managedClient(w, r)
	if !ok {
		return
	}
	p.clientsMu.Lock()
	delete(p.clients, id)
	err := p.saveClientsLocked()
	if err != nil {
		p.clients[id] = old
	}
	p.clientsMu.Unlock()
	if err != nil {
		p.opts.Logger.Error("mockidp: save clients file", "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "could not save the clients file"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// saveClientsLocked writes every client to Options.ClientsFile in the
// format of [LoadClients], leaving out empty settings.
func (p *Provider) saveClientsLocked() error {
	if p.opts.ClientsFile == "" {
		return nil
	}
	data, err := MarshalClients(p.clients)
	if err != nil {
		return err
	}
	return atomicfile.Write(p.opts.ClientsFile, data, 0o600)
}

// MarshalClients returns a clients file (see [LoadClients]) holding
// clients; [ParseClients] reads it back.
func MarshalClients(clients map[string]Client) ([]byte, error) {
	out := make(map[string]map[string]any, len(clients))
	for _, id := range slices.Sorted(maps.Keys(clients)) {
		c := clients[id]
		m := map[string]any{}
		set := func(k string, v any, empty bool) {
			if !empty {
				m[k] = v
			}
		}
		set("client_secret", c.Secret, c.Secret == "")
		set("audience", c.Audience, c.Audience == "")
		set("sub", c.Sub, c.Sub == "")
		set("scope", c.Scope, c.Scope == "")
		set("permissions", []string(c.Permissions), len(c.Permissions) == 0)
		set("roles", []string(c.Roles), len(c.Roles) == 0)
		set("groups", []string(c.Groups), len(c.Groups) == 0)
		set("redirect_uris", c.RedirectURIs, len(c.RedirectURIs) == 0)
		set("post_logout_redirect_uris", c.PostLogoutRedirectURIs, len(c.PostLogoutRedirectURIs) == 0)
		set("require_pkce", c.RequirePKCE, !c.RequirePKCE)
		set("claims", c.Claims, len(c.Claims) == 0)
		set("grant_types", c.GrantTypes, len(c.GrantTypes) == 0)
		set("client_name", c.ClientName, c.ClientName == "")
		set("token_endpoint_auth_method", c.TokenEndpointAuthMethod, c.TokenEndpointAuthMethod == "")
		set("client_id_issued_at", c.IssuedAt, c.IssuedAt == 0)
		set("registration_token_sha256", c.RegistrationTokenSHA256, c.RegistrationTokenSHA256 == "")
		out[id] = m
	}
	data, err := yaml.Marshal(map[string]any{"clients": out})
	if err != nil {
		return nil, fmt.Errorf("mockidp: clients file: %w", err)
	}
	return append([]byte("# Written by mockidp: registered clients are added here.\n"), data...), nil
}
