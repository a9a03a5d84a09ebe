package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/confcheck"
	"github.com/oauthgate/oauthgate/internal/pemkey"
)

func init() {
	jwtCommands["verify"] = command{name: "jwt verify", summary: "verify a JWT against a JWKS (file or URL) and print its claims", run: runJWTVerify}
}

// maxJWKSBytes bounds a key set read from a file or a URL.
const maxJWKSBytes = 1 << 20

// asymmetricAlgs are the algorithms verify can allow: HMAC and none never,
// since a verifier holding only public keys must not treat one as a
// shared secret (the key-confusion attack).
var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func runJWTVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("jwt verify", "jwt verify --jwks FILE|URL [--issuer I] [--audience A] [--leeway 30s] [--alg LIST] [TOKEN | -]", `
Verifies a JWT and prints its claims as JSON; exit status 1 with the
reason when it fails: the signature, the expiry (exp, nbf, iat in the
future), the issuer, the audience, or an algorithm not allowed. The keys
come from a JWKS file or an http(s) URL (fetched once, with a 10s timeout
and a 1 MiB limit; http only for loopback hosts), or from a PEM file
with --key. Allowed algorithms default to those of the keys (a key
without alg: its type's default, RS256 for RSA); "none" and HMAC (HS256,
...) are always refused. Without TOKEN, or with "-", the token is read
from standard input; a leading "Bearer " is dropped.

examples:
  oauthgate jwt verify --jwks jwks.json --issuer https://me --audience api eyJhbGciOi...
  oauthgate jwt verify --jwks https://idp.example.com/.well-known/jwks.json --leeway 1m - < token.txt
  oauthgate jwt verify --key public_key.pem --alg RS256,PS256 "$TOKEN"`)
	jwksArg := fs.String("jwks", "", "JWKS `FILE` or http(s) URL with the public keys")
	keyFile := fs.String("key", "", "PEM `FILE` with the public keys, instead of --jwks")
	issuer := fs.String("issuer", "", "the required iss `ISSUER` (default: not checked)")
	audience := fs.String("audience", "", "an `AUDIENCE` aud must include (default: not checked)")
	leeway := fs.Duration("leeway", 30*time.Second, "clock skew allowed for exp, nbf and iat")
	algList := fs.String("alg", "", "comma-separated `LIST` of allowed algorithms (default: the keys')")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 1:
		return usageError(fs, "unexpected argument %q", rest[1])
	case (*jwksArg == "") == (*keyFile == ""):
		return usageError(fs, "give --jwks FILE|URL or --key FILE")
	case *leeway < 0 || *leeway > time.Hour:
		return usageError(fs, "--leeway must be between 0 and 1h")
	}
	var allowed []string
	for _, a := range splitList(*algList) {
		i := slices.IndexFunc(asymmetricAlgs, func(s string) bool { return strings.EqualFold(s, a) })
		if i < 0 {
			return usageError(fs, "--alg %s cannot be allowed: use %s (none and HMAC are always refused)", a, strings.Join(asymmetricAlgs, ", "))
		}
		allowed = append(allowed, asymmetricAlgs[i])
	}
	arg := "-"
	if len(rest) == 1 {
		arg = rest[0]
	}
	tok, err := readTokenArg(arg)
	if err != nil {
		return err
	}
	var set jose.JSONWebKeySet
	if *keyFile != "" {
		set, err = keySetOfFile(*keyFile)
		for i := range set.Keys {
			set.Keys[i].Algorithm = "" // a PEM key names no algorithm: --alg chooses
		}
	} else {
		set, err = loadJWKS(ctx, *jwksArg, func(msg string) { warn(stderr, "jwt verify", "%s", msg) })
	}
	if err != nil {
		return err
	}
	if len(allowed) == 0 {
		for _, k := range set.Keys {
			alg := k.Algorithm
			if alg == "" {
				alg = pemkey.Algorithm(k.Key)
			}
			if !slices.Contains(allowed, alg) {
				allowed = append(allowed, alg)
			}
		}
	}
	payload, err := verifyJWT(tok, set, allowed, jwt.Expected{Issuer: *issuer, AnyAudience: splitList(*audience), Time: time.Now()}, *leeway)
	if err != nil {
		return err
	}
	var exp struct {
		Exp json.RawMessage `json:"exp"`
	}
	if json.Unmarshal(payload, &exp) == nil && exp.Exp == nil {
		warn(stderr, "jwt verify", "the token has no exp: it never expires")
	}
	_, err = fmt.Fprintf(stdout, "%s\n", indentJSON(payload))
	return err
}

// verifyJWT checks tok against the keys and returns its claims' JSON, or
// an error naming what failed, in this order: the algorithm, the
// signature, then the times, the issuer and the audience.
func verifyJWT(tok string, set jose.JSONWebKeySet, allowed []string, want jwt.Expected, leeway time.Duration) ([]byte, error) {
	p, err := splitJWT(tok)
	if err != nil {
		return nil, err
	}
	alg := p.header.Algorithm
	switch {
	case p.encrypted:
		return nil, errors.New("an encrypted token (JWE): only signed tokens can be verified")
	case strings.EqualFold(alg, "none"):
		return nil, errors.New(`alg "none" refused: the token is not signed`)
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return nil, fmt.Errorf("alg %q refused: HMAC is never accepted with public keys (a public key used as a shared secret is the key-confusion attack)", alg)
	case !slices.Contains(allowed, alg):
		return nil, fmt.Errorf("alg %q not allowed (allowed: %s)", alg, strings.Join(allowed, ", "))
	}
	sigAlgs := make([]jose.SignatureAlgorithm, len(allowed))
	for i, a := range allowed {
		sigAlgs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSignedCompact(tok, sigAlgs)
	if err != nil {
		return nil, fmt.Errorf("not a signed JWT: %w", err)
	}
	var candidates []jose.JSONWebKey
	for _, k := range set.Keys {
		if (p.header.KeyID == "" || k.KeyID == p.header.KeyID) && (k.Algorithm == "" || k.Algorithm == alg) {
			candidates = append(candidates, k)
		}
	}
	if len(candidates) == 0 {
		if p.header.KeyID != "" {
			return nil, fmt.Errorf("signature: no %s key with kid %q in the key set (kids: %s)", alg, p.header.KeyID, kids(set))
		}
		return nil, fmt.Errorf("signature: no %s key in the key set", alg)
	}
	var payload []byte
	for _, k := range candidates {
		if payload, err = jws.Verify(k); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("signature: does not verify with the key set's %s key(s) %s (altered, or signed by another key)", alg, kids(jose.JSONWebKeySet{Keys: candidates}))
	}
	var c jwt.Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("the claims cannot be read: %w", err)
	}
	return payload, checkClaims(c, want, leeway)
}

// checkClaims is jwt.Claims.ValidateWithLeeway, each failure saying what
// the token holds and what was wanted.
func checkClaims(c jwt.Claims, want jwt.Expected, leeway time.Duration) error {
	now := want.Time
	stamp := func(d *jwt.NumericDate) string { return d.Time().UTC().Format(time.RFC3339) }
	switch {
	case c.Expiry != nil && now.Add(-leeway).After(c.Expiry.Time()):
		return fmt.Errorf("expired at %s (%s ago; leeway %s)", stamp(c.Expiry), now.Sub(c.Expiry.Time()).Round(time.Second), leeway)
	case c.NotBefore != nil && now.Add(leeway).Before(c.NotBefore.Time()):
		return fmt.Errorf("not valid yet: nbf is %s (in %s; leeway %s)", stamp(c.NotBefore), c.NotBefore.Time().Sub(now).Round(time.Second), leeway)
	case c.IssuedAt != nil && now.Add(leeway).Before(c.IssuedAt.Time()):
		return fmt.Errorf("issued in the future: iat is %s (in %s; leeway %s): check the clocks", stamp(c.IssuedAt), c.IssuedAt.Time().Sub(now).Round(time.Second), leeway)
	case want.Issuer != "" && c.Issuer != want.Issuer:
		return fmt.Errorf("issuer: iss is %q, want %q", c.Issuer, want.Issuer)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{AnyAudience: want.AnyAudience, Time: now}, leeway); errors.Is(err, jwt.ErrInvalidAudience) {
		if len(c.Audience) == 0 {
			return fmt.Errorf("audience: the token has no aud, want %q", strings.Join(want.AnyAudience, `" or "`))
		}
		return fmt.Errorf("audience: aud is [%s], want %q", strings.Join(c.Audience, ", "), strings.Join(want.AnyAudience, `" or "`))
	} else if err != nil {
		return err
	}
	return nil
}

// kids lists the key ids of a key set for a message.
func kids(set jose.JSONWebKeySet) string {
	var ids []string
	for _, k := range set.Keys {
		id := k.KeyID
		if id == "" {
			id = "(no kid)"
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, ", ")
}

// loadJWKS reads the key set at src, a file or an http(s) URL, and keeps
// its public signature keys; keys it cannot use are dropped with a
// warning. A key's alg, when the set gives one, is the only algorithm it
// verifies.
func loadJWKS(ctx context.Context, src string, warnf func(string)) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	data, err := readJWKS(ctx, src)
	if err != nil {
		return set, err
	}
	var probe struct {
		Keys json.RawMessage `json:"keys"`
		Kty  string          `json:"kty"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return set, fmt.Errorf("%s: not a JWKS (JSON object with \"keys\"): %w", src, err)
	}
	switch {
	case probe.Keys != nil:
		err = json.Unmarshal(data, &set)
	case probe.Kty != "": // one key alone
		var k jose.JSONWebKey
		err = json.Unmarshal(data, &k)
		set.Keys = []jose.JSONWebKey{k}
	default:
		return set, fmt.Errorf("%s: not a JWKS: no \"keys\"", src)
	}
	if err != nil {
		return set, fmt.Errorf("%s: a key cannot be read: %w", src, err)
	}
	var usable []jose.JSONWebKey
	for i, k := range set.Keys {
		name := k.KeyID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		if k.Use != "" && k.Use != "sig" {
			continue // an encryption key
		}
		if _, symmetric := k.Key.([]byte); symmetric {
			warnf(fmt.Sprintf("key %s skipped: a symmetric (oct) key; HMAC is never accepted", name))
			continue
		}
		if !k.IsPublic() {
			warnf(fmt.Sprintf("key %s is a PRIVATE key: a JWKS should publish public keys only", name))
			k = k.Public()
		}
		if err := pemkey.CheckPublicKey(k.Key); err != nil {
			warnf(fmt.Sprintf("key %s skipped: %v", name, err))
			continue
		}
		if k.Algorithm != "" && !slices.Contains(asymmetricAlgs, k.Algorithm) {
			warnf(fmt.Sprintf("key %s skipped: alg %q cannot be allowed", name, k.Algorithm))
			continue
		}
		usable = append(usable, k)
	}
	if len(usable) == 0 {
		return set, fmt.Errorf("%s: no usable signature key (RSA of %d bits or more, EC P-256/384/521, Ed25519)", src, pemkey.MinRSABits)
	}
	set.Keys = usable
	return set, nil
}

// readJWKS reads the bytes of a key set from a file or an http(s) URL,
// at most maxJWKSBytes, with auth.DefaultHTTPTimeout for the fetch.
func readJWKS(ctx context.Context, src string) ([]byte, error) {
	var r io.Reader
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		if reason := confcheck.ServiceURL(src); reason != "" {
			return nil, fmt.Errorf("--jwks %s: %s", src, reason)
		}
		ctx, cancel := context.WithTimeout(ctx, auth.DefaultHTTPTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetching the JWKS: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetching the JWKS: %s answered %s", src, resp.Status)
		}
		r = resp.Body
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the JWKS: %w", err)
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a JWKS", src, maxJWKSBytes)
	}
	return data, nil
}
