// Package argon2id owns the hashing of secrets kept at rest (client
// secrets, the mock provider's user passwords): argon2id in the PHC
// string form "$argon2id$v=19$m=…,t=…,p=…$salt$hash", with bounds on the
// parameters of a hash read from a file.
package argon2id

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters of new hashes: OWASP's second recommended set (19 MiB, 2
// passes, 1 lane). Verifying one costs a few tens of milliseconds on a
// small server.
const (
	memory  = 19 * 1024 // KiB
	passes  = 2
	threads = 1
	saltLen = 16
	keyLen  = 32
)

// Bounds on the parameters of a hash read from a file, so that a hand-edited
// or hostile hash cannot make one check take a gigabyte or a minute.
const (
	maxMemory  = 256 * 1024
	maxPasses  = 16
	maxThreads = 16
)

// Prefix starts every hash.
const Prefix = "$argon2id$"

// MalformedError says why a string is not a usable hash.
type MalformedError struct{ Why string }

func (e *MalformedError) Error() string { return "malformed argon2id hash: " + e.Why }

// Hash returns the hash of secret, with a random salt.
func Hash(secret string) (string, error) {
	if secret == "" {
		return "", errors.New("empty secret")
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, passes, memory, threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", Prefix, argon2.Version,
		memory, passes, threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// IsHash reports whether s looks like a hash (as opposed to a plaintext).
func IsHash(s string) bool { return strings.HasPrefix(s, Prefix) }

// Check reports whether secret matches hash, in constant time for a given
// hash. A malformed hash is a [*MalformedError].
func Check(hash, secret string) (bool, error) {
	p, err := parse(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(secret), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// Validate checks that s is a well-formed hash with parameters in bounds.
func Validate(s string) error {
	_, err := parse(s)
	return err
}

type params struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parse(s string) (*params, error) {
	bad := func(why string) error { return &MalformedError{Why: why} }
	if !strings.HasPrefix(s, Prefix) {
		return nil, bad("not an argon2id hash")
	}
	parts := strings.Split(s[len(Prefix):], "$")
	if len(parts) != 4 {
		return nil, bad("want $argon2id$v=19$m=…,t=…,p=…$salt$hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[0], "v=%d", &version); err != nil || version != argon2.Version {
		return nil, bad("unsupported version")
	}
	var p params
	var th uint32
	if n, err := fmt.Sscanf(parts[1], "m=%d,t=%d,p=%d", &p.memory, &p.time, &th); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, th) != parts[1] {
		return nil, bad("bad parameters")
	}
	if p.memory < 8 || p.memory > maxMemory || p.time < 1 || p.time > maxPasses ||
		th < 1 || th > maxThreads {
		return nil, bad("parameters out of range")
	}
	p.threads = uint8(th)
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
