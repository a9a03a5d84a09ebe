package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
	"github.com/oauthgate/oauthgate/internal/pemkey/pemkeytest"
)

// TestKeyFilesFromOpenSSL: a key file openssl wrote is read the same way
// as upstream_jwt.key_file and as client_credentials.signing_key_file:
// the gateway starts with the same file in both places, and both JWKS
// publish its public key. An `openssl ecparam -genkey` key (EC PARAMETERS
// before the key) is one of them.
func TestKeyFilesFromOpenSSL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape pemkeytest.Shape
		alg   string // client_credentials.algorithm; "" when that signer refuses the key type
	}{
		{pemkeytest.ECParamGenkey, "ES256"},
		{pemkeytest.ECParamNoout, "ES256"},
		{pemkeytest.ECGenpkey, "ES256"},
		{pemkeytest.RSAGenrsa, "RS256"},
		{pemkeytest.RSAGenrsaTraditional, "RS256"},
		{pemkeytest.RSAGenpkey, "RS256"},
		{pemkeytest.KeyAfterCert, "ES256"},
		{pemkeytest.ECParamP384, ""},
		{pemkeytest.Ed25519Genpkey, ""},
	} {
		t.Run(string(tc.shape), func(t *testing.T) {
			t.Parallel()
			file := pemkeytest.Write(t, tc.shape)
			cfg := gatewaytest.DefaultConfig("http://127.0.0.1:1", "http://127.0.0.1:1")
			cfg.Auth.BaseURL = "https://gw.example"
			cfg.PassHeaders = []string{"Authorization"}
			cfg.UpstreamJWT.KeyFile = file
			if tc.alg != "" {
				cfg.ClientCredentials.Grant.SigningKeyFile = file
				cfg.ClientCredentials.Grant.Algorithm = tc.alg
			}
			g, err := gateway.New(context.Background(), cfg)
			if err != nil {
				t.Fatalf("%s: %v", tc.shape, err)
			}
			t.Cleanup(func() { _ = g.Close() })
			upstream := jwksKeyIDs(t, g, gatewaytest.Prefix+gateway.UpstreamJWKSPath)
			if len(upstream) != 1 {
				t.Fatalf("upstream JWKS: %v", upstream)
			}
			if tc.alg == "" {
				return
			}
			if own := jwksKeyIDs(t, g, gatewaytest.Prefix+"/.well-known/jwks.json"); len(own) != 1 || own[0] != upstream[0] {
				t.Errorf("client-credentials JWKS %v, upstream JWKS %v: want the same one key", own, upstream)
			}
		})
	}
}

// TestKeyFilesRefusedAlike: a file that is not a usable private key is
// refused by upstream_jwt.key_file and client_credentials.signing_key_file
// with the same words, naming the file and what it holds.
func TestKeyFilesRefusedAlike(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape pemkeytest.Shape
		want  string
	}{
		{pemkeytest.EncryptedPKCS8, "holds an encrypted private key"},
		{pemkeytest.EncryptedRSA, "holds an encrypted private key"},
		{pemkeytest.PublicPKIX, "holds a public key, not a private key"},
		{pemkeytest.PublicRSAPKCS1, "holds a public key, not a private key"},
		{pemkeytest.Certificate, "holds a certificate, not a private key"},
		{pemkeytest.RSA1024, "holds an RSA key shorter than 2048 bits"},
	} {
		t.Run(string(tc.shape), func(t *testing.T) {
			t.Parallel()
			file := pemkeytest.Write(t, tc.shape)
			for key, set := range map[string]func(*gateway.Config){
				"upstream_jwt.key_file": func(c *gateway.Config) {
					c.PassHeaders = []string{"Authorization"}
					c.UpstreamJWT.KeyFile = file
				},
				"client_credentials.signing_key_file": func(c *gateway.Config) {
					c.ClientCredentials.Grant.SigningKeyFile = file
				},
			} {
				cfg := gatewaytest.DefaultConfig("http://127.0.0.1:1", "http://127.0.0.1:1")
				cfg.Auth.BaseURL = "https://gw.example"
				set(cfg)
				g, err := gateway.New(context.Background(), cfg)
				if err == nil {
					_ = g.Close()
				}
				if want := key + ": cannot use the key: " + file + " " + tc.want; err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error %v; want %q", key, err, want)
				}
			}
		})
	}
}

// jwksKeyIDs returns the kids of the JWKS that h serves at path.
func jwksKeyIDs(t *testing.T, h http.Handler, path string) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://gw.example"+path, nil))
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("GET %s: %d %v\n%s", path, rec.Code, err, strings.TrimSpace(rec.Body.String()))
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

// TestTLSKeyFilesFromOpenSSL: tls.key_file takes the keys openssl writes,
// as the signing keys do, beside an openssl certificate or in one file
// with it; an encrypted key or a key that is not the certificate's is
// refused naming tls.key_file.
func TestTLSKeyFilesFromOpenSSL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\nclient_id: app\n" +
		"secret_key: q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o\nbase_url: https://gw.example.com\ncapabilities: {graph: {read: []}}\n" +
		"upstreams: [{path_prefix: /, url: 'http://10.0.0.1', require: login}]\n"
	keyFile := func(t *testing.T, shape pemkeytest.Shape) (string, []byte) {
		key := pemkeytest.Generate(t, shape)
		return writeFile(t, dir, strings.NewReplacer(" ", "_", ",", "").Replace(string(shape))+".key", key), key
	}
	combined := writeFile(t, dir, "combined.pem", pemkeytest.Generate(t, pemkeytest.KeyAfterCert))
	otherCert := writeFile(t, dir, "other.crt", pemkeytest.Generate(t, pemkeytest.Certificate))
	const selfSigned, keyItself = "self-signed", "the key file"
	for _, tc := range []struct {
		name  string
		shape pemkeytest.Shape
		cert  string // a file, selfSigned or keyItself
		want  string // a part of the error, "" when accepted
	}{
		{"ecparam -genkey", pemkeytest.ECParamGenkey, selfSigned, ""},
		{"genrsa -traditional", pemkeytest.RSAGenrsaTraditional, selfSigned, ""},
		{"genpkey ED25519", pemkeytest.Ed25519Genpkey, selfSigned, ""},
		{"not the certificate's key", pemkeytest.ECParamNoout, otherCert, "tls.key_file: " + filepath.Join(dir, "ecparam_-genkey_-noout.key") + " is not the private key"},
		{"encrypted key", pemkeytest.EncryptedEC, otherCert, "tls.key_file: " + filepath.Join(dir, "ec_-aes256.key") + " holds an encrypted private key"},
		{"key as the certificate", pemkeytest.ECGenpkey, keyItself, "tls.cert_file: " + filepath.Join(dir, "genpkey_EC.key") + " holds a private key, not a certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, pemKey := keyFile(t, tc.shape)
			cert := tc.cert
			switch cert {
			case selfSigned:
				cert = writeFile(t, dir, filepath.Base(key)+".crt", pemkeytest.SelfSigned(t, pemKey))
			case keyItself:
				cert = key
			}
			_, err := gateway.ParseConfig([]byte(base+"tls: {cert_file: '"+cert+"', key_file: '"+key+"'}\n"), dir)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v; want %q", err, tc.want)
			}
		})
	}
	// A certificate and its key in one file serve as both.
	if _, err := gateway.ParseConfig([]byte(base+"tls: {cert_file: '"+combined+"', key_file: '"+combined+"'}\n"), dir); err != nil {
		t.Errorf("one file with the certificate and the key: %v", err)
	}
}
