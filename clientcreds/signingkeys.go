package clientcreds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/atomicfile"
	"github.com/oauthgate/oauthgate/internal/pemkey"
)

// ownKey is one key of the app's own tokens.
type ownKey struct {
	kid    string
	alg    jose.SignatureAlgorithm
	public jose.JSONWebKey
	signer jose.Signer // nil for previous keys
}

// keyRing is an immutable snapshot of the signing keys: the current key
// signs, every key verifies, the JWKS lists every public key.
type keyRing struct {
	current *ownKey
	byKid   map[string]*ownKey
	jwks    []byte
}

// signingKeys loads the keys at start-up, or generates the in-memory key
// on first use (generating an RSA key takes a noticeable time, which an
// app that never mints a token should not pay at every start).
type signingKeys struct {
	alg      jose.SignatureAlgorithm
	previous []*ownKey

	once  sync.Once
	built atomic.Bool // the ring exists (a lazy key is made on first signing)
	ring  *keyRing
	err   error
	lazy  func() (crypto.Signer, error)
}

// loadSigningKeys reads (or creates) the configured keys. A key file that
// does not exist is generated and written (mode 0600); without a file, the
// key is generated in memory on first use.
func loadSigningKeys(cfg *GrantConfig, logf func(msg string, args ...any)) (*signingKeys, error) {
	ks := &signingKeys{alg: jose.SignatureAlgorithm(cfg.Algorithm)}
	for i, path := range cfg.PreviousSigningKeyFiles {
		priv, err := pemkey.ReadPrivateKey(path)
		if err != nil {
			return nil, &auth.ConfigError{Key: fmt.Sprintf("client_credentials.previous_signing_key_files[%d]", i), Reason: "cannot use the key", Err: err}
		}
		k, err := newOwnKey(priv, false)
		if err != nil {
			return nil, &auth.ConfigError{Key: fmt.Sprintf("client_credentials.previous_signing_key_files[%d]", i), Reason: "cannot use the key", Err: err}
		}
		ks.previous = append(ks.previous, k)
	}
	var current crypto.Signer
	switch {
	case cfg.SigningKey != nil:
		current = cfg.SigningKey
	case cfg.SigningKeyFile != "":
		priv, err := pemkey.ReadPrivateKey(cfg.SigningKeyFile)
		if errors.Is(err, fs.ErrNotExist) {
			priv, err = createKeyFile(cfg.SigningKeyFile, ks.alg, logf)
		}
		if err != nil {
			return nil, &auth.ConfigError{Key: "client_credentials.signing_key_file", Reason: "cannot use the key", Err: err}
		}
		current = priv
	default:
		logf("clientcreds: the signing key of client tokens is generated in memory: tokens will not survive a restart (set client_credentials.signing_key_file)")
		alg := ks.alg
		ks.lazy = func() (crypto.Signer, error) { return generateKey(alg) }
		return ks, nil
	}
	ks.once.Do(func() {}) // built now: nothing left to do on first use
	if err := ks.build(current); err != nil {
		key := "client_credentials.signing_key_file"
		if cfg.SigningKeyFile == "" {
			key = "client_credentials.algorithm"
		}
		return nil, &auth.ConfigError{Key: key, Reason: "cannot use the key", Err: err}
	}
	return ks, nil
}

// build makes the key ring around the current key.
func (ks *signingKeys) build(priv crypto.Signer) error {
	cur, err := newOwnKey(priv, true)
	if err != nil {
		return err
	}
	if cur.alg != ks.alg {
		return fmt.Errorf("the key is for %s, not %s (client_credentials.algorithm)", cur.alg, ks.alg)
	}
	ring := &keyRing{current: cur, byKid: map[string]*ownKey{cur.kid: cur}}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{cur.public}}
	for _, k := range ks.previous {
		if _, dup := ring.byKid[k.kid]; dup {
			continue
		}
		ring.byKid[k.kid] = k
		set.Keys = append(set.Keys, k.public)
	}
	if ring.jwks, err = json.Marshal(set); err != nil {
		return err
	}
	ks.ring = ring
	ks.built.Store(true)
	return nil
}

// get returns the key ring, generating the in-memory key on first use.
func (ks *signingKeys) get() (*keyRing, error) {
	ks.once.Do(func() {
		priv, err := ks.lazy()
		if err == nil {
			err = ks.build(priv)
		}
		ks.err = err
	})
	return ks.ring, ks.err
}

// newOwnKey describes a private key: its algorithm follows its type (RSA
// → RS256, P-256 → ES256), its kid is its RFC 7638 thumbprint.
func newOwnKey(priv crypto.Signer, sign bool) (*ownKey, error) {
	if err := pemkey.CheckPrivateKey(priv); err != nil {
		return nil, err // a SigningKey set in Go; files were checked when read
	}
	var alg jose.SignatureAlgorithm
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("an ECDSA key must be on P-256 (ES256)")
		}
		alg = jose.ES256
	default:
		return nil, fmt.Errorf("unsupported key type %T: use RSA or ECDSA P-256", priv)
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: string(alg), Use: "sig"}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	k := &ownKey{kid: pub.KeyID, alg: alg, public: pub}
	if sign {
		opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), pub.KeyID)
		if k.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: priv}, opts); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func generateKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	if alg == jose.ES256 {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return rsa.GenerateKey(rand.Reader, 2048)
}

// createKeyFile generates a key and writes it to path; when another
// process wrote one first, that one is used.
func createKeyFile(path string, alg jose.SignatureAlgorithm, logf func(msg string, args ...any)) (crypto.Signer, error) {
	priv, err := generateKey(alg)
	if err != nil {
		return nil, err
	}
	switch err := writeKeyFile(path, priv); {
	case errors.Is(err, fs.ErrExist):
		return pemkey.ReadPrivateKey(path)
	case err != nil:
		return nil, err
	}
	logf("clientcreds: generated the signing key of client tokens", "file", path)
	return priv, nil
}

// writeKeyFile writes priv as PKCS#8 PEM, readable by the owner only,
// atomically, and refuses to replace a file that appeared meanwhile: two
// processes starting at once keep the first key instead of each signing
// with its own.
func writeKeyFile(path string, priv crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	return atomicfile.WriteNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}
