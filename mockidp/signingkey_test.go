package mockidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// TestSigningKeyFromOpenSSL signs with keys openssl wrote: the ID token
// and the JWT access token verify against the JWKS, which publishes the
// key's public half under the kid the tokens name.
func TestSigningKeyFromOpenSSL(t *testing.T) {
	for _, tc := range []struct {
		shape pemkeytest.Shape
		alg   string
	}{
		{pemkeytest.RSAGenrsaTraditional, "RS256"},
		{pemkeytest.RSAGenpkey, "RS256"},
		{pemkeytest.ECParamGenkey, "ES256"},
		{pemkeytest.ECGenpkey, "ES256"},
		{pemkeytest.Ed25519Genpkey, "EdDSA"},
	} {
		t.Run(string(tc.shape), func(t *testing.T) {
			key, err := pemkey.ReadPrivateKey(pemkeytest.Write(t, tc.shape))
			if err != nil {
				t.Fatal(err)
			}
			s := newTestServer(t, Options{SigningKey: key, JWTAccessTokens: true})
			if got := s.Provider.Algorithm(); got != tc.alg {
				t.Fatalf("Algorithm() = %q; want %q", got, tc.alg)
			}
			rp := newRP(t, s)
			res := rp.login(t)
			idt, err := rp.verifier.Verify(rp.ctx, res.raw)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			if err := idt.VerifyAccessToken(res.token.AccessToken); err != nil {
				t.Fatalf("at_hash: %v", err)
			}
			set := fetchJWKS(t, s)
			if len(set.Keys) != 1 || set.Keys[0].Algorithm != tc.alg || !set.Keys[0].IsPublic() {
				t.Fatalf("JWKS %+v", set.Keys)
			}
			pub, ok := set.Keys[0].Key.(interface{ Equal(crypto.PublicKey) bool })
			if !ok || !pub.Equal(key.Public()) {
				t.Fatalf("JWKS key is not the public half of the signing key")
			}
			for _, tok := range []string{res.raw, res.token.AccessToken} {
				jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tc.alg)})
				if err != nil {
					t.Fatal(err)
				}
				if jws.Signatures[0].Header.KeyID != set.Keys[0].KeyID {
					t.Fatalf("kid %q; JWKS has %q", jws.Signatures[0].Header.KeyID, set.Keys[0].KeyID)
				}
				if _, err := jws.Verify(set.Keys[0]); err != nil {
					t.Fatalf("verify with the JWKS: %v", err)
				}
			}
			// Rotation keeps the algorithm.
			if _, err := s.Provider.RotateKeys(); err != nil {
				t.Fatal(err)
			}
			if set := fetchJWKS(t, s); len(set.Keys) != 2 || set.Keys[0].Algorithm != tc.alg {
				t.Fatalf("after rotation: %+v", set.Keys)
			}
			if _, err := rp.verifier.Verify(rp.ctx, rp.login(t).raw); err != nil {
				t.Fatalf("after rotation: %v", err)
			}
		})
	}
}

func TestSigningKeyRefused(t *testing.T) {
	p384, err := pemkey.ReadPrivateKey(pemkeytest.Write(t, pemkeytest.ECParamP384))
	if err != nil {
		t.Fatal(err)
	}
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, _ := testKeys(t)
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"P-384", Options{SigningKey: p384}, "use RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA)"},
		{"RSA 1024", Options{SigningKey: weak}, "shorter than 2048 bits"},
		{"P-224", Options{SigningKey: p224}, "use RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA)"},
		{"RSA key, ES256", Options{SigningKey: rk, Algorithm: "ES256"}, "signs with RS256, not ES256"},
		{"unknown algorithm", Options{Algorithm: "PS256"}, "want RS256, ES256 or EdDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want an error with %q", err, tc.want)
			}
		})
	}
}

func TestGeneratedEdDSAKey(t *testing.T) {
	s, err := NewServer(Options{Algorithm: "EdDSA"}) // a generated key
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if s.Provider.Algorithm() != "EdDSA" {
		t.Fatal(s.Provider.Algorithm())
	}
	var d Discovery
	resp, body := do(t, s.Client(), mustRequest(t, "GET", s.URL+"/.well-known/openid-configuration"))
	if err := json.Unmarshal(body, &d); err != nil || resp.StatusCode != 200 || strings.Join(d.IDTokenSigningAlgValuesSupported, ",") != "EdDSA" {
		t.Fatalf("discovery: %v %+v", err, d.IDTokenSigningAlgValuesSupported)
	}
	rp := newRP(t, s)
	if _, err := rp.verifier.Verify(rp.ctx, rp.login(t).raw); err != nil {
		t.Fatal(err)
	}
}

func fetchJWKS(t *testing.T, s *Server) jose.JSONWebKeySet {
	t.Helper()
	_, body := do(t, s.Client(), mustRequest(t, "GET", s.URL+"/jwks"))
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	return set
}
