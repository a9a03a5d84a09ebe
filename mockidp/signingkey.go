package mockidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/oauthgate/oauthgate/internal/pemkey"
)

// keyAlgorithm is the algorithm a signing key signs with: RS256 for RSA,
// ES256 for EC P-256, EdDSA for Ed25519; "" for any other key (an EC key
// on another curve included: its tokens would need another at_hash).
func keyAlgorithm(k crypto.Signer) jose.SignatureAlgorithm {
	switch a := pemkey.Algorithm(k); a {
	case "RS256", "ES256", "EdDSA":
		return jose.SignatureAlgorithm(a)
	}
	return ""
}

// describeKey names a key's type, and its curve for an EC key.
func describeKey(k crypto.Signer) string {
	if ec, ok := k.(*ecdsa.PrivateKey); ok {
		return "an EC key on " + ec.Curve.Params().Name
	}
	return fmt.Sprintf("%T", k)
}

// checkSigningKey refuses a key too weak to sign with, by pemkey's rule.
func checkSigningKey(k crypto.Signer) error {
	if err := pemkey.CheckPrivateKey(k); err != nil {
		return fmt.Errorf("mockidp: %w", err)
	}
	return nil
}

// accessTokenHash is at_hash (OIDC Core §3.1.3.6): the left half of the
// hash of the token, SHA-256 for RS256 and ES256, SHA-512 for EdDSA
// (Ed25519, as the OpenID Foundation's registry says).
func accessTokenHash(alg jose.SignatureAlgorithm, token string) string {
	var sum []byte
	if alg == jose.EdDSA {
		s := sha512.Sum512([]byte(token))
		sum = s[:]
	} else {
		s := sha256.Sum256([]byte(token))
		sum = s[:]
	}
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// Algorithm returns the algorithm the provider signs with: RS256, ES256
// or EdDSA.
func (p *Provider) Algorithm() string { return string(p.keys.alg) }
