package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/oauthgate/oauthgate/internal/confcheck"
)

// discoveryRetryEvery spaces the attempts to read an issuer's discovery
// document while it fails.
const discoveryRetryEvery = 2 * time.Second

// machineClaims are the claims of a machine client's JWT access token
// (client credentials), as simple_oauth_server, Auth0, Okta and Entra ID
// issue them.
type machineClaims struct {
	Issuer    string    `json:"-"`
	Subject   string    `json:"-"`
	Audience  []string  `json:"-"`
	ExpiresAt time.Time `json:"-"`
	IssuedAt  time.Time `json:"-"`
	NotBefore *float64  `json:"nbf"`
	ID        string    `json:"jti"`
	ClientID  string    `json:"client_id"`
	AZP       string    `json:"azp"`
	// Scope and Scp (Okta's and Entra ID's name) are each a
	// space-separated string or a list.
	Scope       scopeClaim `json:"scope"`
	Scp         scopeClaim `json:"scp"`
	Permissions stringList `json:"permissions"`
	Roles       stringList `json:"roles"`
	Groups      stringList `json:"groups"`
	// principal names the client: see JWTIssuer.PrincipalClaim.
	principal string
}

// machine returns what verified claims say.
func (c *machineClaims) machine() *Machine {
	mi := &Machine{
		Issuer: c.Issuer, Subject: c.Subject, Principal: c.principal, ClientID: c.ClientID, Audience: slices.Clip(c.Audience), ID: c.ID,
		IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, HasScope: c.Scope.present || c.Scp.present,
		Permissions: slices.Clip([]string(c.Permissions)), Roles: slices.Clip([]string(c.Roles)), Groups: slices.Clip([]string(c.Groups)),
	}
	for _, s := range slices.Concat(c.Scope.values, c.Scp.values) {
		if !slices.Contains(mi.Scopes, s) {
			mi.Scopes = append(mi.Scopes, s)
		}
	}
	return mi
}

// scopeClaim is a scope claim: a space-separated string, or a list of
// scopes (as a Lambda authorizer's or Entra ID's tokens carry it).
type scopeClaim struct {
	present bool
	values  []string
}

func (sc *scopeClaim) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*sc = scopeClaim{present: true, values: strings.Fields(one)}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("auth: the scope claim is neither a string nor a list of strings")
	}
	*sc = scopeClaim{present: true}
	for _, s := range many {
		// An entry holding spaces is several scopes, as in the string form.
		sc.values = append(sc.values, strings.Fields(s)...)
	}
	return nil
}

// stringList is a JSON list of strings that may also be one string.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("auth: expected a string or a list of strings")
	}
	*l = many
	return nil
}

// jwtIssuer verifies the JWT access tokens of one trusted issuer of
// jwt_issuers: a [MachineIssuer] whose tokens are checked with its keys.
type jwtIssuer struct {
	cfg    JWTIssuer
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	// file holds the keys of public_key_file or jwks_file; nil for keys
	// fetched over HTTP.
	file *fileKeySet

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier // nil until the keys' URL is known
	lastTry  time.Time             // last failed discovery attempt
}

// newJWTIssuer returns the verifier of cfg's tokens. Keys in a file are
// read now: a file that cannot be used is a *ConfigError.
func newJWTIssuer(cfg JWTIssuer, key string, client *http.Client, now func() time.Time, log *slog.Logger) (*jwtIssuer, error) {
	j := &jwtIssuer{cfg: cfg, client: client, now: now, log: log}
	if cfg.PublicKeyFile != "" || cfg.JWKSFile != "" {
		ks, err := newFileKeySet(cfg, key, now, log)
		if err != nil {
			return nil, err
		}
		j.file = ks
		j.verifier = j.newVerifier(ks)
	}
	return j, nil
}

// Issuer implements [MachineIssuer].
func (j *jwtIssuer) Issuer() string { return j.cfg.Issuer }

// Version implements [MachineIssuer]: what a token of an external issuer
// says never changes here, but keys read from a file may: a new version
// of the file makes cached tokens be verified again.
func (j *jwtIssuer) Version() uint64 {
	if j.file != nil {
		return j.file.refresh()
	}
	return 0
}

// Verify implements [MachineIssuer]: tok's signature, iss, aud (the
// configured audience, or aud when not empty), exp, nbf, iat and the
// principal.
func (j *jwtIssuer) Verify(ctx context.Context, tok, aud string, now time.Time) (*Machine, error) {
	if aud == "" {
		aud = j.cfg.Audience
	}
	c, err := j.verify(ctx, tok, aud, now)
	if err != nil {
		return nil, err
	}
	return c.machine(), nil
}

// errIssuerKeys wraps the cases where the issuer's keys cannot be had;
// the token cannot be verified, so it is refused like an invalid one.
var errIssuerKeys = errors.New("auth: the issuer's keys are unavailable")

// getVerifier returns the verifier, building it on first use.
func (j *jwtIssuer) getVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.verifier != nil {
		return j.verifier, nil
	}
	now := j.now()
	if j.cfg.JWKSURL == "" && !j.lastTry.IsZero() && now.Sub(j.lastTry) < discoveryRetryEvery {
		return nil, fmt.Errorf("auth: discovery of %s failed recently: %w", j.cfg.Issuer, errIssuerKeys)
	}
	url, err := j.keysURL(ctx)
	if err != nil {
		j.lastTry = now
		j.log.Warn("auth: JWT issuer discovery failed", "issuer", j.cfg.Issuer, "err", err)
		return nil, fmt.Errorf("auth: discovery of %s: %w: %w", j.cfg.Issuer, errIssuerKeys, err)
	}
	j.verifier = j.newVerifier(newLimitedKeySet(j.client, j.now, url, j.cfg.RefetchInterval))
	return j.verifier, nil
}

// newVerifier returns a verifier of signature, alg and iss with keys.
func (j *jwtIssuer) newVerifier(keys oidc.KeySet) *oidc.IDTokenVerifier {
	return oidc.NewVerifier(j.cfg.Issuer, keys, &oidc.Config{
		SupportedSigningAlgs: j.cfg.Algorithms,
		// aud (which may be absent, or asked for by the caller), exp, nbf
		// and iat (with the issuer's leeway) are checked in check.
		SkipClientIDCheck: true,
		SkipExpiryCheck:   true,
	})
}

// keysURL returns where the issuer's keys are: jwks_url, or else the
// jwks_uri of its discovery document.
func (j *jwtIssuer) keysURL(ctx context.Context) (string, error) {
	if j.cfg.JWKSURL != "" {
		return j.cfg.JWKSURL, nil
	}
	return j.discoverJWKS(ctx)
}

// discoverJWKS reads jwks_uri from the issuer's discovery document.
func (j *jwtIssuer) discoverJWKS(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultHTTPTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, j.client), j.cfg.Issuer)
	if err != nil {
		return "", err
	}
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil {
		return "", err
	}
	if reason := confcheck.ServiceURL(meta.JWKSURL); reason != "" {
		return "", fmt.Errorf("jwks_uri: %s", reason)
	}
	return meta.JWKSURL, nil
}

// verify checks tok's signature, iss, aud (for audience), exp, nbf, iat
// and principal, and returns its claims.
func (j *jwtIssuer) verify(ctx context.Context, tok, audience string, now time.Time) (*machineClaims, error) {
	v, err := j.getVerifier(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	idt, err := v.Verify(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("auth: JWT of %s: %w: %w", j.cfg.Issuer, ErrTokenInvalid, err)
	}
	c := &machineClaims{Issuer: idt.Issuer, Subject: idt.Subject, Audience: idt.Audience, ExpiresAt: idt.Expiry, IssuedAt: idt.IssuedAt}
	if err := idt.Claims(c); err != nil {
		return nil, fmt.Errorf("auth: JWT claims: %w: %w", ErrTokenInvalid, err)
	}
	leeway := j.cfg.Leeway
	switch {
	case len(c.Audience) == 0 && *j.cfg.AudienceRequired:
		return nil, fmt.Errorf("auth: JWT without aud (the issuer's audience_required is true): %w", ErrTokenInvalid)
	case len(c.Audience) > 0 && !slices.Contains(c.Audience, audience):
		return nil, fmt.Errorf("auth: JWT for audience %q, not %q: %w", c.Audience, audience, ErrTokenInvalid)
	case c.ExpiresAt.IsZero():
		return nil, fmt.Errorf("auth: JWT without exp: %w", ErrTokenInvalid)
	case !now.Before(c.ExpiresAt.Add(leeway)):
		return nil, fmt.Errorf("auth: JWT expired at %s: %w", c.ExpiresAt.Format(time.RFC3339), ErrTokenExpired)
	case c.NotBefore != nil && now.Add(leeway).Before(time.Unix(int64(*c.NotBefore), 0)):
		return nil, fmt.Errorf("auth: JWT not valid yet (nbf): %w", ErrTokenInvalid)
	case c.IssuedAt.After(now.Add(leeway)):
		return nil, fmt.Errorf("auth: JWT issued in the future: %w", ErrTokenInvalid)
	}
	if c.principal, err = j.principal(idt, c); err != nil {
		return nil, err
	}
	// The cache keeps the entry until the token, leeway included, expires.
	c.ExpiresAt = c.ExpiresAt.Add(leeway)
	return c, nil
}

// principal returns the claim that names the client: principal_claim,
// or else the first of sub, client_id and azp that is set.
func (j *jwtIssuer) principal(idt *oidc.IDToken, c *machineClaims) (string, error) {
	name := j.cfg.PrincipalClaim
	if name == "" {
		for _, p := range []string{c.Subject, c.ClientID, c.AZP} {
			if p != "" {
				return p, nil
			}
		}
		return "", fmt.Errorf("auth: JWT without sub, client_id or azp: nothing names the client: %w", ErrTokenInvalid)
	}
	var all map[string]any
	if err := idt.Claims(&all); err != nil {
		return "", fmt.Errorf("auth: JWT claims: %w: %w", ErrTokenInvalid, err)
	}
	p, _ := all[name].(string)
	if p == "" {
		return "", fmt.Errorf("auth: JWT without a string %s claim (the issuer's principal_claim): %w", name, ErrTokenInvalid)
	}
	return p, nil
}

// limitedKeySet verifies with the keys of the last fetched key set and
// fetches through go-oidc's remote key set (which shares in-flight
// fetches) only for a kid it does not know, at most once per interval:
// a stream of forged kids or signatures cannot make the app hammer the
// issuer. A known kid with a bad signature is refused without a fetch (a
// rotation brings new kids, it does not change a kid's key).
type limitedKeySet struct {
	remote *oidc.RemoteKeySet
	now    func() time.Time
	every  time.Duration

	mu        sync.Mutex
	keys      map[string]jose.JSONWebKey // by kid, from the last fetched set
	fetched   bool
	lastFetch time.Time
}

func newLimitedKeySet(base *http.Client, now func() time.Time, url string, every time.Duration) *limitedKeySet {
	ks := &limitedKeySet{now: now, every: every}
	client := *base
	client.Transport = jwksRecorder{base: base.Transport, ks: ks}
	// The key set fetches long after New returns: a context of its own.
	ks.remote = oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), &client), url)
	return ks
}

// errKidRateLimited refuses an unknown kid while a fetch happened recently.
var errKidRateLimited = errors.New("auth: unknown key id (the key set was fetched recently)")

// VerifySignature implements oidc.KeySet.
func (k *limitedKeySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, allAsymmetricAlgs)
	if err != nil {
		return nil, fmt.Errorf("auth: malformed JWT: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("auth: JWT with several signatures")
	}
	kid := jws.Signatures[0].Protected.KeyID
	if kid == "" {
		return nil, errors.New("auth: JWT without kid")
	}
	k.mu.Lock()
	key, known := k.keys[kid]
	allowed := !known && (!k.fetched || k.now().Sub(k.lastFetch) >= k.every)
	if allowed {
		// Counted before the fetch, so concurrent unknown kids share it.
		k.lastFetch, k.fetched = k.now(), true
	}
	k.mu.Unlock()
	if known {
		return jws.Verify(&key)
	}
	if !allowed {
		return nil, errKidRateLimited
	}
	return k.remote.VerifySignature(ctx, raw)
}

// probeToken names a key id no key set has: verifying it makes the key
// set fetch, since go-oidc fetches only to verify a token.
const probeToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im9hdXRoZ2F0ZS1wcm9iZSJ9.e30.AA" // {"alg":"RS256","kid":"oauthgate-probe"}

// fetch fetches the key set as an unknown key id does, and fails unless
// it holds a usable key.
func (k *limitedKeySet) fetch(ctx context.Context) error {
	_, err := k.VerifySignature(ctx, probeToken)
	k.mu.Lock()
	keys := k.keys // set by record on a key set that decodes
	k.mu.Unlock()
	switch {
	case keys == nil && err != nil:
		return err
	case keys == nil:
		return errors.New("auth: the key set was not fetched")
	case len(keys) == 0:
		return errors.New("auth: the key set has no public key with a kid")
	}
	return nil
}

// record keeps the keys of a fetched key set.
func (k *limitedKeySet) record(body []byte) {
	var set jose.JSONWebKeySet
	if json.Unmarshal(body, &set) != nil {
		return
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, key := range set.Keys {
		if key.KeyID != "" && key.Valid() && key.IsPublic() {
			keys[key.KeyID] = key
		}
	}
	k.mu.Lock()
	k.keys, k.fetched, k.lastFetch = keys, true, k.now()
	k.mu.Unlock()
}

var allAsymmetricAlgs = func() []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, 0, len(asymmetricAlgs))
	for alg := range asymmetricAlgs {
		out = append(out, jose.SignatureAlgorithm(alg))
	}
	return out
}()

// jwksRecorder passes the key set fetches through and tells the key set
// which key ids the answer holds.
type jwksRecorder struct {
	base http.RoundTripper
	ks   *limitedKeySet
}

func (t jwksRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIdPResponseBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	t.ks.record(body)
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp, nil
}
