package clientcreds

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new client-secret hashes: OWASP's second
// recommended set (19 MiB, 2 passes, 1 lane). Verifying one costs a few
// tens of milliseconds on a small server.
const (
	clientSecretMemory  = 19 * 1024 // KiB
	clientSecretTime    = 2
	clientSecretThreads = 1
	clientSecretSaltLen = 16
	clientSecretKeyLen  = 32
)

// Bounds on the parameters of a hash read from a file, so that a hand-edited
// or hostile hash cannot make one token request take a gigabyte or a minute.
const (
	maxClientSecretMemory  = 256 * 1024
	maxClientSecretTime    = 16
	maxClientSecretThreads = 16
)

const argon2idPrefix = "$argon2id$"

// ErrBadSecretHash is matched (errors.Is) by errors about a malformed
// client-secret hash.
var ErrBadSecretHash = errors.New("clientcreds: malformed client secret hash")

// HashClientSecret returns the argon2id hash of secret as a PHC string
// ("$argon2id$v=19$m=…,t=…,p=…$salt$hash"), the form kept in stores and
// accepted in the clients section of the configuration.
func HashClientSecret(secret string) (string, error) {
	if secret == "" {
		return "", errors.New("clientcreds: empty client secret")
	}
	salt := make([]byte, clientSecretSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, clientSecretTime, clientSecretMemory, clientSecretThreads, clientSecretKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argon2idPrefix, argon2.Version,
		clientSecretMemory, clientSecretTime, clientSecretThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// NewClientSecret returns a new random client secret (32 bytes,
// base64url) and its hash ([HashClientSecret]): the secret is shown once,
// only the hash is kept.
func NewClientSecret() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	hash, err = HashClientSecret(secret)
	return secret, hash, err
}

// IsClientSecretHash reports whether s looks like a hash made by
// [HashClientSecret] (as opposed to a plaintext secret).
func IsClientSecretHash(s string) bool { return strings.HasPrefix(s, argon2idPrefix) }

// CheckClientSecret reports whether secret matches hash, in constant time
// for a given hash. A malformed hash is an error matching [ErrBadSecretHash].
func CheckClientSecret(hash, secret string) (bool, error) {
	p, err := parseArgon2id(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(secret), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

type argon2idHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parseArgon2id(s string) (*argon2idHash, error) {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrBadSecretHash, why) }
	if !strings.HasPrefix(s, argon2idPrefix) {
		return nil, bad("not an argon2id hash")
	}
	parts := strings.Split(s[len(argon2idPrefix):], "$")
	if len(parts) != 4 {
		return nil, bad("want $argon2id$v=19$m=…,t=…,p=…$salt$hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[0], "v=%d", &version); err != nil || version != argon2.Version {
		return nil, bad("unsupported version")
	}
	var p argon2idHash
	var threads uint32
	if n, err := fmt.Sscanf(parts[1], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) != parts[1] {
		return nil, bad("bad parameters")
	}
	if p.memory < 8 || p.memory > maxClientSecretMemory || p.time < 1 || p.time > maxClientSecretTime ||
		threads < 1 || threads > maxClientSecretThreads {
		return nil, bad("parameters out of range")
	}
	p.threads = uint8(threads)
	var err error
	b64 := base64.RawStdEncoding.Strict()
	if p.salt, err = b64.DecodeString(parts[2]); err != nil || len(p.salt) < 8 {
		return nil, bad("bad salt")
	}
	if p.key, err = b64.DecodeString(parts[3]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return nil, bad("bad hash")
	}
	return &p, nil
}
