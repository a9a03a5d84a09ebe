package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ownLeeway is the clock skew tolerated on the app's own tokens
// (several replicas of the app may verify them).
const ownLeeway = 30 * time.Second

// ownAlgs are the algorithms the parser lets through; each key then pins
// its own.
var ownAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// Issuer implements [MachineIssuer]: the iss of the app's own tokens.
func (g *clientGrant) Issuer() string { return g.issuer }

// Version implements [MachineIssuer]: it changes whenever a client may
// have changed.
func (g *clientGrant) Version() uint64 { return g.version() }

// Verify implements [MachineIssuer]: it checks one of the app's own
// tokens locally (no fetch): a kid of the current or a previous key, that
// key's algorithm, the signature, iss, exp, nbf, iat, aud, and that its
// client still exists, is enabled and may still use the token's audience.
func (g *clientGrant) Verify(ctx context.Context, tok, aud string, now time.Time) (*Machine, error) {
	c, err := g.verifyAudience(ctx, tok, now, aud)
	if err != nil {
		return nil, err
	}
	return c.machine(), nil
}

// verifyAudience is verify with aud, when not empty, as the one accepted
// audience (instead of client_credentials.audiences or the client's).
func (g *clientGrant) verifyAudience(ctx context.Context, tok string, now time.Time, aud string) (*machineClaims, error) {
	if !g.keys.built.Load() {
		// No token was ever signed: do not make a key for a stranger's.
		return nil, fmt.Errorf("auth: no token was signed yet: %w", ErrTokenInvalid)
	}
	ring, err := g.keys.get()
	if err != nil {
		return nil, fmt.Errorf("auth: no signing key: %w: %w", ErrTokenInvalid, err)
	}
	jws, err := jose.ParseSignedCompact(tok, ownAlgs)
	if err != nil {
		return nil, fmt.Errorf("auth: malformed JWT: %w: %w", ErrTokenInvalid, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("auth: JWT with several signatures: %w", ErrTokenInvalid)
	}
	h := jws.Signatures[0].Protected
	key := ring.byKid[h.KeyID]
	if key == nil {
		return nil, fmt.Errorf("auth: JWT of an unknown key id: %w", ErrTokenInvalid)
	}
	if h.Algorithm != string(key.alg) {
		return nil, fmt.Errorf("auth: JWT signed with %s, its key is %s: %w", h.Algorithm, key.alg, ErrTokenInvalid)
	}
	payload, err := jws.Verify(&key.public)
	if err != nil {
		return nil, fmt.Errorf("auth: JWT signature: %w: %w", ErrTokenInvalid, err)
	}
	var std struct {
		Issuer   string     `json:"iss"`
		Subject  string     `json:"sub"`
		Audience stringList `json:"aud"`
		IssuedAt *float64   `json:"iat"`
		Expiry   *float64   `json:"exp"`
	}
	c := &machineClaims{}
	if json.Unmarshal(payload, &std) != nil || json.Unmarshal(payload, c) != nil {
		return nil, fmt.Errorf("auth: JWT claims: %w", ErrTokenInvalid)
	}
	switch {
	case std.Issuer != g.issuer:
		return nil, fmt.Errorf("auth: JWT of another issuer: %w", ErrTokenInvalid)
	case std.Expiry == nil:
		return nil, fmt.Errorf("auth: JWT without exp: %w", ErrTokenInvalid)
	case std.Subject == "" || c.ClientID == "":
		return nil, fmt.Errorf("auth: JWT without sub or client_id: %w", ErrTokenInvalid)
	}
	c.Issuer, c.Subject = std.Issuer, std.Subject
	c.ExpiresAt = time.Unix(int64(*std.Expiry), 0).Add(ownLeeway)
	if std.IssuedAt != nil {
		c.IssuedAt = time.Unix(int64(*std.IssuedAt), 0)
	}
	switch {
	case !now.Before(c.ExpiresAt):
		return nil, fmt.Errorf("auth: JWT expired: %w", ErrTokenExpired)
	case c.NotBefore != nil && now.Add(ownLeeway).Before(time.Unix(int64(*c.NotBefore), 0)):
		return nil, fmt.Errorf("auth: JWT not valid yet (nbf): %w", ErrTokenInvalid)
	case c.IssuedAt.After(now.Add(ownLeeway)):
		return nil, fmt.Errorf("auth: JWT issued in the future: %w", ErrTokenInvalid)
	}
	accepted := g.audiences
	if aud != "" {
		accepted = []string{aud}
	}
	if len(accepted) > 0 && !intersects(std.Audience, accepted) {
		return nil, fmt.Errorf("auth: JWT for another audience: %w", ErrTokenInvalid)
	}
	c.Audience = slices.Clip([]string(std.Audience))
	if err := g.stillValid(ctx, c.ClientID, c.Audience); err != nil {
		return nil, err
	}
	return c, nil
}

// stillValid checks that the client of a token still exists, is enabled
// and may still use the token's audience. The store answers from memory.
func (g *clientGrant) stillValid(ctx context.Context, clientID string, aud []string) error {
	cl, ok, err := g.client(ctx, clientID)
	switch {
	case err != nil:
		return fmt.Errorf("auth: client %s: %w: %w", clientID, ErrTokenInvalid, err)
	case !ok:
		return fmt.Errorf("auth: client %s was removed: %w", clientID, ErrTokenRevoked)
	case cl.Disabled:
		return fmt.Errorf("auth: client %s is disabled: %w", clientID, ErrTokenRevoked)
	case len(g.audiences) == 0 && !intersects(aud, clientAudiences(cl, g.issuer)):
		return fmt.Errorf("auth: JWT for an audience its client may not use: %w", ErrTokenInvalid)
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
