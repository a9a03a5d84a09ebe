package auth

import (
	"fmt"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/internal/confcheck"
)

// JWTIssuer is one trusted issuer of JWT access tokens.
type JWTIssuer struct {
	// Issuer is the exact iss claim, e.g. "https://tenant.auth0.com/".
	// Required. https, or http on a loopback host.
	Issuer string `yaml:"issuer"`
	// Audience must be one of the token's aud values. Required.
	Audience string `yaml:"audience"`
	// AudienceRequired false accepts tokens without aud, for issuers that
	// never set it; a token with aud must still name Audience. Default
	// true. Only for an issuer whose tokens are all meant for this app:
	// otherwise a token minted for another API passes here too.
	AudienceRequired *bool `yaml:"audience_required"`
	// PrincipalClaim names the string claim that identifies the client
	// (the identity's Subject). Default: sub, else client_id, else azp.
	PrincipalClaim string `yaml:"principal_claim"`
	// The keys are found in exactly one of JWKSURL, Discovery,
	// PublicKeyFile and JWKSFile.
	//
	// JWKSURL is where the issuer publishes its public keys.
	JWKSURL string `yaml:"jwks_url"`
	// PublicKeyFile is a PEM file of the issuer's public keys (one or
	// more: PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE blocks). A token's
	// kid need not match: each key is tried. The file is read again when
	// it changes (checked at most every second); write the new one beside
	// it and rename it into place.
	PublicKeyFile string `yaml:"public_key_file" conf:"path"`
	// JWKSFile is a JSON Web Key Set file (as jwks_url would serve it),
	// read again when it changes, as PublicKeyFile is. A token naming a
	// kid is checked with that key only.
	JWKSFile string `yaml:"jwks_file" conf:"path"`
	// Discovery finds the keys through the issuer's OpenID discovery
	// document ({issuer}/.well-known/openid-configuration), fetched on the
	// first token and retried at most every 2s while it fails.
	Discovery bool `yaml:"discovery"`
	// Algorithms are the accepted signature algorithms. Default ["RS256"].
	// Allowed: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA; never
	// "none" nor an HMAC algorithm (HS*), which a public key cannot check.
	Algorithms []string `yaml:"algorithms"`
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 1m,
	// at most 10m.
	Leeway time.Duration `yaml:"leeway"`
	// RefetchInterval is the least time between two fetches of the key set
	// caused by tokens naming an unknown key id (kid): a stream of forged
	// kids cannot make the app hammer the issuer. Default 10s.
	RefetchInterval time.Duration `yaml:"refetch_interval"`
}

// Defaults of [JWTIssuer].
const (
	defaultJWTLeeway           = time.Minute
	defaultJWKSRefetchInterval = 10 * time.Second
	maxJWTLeeway               = 10 * time.Minute
)

// reservedClaims are registered claims that cannot name a client.
var reservedClaims = map[string]bool{"iss": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true, "scope": true, "scp": true}

// asymmetricAlgs are the algorithms a public key set can check.
var asymmetricAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// validateMachine fills in the defaults of jwt_issuers and checks them
// and scope_capabilities. Capability names in scope_capabilities are
// checked by New against the graph.
func (c *Config) validateMachine() []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &ConfigError{Key: key, Reason: reason})
	}
	seen := map[string]bool{}
	for i := range c.JWTIssuers {
		iss := &c.JWTIssuers[i]
		key := fmt.Sprintf("jwt_issuers[%d]", i)
		iss.Issuer = strings.TrimSpace(iss.Issuer)
		switch {
		case iss.Issuer == "":
			bad(key+".issuer", "missing: the exact iss claim of the issuer's tokens")
		case seen[iss.Issuer]:
			bad(key+".issuer", "listed twice")
		default:
			if reason := confcheck.ServiceURL(iss.Issuer); reason != "" {
				bad(key+".issuer", reason)
			}
		}
		seen[iss.Issuer] = true
		if strings.TrimSpace(iss.Audience) == "" {
			bad(key+".audience", "missing: the aud that tokens for this app carry")
		}
		if iss.AudienceRequired == nil {
			yes := true
			iss.AudienceRequired = &yes
		}
		iss.PrincipalClaim = strings.TrimSpace(iss.PrincipalClaim)
		if reservedClaims[iss.PrincipalClaim] {
			bad(key+".principal_claim", fmt.Sprintf("%q does not name a client: use sub, client_id, azp or a claim of your issuer", iss.PrincipalClaim))
		}
		var sources []string
		for _, s := range []struct {
			name string
			set  bool
		}{{"jwks_url", iss.JWKSURL != ""}, {"discovery", iss.Discovery}, {"public_key_file", iss.PublicKeyFile != ""}, {"jwks_file", iss.JWKSFile != ""}} {
			if s.set {
				sources = append(sources, s.name)
			}
		}
		switch {
		case len(sources) == 0:
			bad(key+".jwks_url", "missing: set one of jwks_url, discovery: true, public_key_file or jwks_file")
		case len(sources) > 1:
			bad(key+"."+sources[1], fmt.Sprintf("set only one of jwks_url, discovery, public_key_file and jwks_file (%s is set too)", sources[0]))
		case iss.JWKSURL != "":
			if reason := confcheck.ServiceURL(iss.JWKSURL); reason != "" {
				bad(key+".jwks_url", reason)
			}
		}
		if len(iss.Algorithms) == 0 {
			iss.Algorithms = []string{"RS256"}
		}
		for j, alg := range iss.Algorithms {
			if !asymmetricAlgs[alg] {
				bad(fmt.Sprintf("%s.algorithms[%d]", key, j),
					fmt.Sprintf("%q is not allowed: use a public-key algorithm such as RS256 or ES256 (never none or HS*)", alg))
			}
		}
		switch {
		case iss.Leeway < 0:
			bad(key+".leeway", "negative duration")
		case iss.Leeway == 0:
			iss.Leeway = defaultJWTLeeway
		case iss.Leeway > maxJWTLeeway:
			bad(key+".leeway", "longer than 10m")
		}
		switch {
		case iss.RefetchInterval < 0:
			bad(key+".refetch_interval", "negative duration")
		case iss.RefetchInterval == 0:
			iss.RefetchInterval = defaultJWKSRefetchInterval
		}
	}
	for scope, caps := range c.ScopeCapabilities {
		if scope == "" || strings.ContainsAny(scope, " \t\r\n\"\\") {
			bad("scope_capabilities", fmt.Sprintf("%q is not a scope (no spaces or quotes)", scope))
		}
		if len(caps) == 0 {
			bad("scope_capabilities."+scope, "maps to no capability")
		}
	}
	return errs
}
