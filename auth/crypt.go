package auth

import (
	"errors"
	"fmt"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// CryptPrefix marks an encrypted configuration value: "~CRYPT~<fernet>".
const CryptPrefix = confdecode.CryptPrefix

// PasswordEnv is the environment variable holding the password of
// ~CRYPT~ values.
const PasswordEnv = confdecode.PasswordEnv

// EncryptSecret encrypts plaintext for a configuration file and returns
// "~CRYPT~<fernet token>". The format is serieux's, so easy-oauth can read
// the result and the other way round: the Fernet key is the SHA-256 of the
// password and the encrypted message is the JSON encoding of the value.
func EncryptSecret(password, plaintext string) (string, error) {
	if password == "" {
		return "", errors.New("auth: encrypt secret: empty password")
	}
	return confdecode.Encrypt(password, plaintext), nil
}

// DecryptSecret decrypts a "~CRYPT~<fernet token>" value written by
// [EncryptSecret] or by serieux. A JSON string comes back as is; a JSON
// number or boolean as its text. A wrong password or an altered value
// gives [ErrWrongPassword].
func DecryptSecret(password, value string) (string, error) {
	if password == "" {
		return "", errors.New("auth: decrypt secret: empty password")
	}
	plain, err := confdecode.Decrypt(password, value)
	switch {
	case errors.Is(err, confdecode.ErrWrongPassword):
		return "", ErrWrongPassword
	case err != nil:
		return "", fmt.Errorf("auth: decrypt secret: %w", err)
	}
	return plain, nil
}
