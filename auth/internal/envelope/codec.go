// Package envelope seals and opens the values package auth hands out:
// user and service bearer tokens and the small cookies and grants of the
// login flow. A value is AES-256-GCM under a key derived with HKDF from
// secret_key, one key per [Purpose]; previous secrets still open.
package envelope

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// Token layout, before base64url (no padding):
//
//	version (1) | key id (4) | nonce (12) | AES-256-GCM ciphertext and tag (16)
//
// The additional data is the purpose label, the version and the key id, so
// the header cannot be changed and a token cannot cross purposes.
const (
	tokenVersion   = 1
	tokenHeaderLen = 1 + 4 + 12
	tokenTagLen    = 16
	tokenMinLen    = tokenHeaderLen + tokenTagLen
)

// MaxTokenLen is the longest token Seal makes and Open reads, in
// characters. Tokens longer than about 8 KB may be refused by proxies in
// front of the app; keep service capability snapshots small.
const MaxTokenLen = 64 << 10

var tokenEncoding = base64.RawURLEncoding.Strict()

// Codec seals and opens tokens and cookie values. Keys are derived from the
// current secret (used to seal and to open) and from previous secrets (only
// to open, for rotation). A Codec is safe for concurrent use.
type Codec struct {
	current [numPurposes + 1]*sealKey
	keys    [numPurposes + 1][]*sealKey // current first, then previous
}

// NewCodec derives the keys of every purpose from current (the secret_key)
// and previous (previous_secret_keys). Every secret must hold at least
// [MinSecretKeyBytes] bytes of key material; errors are *confdecode.Error.
func NewCodec(current string, previous []string) (*Codec, error) {
	if err := CheckSecretKey(current); err != nil {
		return nil, &confdecode.Error{Key: "secret_key", Reason: err.Error()}
	}
	secrets := []string{current}
	for i, s := range previous {
		key := fmt.Sprintf("previous_secret_keys[%d]", i)
		if err := CheckSecretKey(s); err != nil {
			return nil, &confdecode.Error{Key: key, Reason: err.Error()}
		}
		for _, seen := range secrets {
			if s == seen {
				return nil, &confdecode.Error{Key: key, Reason: "repeats secret_key or another previous key"}
			}
		}
		secrets = append(secrets, s)
	}
	c := &Codec{}
	for p := Purpose(1); p.valid(); p++ {
		for i, s := range secrets {
			k, err := deriveKey(s, p)
			if err != nil {
				return nil, fmt.Errorf("auth: deriving %s key: %w", p, err)
			}
			for _, other := range c.keys[p] {
				if other.id == k.id {
					// One chance in 2^32 per pair: ask for another secret rather than trial-decrypt.
					return nil, &confdecode.Error{Key: "previous_secret_keys", Reason: fmt.Sprintf("secret %d has the same key id as another; replace it", i)}
				}
			}
			c.keys[p] = append(c.keys[p], k)
		}
		c.current[p] = c.keys[p][0]
	}
	return c, nil
}

// SealBytes encrypts and authenticates plaintext for purpose p under the
// current key and returns it base64url-encoded. It carries no expiry: the
// caller puts one in plaintext if needed (Seal does).
func (c *Codec) SealBytes(p Purpose, plaintext []byte) (string, error) {
	if !p.valid() {
		return "", fmt.Errorf("auth: seal: unknown purpose %v", p)
	}
	k := c.current[p]
	n := tokenMinLen + len(plaintext)
	if tokenEncoding.EncodedLen(n) > MaxTokenLen {
		return "", fmt.Errorf("auth: seal %s: value too long (%d bytes; at most %d characters once encoded)", p, len(plaintext), MaxTokenLen)
	}
	buf := make([]byte, tokenHeaderLen, n)
	buf[0] = tokenVersion
	copy(buf[1:5], k.id[:])
	_, _ = rand.Read(buf[5:tokenHeaderLen]) // never fails (crypto/rand)
	buf = k.aead.Seal(buf, buf[5:tokenHeaderLen], plaintext, k.aad)
	return tokenEncoding.EncodeToString(buf), nil
}

// OpenBytes decodes, authenticates and decrypts a value sealed by
// [Codec.SealBytes] for purpose p, with the current or a previous key.
// Errors wrap [ErrTokenMalformed] or [ErrTokenInvalid].
func (c *Codec) OpenBytes(p Purpose, token string) ([]byte, error) {
	if !p.valid() {
		return nil, fmt.Errorf("auth: open: unknown purpose %v: %w", p, ErrTokenInvalid)
	}
	if len(token) < tokenEncoding.EncodedLen(tokenMinLen) || len(token) > MaxTokenLen {
		return nil, fmt.Errorf("auth: %s: bad length %d: %w", p, len(token), ErrTokenMalformed)
	}
	// The base64 decoder skips CR and LF; a token must have one spelling.
	if strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return nil, fmt.Errorf("auth: %s: line break in token: %w", p, ErrTokenMalformed)
	}
	data, err := tokenEncoding.DecodeString(token)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", p, errors.Join(ErrTokenMalformed, err))
	}
	if data[0] != tokenVersion {
		return nil, fmt.Errorf("auth: %s: unknown version %d: %w", p, data[0], ErrTokenMalformed)
	}
	id := keyID(data[1:5])
	for _, k := range c.keys[p] {
		if keyID(k.id[:]) != id {
			continue
		}
		plain, err := k.aead.Open(data[tokenHeaderLen:tokenHeaderLen], data[5:tokenHeaderLen], data[tokenHeaderLen:], k.aad)
		if err != nil {
			return nil, fmt.Errorf("auth: %s: authentication failed: %w", p, ErrTokenInvalid)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("auth: %s: unknown key or purpose: %w", p, ErrTokenInvalid)
}

// Seal encodes claims and seals them for purpose p. Kind, Subject and
// ExpiresAt are required and ExpiresAt must follow IssuedAt; an empty ID
// is replaced with [NewTokenID] (Open returns it). Times are kept to the
// second.
func (c *Codec) Seal(p Purpose, claims Claims) (string, error) {
	if claims.ID == "" {
		claims.ID = NewTokenID()
	}
	payload, err := claims.appendBinary(make([]byte, 0, claims.sizeHint()))
	if err != nil {
		return "", err
	}
	return c.SealBytes(p, payload)
}

// Open opens a token sealed by [Codec.Seal] for purpose p and checks its
// expiry against now. Errors wrap [ErrTokenMalformed], [ErrTokenInvalid]
// or [ErrTokenExpired]. Revocation is not checked here.
func (c *Codec) Open(p Purpose, token string, now time.Time) (Claims, error) {
	plain, err := c.OpenBytes(p, token)
	if err != nil {
		return Claims{}, err
	}
	var claims Claims
	if err := claims.decodeBinary(plain); err != nil {
		return Claims{}, fmt.Errorf("auth: %s: %w", p, err)
	}
	if !now.Before(claims.ExpiresAt) {
		return Claims{}, fmt.Errorf("auth: %s: expired at %s: %w", p, claims.ExpiresAt.Format(time.RFC3339), ErrTokenExpired)
	}
	return claims, nil
}

// NewTokenID returns a random 128-bit id, base64url-encoded (22 characters).
func NewTokenID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
