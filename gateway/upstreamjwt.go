package gateway

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/pemkey"
)

// UpstreamJWKSPath is the path, under the auth prefix, of the public keys
// of the JWTs sent upstream.
const UpstreamJWKSPath = "/.well-known/upstream-jwks.json"

// jwtSigner signs the identity JWTs sent upstream. It is kept across
// reloads while upstream_jwt.key_file does not change, so that upstreams
// keep verifying with the keys they fetched.
type jwtSigner struct {
	keyFile string
	signer  jose.Signer
	jwks    []byte // {"keys": [the public key]}
}

func newJWTSigner(keyFile string) (*jwtSigner, error) {
	var key crypto.Signer
	if keyFile == "" {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		key = k
	} else {
		k, err := pemkey.ReadPrivateKey(keyFile)
		if err != nil {
			return nil, &auth.ConfigError{Key: "upstream_jwt.key_file", Reason: "cannot use the key", Err: err}
		}
		key = k
	}
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		case elliptic.P521():
			alg = jose.ES512
		default:
			return nil, &auth.ConfigError{Key: "upstream_jwt.key_file", Reason: "unsupported EC curve"}
		}
	case *rsa.PrivateKey: // of at least pemkey.MinRSABits
		alg = jose.RS256
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	default:
		return nil, &auth.ConfigError{Key: "upstream_jwt.key_file", Reason: "unsupported key type"}
	}
	pub := jose.JSONWebKey{Key: key.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: pub.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if err != nil {
		return nil, err
	}
	return &jwtSigner{keyFile: keyFile, signer: s, jwks: jwks}, nil
}

// upstreamClaims are the claims of the JWT sent upstream.
type upstreamClaims struct {
	jwt.Claims
	Email        string   `json:"email,omitempty"`
	Kind         string   `json:"kind"`
	Capabilities []string `json:"capabilities"`
}

// sign returns a JWT describing id, valid for ttl.
func (s *jwtSigner) sign(j *UpstreamJWT, id *auth.Identity, now time.Time) (string, error) {
	sub := id.Email
	if id.Kind == auth.KindClient {
		sub = id.Subject
	}
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	c := upstreamClaims{
		Claims: jwt.Claims{
			Issuer: j.Issuer, Subject: sub, Audience: jwt.Audience{j.Audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
			Expiry: jwt.NewNumericDate(now.Add(j.TTL)), ID: base64.RawURLEncoding.EncodeToString(jti[:]),
		},
		Email: id.Email, Kind: id.Kind.String(), Capabilities: id.Capabilities(),
	}
	return jwt.Signed(s.signer).Claims(c).Serialize()
}

// idHeaders are the identity headers of one identity, computed once: the
// Manager shares an *auth.Identity between the requests of one session or
// token, so they are cached by pointer.
type idHeaders struct {
	user, caps string

	mu     sync.Mutex
	jwt    string
	jwtExp time.Time
}

// token returns a cached JWT for id while more than half its life is
// left, else a new one.
func (h *idHeaders) token(s *jwtSigner, j *UpstreamJWT, id *auth.Identity, now time.Time) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.jwt != "" && now.Add(j.TTL/2).Before(h.jwtExp) {
		return h.jwt, nil
	}
	tok, err := s.sign(j, id, now)
	if err != nil {
		return "", err
	}
	h.jwt, h.jwtExp = tok, now.Add(j.TTL)
	return tok, nil
}
