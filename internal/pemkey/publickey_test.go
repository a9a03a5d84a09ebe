package pemkey_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// TestReadPublicHalvesFromOpenSSL: public keys, certificates and private
// keys as openssl writes them give their public keys; what cannot verify
// is refused naming the file.
func TestReadPublicHalvesFromOpenSSL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape pemkeytest.Shape
		want  string // the keys' types and algorithms, or a part of the error
	}{
		{pemkeytest.RSAGenrsaTraditional, "*rsa.PublicKey RS256"},
		{pemkeytest.RSAGenpkey, "*rsa.PublicKey RS256"},
		{pemkeytest.ECParamGenkey, "*ecdsa.PublicKey ES256"},
		{pemkeytest.ECParamP384, "*ecdsa.PublicKey ES384"},
		{pemkeytest.Ed25519Genpkey, "ed25519.PublicKey EdDSA"},
		{pemkeytest.PublicPKIX, "*ecdsa.PublicKey ES256"},
		{pemkeytest.PublicRSAPKCS1, "*rsa.PublicKey RS256"},
		{pemkeytest.Certificate, "*ecdsa.PublicKey ES256"},
		{pemkeytest.KeyAfterCert, "*ecdsa.PublicKey ES256, *ecdsa.PublicKey ES256"},
		{pemkeytest.EncryptedPKCS8, "holds an encrypted private key"},
		{pemkeytest.RSA1024, "holds an RSA key shorter than 2048 bits (1024 bits)"},
		{pemkeytest.X25519Genpkey, "which cannot sign"},
		{pemkeytest.KeyDER, "holds no PEM block: a DER (binary) file?"},
	} {
		t.Run(string(tc.shape), func(t *testing.T) {
			t.Parallel()
			path := pemkeytest.Write(t, tc.shape)
			keys, err := pemkey.ReadPublicHalves(path)
			if err != nil {
				var e *pemkey.Error
				if !errors.As(err, &e) || e.File != path || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q; want a *pemkey.Error naming %s and saying %q", err, path, tc.want)
				}
				return
			}
			var got []string
			for _, k := range keys {
				got = append(got, fmt.Sprintf("%T %s", k, pemkey.Algorithm(k)))
			}
			if strings.Join(got, ", ") != tc.want {
				t.Errorf("read %s; want %s", strings.Join(got, ", "), tc.want)
			}
		})
	}
}

// TestReadPublicKeysOfPrivateKey: the public key read from a private key
// file is the private key's own.
func TestReadPublicKeysOfPrivateKey(t *testing.T) {
	t.Parallel()
	path := pemkeytest.Write(t, pemkeytest.ECParamGenkey)
	priv, err := pemkey.ReadPrivateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pemkey.ReadPublicHalves(path)
	if err != nil || len(keys) != 1 || !priv.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(keys[0]) {
		t.Fatalf("keys %v, %v; want the private key's public key", keys, err)
	}
	if pemkey.Algorithm(priv) != "ES256" {
		t.Errorf("Algorithm(private key) = %q", pemkey.Algorithm(priv))
	}
}

// TestReadPublicKeysRefused: files without a usable key.
func TestReadPublicKeysRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p224 := mustKey(ecdsa.GenerateKey(elliptic.P224(), rand.Reader))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "holds no PEM public key (-----BEGIN PUBLIC KEY-----) or certificate"},
		{"parameters only", []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"), "holds no PEM public key (-----BEGIN PUBLIC KEY-----) or certificate"},
		{"damaged", []byte("-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----\n"), "holds a PUBLIC KEY block that cannot be read: "},
		{"P-224", sec1(t, p224), "holds an EC key on P-224"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".pem")
		if err := os.WriteFile(p, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		read := pemkey.ReadPublicKeys
		if tc.name == "P-224" { // a private key: only tools take its public half
			read = pemkey.ReadPublicHalves
		}
		if _, err := read(p); err == nil || !strings.HasPrefix(err.Error(), p+" "+tc.want) {
			t.Errorf("%s: error %v; want %q", tc.name, err, tc.want)
		}
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	if err := pemkey.CheckPublicKey(ed.Public()); err != nil {
		t.Errorf("CheckPublicKey(Ed25519) = %v", err)
	}
	if err := pemkey.CheckPublicKey(&p224.PublicKey); err == nil {
		t.Error("CheckPublicKey(P-224) passed")
	}
}
