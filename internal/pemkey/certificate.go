package pemkey

import (
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
)

// ReadCertificates reads the certificates of a PEM file of at most
// [MaxFileBytes], in their order: a chain (the server's certificate
// first) or a bundle of authorities. Blocks that are not certificates are
// skipped (a key in a combined file). A file without a certificate, or
// with one that does not parse, is an [*Error] naming the file.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, inFile(path, err)
	}
	return certs, nil
}

// ParseCertificates is [ReadCertificates] on the bytes of a file.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var (
		certs  []*x509.Certificate
		others []string
		block  *pem.Block
	)
	for rest := data; ; {
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			others = append(others, block.Type)
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &Error{Reason: "holds a certificate that cannot be read", Err: err}
		}
		certs = append(certs, c)
	}
	switch {
	case len(certs) > 0:
		return certs, nil
	case slices.ContainsFunc(others, func(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") }):
		return nil, &Error{Reason: "holds a private key, not a certificate"}
	}
	return nil, &Error{Reason: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"}
}
