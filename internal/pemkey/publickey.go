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
// [MaxFileBytes], in their order: PKIX ("PUBLIC KEY", as `openssl pkey
// -pubout` writes it), PKCS#1 ("RSA PUBLIC KEY") and the key of each
// certificate ("CERTIFICATE"). EC PARAMETERS blocks are skipped. Each key
// must pass [CheckPublicKey].
//
// Refused, with an [*Error] naming the file: a private key (a verifier
// is given the public half only), a block that does not parse, a file
// without a public key. A missing file is an error matching
// fs.ErrNotExist.
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
		var parsed any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			parsed, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			parsed, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(block.Bytes); err == nil {
				parsed = c.PublicKey
			}
		case "EC PARAMETERS":
			continue
		default:
			if strings.HasSuffix(block.Type, "PRIVATE KEY") {
				return nil, &Error{Reason: "holds a private key; give the public key only " +
					"(openssl pkey -in FILE -pubout -out PUBLIC.pem)"}
			}
			others = append(others, block.Type)
			continue
		}
		if err != nil {
			return nil, &Error{Reason: fmt.Sprintf("holds a %s block that cannot be read", block.Type), Err: err}
		}
		if problem := checkPublic(parsed); problem != "" {
			return nil, &Error{Reason: fmt.Sprintf("holds (key %d) %s", len(keys)+1, problem)}
		}
		keys = append(keys, parsed)
	}
	switch {
	case len(keys) > 0:
		return keys, nil
	case len(others) == 0 && len(data) > 0 && !isText(data):
		return nil, &Error{Reason: "holds no PEM block: a DER (binary) file? write it as PEM (openssl pkey -pubin -inform DER -in FILE -out NEW.pem)"}
	case len(others) == 0:
		return nil, &Error{Reason: "holds no PEM public key (-----BEGIN PUBLIC KEY-----)"}
	}
	return nil, &Error{Reason: fmt.Sprintf("holds no public key (only %s)", strings.Join(others, ", "))}
}

// CheckPublicKey checks that key is of a type and size fit to verify
// signatures with, by the rule of [CheckPrivateKey]: RSA of at least
// [MinRSABits] bits, ECDSA on P-256, P-384 or P-521, or Ed25519.
func CheckPublicKey(key crypto.PublicKey) error {
	if problem := checkPublic(key); problem != "" {
		return errors.New("unusable public key: " + problem)
	}
	return nil
}

// checkPublic returns what is wrong with key, as a phrase, or "".
func checkPublic(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < MinRSABits {
			return fmt.Sprintf("an RSA key shorter than %d bits (%d bits)", MinRSABits, n)
		}
		return ""
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return ""
		}
		return fmt.Sprintf("an EC key on %s: use P-256, P-384 or P-521", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return ""
	}
	return fmt.Sprintf("a key of type %s: use an RSA, EC or Ed25519 key", keyType(key))
}
