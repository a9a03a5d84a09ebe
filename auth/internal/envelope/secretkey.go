package envelope

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// MinSecretKeyBytes is the least entropy accepted in secret_key, in bytes.
const MinSecretKeyBytes = 32

// secretKeyHint tells how to make a good secret_key.
const secretKeyHint = "make one with `oauthgate keygen` or `openssl rand -base64 32`"

// CheckSecretKey returns a reason when s is too weak to derive keys from.
// The strength is the decoded length when s is hex or base64 (the usual
// ways to write random bytes), else its raw length.
func CheckSecretKey(s string) error {
	if s == "" {
		return fmt.Errorf("missing; %s", secretKeyHint)
	}
	n := secretKeyBytes(s)
	if n < MinSecretKeyBytes {
		return fmt.Errorf("too short: %d bytes of key material, need at least %d; %s", n, MinSecretKeyBytes, secretKeyHint)
	}
	distinct := map[rune]bool{}
	for _, r := range s {
		distinct[r] = true
	}
	if len(distinct) < 8 {
		return fmt.Errorf("too repetitive (%d distinct characters); %s", len(distinct), secretKeyHint)
	}
	return nil
}

// secretKeyBytes estimates how many bytes of key material s holds.
func secretKeyBytes(s string) int {
	if len(s)%2 == 0 {
		if b, err := hex.DecodeString(s); err == nil {
			return len(b)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return len(b)
		}
	}
	return len(s)
}
