package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/internal/pemkey"
)

func init() {
	jwtCommands["sign"] = command{name: "jwt sign", summary: "sign claims into a JWT with a PEM private key", run: runJWTSign}
}

// maxClaimsInput bounds the claims read from a file or standard input.
const maxClaimsInput = 64 << 10

func runJWTSign(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("jwt sign", "jwt sign --key FILE --claims JSON|@FILE|@- [--alg ALG] [--kid KID] [--ttl 1h]", `
Signs the claims (a JSON object, given inline, as @FILE, or as @- for
standard input) with the private key of a PEM file and prints the compact
JWT. iat (now) and exp (now + --ttl) are added unless the claims have
them. The algorithm follows the key: RS256 for RSA (or RS384, RS512,
PS256, PS384, PS512 with --alg), ES256, ES384 or ES512 by the curve of an
EC key, EdDSA for Ed25519. The header's kid is the key's RFC 7638
thumbprint, as "jwt jwks" prints it, unless --kid says otherwise.

examples:
  oauthgate jwt sign --key key.pem --claims '{"iss":"https://me","sub":"job-1","aud":"api","scope":["read:products"]}'
  oauthgate jwt sign --key rsa.pem --alg PS256 --ttl 5m --claims @claims.json
  oauthgate jwt sign --key key.pem --claims @claims.json | oauthgate jwt verify --jwks jwks.json -`)
	keyFile := fs.String("key", "", "PEM `FILE` with the private key (required)")
	claimsArg := fs.String("claims", "", "the claims: a `JSON` object, @FILE or @- (required)")
	algFlag := fs.String("alg", "", "signature `ALG` (default: the key's, see above)")
	kid := fs.String("kid", "", "the header's `KID` (default: the key's thumbprint; \"\" for none)")
	ttl := fs.Duration("ttl", time.Hour, "lifetime, for the exp claim when the claims have none")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case len(rest) > 0:
		return usageError(fs, "unexpected argument %q", rest[0])
	case *keyFile == "":
		return usageError(fs, "missing --key FILE")
	case *claimsArg == "":
		return usageError(fs, "missing --claims JSON|@FILE")
	case *ttl <= 0:
		return usageError(fs, "--ttl must be positive")
	}
	key, err := pemkey.ReadPrivateKey(*keyFile)
	if err != nil {
		return err
	}
	alg, err := signingAlgorithm(key, *algFlag)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	claims, err := readClaims(*claimsArg)
	if err != nil {
		return err
	}
	now := time.Now()
	if _, ok := claims["iat"]; !ok {
		claims["iat"] = now.Unix()
	}
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = now.Add(*ttl).Unix()
	} else if set["ttl"] {
		return usageError(fs, "the claims have an exp: drop it or --ttl")
	}
	pub, err := publicJWK(key.Public(), string(alg))
	if err != nil {
		return err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if set["kid"] {
		pub.KeyID = *kid
	}
	if pub.KeyID != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), pub.KeyID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return err
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

// signingAlgorithm checks that key can sign with alg, or returns the
// key's default algorithm when alg is "".
func signingAlgorithm(key crypto.Signer, alg string) (jose.SignatureAlgorithm, error) {
	def := pemkey.Algorithm(key)
	if alg == "" {
		return jose.SignatureAlgorithm(def), nil
	}
	var fits []string
	switch key.(type) {
	case *rsa.PrivateKey:
		fits = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case *ecdsa.PrivateKey, ed25519.PrivateKey:
		fits = []string{def} // one algorithm per curve
	}
	for _, a := range fits {
		if strings.EqualFold(a, alg) {
			return jose.SignatureAlgorithm(a), nil
		}
	}
	return "", fmt.Errorf("--alg %s does not fit this %s key: use %s", alg, keyKind(key), strings.Join(fits, ", "))
}

// keyKind names a key for a message: "RSA", "EC P-256", "Ed25519".
func keyKind(key crypto.Signer) string {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PrivateKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PrivateKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", key)
}

// readClaims reads the claims argument: a JSON object, @FILE or @-.
// Numbers are kept as written (no float rounding of large values).
func readClaims(arg string) (map[string]any, error) {
	data := []byte(arg)
	what := "--claims"
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		var err error
		if data, err = readClaimsFile(name); err != nil {
			return nil, err
		}
		what = name
		if name == "-" {
			what = "the claims on standard input"
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object of claims: %w", what, err)
	}
	if claims == nil {
		return nil, fmt.Errorf("%s: not a JSON object of claims (null)", what)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more than one JSON value", what)
	}
	return claims, nil
}

// readClaimsFile reads a claims file, or standard input for "-", of at
// most maxClaimsInput bytes.
func readClaimsFile(name string) ([]byte, error) {
	if name == "-" {
		s, err := readInput(stdin, "the claims", maxClaimsInput)
		return []byte(s), err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxClaimsInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxClaimsInput {
		return nil, errors.New(name + ": longer than 64 KiB: not a claims file")
	}
	return data, nil
}
