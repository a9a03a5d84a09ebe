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

// MinRSABits is the size of the smallest RSA key accepted.
const MinRSABits = 2048

// ReadPrivateKey reads the one private key of a PEM file of at most
// [MaxFileBytes]: PKCS#8 ("PRIVATE KEY": RSA, EC or Ed25519), PKCS#1
// ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY"), as `openssl genrsa`,
// `genpkey` and `ecparam -genkey` write them. Blocks that are not keys are
// skipped (the EC PARAMETERS block that `ecparam -genkey` writes first, a
// certificate before the key). The key must pass [CheckPrivateKey].
//
// Refused, with an [*Error] naming the file and the problem: an encrypted
// key, a public key, a certificate alone, two private keys, a key type
// that cannot sign. A missing file is an error matching fs.ErrNotExist.
func ReadPrivateKey(path string) (crypto.Signer, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, inFile(path, err)
	}
	return key, nil
}

// ParsePrivateKey is [ReadPrivateKey] on the bytes of a file.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	var (
		key    crypto.Signer
		others []string // types of the blocks skipped
		block  *pem.Block
	)
	for rest := data; ; {
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		s, isKey, err := privateBlock(block)
		switch {
		case err != nil:
			return nil, err
		case !isKey:
			others = append(others, block.Type)
			continue
		case key != nil:
			return nil, &Error{Reason: "holds more than one private key; keep only the one to use"}
		}
		key = s
	}
	if key != nil {
		return key, nil
	}
	return nil, &Error{Reason: noKey(data, others)}
}

// privateBlock reads a private key block; isKey is false for a block of
// another type. The key must pass [CheckPrivateKey].
func privateBlock(block *pem.Block) (key crypto.Signer, isKey bool, err error) {
	if encrypted(block) {
		return nil, true, &Error{Reason: "holds an encrypted private key; oauthgate reads keys without a passphrase: " +
			"write a decrypted copy (openssl pkey -in FILE -out NEW.pem) and keep it readable by its owner only"}
	}
	var parsed any
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, &Error{Reason: fmt.Sprintf("holds a %s block that cannot be read", block.Type), Err: err}
	}
	s, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, true, &Error{Reason: fmt.Sprintf("holds a key of type %s, which cannot sign: use an RSA, EC or Ed25519 key", keyType(parsed))}
	}
	if problem := checkKey(s); problem != "" {
		return nil, true, &Error{Reason: "holds " + problem}
	}
	return s, true, nil
}

// noKey says what a file without a private key holds instead.
func noKey(data []byte, others []string) string {
	has := func(types ...string) bool {
		for _, o := range others {
			for _, t := range types {
				if o == t {
					return true
				}
			}
		}
		return false
	}
	switch {
	case len(others) == 0 && len(data) > 0 && !isText(data):
		return "holds no PEM block: a DER (binary) file? write it as PEM (openssl pkey -inform DER -in FILE -out NEW.pem)"
	case len(others) == 0:
		return "holds no PEM block (-----BEGIN PRIVATE KEY-----)"
	case has("PUBLIC KEY", "RSA PUBLIC KEY"):
		return "holds a public key, not a private key"
	case has("CERTIFICATE", "TRUSTED CERTIFICATE"):
		return "holds a certificate, not a private key"
	}
	for _, o := range others {
		if strings.HasSuffix(o, "PRIVATE KEY") {
			return fmt.Sprintf("holds a %q block, which cannot be read: use an RSA, EC or Ed25519 key in PKCS#8, PKCS#1 or SEC 1 form", o)
		}
	}
	return fmt.Sprintf("holds no private key (only %s)", strings.Join(others, ", "))
}

// encrypted reports whether a block is an encrypted key: PKCS#8
// encryption, or the legacy PEM encryption of `openssl genrsa -aes256
// -traditional` and `openssl ec -aes256`.
func encrypted(b *pem.Block) bool {
	return b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED")
}

// CheckPrivateKey checks that key is of a type and size fit to sign with:
// RSA of at least [MinRSABits] bits, ECDSA on P-256, P-384 or P-521, or
// Ed25519. Callers may accept fewer types (an issuer of ES256 tokens only
// P-256); none accepts more.
func CheckPrivateKey(key crypto.Signer) error {
	if problem := checkKey(key); problem != "" {
		return errors.New("unusable signing key: " + problem)
	}
	return nil
}

// checkKey returns what is wrong with key, as a phrase, or "".
func checkKey(key crypto.Signer) string {
	switch key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return checkPublic(key.Public())
	}
	return fmt.Sprintf("a key of type %s: use an RSA, EC or Ed25519 key", keyType(key))
}

// checkPublic is checkKey for the public half: one rule for both.
func checkPublic(key crypto.PublicKey) string {
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

// keyType names a key's type for a message.
func keyType(k any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", k), "*")
}

// isText reports whether data looks like text: no NUL, few control bytes.
func isText(data []byte) bool {
	if len(data) > 512 {
		data = data[:512]
	}
	for _, c := range data {
		if c == 0 || c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}
