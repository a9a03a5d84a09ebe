package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CryptPrefix marks an encrypted configuration value: "~CRYPT~<fernet>".
const CryptPrefix = "~CRYPT~"

// PasswordEnv is the environment variable holding the password of
// ~CRYPT~ values.
const PasswordEnv = "OAUTHGATE_PASSWORD"

// EncryptSecret encrypts plaintext for a configuration file and returns
// "~CRYPT~<fernet token>". The format is serieux's, so easy-oauth can read
// the result and the other way round: the Fernet key is the SHA-256 of the
// password and the encrypted message is the JSON encoding of the value.
func EncryptSecret(password, plaintext string) (string, error) {
	if password == "" {
		return "", errors.New("auth: encrypt secret: empty password")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plaintext); err != nil {
		return "", fmt.Errorf("auth: encrypt secret: %w", err)
	}
	key := sha256.Sum256([]byte(password))
	iv := make([]byte, 16)
	_, _ = rand.Read(iv)
	msg := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return CryptPrefix + fernetEncrypt(&key, msg, time.Now(), iv), nil
}

// DecryptSecret decrypts a "~CRYPT~<fernet token>" value written by
// [EncryptSecret] or by serieux. A JSON string comes back as is; a JSON
// number or boolean as its text. A wrong password or an altered value
// gives an error wrapping [ErrWrongPassword].
func DecryptSecret(password, value string) (string, error) {
	token, ok := strings.CutPrefix(value, CryptPrefix)
	if !ok {
		return "", fmt.Errorf("auth: decrypt secret: value does not start with %s", CryptPrefix)
	}
	if password == "" {
		return "", errors.New("auth: decrypt secret: empty password")
	}
	key := sha256.Sum256([]byte(password))
	msg, err := fernetDecrypt(&key, token, 0, time.Time{})
	if err != nil {
		return "", ErrWrongPassword
	}
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return "", errors.New("auth: decrypt secret: decrypted value is not JSON")
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("auth: decrypt secret: decrypted value is a %T, not a string", v)
}
