package mockidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// signingKey is one key pair with its ready signers.
type signingKey struct {
	kid      string
	alg      jose.SignatureAlgorithm
	private  crypto.Signer
	public   jose.JSONWebKey
	jwt      jose.Signer // typ JWT (ID tokens)
	atJWT    jose.Signer // typ at+jwt (RFC 9068 access tokens)
	retireAt time.Time   // zero while current
}

func parseAlgorithm(name string) (jose.SignatureAlgorithm, error) {
	switch name {
	case "RS256":
		return jose.RS256, nil
	case "ES256":
		return jose.ES256, nil
	case "EdDSA":
		return jose.EdDSA, nil
	}
	return "", fmt.Errorf("mockidp: unsupported signing algorithm %q (want RS256, ES256 or EdDSA)", name)
}

func generateKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jose.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return rsa.GenerateKey(rand.Reader, 2048)
}

func newSigningKey(alg jose.SignatureAlgorithm, priv crypto.Signer) (*signingKey, error) {
	if priv == nil {
		var err error
		if priv, err = generateKey(alg); err != nil {
			return nil, fmt.Errorf("mockidp: generate key: %w", err)
		}
	}
	if want := keyAlgorithm(priv); want != alg {
		if want == "" {
			return nil, fmt.Errorf("mockidp: unsupported signing key (%s): use RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA)", describeKey(priv))
		}
		return nil, fmt.Errorf("mockidp: this signing key signs with %s, not %s", want, alg)
	}
	if err := checkSigningKey(priv); err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("mockidp: key thumbprint: %w", err)
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	k := &signingKey{kid: pub.KeyID, alg: alg, private: priv, public: pub}
	signing := jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: priv, KeyID: pub.KeyID}}
	if k.jwt, err = jose.NewSigner(signing, (&jose.SignerOptions{}).WithType("JWT")); err != nil {
		return nil, fmt.Errorf("mockidp: signer: %w", err)
	}
	if k.atJWT, err = jose.NewSigner(signing, (&jose.SignerOptions{}).WithType("at+jwt")); err != nil {
		return nil, fmt.Errorf("mockidp: signer: %w", err)
	}
	return k, nil
}

// publicPEM is the PKIX PEM of the public key: the bytes a careless
// verifier would use as an HMAC secret in the key-confusion attack.
func (k *signingKey) publicPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.private.Public())
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// keyRing holds the current key and the rotated-out keys still published.
type keyRing struct {
	alg   jose.SignatureAlgorithm
	grace time.Duration
	now   func() time.Time

	mu       sync.RWMutex
	current  *signingKey
	previous []*signingKey
	jwks     []byte // cached JSON; nil when it must be rebuilt
	stranger *signingKey
}

func newKeyRing(alg jose.SignatureAlgorithm, first crypto.Signer, grace time.Duration, now func() time.Time) (*keyRing, error) {
	k, err := newSigningKey(alg, first)
	if err != nil {
		return nil, err
	}
	return &keyRing{alg: alg, grace: grace, now: now, current: k}, nil
}

func (r *keyRing) currentKey() *signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// rotate makes a new key current; the old one stays published for the
// grace period.
func (r *keyRing) rotate() (string, error) {
	k, err := newSigningKey(r.alg, nil)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.current
	old.retireAt = r.now().Add(r.grace)
	r.previous = append(r.previous, old)
	r.current = k
	r.jwks = nil
	return k.kid, nil
}

// published returns the keys in the JWKS now, current first.
func (r *keyRing) published() []*signingKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneLocked()
	return append([]*signingKey{r.current}, r.previous...)
}

// pruneLocked drops keys whose grace period is over.
func (r *keyRing) pruneLocked() {
	now := r.now()
	kept := r.previous[:0]
	for _, k := range r.previous {
		if now.Before(k.retireAt) {
			kept = append(kept, k)
		}
	}
	if len(kept) != len(r.previous) {
		r.jwks = nil
	}
	r.previous = kept
}

func (r *keyRing) jwksJSON() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneLocked()
	if r.jwks != nil {
		return r.jwks
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{r.current.public}}
	for _, k := range r.previous {
		set.Keys = append(set.Keys, k.public)
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic("mockidp: marshal JWKS: " + err.Error()) // public keys always marshal
	}
	r.jwks = b
	return b
}

// lookup returns the published key with this kid.
func (r *keyRing) lookup(kid string) *signingKey {
	for _, k := range r.published() {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// strangerKey is a key never published, made once on first use.
func (r *keyRing) strangerKey() (*signingKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stranger == nil {
		k, err := newSigningKey(r.alg, nil)
		if err != nil {
			return nil, err
		}
		r.stranger = k
	}
	return r.stranger, nil
}

// verify checks a JWT signed by one of the published keys and returns its
// payload and header type.
func (r *keyRing) verify(raw string) ([]byte, string, error) {
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{r.alg})
	if err != nil {
		return nil, "", fmt.Errorf("mockidp: malformed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", errors.New("mockidp: token must have one signature")
	}
	h := jws.Signatures[0].Header
	k := r.lookup(h.KeyID)
	if k == nil {
		return nil, "", errors.New("mockidp: token signed by an unknown key")
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return nil, "", fmt.Errorf("mockidp: bad token signature: %w", err)
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	return payload, typ, nil
}
