// Package pemkeytest writes key files with the openssl binary, so that the
// readers of key files are tested with what users actually hand them and
// not only with what Go's own encoders write.
package pemkeytest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Shape names one way openssl writes a key, a public key or a
// certificate.
type Shape string

// The shapes. The comment says what the file holds.
const (
	// RSA keys of 2048 bits.
	RSAGenrsa            Shape = "genrsa"              // PKCS#8 with OpenSSL 3, PKCS#1 before
	RSAGenrsaTraditional Shape = "genrsa -traditional" // PKCS#1 "RSA PRIVATE KEY"
	RSAGenpkey           Shape = "genpkey RSA"         // PKCS#8 "PRIVATE KEY"
	// EC keys on P-256, unless said otherwise.
	ECGenpkey      Shape = "genpkey EC"             // PKCS#8 "PRIVATE KEY"
	ECParamGenkey  Shape = "ecparam -genkey"        // "EC PARAMETERS", then SEC 1 "EC PRIVATE KEY"
	ECParamNoout   Shape = "ecparam -genkey -noout" // SEC 1 "EC PRIVATE KEY" alone
	ECParamP384    Shape = "ecparam -genkey P-384"  // as ECParamGenkey, on P-384
	Ed25519Genpkey Shape = "genpkey ED25519"        // PKCS#8 "PRIVATE KEY"
	RSA1024        Shape = "genrsa 1024"            // PKCS#1, too short
	Ed448Genpkey   Shape = "genpkey ED448"          // PKCS#8 of an algorithm Go does not know
	X25519Genpkey  Shape = "genpkey X25519"         // PKCS#8 of a key that cannot sign
	KeyAfterCert   Shape = "certificate, then key"  // a combined file, as some servers want
	KeyDER         Shape = "genpkey -outform DER"   // binary, not PEM
	EncryptedPKCS8 Shape = "genpkey -aes256"        // "ENCRYPTED PRIVATE KEY"
	EncryptedRSA   Shape = "genrsa -aes256 -traditional"
	EncryptedEC    Shape = "ec -aes256" // "EC PRIVATE KEY" with Proc-Type: 4,ENCRYPTED
	PublicPKIX     Shape = "pkey -pubout"
	PublicRSAPKCS1 Shape = "rsa -RSAPublicKey_out"
	Certificate    Shape = "req -x509" // a self-signed certificate alone
)

// PrivateKeys are the shapes of private keys a signer may take.
var PrivateKeys = []Shape{RSAGenrsa, RSAGenrsaTraditional, RSAGenpkey, ECGenpkey, ECParamGenkey, ECParamNoout, ECParamP384, Ed25519Genpkey, KeyAfterCert}

// Write makes a file of the shape in a new temporary directory of t and
// returns its path. Without openssl, t is skipped, or failed when the
// environment variable CI is "true".
func Write(t testing.TB, shape Shape) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), strings.NewReplacer(" ", "_", ",", "").Replace(string(shape))+".pem")
	if err := os.WriteFile(path, Generate(t, shape), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Generate returns the bytes of a new file of the shape.
func Generate(t testing.TB, shape Shape) []byte {
	t.Helper()
	const pass = "pass:correct horse"
	rsaKey := func() []byte {
		return OpenSSL(t, nil, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
	}
	switch shape {
	case RSAGenrsa:
		return OpenSSL(t, nil, "genrsa", "2048")
	case RSAGenrsaTraditional:
		return OpenSSL(t, nil, "genrsa", "-traditional", "2048")
	case RSAGenpkey:
		return rsaKey()
	case ECGenpkey:
		return OpenSSL(t, nil, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
	case ECParamGenkey:
		return OpenSSL(t, nil, "ecparam", "-genkey", "-name", "prime256v1")
	case ECParamNoout:
		return OpenSSL(t, nil, "ecparam", "-genkey", "-name", "prime256v1", "-noout")
	case ECParamP384:
		return OpenSSL(t, nil, "ecparam", "-genkey", "-name", "secp384r1")
	case Ed25519Genpkey:
		return OpenSSL(t, nil, "genpkey", "-algorithm", "ED25519")
	case RSA1024:
		return OpenSSL(t, nil, "genrsa", "-traditional", "1024")
	case Ed448Genpkey:
		return OpenSSL(t, nil, "genpkey", "-algorithm", "ED448")
	case X25519Genpkey:
		return OpenSSL(t, nil, "genpkey", "-algorithm", "X25519")
	case KeyAfterCert:
		key := OpenSSL(t, nil, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
		return append(SelfSigned(t, key), key...)
	case KeyDER:
		return OpenSSL(t, nil, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-outform", "DER")
	case EncryptedPKCS8:
		return OpenSSL(t, nil, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", pass)
	case EncryptedRSA:
		return OpenSSL(t, nil, "genrsa", "-aes256", "-traditional", "-passout", pass, "2048")
	case EncryptedEC:
		key := OpenSSL(t, nil, "ecparam", "-genkey", "-name", "prime256v1", "-noout")
		return OpenSSL(t, key, "ec", "-aes256", "-passout", pass)
	case PublicPKIX:
		return OpenSSL(t, OpenSSL(t, nil, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"), "pkey", "-pubout")
	case PublicRSAPKCS1:
		return OpenSSL(t, rsaKey(), "rsa", "-RSAPublicKey_out")
	case Certificate:
		return SelfSigned(t, OpenSSL(t, nil, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"))
	}
	t.Fatalf("pemkeytest: unknown shape %q", shape)
	return nil
}

// certificateOf returns a self-signed certificate of the PEM key.
func SelfSigned(t testing.TB, key []byte) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return OpenSSL(t, nil, "req", "-x509", "-new", "-key", path, "-subj", "/CN=localhost", "-days", "2")
}

// OpenSSL runs the openssl binary with args and stdin and returns what it
// printed. A failure fails t with openssl's message.
func OpenSSL(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pemkeytest: openssl is needed on CI: %v", err)
		}
		t.Skipf("pemkeytest: openssl is not installed: %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}
