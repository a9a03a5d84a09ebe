package pemkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ReadPublicKeys reads every public key of a PEM file of at most
// [MaxFileBytes], in their order: "PUBLIC KEY" (PKIX, as `openssl pkey
// -pubout` writes it), "RSA PUBLIC KEY" (PKCS#1), the key of a
// "CERTIFICATE", and the public half of a private key in any form
// [ReadPrivateKey] reads (so a signer's own key file will do). Other
// blocks, such as EC PARAMETERS, are skipped. Every key must pass
// [CheckPublicKey].
//
// Refused, with an [*Error] naming the file: a file without a key, an
// encrypted private key, a block that does not parse, a key too weak or
// of a type that cannot verify signatures.
func ReadPublicKeys(path string) ([]crypto.PublicKey, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := ParsePublicKeys(data)
	if err != nil {
		return nil, inFile(path, err)
	}
	return keys, nil
}

// ParsePublicKeys is [ReadPublicKeys] on the bytes of a file.
func ParsePublicKeys(data []byte) ([]crypto.PublicKey, error) {
	var (
		keys   []crypto.PublicKey
		others []string
		block  *pem.Block
	)
	for rest := data; ; {
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		var (
			pub any
			err error
		)
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = c.PublicKey
			}
		default:
			priv, isKey, err := privateBlock(block)
			if err != nil {
				return nil, err
			}
			if !isKey {
				others = append(others, block.Type)
				continue
			}
			pub = priv.Public()
		}
		if err != nil {
			return nil, &Error{Reason: fmt.Sprintf("holds a %s block that cannot be read", block.Type), Err: err}
		}
		if problem := checkPublic(pub); problem != "" {
			return nil, &Error{Reason: "holds " + problem}
		}
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		reason := "holds no PEM public key (-----BEGIN PUBLIC KEY-----), certificate or private key"
		switch {
		case len(others) > 0:
			reason = fmt.Sprintf("holds no public key, certificate or private key (only %s)", strings.Join(others, ", "))
		case len(data) > 0 && !isText(data):
			reason = noKey(data, nil) // the DER hint
		}
		return nil, &Error{Reason: reason}
	}
	return keys, nil
}

// CheckPublicKey checks that key is of a type and size fit to verify
// with, by the rule of [CheckPrivateKey].
func CheckPublicKey(key crypto.PublicKey) error {
	if problem := checkPublic(key); problem != "" {
		return errors.New("unusable public key: " + problem)
	}
	return nil
}

// Algorithm returns the JWS algorithm a key signs with unless told
// otherwise: RS256 for RSA, ES256, ES384 or ES512 by the curve of an EC
// key, EdDSA for Ed25519; "" for other keys. key is a public key or a
// private key.
func Algorithm(key any) string {
	if s, ok := key.(crypto.Signer); ok {
		key = s.Public()
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256"
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}
