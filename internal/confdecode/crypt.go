package confdecode

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

// CryptPrefix marks an encrypted value: "~CRYPT~<fernet>".
const CryptPrefix = "~CRYPT~"

// PasswordEnv is the environment variable holding the password of
// ~CRYPT~ values.
const PasswordEnv = "OAUTHGATE_PASSWORD"

// SerieuxPasswordEnv is read when [PasswordEnv] is unset or empty:
// serieux (and so easy-oauth) users have their password there already.
const SerieuxPasswordEnv = "SERIEUX_PASSWORD"

// Password returns the password of ~CRYPT~ values from lookup (such as
// os.LookupEnv): [PasswordEnv], else [SerieuxPasswordEnv]; from names the
// variable it came from. ok is false when neither is set to a non-empty
// value.
func Password(lookup func(string) (string, bool)) (password, from string, ok bool) {
	for _, name := range []string{PasswordEnv, SerieuxPasswordEnv} {
		if pw, _ := lookup(name); pw != "" {
			return pw, name, true
		}
	}
	return "", "", false
}

// ErrWrongPassword is returned by [Decrypt] for a value that does not
// open: a wrong password or an altered value.
var ErrWrongPassword = errors.New("wrong password or corrupted value")

// Encrypt returns "~CRYPT~<fernet token>" holding plaintext. The format is
// serieux's, so easy-oauth reads it and the other way round: the Fernet
// key is the SHA-256 of the password and the message is the JSON encoding
// of the value.
func Encrypt(password, plaintext string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(plaintext) // a string always encodes
	key := sha256.Sum256([]byte(password))
	iv := make([]byte, 16)
	_, _ = rand.Read(iv)
	msg := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return CryptPrefix + fernetEncrypt(&key, msg, time.Now(), iv)
}

// Decrypt opens a value written by [Encrypt] or by serieux. A JSON string
// comes back as is; a JSON number or boolean as its text.
func Decrypt(password, value string) (string, error) {
	token, ok := strings.CutPrefix(value, CryptPrefix)
	if !ok {
		return "", fmt.Errorf("value does not start with %s", CryptPrefix)
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
		return "", errors.New("decrypted value is not JSON")
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("decrypted value is a %T, not a string", v)
}
