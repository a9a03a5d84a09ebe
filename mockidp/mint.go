package mockidp

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MintOptions describes a token minted directly, without a login flow.
type MintOptions struct {
	// ClientID is the audience (default [DemoClientID]).
	ClientID string
	// Email is the user (default: the provider's current default email).
	Email string
	// Nonce, if set, is the ID token's nonce.
	Nonce string
	// Scope is the access token's scope (default "openid email profile").
	Scope string
	// Claims are extra claims (protocol claims such as iss cannot be set).
	Claims map[string]any
	// TTL is the token's life (default: the provider's ID or access token TTL).
	TTL time.Duration
	// Fault, if an ID token fault, is applied to the minted ID token.
	Fault Fault
}

func (p *Provider) mintDefaults(o MintOptions) (MintOptions, string, error) {
	iss := p.Issuer()
	if iss == "" {
		return o, "", errors.New("mockidp: mint: the issuer is not known yet (set Options.Issuer or call SetIssuer)")
	}
	if o.ClientID == "" {
		o.ClientID = DemoClientID
	}
	if o.Email == "" {
		o.Email = p.Email()
	}
	if err := checkEmail(o.Email); err != nil {
		return o, "", err
	}
	if o.Scope == "" {
		o.Scope = "openid email profile"
	}
	if o.Fault != "" && o.Fault.kind() != idTokenFault {
		return o, "", fmt.Errorf("mockidp: mint: %q is not an ID token fault", o.Fault)
	}
	if !p.opts.Mode.idTokens() {
		return o, "", fmt.Errorf("mockidp: mint: mode %s issues no JWTs", p.opts.Mode)
	}
	return o, iss, nil
}

// MintIDToken returns an ID token signed by the current key, as the token
// endpoint would issue it after a login of o.Email. It needs a known issuer.
func (p *Provider) MintIDToken(o MintOptions) (string, error) {
	o, iss, err := p.mintDefaults(o)
	if err != nil {
		return "", err
	}
	now := p.opts.Now()
	l := p.resolve(login{email: o.Email, claims: o.Claims})
	c := p.idTokenClaims(iss, o.ClientID, l, o.Nonce, "", "", now, now)
	if o.TTL > 0 {
		c["exp"] = now.Add(o.TTL).Unix()
	}
	if p.opts.Mode == ModeMicrosoft {
		o.Fault = microsoftClaims(c, iss, o.Scope, l, o.Fault)
	}
	return p.signIDToken(c, o.Fault)
}

// MintAccessToken returns a JWT access token (RFC 9068, typ at+jwt) for
// o.Email, which userinfo accepts until it expires or is revoked.
func (p *Provider) MintAccessToken(o MintOptions) (string, error) {
	o, iss, err := p.mintDefaults(o)
	if err != nil {
		return "", err
	}
	if o.Fault != "" {
		return "", errors.New("mockidp: mint: faults apply to ID tokens only")
	}
	ttl := o.TTL
	if ttl <= 0 {
		ttl = p.opts.AccessTokenTTL
	}
	now := p.opts.Now()
	l := p.resolve(login{email: o.Email, claims: o.Claims})
	c := map[string]any{}
	for k, v := range l.claims {
		if !protectedClaims[k] {
			c[k] = v
		}
	}
	c["iss"], c["sub"], c["aud"], c["client_id"] = iss, l.sub, o.ClientID, o.ClientID
	c["iat"], c["exp"], c["jti"] = now.Unix(), now.Add(ttl).Unix(), randomToken()
	c["scope"], c["email"] = o.Scope, l.email
	if _, ok := c["name"]; !ok {
		c["name"] = l.name
	}
	return p.signAccessToken(c)
}

// MintClientToken returns the access token a client_credentials grant of
// this registered client would get.
func (p *Provider) MintClientToken(clientID string) (string, error) {
	iss := p.Issuer()
	if iss == "" {
		return "", errors.New("mockidp: mint: the issuer is not known yet (set Options.Issuer or call SetIssuer)")
	}
	c, ok := p.lookupClient(clientID)
	if !ok {
		return "", fmt.Errorf("mockidp: mint: unknown client %q", clientID)
	}
	return p.mintClientToken(iss, clientID, c, c.Scope, p.opts.AccessTokenTTL)
}

// mintClientToken makes a client_credentials JWT access token with the
// claims simple_oauth_server issues (scope, permissions, roles, groups).
func (p *Provider) mintClientToken(iss, clientID string, client Client, scope string, ttl time.Duration) (string, error) {
	now := p.opts.Now()
	c := map[string]any{}
	for k, v := range client.Claims {
		if !protectedClaims[k] {
			c[k] = v
		}
	}
	sub := client.Sub
	if sub == "" {
		sub = clientID
	}
	c["iss"], c["sub"], c["aud"], c["client_id"] = iss, sub, client.audience(clientID), clientID
	c["iat"], c["exp"], c["jti"] = now.Unix(), now.Add(ttl).Unix(), randomToken()
	if scope != "" {
		c["scope"] = scope
	}
	for name, list := range map[string]StringList{"permissions": client.Permissions, "roles": client.Roles, "groups": client.Groups} {
		if len(list) > 0 {
			c[name] = []string(list)
		}
	}
	return p.signAccessToken(c)
}

func (p *Provider) signAccessToken(c map[string]any) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mockidp: encode claims: %w", err)
	}
	return sign(p.keys.currentKey().atJWT, payload)
}

// jwtAccessClaims are the claims userinfo and revocation read from a JWT
// access token.
type jwtAccessClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	Expiry   int64  `json:"exp"`
	ID       string `json:"jti"`
	Scope    string `json:"scope"`
	Email    string `json:"email"`
	SID      string `json:"sid"` // set in code-flow tokens: revoked with their session
}

// verifyAccessJWT checks a JWT access token this provider signed.
func (p *Provider) verifyAccessJWT(raw string) (jwtAccessClaims, map[string]any, error) {
	var c jwtAccessClaims
	payload, typ, err := p.keys.verify(raw)
	if err != nil {
		return c, nil, err
	}
	if typ != "at+jwt" {
		return c, nil, errors.New("mockidp: not an access token")
	}
	all := map[string]any{}
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, nil, fmt.Errorf("mockidp: access token claims: %w", err)
	}
	if err := json.Unmarshal(payload, &all); err != nil {
		return c, nil, fmt.Errorf("mockidp: access token claims: %w", err)
	}
	return c, all, nil
}
