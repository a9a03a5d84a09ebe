package confdecode

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Fernet (https://github.com/fernet/spec, version 0x80), the format that
// Python's cryptography.fernet writes: base64url with padding of
//
//	0x80 | timestamp (8, big-endian seconds) | IV (16) | AES-128-CBC ciphertext | HMAC-SHA256 (32)
//
// with a 32-byte key split into a signing key (first half) and an
// encryption key (second half). Built from stdlib primitives only.
const (
	fernetVersion  = 0x80
	fernetMaxSkew  = 60 * time.Second
	fernetOverhead = 1 + 8 + aes.BlockSize + sha256.Size
)

var errFernetInvalid = errors.New("invalid fernet token")

// fernetEncrypt seals plaintext at time now with the given IV.
func fernetEncrypt(key *[32]byte, plaintext []byte, now time.Time, iv []byte) string {
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := make([]byte, len(plaintext)+pad)
	copy(padded, plaintext)
	for i := len(plaintext); i < len(padded); i++ {
		padded[i] = byte(pad)
	}
	block, _ := aes.NewCipher(key[16:]) // a 16-byte key never fails
	msg := make([]byte, 0, fernetOverhead+len(padded))
	msg = append(msg, fernetVersion)
	msg = binary.BigEndian.AppendUint64(msg, uint64(now.Unix()))
	msg = append(msg, iv...)
	ct := msg[len(msg) : len(msg)+len(padded)]
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	msg = msg[:len(msg)+len(padded)]
	mac := hmac.New(sha256.New, key[:16])
	mac.Write(msg)
	msg = mac.Sum(msg)
	return base64.URLEncoding.EncodeToString(msg)
}

// fernetDecrypt authenticates and decrypts token. With ttl > 0 it also
// refuses tokens older than ttl or made more than a minute in the future,
// as the spec says; ttl == 0 skips time checks (a secret in a
// configuration file does not expire).
func fernetDecrypt(key *[32]byte, token string, ttl time.Duration, now time.Time) ([]byte, error) {
	data, err := base64.URLEncoding.Strict().DecodeString(token)
	if err != nil || len(data) < fernetOverhead+aes.BlockSize || data[0] != fernetVersion {
		return nil, errFernetInvalid
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	ct := body[1+8+aes.BlockSize:]
	if len(ct)%aes.BlockSize != 0 {
		return nil, errFernetInvalid
	}
	mac := hmac.New(sha256.New, key[:16])
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return nil, errFernetInvalid
	}
	if ttl > 0 {
		ts := time.Unix(int64(binary.BigEndian.Uint64(body[1:9])), 0)
		if now.After(ts.Add(ttl)) || ts.After(now.Add(fernetMaxSkew)) {
			return nil, errFernetInvalid
		}
	}
	block, _ := aes.NewCipher(key[16:])
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, body[9:9+aes.BlockSize]).CryptBlocks(plain, ct)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, errFernetInvalid
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errFernetInvalid
		}
	}
	return plain[:len(plain)-pad], nil
}
