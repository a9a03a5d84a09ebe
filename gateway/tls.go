package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// maxPEMFile bounds a certificate, key or CA file.
const maxPEMFile = 1 << 20

// readPEMFile reads a PEM file of at most maxPEMFile bytes.
func readPEMFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %w", err)
	}
	if fi.Size() > maxPEMFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxPEMFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %w", err)
	}
	return data, nil
}

// loadServerCert loads the listener's certificate and key. On error, key
// is the YAML key at fault.
func loadServerCert(certFile, keyFile string) (cert *tls.Certificate, key string, err error) {
	switch {
	case certFile == "":
		return nil, "tls.cert_file", errors.New("missing: tls.key_file is set, so the certificate is needed too")
	case keyFile == "":
		return nil, "tls.key_file", errors.New("missing: tls.cert_file is set, so its private key is needed too")
	}
	certPEM, err := readPEMFile(certFile)
	if err != nil {
		return nil, "tls.cert_file", err
	}
	if _, err := firstCertificate(certPEM); err != nil {
		return nil, "tls.cert_file", fmt.Errorf("%s: %w", certFile, err)
	}
	keyPEM, err := readPEMFile(keyFile)
	if err != nil {
		return nil, "tls.key_file", err
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The certificate parsed above, so the key is at fault: not a
		// private key, or not the certificate's.
		return nil, "tls.key_file", fmt.Errorf("%s is not the private key of tls.cert_file: %w", keyFile, err)
	}
	return &c, "", nil
}

// firstCertificate parses the first CERTIFICATE block of a PEM chain.
func firstCertificate(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM certificate in the file")
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid certificate: %w", err)
			}
			return c, nil
		}
	}
}

// loadCAFile reads a PEM bundle of CA certificates into a new pool.
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := readPEMFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
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
