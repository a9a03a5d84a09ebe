package pemkey_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// TestReadPublicKeysForVerifiers: the public keys openssl writes (PKIX, PKCS#1, a
// certificate's) are read, several in one file in their order; private
// keys, weak keys and files without a public key are refused naming the
// file and the problem.
func TestReadPublicKeysForVerifiers(t *testing.T) {
	t.Parallel()
	pub := func(args ...string) []byte {
		return pemkeytest.OpenSSL(t, pemkeytest.OpenSSL(t, nil, args...), "pkey", "-pubout")
	}
	rsaPub := pub("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
	ecPub := pub("ecparam", "-genkey", "-name", "prime256v1")
	edPub := pub("genpkey", "-algorithm", "ED25519")
	weak := pemkeytest.OpenSSL(t, pemkeytest.Generate(t, pemkeytest.RSA1024), "pkey", "-pubout")
	secp256k1 := pub("ecparam", "-genkey", "-name", "secp256k1")
	join := func(parts ...[]byte) []byte {
		return []byte(strings.Join(func() []string {
			out := make([]string, len(parts))
			for i, p := range parts {
				out[i] = string(p)
			}
			return out
		}(), ""))
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		data  []byte
		types []string // the keys' types, in order
		want  string   // or a part of the error
	}{
		{"rsa", rsaPub, []string{"rsa"}, ""},
		{"ec", ecPub, []string{"ec"}, ""},
		{"ed25519", edPub, []string{"ed"}, ""},
		{"pkcs1", pemkeytest.Generate(t, pemkeytest.PublicRSAPKCS1), []string{"rsa"}, ""},
		{"certificate", pemkeytest.Generate(t, pemkeytest.Certificate), []string{"ec"}, ""},
		{"several", join(ecPub, rsaPub, edPub), []string{"ec", "rsa", "ed"}, ""},
		{"private key", pemkeytest.Generate(t, pemkeytest.RSAGenpkey), nil, "holds a private key; give the public key only"},
		{"public and private", join(ecPub, pemkeytest.Generate(t, pemkeytest.ECParamGenkey)), nil, "holds a private key"},
		{"short rsa", weak, nil, "holds (key 1) an RSA key shorter than 2048 bits (1024 bits)"},
		{"second key weak", join(ecPub, weak), nil, "holds (key 2) an RSA key shorter"},
		{"other curve", secp256k1, nil, "holds a PUBLIC KEY block that cannot be read"},
		{"damaged", []byte("-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----\n"), nil, "holds a PUBLIC KEY block that cannot be read"},
		{"not PEM", []byte("hello"), nil, "holds no PEM public key"},
		{"DER", []byte{0x30, 0x82, 0, 1, 2}, nil, "a DER (binary) file?"},
		{"other block", []byte("-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n"), nil, "holds no public key or certificate (only X509 CRL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".pem")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			keys, err := pemkey.ReadPublicKeys(p)
			if tc.want != "" {
				var e *pemkey.Error
				if !errors.As(err, &e) || e.File != p || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v; want a *pemkey.Error naming %s and saying %q", err, p, tc.want)
				}
				return
			}
			if err != nil || len(keys) != len(tc.types) {
				t.Fatalf("%d keys, %v; want %d", len(keys), err, len(tc.types))
			}
			for i, k := range keys {
				var got string
				switch k.(type) {
				case *rsa.PublicKey:
					got = "rsa"
				case *ecdsa.PublicKey:
					got = "ec"
				case ed25519.PublicKey:
					got = "ed"
				}
				if got != tc.types[i] || pemkey.CheckPublicKey(k) != nil {
					t.Errorf("key %d is %T; want %s", i, k, tc.types[i])
				}
			}
		})
	}
	if _, err := pemkey.ReadPublicKeys(filepath.Join(dir, "missing.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
