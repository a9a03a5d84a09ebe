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

// ReadPublicKeys reads the public keys of a PEM file of at most
// [MaxFileBytes], in their order, for a verifier: "PUBLIC KEY" (PKIX, as
// `openssl pkey -pubout` writes it), "RSA PUBLIC KEY" (PKCS#1) and the
// key of a "CERTIFICATE". EC PARAMETERS blocks are skipped. Every key
// must pass [CheckPublicKey].
//
// Refused, with an [*Error] naming the file: a private key (a verifier is
// given the public half only; the message says how to make it), a block
// that does not parse, a file without a public key, a key too weak or of
// a type that cannot verify signatures. A missing file is an error
// matching fs.ErrNotExist.
func ReadPublicKeys(path string) ([]crypto.PublicKey, error) {
	return readPublic(path, false)
}

// ReadPublicHalves is [ReadPublicKeys] that also takes the public half of
// a private key in any form [ReadPrivateKey] reads, for tools given a
// signer's own key file (`oauthgate jwt jwks --key`).
func ReadPublicHalves(path string) ([]crypto.PublicKey, error) {
	return readPublic(path, true)
}

// ParsePublicKeys is [ReadPublicKeys] on the bytes of a file.
func ParsePublicKeys(data []byte) ([]crypto.PublicKey, error) {
	return parsePublic(data, false)
}

func readPublic(path string, halves bool) ([]crypto.PublicKey, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := parsePublic(data, halves)
	if err != nil {
		return nil, inFile(path, err)
	}
	return keys, nil
}

// parsePublic reads the public keys of data and, with halves, the public
// half of private keys.
func parsePublic(data []byte, halves bool) ([]crypto.PublicKey, error) {
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
			if isKey && !halves {
				return nil, &Error{Reason: "holds a private key; give the public key only " +
					"(openssl pkey -in FILE -pubout -out PUBLIC.pem)"}
			}
			if err != nil {
				return nil, err
			}
			if !isKey {
				if block.Type != "EC PARAMETERS" {
					others = append(others, block.Type)
				}
				continue
			}
			pub = priv.Public()
		}
		if err != nil {
			return nil, &Error{Reason: fmt.Sprintf("holds a %s block that cannot be read", block.Type), Err: err}
		}
		if problem := checkPublic(pub); problem != "" {
			return nil, &Error{Reason: fmt.Sprintf("holds (key %d) %s", len(keys)+1, problem)}
		}
		keys = append(keys, pub)
	}
	if len(keys) > 0 {
		return keys, nil
	}
	what := "public key or certificate"
	if halves {
		what = "public key, certificate or private key"
	}
	switch {
	case len(others) > 0:
		return nil, &Error{Reason: fmt.Sprintf("holds no %s (only %s)", what, strings.Join(others, ", "))}
	case len(data) > 0 && !isText(data):
		return nil, &Error{Reason: noKey(data, nil)} // the DER hint
	}
	return nil, &Error{Reason: "holds no PEM " + strings.Replace(what, "public key", "public key (-----BEGIN PUBLIC KEY-----)", 1)}
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
