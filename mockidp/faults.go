package mockidp

import "fmt"

// Fault is a defect injected into the provider's next answer of one kind
// (see [Provider.FailNext]). Its value is the name used by POST
// /control/fault.
type Fault string

// ID token faults apply to the next ID token the token endpoint issues (or
// to a token minted with [MintOptions.Fault]). Verifiers such as go-oidc
// reject the first group themselves; the second group is well signed and
// must be caught by the relying party's own checks, which go-oidc documents
// it does not do (nonce, iat, azp, sub, email).
const (
	FaultBadSignature   Fault = "bad_signature"    // signature bytes altered
	FaultAlgNone        Fault = "alg_none"         // alg "none", empty signature
	FaultHS256PublicKey Fault = "hs256_public_key" // HS256 keyed with the public key's PEM (key confusion)
	FaultUnknownKID     Fault = "unknown_kid"      // signed by a key the JWKS does not hold
	FaultWrongIssuer    Fault = "wrong_issuer"     // iss of another provider
	FaultWrongAudience  Fault = "wrong_audience"   // aud and azp name another client
	FaultExpired        Fault = "expired"          // exp an hour ago

	FaultIssuedInFuture        Fault = "issued_in_future"         // iat an hour ahead (exp after it)
	FaultWrongNonce            Fault = "wrong_nonce"              // nonce differs from the request's
	FaultMissingNonce          Fault = "missing_nonce"            // no nonce claim
	FaultMissingEmail          Fault = "missing_email"            // no email nor email_verified
	FaultEmailUnverified       Fault = "email_unverified"         // email_verified false
	FaultMissingSub            Fault = "missing_sub"              // no sub claim
	FaultMultiAudienceNoAZP    Fault = "multi_audience_no_azp"    // aud [client, other], no azp
	FaultMultiAudienceWrongAZP Fault = "multi_audience_wrong_azp" // aud [client, other], azp other
)

// Endpoint faults.
const (
	// FaultTokenError makes the next token endpoint request fail with 500
	// server_error.
	FaultTokenError Fault = "token_error"
	// FaultTokenInvalidGrant makes the next token endpoint request fail with
	// 400 invalid_grant.
	FaultTokenInvalidGrant Fault = "token_invalid_grant"
	// FaultAuthorizeError makes the next authorize request redirect back
	// with error=access_denied.
	FaultAuthorizeError Fault = "authorize_error"
)

type faultKind int

const (
	idTokenFault faultKind = iota + 1
	tokenEndpointFault
	authorizeFault
)

var faultKinds = map[Fault]faultKind{
	FaultBadSignature: idTokenFault, FaultAlgNone: idTokenFault, FaultHS256PublicKey: idTokenFault,
	FaultUnknownKID: idTokenFault, FaultWrongIssuer: idTokenFault, FaultWrongAudience: idTokenFault,
	FaultExpired: idTokenFault, FaultIssuedInFuture: idTokenFault, FaultWrongNonce: idTokenFault,
	FaultMissingNonce: idTokenFault, FaultMissingEmail: idTokenFault, FaultEmailUnverified: idTokenFault,
	FaultMissingSub: idTokenFault, FaultMultiAudienceNoAZP: idTokenFault, FaultMultiAudienceWrongAZP: idTokenFault,
	FaultTokenError: tokenEndpointFault, FaultTokenInvalidGrant: tokenEndpointFault,
	FaultAuthorizeError: authorizeFault,
}

// IDTokenFaults lists every ID token fault, in a stable order.
func IDTokenFaults() []Fault {
	return []Fault{
		FaultBadSignature, FaultAlgNone, FaultHS256PublicKey, FaultUnknownKID, FaultWrongIssuer,
		FaultWrongAudience, FaultExpired, FaultIssuedInFuture, FaultWrongNonce, FaultMissingNonce,
		FaultMissingEmail, FaultEmailUnverified, FaultMissingSub, FaultMultiAudienceNoAZP,
		FaultMultiAudienceWrongAZP,
	}
}

// Valid reports whether f is a known fault.
func (f Fault) Valid() bool { _, ok := faultKinds[f]; return ok }

func (f Fault) kind() faultKind { return faultKinds[f] }

// ParseFault returns the fault with the given name.
func ParseFault(name string) (Fault, error) {
	f := Fault(name)
	if !f.Valid() {
		return "", fmt.Errorf("mockidp: unknown fault %q", name)
	}
	return f, nil
}
