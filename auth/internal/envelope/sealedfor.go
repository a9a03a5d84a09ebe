package envelope

import "encoding/base64"

// SealedFor reports whether token's header names a key of purpose p, so
// that a caller accepting several purposes opens it once. It decodes only
// the first characters; Open still authenticates everything.
func (c *Codec) SealedFor(p Purpose, token string) bool {
	// 8 characters of base64url give the first 6 bytes: version and key id.
	if len(token) < 8 || !p.valid() {
		return false
	}
	var head [6]byte
	if _, err := base64.RawURLEncoding.Decode(head[:], []byte(token[:8])); err != nil || head[0] != tokenVersion {
		return false
	}
	id := keyID(head[1:5])
	for _, k := range c.keys[p] {
		if keyID(k.id[:]) == id {
			return true
		}
	}
	return false
}
