package mockidp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// protectedClaims cannot be overridden by a login's extra claims.
var protectedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "azp": true, "exp": true, "iat": true, "nbf": true,
	"auth_time": true, "nonce": true, "at_hash": true, "c_hash": true, "sid": true, "jti": true,
	"email": true,
}

// otherAudience is the audience of faults that name another client.
const otherAudience = "another-client"

// idTokenClaims builds an ID token's claims (OIDC Core §2, §5.1).
func (p *Provider) idTokenClaims(iss, clientID string, l login, nonce, sid, accessToken string, authTime, now time.Time) map[string]any {
	c := make(map[string]any, 14+len(l.claims))
	for k, v := range l.claims {
		if !protectedClaims[k] {
			c[k] = v
		}
	}
	c["iss"] = iss
	c["sub"] = l.sub
	c["aud"] = clientID
	c["azp"] = clientID
	c["iat"] = now.Unix()
	c["exp"] = now.Add(p.opts.IDTokenTTL).Unix()
	c["auth_time"] = authTime.Unix()
	c["email"] = l.email
	if nonce != "" {
		c["nonce"] = nonce
	}
	if sid != "" {
		c["sid"] = sid
	}
	if accessToken != "" {
		c["at_hash"] = accessTokenHash(p.keys.alg, accessToken)
	}
	if _, ok := c["email_verified"]; !ok {
		c["email_verified"] = true
	}
	if _, ok := c["name"]; !ok {
		c["name"] = l.name
	}
	return c
}

// applyClaimFault changes the claims as a claim fault asks.
func applyClaimFault(c map[string]any, f Fault, now time.Time, ttl time.Duration) {
	switch f {
	case FaultWrongIssuer:
		c["iss"] = "https://wrong-issuer.invalid"
	case FaultWrongAudience:
		c["aud"], c["azp"] = otherAudience, otherAudience
	case FaultExpired:
		c["iat"] = now.Add(-2 * time.Hour).Unix()
		c["auth_time"] = now.Add(-2 * time.Hour).Unix()
		c["exp"] = now.Add(-time.Hour).Unix()
	case FaultIssuedInFuture:
		c["iat"] = now.Add(time.Hour).Unix()
		c["exp"] = now.Add(time.Hour + ttl).Unix()
	case FaultWrongNonce:
		c["nonce"] = "wrong-" + randomToken()[:16]
	case FaultMissingNonce:
		delete(c, "nonce")
	case FaultMissingEmail:
		delete(c, "email")
		delete(c, "email_verified")
	case FaultEmailUnverified:
		c["email_verified"] = false
	case FaultMissingSub:
		delete(c, "sub")
	case FaultMultiAudienceNoAZP:
		c["aud"] = []any{c["aud"], otherAudience}
		delete(c, "azp")
	case FaultMultiAudienceWrongAZP:
		c["aud"] = []any{c["aud"], otherAudience}
		c["azp"] = otherAudience
	}
}

// signIDToken signs claims with the current key, applying fault f.
func (p *Provider) signIDToken(c map[string]any, f Fault) (string, error) {
	applyClaimFault(c, f, p.opts.Now(), p.opts.IDTokenTTL)
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mockidp: encode claims: %w", err)
	}
	key := p.keys.currentKey()
	switch f {
	case FaultAlgNone:
		return unsignedJWT(key.kid, payload), nil
	case FaultHS256PublicKey:
		secret, err := key.publicPEM()
		if err != nil {
			return "", fmt.Errorf("mockidp: public key PEM: %w", err)
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", key.kid))
		if err != nil {
			return "", fmt.Errorf("mockidp: HS256 signer: %w", err)
		}
		return sign(s, payload)
	case FaultUnknownKID:
		stranger, err := p.keys.strangerKey()
		if err != nil {
			return "", err
		}
		return sign(stranger.jwt, payload)
	case FaultBadSignature:
		tok, err := sign(key.jwt, payload)
		if err != nil {
			return "", err
		}
		return corruptSignature(tok)
	}
	return sign(key.jwt, payload)
}

func sign(s jose.Signer, payload []byte) (string, error) {
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("mockidp: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// unsignedJWT is an "alg":"none" JWT (RFC 7519 §6), which go-jose will not make.
func unsignedJWT(kid string, payload []byte) string {
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	enc := base64.RawURLEncoding
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "."
}

// corruptSignature flips bits in the signature of a compact JWS.
func corruptSignature(tok string) (string, error) {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) == 0 {
		return "", fmt.Errorf("mockidp: corrupt signature: %v", err)
	}
	sig[0] ^= 0xff
	sig[len(sig)/2] ^= 0x55
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig), nil
}
