package pemkey_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// TestReadPrivateKeyFromOpenSSL: every private key shape openssl writes is
// read; everything else openssl writes is refused with a message naming
// the file and what it holds instead.
func TestReadPrivateKeyFromOpenSSL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape pemkeytest.Shape
		want  string // the key's type, or a part of the error
	}{
		{pemkeytest.RSAGenrsa, "*rsa.PrivateKey"},
		{pemkeytest.RSAGenrsaTraditional, "*rsa.PrivateKey"},
		{pemkeytest.RSAGenpkey, "*rsa.PrivateKey"},
		{pemkeytest.ECGenpkey, "*ecdsa.PrivateKey P-256"},
		{pemkeytest.ECParamGenkey, "*ecdsa.PrivateKey P-256"},
		{pemkeytest.ECParamNoout, "*ecdsa.PrivateKey P-256"},
		{pemkeytest.ECParamP384, "*ecdsa.PrivateKey P-384"},
		{pemkeytest.Ed25519Genpkey, "ed25519.PrivateKey"},
		{pemkeytest.KeyAfterCert, "*ecdsa.PrivateKey P-256"},
		{pemkeytest.EncryptedPKCS8, "holds an encrypted private key"},
		{pemkeytest.EncryptedRSA, "holds an encrypted private key"},
		{pemkeytest.EncryptedEC, "holds an encrypted private key"},
		{pemkeytest.PublicPKIX, "holds a public key, not a private key"},
		{pemkeytest.PublicRSAPKCS1, "holds a public key, not a private key"},
		{pemkeytest.Certificate, "holds a certificate, not a private key"},
		{pemkeytest.RSA1024, "holds an RSA key shorter than 2048 bits (1024 bits)"},
		{pemkeytest.Ed448Genpkey, "holds a PRIVATE KEY block that cannot be read"},
		{pemkeytest.X25519Genpkey, "which cannot sign"},
		{pemkeytest.KeyDER, "holds no PEM block: a DER (binary) file?"},
	} {
		t.Run(string(tc.shape), func(t *testing.T) {
			t.Parallel()
			path := pemkeytest.Write(t, tc.shape)
			key, err := pemkey.ReadPrivateKey(path)
			if err != nil {
				var e *pemkey.Error
				if !errors.As(err, &e) || e.File != path || !strings.HasPrefix(err.Error(), path+" ") {
					t.Errorf("error %q (%T): want a *pemkey.Error naming %s", err, err, path)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q; want %q", err, tc.want)
				}
				return
			}
			if got := describe(key); got != tc.want {
				t.Errorf("read %s; want %s", got, tc.want)
			}
		})
	}
}

func describe(k crypto.Signer) string {
	if ec, ok := k.(*ecdsa.PrivateKey); ok {
		return "*ecdsa.PrivateKey " + ec.Curve.Params().Name
	}
	return fmt.Sprintf("%T", k)
}

// TestReadPrivateKeyFile: the file's size is bounded, a missing file is
// fs.ErrNotExist (the signing key is then generated), and a file with two
// keys or none is refused.
func TestReadPrivateKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := pkcs8(t, mustEC(t))
	if _, err := pemkey.ReadPrivateKey(filepath.Join(dir, "none.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v; want fs.ErrNotExist", err)
	}
	// A key after a megabyte of comments is not read: the file is too large.
	padded := append(bytes.Repeat([]byte("# comment\n"), pemkey.MaxFileBytes/10), key...)
	if _, err := pemkey.ReadPrivateKey(write("big.pem", padded)); err == nil || !strings.Contains(err.Error(), "is larger than") {
		t.Errorf("large file: %v", err)
	}
	if _, err := pemkey.ReadPrivateKey(write("small.pem", append(bytes.Repeat([]byte("#\n"), 1000), key...))); err != nil {
		t.Errorf("text before the key: %v", err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"two keys", append(pkcs8(t, mustEC(t)), key...), "holds more than one private key"},
		{"empty", nil, "holds no PEM block (-----BEGIN PRIVATE KEY-----)"},
		{"text", []byte("secret\n"), "holds no PEM block (-----BEGIN PRIVATE KEY-----)"},
		{"parameters only", pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}}), "holds no private key (only EC PARAMETERS)"},
		{"openssh", pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: []byte("openssh-key-v1\x00")}), `holds a "OPENSSH PRIVATE KEY" block, which cannot be read`},
		{"damaged", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{0x30, 1, 2}}), "holds a EC PRIVATE KEY block that cannot be read: x509:"},
		{"P-224", sec1(t, mustKey(ecdsa.GenerateKey(elliptic.P224(), rand.Reader))), "holds an EC key on P-224: use P-256, P-384 or P-521"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(tc.name, " ", "-")+".pem", tc.data)
			_, err := pemkey.ReadPrivateKey(p)
			if want := p + " " + tc.want; err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %v; want %q", err, want)
			}
		})
	}
}

// TestCheckPrivateKey: keys made in Go pass the same rule as files.
func TestCheckPrivateKey(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		key crypto.Signer
		ok  bool
	}{
		{mustEC(t), true},
		{mustKey(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)), true},
		{ed, true},
		{mustKey(ecdsa.GenerateKey(elliptic.P224(), rand.Reader)), false},
		{rsaKey(t, 1024), false},
	} {
		if err := pemkey.CheckPrivateKey(tc.key); (err == nil) != tc.ok {
			t.Errorf("CheckPrivateKey(%s) = %v; want ok %v", describe(tc.key), err, tc.ok)
		}
	}
}

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	return mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
}

func mustKey(k *ecdsa.PrivateKey, err error) *ecdsa.PrivateKey {
	if err != nil {
		panic(err)
	}
	return k
}

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pkcs8(t *testing.T, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func sec1(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}
