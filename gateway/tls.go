package gateway

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/internal/pemkey"
)

// loadServerCert loads the listener's certificate chain and its private
// key. On error, key is the YAML key at fault.
func loadServerCert(certFile, keyFile string) (cert *tls.Certificate, key string, err error) {
	switch {
	case certFile == "":
		return nil, "tls.cert_file", errors.New("missing: tls.key_file is set, so the certificate is needed too")
	case keyFile == "":
		return nil, "tls.key_file", errors.New("missing: tls.cert_file is set, so its private key is needed too")
	}
	chain, err := pemkey.ReadCertificates(certFile)
	if err != nil {
		return nil, "tls.cert_file", err
	}
	priv, err := pemkey.ReadPrivateKey(keyFile)
	if err != nil {
		return nil, "tls.key_file", err
	}
	// The check tls.X509KeyPair makes, on the key read as every other key.
	leaf := chain[0]
	if pub, ok := priv.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(leaf.PublicKey) {
		return nil, "tls.key_file", fmt.Errorf("%s is not the private key of the certificate in tls.cert_file", keyFile)
	}
	c := &tls.Certificate{PrivateKey: priv, Leaf: leaf}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c, "", nil
}

// loadCAFile reads a PEM bundle of CA certificates into a new pool.
func loadCAFile(path string) (*x509.CertPool, error) {
	certs, err := pemkey.ReadCertificates(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// serverTLSConfig returns the listener's TLS settings: TLS 1.2 and later,
// with the certificate that getCert returns at each handshake.
func serverTLSConfig(getCert func() *tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := getCert(); c != nil {
				return c, nil
			}
			return nil, errors.New("gateway: no TLS certificate loaded")
		},
	}
}

// Warnings lists what is valid in the checked configuration but risky:
// an HTTPS listener with an http base_url, an expired listener
// certificate, upstreams whose certificates are not verified. The
// gateway logs them when it starts and on each reload; `oauthgate config
// check` prints them.
func (c *Config) Warnings() []string {
	var out []string
	if c.TLS.Enabled() {
		if base := c.Auth.BaseURL; strings.HasPrefix(strings.ToLower(base), "http://") {
			out = append(out, fmt.Sprintf("tls is set but base_url is %s: login redirects and cookies follow base_url, so browsers leave HTTPS; set base_url to the https URL", base))
		}
		if c.TLS.cert != nil && c.TLS.cert.Leaf != nil && time.Now().After(c.TLS.cert.Leaf.NotAfter) {
			out = append(out, fmt.Sprintf("the certificate of tls.cert_file expired on %s", c.TLS.cert.Leaf.NotAfter.UTC().Format(time.RFC3339)))
		}
	}
	for i, u := range c.Upstreams {
		if u.InsecureSkipTLSVerify {
			out = append(out, fmt.Sprintf("upstreams[%d].insecure_skip_tls_verify is set: the certificate of %s is not verified, so anyone on the path can read and change the traffic, identity headers included; use ca_file instead", i, u.URL))
		}
	}
	return out
}
