package clientcreds

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/oauthgate/oauthgate/internal/argon2id"
)

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
	return argon2id.Hash(secret)
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
func IsClientSecretHash(s string) bool { return argon2id.IsHash(s) }

// CheckClientSecret reports whether secret matches hash, in constant time
// for a given hash. A malformed hash is an error matching [ErrBadSecretHash].
func CheckClientSecret(hash, secret string) (bool, error) {
	ok, err := argon2id.Check(hash, secret)
	return ok, badHash(err)
}

// parseArgon2id checks that s is a well-formed hash.
func parseArgon2id(s string) (struct{}, error) {
	return struct{}{}, badHash(argon2id.Validate(s))
}

// badHash turns the hashing package's complaint into [ErrBadSecretHash].
func badHash(err error) error {
	var me *argon2id.MalformedError
	if errors.As(err, &me) {
		return fmt.Errorf("%w: %s", ErrBadSecretHash, me.Why)
	}
	return err
}
