package pemkey_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/oauthgate/oauthgate/internal/pemkey"
)

// FuzzParsePrivateKey: any input gives a key or an *Error, never a panic;
// a key it gives passes CheckPrivateKey and is the key its PKCS#8 form
// reads back as.
func FuzzParsePrivateKey(f *testing.F) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	edDER, _ := x509.MarshalPKCS8PrivateKey(ed)
	params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}})
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})
	for _, seed := range [][]byte{
		append(params, sec1...),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: ecDER}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}}),
		[]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"),
		nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := pemkey.ParsePrivateKey(data)
		if err != nil {
			var e *pemkey.Error
			if key != nil || !errors.As(err, &e) {
				t.Fatalf("key %v, error %v (%T)", key, err, err)
			}
			return
		}
		if err := pemkey.CheckPrivateKey(key); err != nil {
			t.Fatalf("a key that fails the check was returned: %v", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatalf("the key does not marshal: %v", err)
		}
		again, err := pemkey.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err != nil {
			t.Fatalf("its PKCS#8 form does not read back: %v", err)
		}
		if !again.(interface{ Equal(crypto.PrivateKey) bool }).Equal(key) {
			t.Fatal("its PKCS#8 form reads back as another key")
		}
	})
}
