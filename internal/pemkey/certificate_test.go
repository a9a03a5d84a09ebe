package pemkey_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// TestReadCertificates: a certificate alone, a chain, and a file with the
// key after the certificate are read in order; a key alone, a damaged
// certificate and a file without PEM are refused naming the file.
func TestReadCertificates(t *testing.T) {
	t.Parallel()
	cert := pemkeytest.Generate(t, pemkeytest.Certificate)
	other := pemkeytest.Generate(t, pemkeytest.Certificate)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		n    int    // certificates read
		want string // or a part of the error
	}{
		{"one", cert, 1, ""},
		{"chain", append(append([]byte{}, cert...), other...), 2, ""},
		{"with its key", pemkeytest.Generate(t, pemkeytest.KeyAfterCert), 1, ""},
		{"key only", pemkeytest.Generate(t, pemkeytest.ECParamGenkey), 0, "holds a private key, not a certificate"},
		{"encrypted key only", pemkeytest.Generate(t, pemkeytest.EncryptedPKCS8), 0, "holds a private key, not a certificate"},
		{"public key", pemkeytest.Generate(t, pemkeytest.PublicPKIX), 0, "holds no PEM certificate"},
		{"damaged", []byte("-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n"), 0, "holds a certificate that cannot be read: x509:"},
		{"not PEM", []byte("hello"), 0, "holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".pem")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			certs, err := pemkey.ReadCertificates(p)
			if tc.want == "" {
				if err != nil || len(certs) != tc.n {
					t.Fatalf("%d certificates, %v; want %d", len(certs), err, tc.n)
				}
				return
			}
			var e *pemkey.Error
			if !errors.As(err, &e) || e.File != p || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want a *pemkey.Error naming %s and saying %q", err, p, tc.want)
			}
		})
	}
}
