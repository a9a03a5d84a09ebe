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
