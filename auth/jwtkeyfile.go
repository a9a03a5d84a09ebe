package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/oauthgate/oauthgate/internal/pemkey"
)

// keyFileCheckEvery is the least time between two looks (a stat) at an
// issuer's key file: a change is seen within it, and a stream of tokens
// costs one stat per interval.
const keyFileCheckEvery = time.Second

// fileKeySet is the key set of a public_key_file or jwks_file. It is read
// again when the file changes (another inode, size or modification time);
// a version that cannot be used is logged and the keys stay as they were,
// so that a half-written file never locks every client out.
type fileKeySet struct {
	path string
	jwks bool   // a JWKS file, else PEM
	key  string // the configuration key, for messages
	algs []string
	now  func() time.Time
	log  *slog.Logger

	next atomic.Int64  // UnixNano before which the file is not looked at
	gen  atomic.Uint64 // bumped at each reload
	keys atomic.Pointer[[]jose.JSONWebKey]

	mu     sync.Mutex // one look at a time
	seen   os.FileInfo
	failed string // the last problem logged, not to repeat it
}

// newFileKeySet reads the key file of cfg (under the configuration key
// prefix key); a file that cannot be used is a *ConfigError.
func newFileKeySet(cfg JWTIssuer, key string, now func() time.Time, log *slog.Logger) (*fileKeySet, error) {
	ks := &fileKeySet{path: cfg.PublicKeyFile, key: key + ".public_key_file", algs: cfg.Algorithms, now: now, log: log}
	if cfg.JWKSFile != "" {
		ks.path, ks.jwks, ks.key = cfg.JWKSFile, true, key+".jwks_file"
	}
	// Stat before reading: a change in between is read again next time.
	fi, err := os.Stat(ks.path)
	if err != nil {
		return nil, &ConfigError{Key: ks.key, Reason: "cannot read the issuer's keys", Err: err}
	}
	keys, err := ks.read()
	if err != nil {
		return nil, &ConfigError{Key: ks.key, Reason: err.Error()}
	}
	ks.keys.Store(&keys)
	ks.seen = fi
	ks.next.Store(now().Add(keyFileCheckEvery).UnixNano())
	return ks, nil
}

// refresh reads the file again if it changed, at most once per
// keyFileCheckEvery, and returns the version of the keys.
func (ks *fileKeySet) refresh() uint64 {
	now := ks.now().UnixNano()
	next := ks.next.Load()
	if now < next || !ks.next.CompareAndSwap(next, now+int64(keyFileCheckEvery)) {
		return ks.gen.Load()
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	fi, err := os.Stat(ks.path)
	if err != nil {
		ks.warn(err.Error())
		return ks.gen.Load()
	}
	if os.SameFile(fi, ks.seen) && fi.Size() == ks.seen.Size() && fi.ModTime().Equal(ks.seen.ModTime()) {
		return ks.gen.Load()
	}
	ks.seen = fi // a version that cannot be used is not read again
	keys, err := ks.read()
	if err != nil {
		ks.warn(err.Error())
		return ks.gen.Load()
	}
	ks.keys.Store(&keys)
	ks.failed = ""
	ks.log.Info("auth: JWT issuer keys read again", "key", ks.key, "file", ks.path, "keys", len(keys))
	return ks.gen.Add(1)
}

// warn logs a problem with the file once.
func (ks *fileKeySet) warn(problem string) {
	if problem != ks.failed {
		ks.failed = problem
		ks.log.Warn("auth: a JWT issuer's key file cannot be used; its previous keys stay", "key", ks.key, "err", problem)
	}
}

// read reads the keys of the file.
func (ks *fileKeySet) read() ([]jose.JSONWebKey, error) {
	var keys []jose.JSONWebKey
	if ks.jwks {
		var err error
		if keys, err = readJWKSFile(ks.path); err != nil {
			return nil, err
		}
	} else {
		pub, err := pemkey.ReadPublicKeys(ks.path)
		if err != nil {
			return nil, err
		}
		for _, k := range pub {
			jwk := jose.JSONWebKey{Key: k}
			// A PEM key has no kid: its RFC 7638 thumbprint, as `oauthgate
			// jwt jwks` would name it, is tried first.
			tp, err := jwk.Thumbprint(crypto.SHA256)
			if err != nil {
				return nil, err
			}
			jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
			keys = append(keys, jwk)
		}
	}
	for i, k := range keys {
		if !slices.ContainsFunc(ks.algs, func(alg string) bool { return algFits(alg, k.Key) }) {
			return nil, fmt.Errorf("%s: key %d (%s) can check none of the algorithms %v: add its algorithm to algorithms",
				ks.path, i+1, keyKind(k.Key), ks.algs)
		}
	}
	return keys, nil
}

// readJWKSFile reads the public signing keys of a JSON Web Key Set file.
func readJWKSFile(path string) ([]jose.JSONWebKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIdPResponseBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	case len(data) > maxIdPResponseBytes:
		return nil, fmt.Errorf("%s is larger than %d bytes: not a key set", path, maxIdPResponseBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("%s is not a JSON Web Key Set ({\"keys\": [...]}): %w", path, err)
	}
	var keys []jose.JSONWebKey
	for i, k := range set.Keys {
		switch {
		case !k.IsPublic():
			return nil, fmt.Errorf("%s: key %d is a private key: publish the public keys only", path, i+1)
		case k.Use != "" && k.Use != "sig":
			continue // an encryption key
		}
		if err := pemkey.CheckPublicKey(k.Key); err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", path, i+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s holds no signing key", path)
	}
	return keys, nil
}

// algFits reports whether alg signs with keys like key.
func algFits(alg string, key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		return alg == map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[k.Curve]
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// keyKind names a key's type for a message.
func keyKind(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", key)
}

// VerifySignature implements oidc.KeySet: the key a token's kid names,
// or else (a token without kid, or any kid with a PEM file's keys, which
// have none of their own) each key in turn.
func (ks *fileKeySet) VerifySignature(_ context.Context, raw string) ([]byte, error) {
	ks.refresh()
	jws, err := jose.ParseSignedCompact(raw, allAsymmetricAlgs)
	if err != nil {
		return nil, fmt.Errorf("auth: malformed JWT: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("auth: JWT with several signatures")
	}
	keys := *ks.keys.Load()
	if kid := jws.Signatures[0].Protected.KeyID; kid != "" {
		if i := slices.IndexFunc(keys, func(k jose.JSONWebKey) bool { return k.KeyID == kid }); i >= 0 {
			return jws.Verify(&keys[i])
		}
		if ks.jwks {
			return nil, fmt.Errorf("auth: no key of kid %q in %s", kid, ks.key)
		}
	}
	for i := range keys {
		if payload, err := jws.Verify(&keys[i]); err == nil {
			return payload, nil
		}
	}
	return nil, fmt.Errorf("auth: the signature matches none of the %d key(s) of %s", len(keys), ks.key)
}
