package clientcreds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/auth"
)

// ownLeeway is the clock skew tolerated on the app's own tokens
// (several replicas of the app may verify them).
const ownLeeway = 30 * time.Second

// ownAlgs are the algorithms the parser lets through; each key then pins
// its own.
var ownAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// Issuer implements [auth.MachineIssuer]: the iss of the tokens.
func (g *Issuer) Issuer() string { return g.issuer }

// Version implements [auth.MachineIssuer]: it changes whenever a client
// may have changed.
func (g *Issuer) Version() uint64 { return g.version() }

// Verify implements [auth.MachineIssuer]: it checks one of its tokens
// locally (no fetch): a kid of the current or a previous key, that key's
// algorithm, the signature, iss, exp, nbf, iat, aud (aud when not empty,
// else client_credentials.audiences or the client's), and that its client
// still exists, is enabled and may still use the token's audience.
func (g *Issuer) Verify(ctx context.Context, tok, aud string, now time.Time) (*auth.Machine, error) {
	if !g.keys.built.Load() {
		// No token was ever signed: do not make a key for a stranger's.
		return nil, fmt.Errorf("clientcreds: no token was signed yet: %w", auth.ErrTokenInvalid)
	}
	ring, err := g.keys.get()
	if err != nil {
		return nil, fmt.Errorf("clientcreds: no signing key: %w: %w", auth.ErrTokenInvalid, err)
	}
	jws, err := jose.ParseSignedCompact(tok, ownAlgs)
	if err != nil {
		return nil, fmt.Errorf("clientcreds: malformed JWT: %w: %w", auth.ErrTokenInvalid, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("clientcreds: JWT with several signatures: %w", auth.ErrTokenInvalid)
	}
	h := jws.Signatures[0].Protected
	key := ring.byKid[h.KeyID]
	if key == nil {
		return nil, fmt.Errorf("clientcreds: JWT of an unknown key id: %w", auth.ErrTokenInvalid)
	}
	if h.Algorithm != string(key.alg) {
		return nil, fmt.Errorf("clientcreds: JWT signed with %s, its key is %s: %w", h.Algorithm, key.alg, auth.ErrTokenInvalid)
	}
	payload, err := jws.Verify(&key.public)
	if err != nil {
		return nil, fmt.Errorf("clientcreds: JWT signature: %w: %w", auth.ErrTokenInvalid, err)
	}
	var c claims
	if json.Unmarshal(payload, &c) != nil {
		return nil, fmt.Errorf("clientcreds: JWT claims: %w", auth.ErrTokenInvalid)
	}
	switch {
	case c.Issuer != g.issuer:
		return nil, fmt.Errorf("clientcreds: JWT of another issuer: %w", auth.ErrTokenInvalid)
	case c.Expiry == nil:
		return nil, fmt.Errorf("clientcreds: JWT without exp: %w", auth.ErrTokenInvalid)
	case c.Subject == "" || c.ClientID == "":
		return nil, fmt.Errorf("clientcreds: JWT without sub or client_id: %w", auth.ErrTokenInvalid)
	}
	mi := &auth.Machine{
		Issuer: c.Issuer, Subject: c.Subject, ClientID: c.ClientID, ID: c.ID,
		ExpiresAt: time.Unix(int64(*c.Expiry), 0).Add(ownLeeway), HasScope: c.Scope != nil,
		Permissions: slices.Clip([]string(c.Permissions)), Roles: slices.Clip([]string(c.Roles)), Groups: slices.Clip([]string(c.Groups)),
	}
	if c.Scope != nil {
		mi.Scopes = strings.Fields(*c.Scope)
	}
	if c.IssuedAt != nil {
		mi.IssuedAt = time.Unix(int64(*c.IssuedAt), 0)
	}
	switch {
	case !now.Before(mi.ExpiresAt):
		return nil, fmt.Errorf("clientcreds: JWT expired: %w", auth.ErrTokenExpired)
	case c.NotBefore != nil && now.Add(ownLeeway).Before(time.Unix(int64(*c.NotBefore), 0)):
		return nil, fmt.Errorf("clientcreds: JWT not valid yet (nbf): %w", auth.ErrTokenInvalid)
	case mi.IssuedAt.After(now.Add(ownLeeway)):
		return nil, fmt.Errorf("clientcreds: JWT issued in the future: %w", auth.ErrTokenInvalid)
	}
	accepted := g.audiences
	if aud != "" {
		accepted = []string{aud}
	}
	if len(accepted) > 0 && !intersects(c.Audience, accepted) {
		return nil, fmt.Errorf("clientcreds: JWT for another audience: %w", auth.ErrTokenInvalid)
	}
	mi.Audience = slices.Clip([]string(c.Audience))
	if err := g.stillValid(ctx, c.ClientID, mi.Audience); err != nil {
		return nil, err
	}
	return mi, nil
}

// claims are those of a token as read back: the registered ones, and
// lists that another issuer may write as one string.
type claims struct {
	Issuer      string     `json:"iss"`
	Subject     string     `json:"sub"`
	Audience    stringList `json:"aud"`
	IssuedAt    *float64   `json:"iat"`
	Expiry      *float64   `json:"exp"`
	NotBefore   *float64   `json:"nbf"`
	ID          string     `json:"jti"`
	ClientID    string     `json:"client_id"`
	Scope       *string    `json:"scope"` // nil: no scope claim
	Permissions stringList `json:"permissions"`
	Roles       stringList `json:"roles"`
	Groups      stringList `json:"groups"`
}

// stringList is a JSON list of strings that may also be one string.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("clientcreds: expected a string or a list of strings")
	}
	*l = many
	return nil
}

// stillValid checks that the client of a token still exists, is enabled
// and may still use the token's audience. The store answers from memory.
func (g *Issuer) stillValid(ctx context.Context, clientID string, aud []string) error {
	cl, ok, err := g.client(ctx, clientID)
	switch {
	case err != nil:
		return fmt.Errorf("clientcreds: client %s: %w: %w", clientID, auth.ErrTokenInvalid, err)
	case !ok:
		return fmt.Errorf("clientcreds: client %s was removed: %w", clientID, auth.ErrTokenRevoked)
	case cl.Disabled:
		return fmt.Errorf("clientcreds: client %s is disabled: %w", clientID, auth.ErrTokenRevoked)
	case len(g.audiences) == 0 && !intersects(aud, clientAudiences(cl, g.issuer)):
		return fmt.Errorf("clientcreds: JWT for an audience its client may not use: %w", auth.ErrTokenInvalid)
	}
	return nil
}

func intersects(a, b []string) bool {
	for _, v := range a {
		if slices.Contains(b, v) {
			return true
		}
	}
	return false
}
