package mockidp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// The client registered when [Options.Clients] is nil. It may use any
// loopback redirect URI.
const (
	DemoClientID     = "oauthgate-demo"
	DemoClientSecret = "oauthgate-demo-secret"
)

// Client is a registered OAuth client. The YAML keys are those of
// simple_oauth_server's clients file, plus redirect URI and PKCE settings.
type Client struct {
	// Secret authenticates the client (client_secret_basic or
	// client_secret_post). Empty makes a public client, which must use PKCE
	// and cannot use client_credentials.
	Secret string `yaml:"client_secret"`
	// Audience is the aud of client_credentials access tokens (default: the
	// client ID). A request's audience parameter must match it.
	Audience string `yaml:"audience"`
	// Sub is the sub of client_credentials access tokens (default: the
	// client ID).
	Sub string `yaml:"sub"`
	// Scope is the space-separated scope granted to client_credentials
	// tokens; a request may ask for a subset. Empty grants any requested scope.
	Scope string `yaml:"scope"`
	// Permissions, Roles and Groups are copied into client_credentials
	// access tokens. In YAML each is a string or a list.
	Permissions StringList `yaml:"permissions"`
	Roles       StringList `yaml:"roles"`
	Groups      StringList `yaml:"groups"`
	// RedirectURIs are the exact redirect URIs the client may use (a
	// loopback URI matches on any port, as RFC 8252 asks). Empty allows any
	// loopback URI: http or https on localhost, 127.0.0.0/8 or [::1].
	RedirectURIs []string `yaml:"redirect_uris"`
	// PostLogoutRedirectURIs are checked at end_session the same way. Empty
	// falls back to RedirectURIs' rule.
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris"`
	// RequirePKCE refuses authorize requests without a S256 code_challenge.
	// Public clients always require it.
	RequirePKCE bool `yaml:"require_pkce"`
	// Claims are extra claims for client_credentials access tokens.
	Claims map[string]any `yaml:"claims"`
	// GrantTypes, if set, are the only grant types the client may use.
	GrantTypes []string `yaml:"grant_types"`
	// The other RFC 7591 metadata of a registered client.
	ClientName              string `yaml:"client_name"`
	TokenEndpointAuthMethod string `yaml:"token_endpoint_auth_method"`
	IssuedAt                int64  `yaml:"client_id_issued_at"`
	// RegistrationTokenSHA256 is the hex SHA-256 of the client's RFC 7592
	// registration access token; empty: not manageable at /register.
	RegistrationTokenSHA256 string `yaml:"registration_token_sha256"`
}

// StringList is a list of strings that YAML may also give as one string
// (roles: admin, or roles: [admin, ops]).
type StringList = confdecode.StringList

// DemoClients returns a new map holding the demo client and the public
// demo client of the /demo/spa page ([DemoSPAClientID]).
func DemoClients() map[string]Client {
	return map[string]Client{DemoClientID: {Secret: DemoClientSecret}, DemoSPAClientID: {}}
}

// LoadClients reads a YAML file of the form
//
//	clients:
//	  client1: {client_secret: s, audience: api, sub: client1-subject, scope: "read:data", permissions: [read:data]}
//
// as simple_oauth_server uses. Unknown keys are an error.
func LoadClients(path string) (map[string]Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mockidp: clients file: %w", err)
	}
	clients, err := ParseClients(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return clients, nil
}

// ParseClients parses the YAML of a clients file (see [LoadClients]),
// with the rules of oauthgate's configuration files (values as written):
// an unknown key names the key meant, and every problem is reported.
func ParseClients(data []byte) (map[string]Client, error) {
	doc, err := confdecode.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("mockidp: clients file: %w", err)
	}
	if doc == nil {
		return nil, errors.New("mockidp: clients file is empty")
	}
	var file struct {
		Clients map[string]Client `yaml:"clients"`
	}
	if _, err := confdecode.Decode(doc, &file, confdecode.Options{}); err != nil {
		return nil, fmt.Errorf("mockidp: clients file: %w", err)
	}
	if file.Clients == nil {
		return nil, errors.New("mockidp: clients file: no clients: key")
	}
	for id, c := range file.Clients {
		if err := c.validate(id); err != nil {
			return nil, err
		}
	}
	return file.Clients, nil
}

func (c Client) validate(id string) error {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, ":\x00") {
		return fmt.Errorf("mockidp: client id %q: must be non-empty and without ':'", id)
	}
	for _, list := range [][]string{c.RedirectURIs, c.PostLogoutRedirectURIs} {
		for _, raw := range list {
			u, err := url.Parse(raw)
			if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
				return fmt.Errorf("mockidp: client %q: redirect URI %q must be absolute, with a host and no fragment", id, raw)
			}
		}
	}
	return nil
}

func (c Client) public() bool { return c.Secret == "" }

// redirectAllowed reports whether raw may receive the authorization
// response (or the post-logout redirect when logout is true).
func (c Client) redirectAllowed(raw string, logout bool) bool {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil {
		return false
	}
	registered := c.RedirectURIs
	if logout && len(c.PostLogoutRedirectURIs) > 0 {
		registered = c.PostLogoutRedirectURIs
	}
	if len(registered) == 0 {
		return isLoopbackURL(u)
	}
	for _, r := range registered {
		if r == raw {
			return true
		}
		ru, err := url.Parse(r)
		if err == nil && isLoopbackURL(ru) && isLoopbackURL(u) &&
			ru.Scheme == u.Scheme && ru.Hostname() == u.Hostname() &&
			ru.Path == u.Path && ru.RawQuery == u.RawQuery {
			return true // RFC 8252 §7.3: any port on loopback.
		}
	}
	return false
}

func isLoopbackURL(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
