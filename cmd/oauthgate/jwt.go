package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthgate/oauthgate/internal/pemkey"
)

// jwtCommands are the subcommands of "oauthgate jwt": a toolbox for JWTs
// and keys made anywhere, not only by oauthgate.
var jwtCommands = map[string]command{}

func init() {
	register(command{
		name:    "jwt",
		summary: "make a JWKS from a PEM key; sign, verify or decode any JWT",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runGroup(ctx, "jwt", jwtCommands, args, stdout, stderr)
		},
	})
	jwtCommands["jwks"] = command{name: "jwt jwks", summary: "print the JWKS of a PEM key file", run: runJWTJWKS}
	jwtCommands["decode"] = command{name: "jwt decode", summary: "print a JWT's header and claims WITHOUT verifying them", run: runJWTDecode}
}

// readTokenArg returns the token given as the argument, or read from
// standard input when the argument is "-"; a leading "Bearer " and
// surrounding space are dropped.
func readTokenArg(arg string) (string, error) {
	tok := arg
	if tok == "-" {
		var err error
		if tok, err = readInput(stdin, "the token", maxTokenInput); err != nil {
			return "", err
		}
	}
	tok = strings.TrimSpace(tok)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	if tok == "" {
		return "", errors.New("no token given")
	}
	return tok, nil
}

// publicJWK describes a public key as a JWKS lists it: its algorithm (alg,
// or the key type's default), use "sig", and its RFC 7638 thumbprint
// (SHA-256, base64url) as kid.
func publicJWK(pub crypto.PublicKey, alg string) (jose.JSONWebKey, error) {
	if alg == "" {
		alg = pemkey.Algorithm(pub)
	}
	k := jose.JSONWebKey{Key: pub, Algorithm: alg, Use: "sig"}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return k, err
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return k, nil
}

// keySetOfFile is the JWKS of the public keys of a PEM file.
func keySetOfFile(path string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	keys, err := pemkey.ReadPublicHalves(path)
	if err != nil {
		return set, err
	}
	for _, pub := range keys {
		k, err := publicJWK(pub, "")
		if err != nil {
			return set, err
		}
		set.Keys = append(set.Keys, k)
	}
	return set, nil
}

func runJWTJWKS(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("jwt jwks", "jwt jwks --key FILE", `
Prints the JSON Web Key Set of the keys of a PEM file, to publish or to
give to "jwt verify --jwks" or a jwt_issuers entry. The file may hold
public keys (openssl pkey -pubout, PKCS#1 "RSA PUBLIC KEY"), certificates
or a private key (PKCS#8, PKCS#1, SEC 1, with or without the EC PARAMETERS
block of "openssl ecparam -genkey"); only public parts are printed. Each
key gets its algorithm (RS256 for RSA, ES256/ES384/ES512 by curve, EdDSA
for Ed25519), use "sig" and, as kid, its RFC 7638 thumbprint, which
"jwt sign" puts in the tokens it signs.

examples:
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem
  oauthgate jwt jwks --key key.pem > jwks.json
  openssl pkey -in key.pem -pubout | oauthgate jwt jwks --key /dev/stdin`)
	keyFile := fs.String("key", "", "PEM `FILE` with a public or private key, or certificates (required)")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError(fs, "unexpected argument %q", rest[0])
	case *keyFile == "":
		return usageError(fs, "missing --key FILE")
	}
	set, err := keySetOfFile(*keyFile)
	if err != nil {
		return err
	}
	return writeJSON(stdout, set)
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// jwtParts is a compact JWT cut into its decoded parts; nothing in it is
// verified.
type jwtParts struct {
	header    jose.Header
	rawHeader []byte // the header's JSON
	payload   []byte // the claims' JSON (nil for an encrypted token)
	encrypted bool   // a JWE: five parts
}

// splitJWT decodes the header and payload of a compact JWT, to show them
// or to refuse it early with a clear reason; it checks no signature.
func splitJWT(tok string) (*jwtParts, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 && len(parts) != 5 {
		return nil, fmt.Errorf("not a compact JWT: %d dot-separated parts, want 3 (signed) or 5 (encrypted)", len(parts))
	}
	p := &jwtParts{encrypted: len(parts) == 5}
	var err error
	if p.rawHeader, err = base64.RawURLEncoding.DecodeString(parts[0]); err != nil {
		return nil, fmt.Errorf("the header is not base64url: %w", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(p.rawHeader, &fields); err != nil {
		return nil, fmt.Errorf("the header is not a JSON object: %w", err)
	}
	if alg, ok := fields["alg"].(string); ok {
		p.header.Algorithm = alg
	} else {
		return nil, errors.New("the header has no alg")
	}
	p.header.KeyID, _ = fields["kid"].(string)
	if p.encrypted {
		return p, nil
	}
	if p.payload, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		return nil, fmt.Errorf("the claims are not base64url: %w", err)
	}
	if !json.Valid(p.payload) || !bytes.HasPrefix(bytes.TrimSpace(p.payload), []byte("{")) {
		return nil, errors.New("the claims are not a JSON object")
	}
	return p, nil
}

// indentJSON indents a JSON document, keeping its numbers as written.
func indentJSON(data []byte) []byte {
	var buf bytes.Buffer
	if json.Indent(&buf, data, "", "  ") != nil {
		return data
	}
	return buf.Bytes()
}

func runJWTDecode(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("jwt decode", "jwt decode [TOKEN | -]", `
Prints the header and the claims of a JWT, and its times in words,
WITHOUT checking its signature, expiry, issuer or audience: the output is
marked UNVERIFIED, and the exit status is 0 for any token that decodes.
Use "jwt verify" to trust a token. Without TOKEN, or with "-", the token
is read from standard input; a leading "Bearer " is dropped.

examples:
  oauthgate jwt decode eyJhbGciOi...
  curl -s ... | jq -r .access_token | oauthgate jwt decode -`)
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageError(fs, "unexpected argument %q", rest[1])
	}
	arg := "-"
	if len(rest) == 1 {
		arg = rest[0]
	}
	tok, err := readTokenArg(arg)
	if err != nil {
		return err
	}
	p, err := splitJWT(tok)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "UNVERIFIED: the signature, expiry, issuer and audience were not checked")
	fmt.Fprintf(stdout, "header:\n%s\n", indentJSON(p.rawHeader))
	if p.encrypted {
		fmt.Fprintln(stdout, "claims: (encrypted: a JWE, which needs its private key to read)")
		return nil
	}
	fmt.Fprintf(stdout, "claims:\n%s\n", indentJSON(p.payload))
	var times struct {
		Exp, Nbf, Iat *json.Number
	}
	if json.Unmarshal(p.payload, &times) != nil {
		return nil // a time of another type: shown above as it is
	}
	now := time.Now()
	for _, t := range []struct {
		name string
		v    *json.Number
	}{{"iat", times.Iat}, {"nbf", times.Nbf}, {"exp", times.Exp}} {
		if t.v == nil {
			continue
		}
		f, err := t.v.Float64()
		if err != nil {
			continue
		}
		at := time.Unix(int64(f), 0)
		fmt.Fprintf(stdout, "%s: %s (%s)\n", t.name, at.UTC().Format(time.RFC3339), relative(at, now))
	}
	if times.Exp == nil {
		fmt.Fprintln(stdout, "exp: none (the token never expires)")
	}
	return nil
}

// relative says how far t is from now: "in 59m0s" or "3s ago".
func relative(t, now time.Time) string {
	if d := t.Sub(now).Round(time.Second); d >= 0 {
		return "in " + d.String()
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}
