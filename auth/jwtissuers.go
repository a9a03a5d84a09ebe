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
// (client credentials), as simple_oauth_server and Auth0 issue them.
type machineClaims struct {
	Issuer    string    `json:"-"`
	Subject   string    `json:"-"`
	Audience  []string  `json:"-"`
	ExpiresAt time.Time `json:"-"`
	IssuedAt  time.Time `json:"-"`
	NotBefore *float64  `json:"nbf"`
	ID        string    `json:"jti"`
	ClientID  string    `json:"client_id"`
	// Scope is nil when the token has no scope claim.
	Scope       *string    `json:"scope"`
	Permissions stringList `json:"permissions"`
	Roles       stringList `json:"roles"`
	Groups      stringList `json:"groups"`
}

// machine returns what verified claims say.
func (c *machineClaims) machine() *Machine {
	mi := &Machine{
		Issuer: c.Issuer, Subject: c.Subject, ClientID: c.ClientID, Audience: slices.Clip(c.Audience), ID: c.ID,
		IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, HasScope: c.Scope != nil,
		Permissions: slices.Clip([]string(c.Permissions)), Roles: slices.Clip([]string(c.Roles)), Groups: slices.Clip([]string(c.Groups)),
	}
	if c.Scope != nil {
		mi.Scopes = strings.Fields(*c.Scope)
	}
	return mi
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

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier // nil until the keys' URL is known
	lastTry  time.Time             // last failed discovery attempt
	// keys is the verifier's key set; byAudience holds verifiers of the
	// same keys for other audiences (asked for by callers of VerifyMachineToken).
	keys       oidc.KeySet
	byAudience map[string]*oidc.IDTokenVerifier
}

func newJWTIssuer(cfg JWTIssuer, client *http.Client, now func() time.Time, log *slog.Logger) *jwtIssuer {
	return &jwtIssuer{cfg: cfg, client: client, now: now, log: log}
}

// Issuer implements [MachineIssuer].
func (j *jwtIssuer) Issuer() string { return j.cfg.Issuer }

// Version implements [MachineIssuer]: what a token of an external issuer
// says never changes here.
func (j *jwtIssuer) Version() uint64 { return 0 }

// Verify implements [MachineIssuer]: tok's signature, iss, aud (the
// configured audience, or aud when not empty), exp, nbf, iat and sub.
func (j *jwtIssuer) Verify(ctx context.Context, tok, aud string, now time.Time) (*Machine, error) {
	c, err := j.verifyAudience(ctx, tok, now, aud)
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
	j.keys = newLimitedKeySet(j.client, j.now, url, j.cfg.RefetchInterval)
	j.verifier = j.newVerifier(j.cfg.Audience)
	return j.verifier, nil
}

// newVerifier returns a verifier of j's keys for audience.
func (j *jwtIssuer) newVerifier(audience string) *oidc.IDTokenVerifier {
	return oidc.NewVerifier(j.cfg.Issuer, j.keys, &oidc.Config{
		ClientID:             audience,
		SupportedSigningAlgs: j.cfg.Algorithms,
		// exp, nbf and iat are checked with the issuer's leeway in check.
		SkipExpiryCheck: true,
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

// verify checks tok's signature, iss, aud, exp, nbf and iat, and returns
// its claims.
func (j *jwtIssuer) verify(ctx context.Context, tok string, now time.Time) (*machineClaims, error) {
	v, err := j.getVerifier(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	return j.check(ctx, v, tok, now)
}

// check verifies tok with v, then its time claims and sub.
func (j *jwtIssuer) check(ctx context.Context, v *oidc.IDTokenVerifier, tok string, now time.Time) (*machineClaims, error) {
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
	case c.ExpiresAt.IsZero():
		return nil, fmt.Errorf("auth: JWT without exp: %w", ErrTokenInvalid)
	case !now.Before(c.ExpiresAt.Add(leeway)):
		return nil, fmt.Errorf("auth: JWT expired at %s: %w", c.ExpiresAt.Format(time.RFC3339), ErrTokenExpired)
	case c.NotBefore != nil && now.Add(leeway).Before(time.Unix(int64(*c.NotBefore), 0)):
		return nil, fmt.Errorf("auth: JWT not valid yet (nbf): %w", ErrTokenInvalid)
	case c.IssuedAt.After(now.Add(leeway)):
		return nil, fmt.Errorf("auth: JWT issued in the future: %w", ErrTokenInvalid)
	case c.Subject == "":
		return nil, fmt.Errorf("auth: JWT without sub: %w", ErrTokenInvalid)
	}
	// The cache keeps the entry until the token, leeway included, expires.
	c.ExpiresAt = c.ExpiresAt.Add(leeway)
	return c, nil
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

// maxAudienceVerifiers bounds the verifiers kept per issuer for other
// audiences than the configured one (one per stage of an API in
// practice).
const maxAudienceVerifiers = 64

// verifyAudience is verify for aud instead of the configured audience,
// when not empty.
func (j *jwtIssuer) verifyAudience(ctx context.Context, tok string, now time.Time, aud string) (*machineClaims, error) {
	if aud == "" || aud == j.cfg.Audience {
		return j.verify(ctx, tok, now)
	}
	if _, err := j.getVerifier(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	j.mu.Lock()
	v := j.byAudience[aud]
	if v == nil {
		if j.byAudience == nil || len(j.byAudience) >= maxAudienceVerifiers {
			j.byAudience = map[string]*oidc.IDTokenVerifier{}
		}
		v = j.newVerifier(aud)
		j.byAudience[aud] = v
	}
	j.mu.Unlock()
	return j.check(ctx, v, tok, now)
}
