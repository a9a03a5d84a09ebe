package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Purpose says what a sealed value is for. Each purpose has its own key,
// derived from secret_key, and the purpose is also bound into the
// authenticated data, so a value made for one purpose never opens as
// another (a login-flow cookie is not a token, an offline cookie is not a
// kept grant).
type Purpose uint8

// The purposes of sealed values. The label of each (its String) names its
// key: renaming a label invalidates every value sealed under it.
const (
	PurposeFlow         Purpose = iota + 1 // short-lived login-flow cookie (state, nonce, PKCE verifier)
	PurposeUserToken                       // bearer token of a user
	PurposeServiceToken                    // bearer token of a service account
	PurposeOffline                         // offline cookie: the provider's refresh token until /token takes it
	PurposeGrant                           // kept provider grant of a user token (rotated refresh token)
	numPurposes         = iota
)

var purposeLabels = [numPurposes + 1]string{
	PurposeFlow:         "flow",
	PurposeUserToken:    "user-token",
	PurposeServiceToken: "service-token",
	PurposeOffline:      "offline",
	PurposeGrant:        "refresh-grant",
}

// String returns the purpose's label ("flow", "user-token",
// "service-token", "offline", "refresh-grant").
func (p Purpose) String() string {
	if p.valid() {
		return purposeLabels[p]
	}
	return fmt.Sprintf("Purpose(%d)", uint8(p))
}

func (p Purpose) valid() bool { return p >= 1 && int(p) <= numPurposes }

// sealKey is one purpose's AEAD key derived from one secret.
type sealKey struct {
	id   [4]byte // first bytes of SHA-256 of the derived key
	aead cipher.AEAD
	aad  []byte // domain label, purpose label, version and key id
}

// HKDFSalt separates our derivations from any other use of the same secret.
const HKDFSalt = "oauthgate secret_key v1"

// deriveKey derives the AES-256-GCM key of purpose p from secret.
func deriveKey(secret string, p Purpose) (*sealKey, error) {
	raw, err := hkdf.Key(sha256.New, []byte(secret), []byte(HKDFSalt), "oauthgate "+purposeLabels[p], 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &sealKey{aead: aead}
	sum := sha256.Sum256(raw)
	copy(k.id[:], sum[:4])
	k.aad = append([]byte("oauthgate\x00"+purposeLabels[p]+"\x00"), tokenVersion)
	k.aad = append(k.aad, k.id[:]...)
	return k, nil
}

// keyID reads the key id from a token header as a comparable value.
func keyID(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
